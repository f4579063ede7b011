//! Reports from one run: JSON on stdout or in a file, JUnit XML, GitHub Actions annotations,
//! what the target sent made harmless in the terminal, and `--expect` files (golden errors in
//! tests/fixtures/expectations/bad; `UPDATE_GOLDEN=1` rewrites them).

#[path = "support/golden.rs"]
mod golden;
mod hostile;
mod support;

use golden::assert_golden_errors;
use hostile::{HostileServer, http, one_get_scenario};
use predicates::prelude::*;
use scim_harness::gate::Expectations;
use scim_harness::server::Quirk;
use support::{TestServer, harness, run_against};

#[test]
fn json_on_stdout_and_the_human_report_on_stderr() {
    let server = TestServer::start(&[]);
    let output = run_against(&server)
        .args(["entra-core", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("stdout is JSON");
    assert_eq!(report["schema_version"], 1);
    assert_eq!(report["exit_code"], 0);
    assert_eq!(report["scenarios"][0]["name"], "entra-core");
    assert_eq!(report["tally"]["checks_failed"], 0);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("test-connection"),
        "human report on stderr: {stderr}"
    );
}

#[test]
fn junit_and_json_files_carry_the_failure_with_its_reason() {
    let server = TestServer::start(&[Quirk::RejectStringBooleans]);
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("report.xml");
    let json = dir.path().join("report.json");
    run_against(&server)
        .arg("entra-core")
        .arg("--junit")
        .arg(&junit)
        .arg("--json")
        .arg(&json)
        .assert()
        .code(1);

    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.starts_with("<?xml"), "{xml}");
    assert!(xml.contains(r#"<testsuite name="entra-core""#), "{xml}");
    assert!(
        xml.contains(r#"name="deprovision.legacy-accepted""#),
        "{xml}"
    );
    assert!(xml.contains("<failure"), "{xml}");
    assert!(
        xml.contains("status: expected 200 or 204, got 400"),
        "{xml}"
    );

    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(report["exit_code"], 1);
    let failed: Vec<&str> = report["scenarios"][0]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["checks"].as_array().unwrap())
        .filter(|c| c["outcome"] == "fail")
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert!(
        failed.contains(&"deprovision.legacy-accepted"),
        "{failed:?}"
    );
}

#[test]
fn list_shows_every_step_and_check_id() {
    harness()
        .arg("list")
        .assert()
        .code(0)
        .stdout(predicate::str::contains("entra-core"))
        .stdout(predicate::str::contains("test-connection.empty-list"))
        .stdout(predicate::str::contains("R8, RFC 7644 §3.4.2"));
}

#[test]
fn github_actions_gets_annotations_on_the_scenario_line_and_a_step_summary() {
    let server = TestServer::start(&[Quirk::RejectStringBooleans]);
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.md");
    let output = run_against(&server)
        .arg("entra-core")
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let annotation = stdout
        .lines()
        .find(|l| l.starts_with("::error file=scenarios/entra-core.yaml,line="))
        .unwrap_or_else(|| panic!("an ::error annotation: {stdout}"));
    assert!(
        annotation.contains("deprovision.legacy-accepted"),
        "{annotation}"
    );
    let markdown = std::fs::read_to_string(&summary).unwrap();
    assert!(
        markdown.contains("| ❌ | entra-core / disable-legacy | `deprovision.legacy-accepted`"),
        "{markdown}"
    );
}

/// Control characters a target sent: none may reach the terminal or the CI log as they came.
const CONTROL: [char; 7] = [
    '\u{0}', '\u{1}', '\u{7}', '\u{1b}', '\u{7f}', '\u{9b}', '\u{202e}',
];

#[track_caller]
fn assert_no_control(what: &str, text: &str) {
    if let Some(c) = text.chars().find(|c| CONTROL.contains(c)) {
        panic!("{what} holds {c:?} as sent by the target:\n{text:?}");
    }
}

#[test]
fn control_characters_from_the_target_are_shown_escaped_in_every_text_report() {
    // NUL, SOH, a colour, a window title (OSC … BEL), DEL, a C1 CSI and a right-to-left override.
    let body =
        "<x>\u{0}\u{1}\u{1b}[31mred\u{1b}[0m\u{1b}]0;pwned\u{7}\u{7f}\u{9b}2J\u{202e}txt end";
    let server = HostileServer::start(move |_| {
        http(500, &[("Content-Type", "text/plain")], body.as_bytes())
    });
    let (_dir, scenario) = one_get_scenario();
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.md");
    for verbose in [false, true] {
        let mut command = harness();
        command
            .args(["run", "--no-snapshots", "--token", "t0ken", "--url"])
            .arg(server.url())
            .arg(&scenario)
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_STEP_SUMMARY", &summary);
        if verbose {
            command.arg("-v");
        }
        let output = command.output().unwrap();
        assert_eq!(output.status.code(), Some(1));
        let stdout = String::from_utf8(output.stdout).unwrap();
        assert_no_control("the terminal report", &stdout);
        assert!(
            stdout.contains(
                "\\u{1b}[31mred\\u{1b}[0m\\u{1b}]0;pwned\\u{7}\\u{7f}\\u{9b}2J\\u{202e}txt"
            ),
            "the bytes are shown as escapes: {stdout}"
        );
        let annotations: Vec<&str> = stdout.lines().filter(|l| l.starts_with("::")).collect();
        assert!(!annotations.is_empty(), "{stdout}");
        assert_no_control(
            "the step summary",
            &std::fs::read_to_string(&summary).unwrap(),
        );
    }
}

/// Runs entra-core against a server that rejects string booleans, with `args`; the exit code and
/// the human report.
fn run_known(server: &TestServer, args: &[&str]) -> (Option<i32>, String) {
    let output = run_against(server)
        .arg("entra-core")
        .args(args)
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

#[test]
fn known_findings_outside_the_selection_are_not_run_not_resolved() {
    let server = TestServer::start(&[Quirk::RejectStringBooleans]);
    let output = run_against(&server)
        .args(["entra-core", "--format", "json"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let findings: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert!(
        findings.contains(&"entra-core/disable-legacy/deprovision.legacy-accepted"),
        "{findings:?}"
    );
    let dir = tempfile::tempdir().unwrap();
    let known = dir.path().join("known.yaml");
    let listed: String = findings.iter().map(|f| format!("  - {f}\n")).collect();
    std::fs::write(&known, format!("findings:\n{listed}")).unwrap();
    let known = known.to_str().unwrap();

    let (code, stdout) = run_known(&server, &["--expect", known]);
    assert_eq!(code, Some(0), "every finding is known: {stdout}");

    // The check not judged in this selection is neither resolved nor a reason to fail.
    let (code, stdout) = run_known(
        &server,
        &["--expect", known, "--skip", "deprovision.legacy-*"],
    );
    assert_eq!(code, Some(0), "{stdout}");
    assert!(!stdout.contains("resolved:"), "{stdout}");
    assert!(
        stdout.contains(
            "not run in this selection: entra-core/disable-legacy/deprovision.legacy-accepted"
        ),
        "{stdout}"
    );
    let json = dir.path().join("report.json");
    run_known(
        &server,
        &[
            "--expect",
            known,
            "--only",
            "test-connection.*",
            "--json",
            json.to_str().unwrap(),
        ],
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(report["exit_code"], 0, "{report:#}");
    assert_eq!(report["expectations"]["resolved"], serde_json::json!([]));
    assert_eq!(
        report["expectations"]["not_run"].as_array().unwrap().len(),
        findings.len()
    );

    // A finding whose check ran and passed is resolved: the file must be updated.
    let fixed = TestServer::start(&[]);
    let (code, stdout) = run_known(&fixed, &["--expect", known]);
    assert_eq!(code, Some(1), "{stdout}");
    assert!(
        stdout.contains(
            "resolved: entra-core/disable-legacy/deprovision.legacy-accepted no longer occurs"
        ),
        "{stdout}"
    );
}

/// An expectation naming a step or check the scenario no longer has can never occur: said on
/// stderr, so a stale file does not sit unnoticed.
#[test]
fn a_known_finding_that_names_no_such_check_is_warned_about() {
    let server = TestServer::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let known = dir.path().join("known.yaml");
    std::fs::write(
        &known,
        "findings:\n  - entra-core/disable-legcy/deprovision.legacy-accepted\n  - entra-core/disable-legacy/deprovision.legacy-accepted\n  - entra-core/create-user/http.content-type\n  - entra-core/cleanup\n  - entra-users/x/y\n",
    )
    .unwrap();
    let output = run_against(&server)
        .arg("entra-core")
        .arg("--expect")
        .arg(&known)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.matches("warning:").count(), 1, "{stderr}");
    assert!(
        stderr.contains(
            "`entra-core/disable-legcy/deprovision.legacy-accepted` names no step or check"
        ),
        "{stderr}"
    );
}

#[test]
fn a_broken_expectations_file_is_a_usage_error_at_its_line() {
    let server = TestServer::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let known = dir.path().join("known.yaml");
    for (text, message, place) in [
        (
            "findngs: []\n",
            "error: unknown key `findngs`",
            "known.yaml:1:1",
        ),
        (
            "findings:\n  - bogus\n",
            "error: `bogus` is not a finding key",
            "known.yaml:2:5",
        ),
    ] {
        std::fs::write(&known, text).unwrap();
        let output = run_against(&server)
            .arg("--expect")
            .arg(&known)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.starts_with(message), "{stderr}");
        assert_eq!(stderr.matches("error:").count(), 1, "{stderr}");
        assert!(stderr.contains(place), "{stderr}");
        assert!(!stderr.contains("<input>"), "{stderr}");
        assert!(stderr.contains("^"), "a caret under the problem: {stderr}");
    }
}

#[test]
fn bad_expectations_files_fail_with_their_golden_error() {
    assert_golden_errors(
        "tests/fixtures/expectations/bad",
        6,
        "cli_reports",
        |file| {
            Expectations::load(file)
                .err()
                .map(|error| format!("error: {error}"))
        },
    );
}
