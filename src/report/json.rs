//! The machine-readable report (`--json FILE`, `--format json`). Its shape is documented in
//! docs/json-report.md; bump [`SCHEMA_VERSION`] on any incompatible change.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::gate::Comparison;
use crate::run::result::{RunResult, Tally};

/// Version of the JSON report's shape.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct JsonReport<'a> {
    schema_version: u32,
    tool: Tool,
    exit_code: u8,
    tally: Tally,
    /// Stable keys of every finding (`scenario/step/check-id`), the format `--expect` files use.
    findings: &'a BTreeSet<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expectations: Option<&'a Comparison>,
    #[serde(flatten)]
    result: &'a RunResult,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

pub fn render(
    result: &RunResult,
    exit_code: u8,
    findings: &BTreeSet<String>,
    expectations: Option<&Comparison>,
) -> Result<String, serde_json::Error> {
    serde_json::to_string_pretty(&JsonReport {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: env!("CARGO_PKG_NAME"),
            version: env!("CARGO_PKG_VERSION"),
        },
        exit_code,
        tally: result.tally(),
        findings,
        expectations,
        result,
    })
}
