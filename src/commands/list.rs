//! `scim-harness list`: what each scenario replays and what each step checks.

use colored::Colorize;

use super::emit;
use crate::checks::BUILT_IN_IDS;
use crate::cli::ListArgs;
use crate::exit;
use crate::scenario::builtin::builtin_scenarios;
use crate::scenario::load::{LoadOptions, load_str};
use crate::scenario::model::{Scenario, Severity};

pub fn list(args: ListArgs) -> anyhow::Result<u8> {
    let options = LoadOptions::default();
    let scenarios: Vec<Scenario> = if args.scenarios.is_empty() {
        let mut all = Vec::new();
        for builtin in builtin_scenarios() {
            all.push(load_str(builtin.path, builtin.text, &options)?);
        }
        all.retain(|s| args.profile.as_ref().is_none_or(|p| s.profiles.contains(p)));
        all
    } else {
        crate::scenario::resolve(
            &args.scenarios,
            args.profile.as_deref().unwrap_or("entra"),
            &options,
        )?
    };
    emit(&describe(&scenarios))?;
    Ok(exit::SUCCESS)
}

fn describe(scenarios: &[Scenario]) -> String {
    let mut text = String::new();
    for scenario in scenarios {
        text.push_str(&format!(
            "{} — {}\n  source: {}\n  profiles: {}\n  covers: {}\n",
            scenario.name.bold(),
            scenario.title,
            scenario.source,
            or_none(&scenario.profiles),
            or_none(&scenario.requirements)
        ));
        for (i, step) in scenario.steps.iter().enumerate() {
            text.push_str(&format!(
                "  {:>2} {} — {} ({} {})\n",
                i + 1,
                step.name.bold(),
                step.title,
                step.request.method,
                step.request.path.source()
            ));
            for check in &step.expect {
                let severity = match check.severity {
                    Severity::Fail => "",
                    Severity::Warn => " (warning)",
                };
                text.push_str(&format!(
                    "       {} {}{severity} [{}]\n",
                    check.id.cyan(),
                    check.title,
                    check.requirement
                ));
            }
        }
        text.push('\n');
    }
    text.push_str(&format!(
        "Every response is also judged by the built-in checks {}.\n",
        BUILT_IN_IDS.join(", ")
    ));
    text
}

fn or_none(items: &[String]) -> String {
    if items.is_empty() {
        "-".to_string()
    } else {
        items.join(", ")
    }
}
