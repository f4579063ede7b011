//! JUnit XML for CI systems: a testsuite per scenario, a testcase per check. Findings are
//! `<failure>` (with the reason, what Entra does, the hint, the exchange and the snapshot diff);
//! steps that got no answer are `<error>`; steps that could not be sent are skipped.

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use crate::checks::excerpt;
use crate::run::result::{
    CheckResult, Exchange, Outcome, RunResult, ScenarioResult, SnapshotResult, StepResult,
    StepStatus,
};
use crate::snapshot::DiffKind;

pub fn render(result: &RunResult) -> Result<String, quick_junit::SerializeError> {
    let mut report = Report::new("scim-harness");
    report.set_time(result.duration);
    for scenario in &result.scenarios {
        report.add_test_suite(suite(scenario));
    }
    report.to_string()
}

fn suite(scenario: &ScenarioResult) -> TestSuite {
    let mut suite = TestSuite::new(scenario.name.as_str());
    suite.set_time(scenario.duration);
    if let Some(reason) = &scenario.skipped {
        let mut status = TestCaseStatus::skipped();
        status.set_message(reason.as_str());
        let mut case = TestCase::new(scenario.name.as_str(), status);
        case.set_classname(scenario.name.as_str());
        suite.add_test_case(case);
    }
    for step in &scenario.steps {
        suite.add_test_cases(step_cases(scenario, step));
    }
    for cleanup in scenario.cleanup.iter().filter(|c| !c.removed) {
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
        let outcome = match &cleanup.outcome {
            Ok(code) => format!("answered {code}"),
            Err(e) => e.clone(),
        };
        status.set_message(format!(
            "{} {} {outcome}: the resource was left behind",
            cleanup.method, cleanup.url
        ));
        let mut case = TestCase::new("cleanup", status);
        case.set_classname(format!("{}.cleanup", scenario.name));
        suite.add_test_case(case);
    }
    suite
}

fn step_cases(scenario: &ScenarioResult, step: &StepResult) -> Vec<TestCase> {
    let classname = format!("{}.{:02}_{}", scenario.name, step.index, step.name);
    let mut cases = Vec::new();
    match &step.status {
        StepStatus::Skipped { reason } | StepStatus::NotRun { reason } => {
            let mut status = TestCaseStatus::skipped();
            status.set_message(reason.as_str());
            let mut case = TestCase::new(step.name.as_str(), status);
            case.set_classname(classname.as_str());
            cases.push(case);
        }
        StepStatus::Error { message, .. } => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
            status.set_message(message.as_str());
            status.set_type("no answer");
            let mut case = TestCase::new(step.name.as_str(), status);
            case.set_classname(classname.as_str());
            cases.push(case);
        }
        StepStatus::Completed => {}
    }
    let exchange = step
        .exchange
        .as_ref()
        .map(exchange_text)
        .unwrap_or_default();
    for check in &step.checks {
        let mut case = TestCase::new(check.id.as_str(), check_status(check, &exchange));
        case.set_classname(classname.as_str());
        cases.push(case);
    }
    if let Some(snapshot) = &step.snapshot {
        let status = match snapshot {
            SnapshotResult::Changed { file, diff, .. } => {
                let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
                status.set_message(format!("snapshot {file} changed"));
                status.set_type("snapshot");
                let diff: String = diff
                    .iter()
                    .map(|l| {
                        let sign = match l.kind {
                            DiffKind::Removed => "-",
                            DiffKind::Added => "+",
                            DiffKind::Context => " ",
                            DiffKind::Hunk => "",
                        };
                        format!("{sign}{}\n", l.text.trim_end_matches('\n'))
                    })
                    .collect();
                status.set_description(diff);
                status
            }
            SnapshotResult::New {
                file,
                required: true,
                ..
            } => {
                let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
                status.set_message(format!(
                    "snapshot {file} has no baseline; record it with `scim-harness run --update always`"
                ));
                status.set_type("snapshot");
                status
            }
            SnapshotResult::Error { message } => {
                let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
                status.set_message(message.as_str());
                status
            }
            _ => TestCaseStatus::success(),
        };
        let mut case = TestCase::new("snapshot", status);
        case.set_classname(classname.as_str());
        cases.push(case);
    }
    cases
}

fn check_status(check: &CheckResult, exchange: &str) -> TestCaseStatus {
    match check.outcome {
        Outcome::Pass => TestCaseStatus::success(),
        // A warning does not fail the build; it is reported as a passing case with the detail.
        Outcome::Warn => TestCaseStatus::success(),
        Outcome::Skip => {
            let mut status = TestCaseStatus::skipped();
            status.set_message(check.details.join("; "));
            status
        }
        Outcome::Fail => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            status.set_message(format!("{}: {}", check.title, check.details.join("; ")));
            status.set_type(check.requirement.as_str());
            let mut description = String::new();
            for detail in &check.details {
                description.push_str(&format!("{detail}\n"));
            }
            if let Some(impact) = &check.impact {
                description.push_str(&format!("Entra: {impact}\n"));
            }
            if let Some(hint) = &check.hint {
                description.push_str(&format!("hint: {hint}\n"));
            }
            description.push_str(&format!("requirement: {}\n", check.requirement));
            description.push_str(&format!("defined at: {}\n\n{exchange}", check.defined_at));
            status.set_description(description);
            status
        }
    }
}

fn exchange_text(exchange: &Exchange) -> String {
    let mut text = format!("> {} {}\n", exchange.method, exchange.url);
    if let Some(body) = &exchange.request_body {
        text.push_str(&format!("> {}\n", excerpt(body, 2000)));
    }
    if let Some(response) = &exchange.response {
        text.push_str(&format!(
            "< {}\n< {}\n",
            response.status,
            excerpt(&response.body, 2000)
        ));
    }
    text
}
