//! The machine-readable report (`--json FILE`, `--format json`). Its shape is documented in
//! docs/json-report.md; bump [`SCHEMA_VERSION`] on any incompatible change.

use std::collections::BTreeSet;

use serde::Serialize;
use serde_json::Value;

use crate::gate::Comparison;
use crate::report::StepVerdict;
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
    let mut report = serde_json::to_value(JsonReport {
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
    })?;
    add_step_verdicts(&mut report, result)?;
    serde_json::to_string_pretty(&report)
}

/// Each step's `verdict`, right after its `status`: the run model holds what happened, the
/// verdict is what every report makes of it.
fn add_step_verdicts(report: &mut Value, result: &RunResult) -> Result<(), serde_json::Error> {
    let Some(scenarios) = report.get_mut("scenarios").and_then(Value::as_array_mut) else {
        return Ok(());
    };
    for (scenario, scenario_result) in scenarios.iter_mut().zip(&result.scenarios) {
        let Some(steps) = scenario.get_mut("steps").and_then(Value::as_array_mut) else {
            continue;
        };
        for (step, step_result) in steps.iter_mut().zip(&scenario_result.steps) {
            if let Some(step) = step.as_object_mut() {
                let at = step
                    .keys()
                    .position(|key| key == "status")
                    .map_or(step.len(), |position| position + 1);
                let verdict = serde_json::to_value(StepVerdict::of(step_result))?;
                step.shift_insert(at, "verdict".to_string(), verdict);
            }
        }
    }
    Ok(())
}
