//! JUnit XML for CI systems: a testsuite per scenario, a testcase per check. Findings are
//! `<failure>` (with the reason, what Entra does, the hint, the exchange and the snapshot diff);
//! steps that got no answer are `<error>`; steps that could not be sent are skipped; warnings pass
//! with their detail in `<system-out>`.
//!
//! JUnit XML has no official schema; the one CI servers validate against is Jenkins' `junit-10.xsd`,
//! and the output stays inside it (tests/report_junit_schema.rs validates it): skip reasons are the
//! `<skipped>` element's text, not a `message` attribute, and `<testsuites>` carries no `skipped`
//! count.

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
    Ok(only_xml_chars(without_root_skipped_count(
        report.to_string()?,
    )))
}

/// quick-junit drops C0 controls and ANSI escapes but lets U+FFFE and U+FFFF through, which XML
/// 1.0 forbids (§2.2, the `Char` production): a response body holding one would make the whole
/// file unreadable. Markup is ASCII, so replacing them anywhere only touches the run's text.
fn only_xml_chars(xml: String) -> String {
    if xml.chars().all(is_xml_char) {
        return xml;
    }
    xml.chars()
        .map(|c| if is_xml_char(c) { c } else { '\u{fffd}' })
        .collect()
}

/// XML 1.0 `Char`: tab, LF, CR, and U+0020 up; surrogates cannot occur in a Rust string.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && !matches!(c, '\u{fffe}' | '\u{ffff}'))
}

/// quick-junit always writes a `skipped` total on `<testsuites>`, an attribute junit-10.xsd does not
/// allow there; each `<testsuite>` keeps its own count. Only the root start tag is touched, and its
/// attributes are quick-junit's own numbers and our report name, so the edit cannot hit user text.
fn without_root_skipped_count(xml: String) -> String {
    let Some(start) = xml.find("<testsuites") else {
        return xml;
    };
    let Some(end) = xml[start..].find('>').map(|offset| start + offset) else {
        return xml;
    };
    let Some(attribute) = xml[start..end]
        .find(" skipped=\"")
        .map(|offset| start + offset)
    else {
        return xml;
    };
    let value_start = attribute + " skipped=\"".len();
    let Some(value_end) = xml[value_start..end]
        .find('"')
        .map(|offset| value_start + offset + 1)
    else {
        return xml;
    };
    format!("{}{}", &xml[..attribute], &xml[value_end..])
}

/// A skipped case whose reason is the element's text.
fn skipped(reason: &str) -> TestCaseStatus {
    let mut status = TestCaseStatus::skipped();
    status.set_description(reason);
    status
}

fn suite(scenario: &ScenarioResult) -> TestSuite {
    let mut suite = TestSuite::new(scenario.name.as_str());
    suite.set_time(scenario.duration);
    if let Some(reason) = &scenario.skipped {
        let mut case = TestCase::new(scenario.name.as_str(), skipped(reason));
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
            let mut case = TestCase::new(step.name.as_str(), skipped(reason));
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
        if check.outcome == Outcome::Warn {
            case.set_system_out(format!("warning: {}\n{}", check.title, finding_text(check)));
        }
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
        // A warning does not fail the build: a passing case, its detail in `<system-out>`.
        Outcome::Warn => TestCaseStatus::success(),
        Outcome::Skip => skipped(&check.details.join("; ")),
        Outcome::Fail => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            status.set_message(format!("{}: {}", check.title, check.details.join("; ")));
            status.set_type(check.requirement.as_str());
            status.set_description(format!(
                "{}defined at: {}\n\n{exchange}",
                finding_text(check),
                check.defined_at
            ));
            status
        }
    }
}

/// The details, what Entra does, the hint and the requirement, one per line.
fn finding_text(check: &CheckResult) -> String {
    let mut text = String::new();
    for detail in &check.details {
        text.push_str(&format!("{detail}\n"));
    }
    if let Some(impact) = &check.impact {
        text.push_str(&format!("Entra: {impact}\n"));
    }
    if let Some(hint) = &check.hint {
        text.push_str(&format!("hint: {hint}\n"));
    }
    text.push_str(&format!("requirement: {}\n", check.requirement));
    text
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

#[cfg(test)]
mod tests {
    use super::{only_xml_chars, without_root_skipped_count};

    #[test]
    fn only_the_root_loses_its_skipped_count() {
        let xml = concat!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
            "<testsuites name=\"scim-harness\" tests=\"3\" skipped=\"1\" failures=\"0\" errors=\"0\">\n",
            "    <testsuite name=\"a\" tests=\"3\" skipped=\"1\" errors=\"0\" failures=\"0\">\n",
        );
        let stripped = without_root_skipped_count(xml.to_string());
        assert!(stripped.contains(
            "<testsuites name=\"scim-harness\" tests=\"3\" failures=\"0\" errors=\"0\">"
        ));
        assert!(stripped.contains("<testsuite name=\"a\" tests=\"3\" skipped=\"1\""));
    }

    #[test]
    fn characters_xml_forbids_are_replaced() {
        assert_eq!(
            only_xml_chars("<a>x\u{fffe}y\u{ffff}\u{1}\tz\u{fffd}\u{10000}</a>".to_string()),
            "<a>x\u{fffd}y\u{fffd}\u{fffd}\tz\u{fffd}\u{10000}</a>"
        );
        let clean = "<a>é\r\n</a>".to_string();
        assert_eq!(only_xml_chars(clean.clone()), clean);
    }

    #[test]
    fn a_root_without_the_count_is_left_alone() {
        let xml = "<testsuites name=\"x\" tests=\"0\">\n<testsuite skipped=\"2\"/>";
        assert_eq!(without_root_skipped_count(xml.to_string()), xml);
    }
}
