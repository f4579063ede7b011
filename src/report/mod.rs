//! Reporting: formats a run's results; never talks to the target.

pub mod github;
pub mod har;
pub mod html;
pub mod json;
pub mod junit;
pub mod terminal;
