//! Machine-readable reports from one run: JSON on stdout or in a file, and JUnit XML.

mod support;

use predicates::prelude::*;
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
