//! placeholder, see the helper's brief
use serde_json::Value;
#[derive(Debug, Clone)]
pub struct Template(pub String);
#[derive(Debug, Clone)]
pub struct JsonTemplate(pub Value);
