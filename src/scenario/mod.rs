//! Scenario files: the pure half of the harness (no network). Loading parses YAML with positions,
//! validates it and produces a [`model::Scenario`].

pub mod model;
pub mod template;
