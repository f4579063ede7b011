//! `needs:` in a run: a check whose needed checks did not pass is not judged, with the reason,
//! so one deviation gives one failure instead of a cascade; a needed check this run does not
//! send (another profile's step) holds nothing back.

mod support;

use scim_harness::server::Quirk;
use serde_json::Value;
use support::{TestServer, run_against};

/// A user is disabled in the legacy form and read back; `disable.applied` and
/// `disable.still-there` need the PATCH, `read.answered` needs nothing. `compliant.only` runs
/// only under entra-compliant, and `after-compliant.judged` needs it.
const SCENARIO: &str = r#"
title: Needs in a run
vars:
  user_name: "{{run.prefix}}.needs@contoso.example"
steps:
  - name: create
    title: Creates the user
    request:
      method: POST
      path: /Users
      body: {schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName: "{{user_name}}", active: true}
    capture: {user_id: /id}
    cleanup: {method: DELETE, path: "/Users/{{user_id}}"}
    expect:
      - {id: create.answered, title: Created, requirement: R3, status: [200, 201]}
  - name: disable
    title: Disables the user in the legacy form
    request:
      method: PATCH
      path: /Users/{{user_id}}
      body: {schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: [{op: Replace, path: active, value: "False"}]}
    expect:
      - {id: disable.accepted, title: Accepted, requirement: R11, status: [200, 204]}
      - {id: disable.maybe, title: Accepted (a warning only), requirement: R11, severity: warn, status: [200, 204]}
  - name: compliant-only
    title: Runs only under entra-compliant
    profiles: [entra-compliant]
    request: {method: GET, path: "/Users/{{user_id}}"}
    expect:
      - {id: compliant.only, title: Answers, requirement: R5, status: 599}
  - name: read-back
    title: Reads the user back
    request: {method: GET, path: "/Users/{{user_id}}"}
    expect:
      - {id: disable.applied, title: Disabled, requirement: R13, needs: [disable.accepted], attributes: {active: false}}
      - {id: disable.after-warning, title: Disabled, requirement: R13, needs: [disable.maybe], attributes: {active: false}}
      - {id: read.answered, title: Answers, requirement: R5, status: 200}
      - {id: after-compliant.judged, title: Answers, requirement: R5, needs: [compliant.only], status: 200}
  - name: read-again
    title: Reads the user again
    request: {method: GET, path: "/Users/{{user_id}}"}
    expect:
      - {id: disable.still-there, title: Still disabled, requirement: R13, needs: [disable.applied], attributes: {active: false}}
"#;

/// Runs the scenario against a server with these quirks; the JSON report's checks by id, with
/// the exit code.
fn run(quirks: &[Quirk]) -> (i32, Vec<Value>) {
    let server = TestServer::start(quirks);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("needs.yaml");
    std::fs::write(&file, SCENARIO).unwrap();
    let output = run_against(&server)
        .arg(&file)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&output.stdout).expect("stdout is JSON");
    let checks = report["scenarios"][0]["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .flat_map(|step| step["checks"].as_array().cloned().unwrap_or_default())
        .collect();
    assert_eq!(server.count("Users"), 0, "the run left users behind");
    (output.status.code().expect("exit code"), checks)
}

fn check<'a>(checks: &'a [Value], id: &str) -> &'a Value {
    checks
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no check {id} in {checks:#?}"))
}

#[test]
fn a_failed_need_holds_its_dependents_back_with_the_reason() {
    let (code, checks) = run(&[Quirk::RejectCapitalisedOps]);
    assert_eq!(code, 1, "the failed PATCH is a finding");
    assert_eq!(check(&checks, "disable.accepted")["outcome"], "fail");
    let applied = check(&checks, "disable.applied");
    assert_eq!(applied["outcome"], "skip", "{applied}");
    assert_eq!(
        applied["details"][0],
        "not judged: it needs disable.accepted, which failed"
    );
    // A held-back check holds back what needs it in turn.
    assert_eq!(
        check(&checks, "disable.still-there")["details"][0],
        "not judged: it needs disable.applied, which was not judged"
    );
    // A needed check that warned holds back too: its assertions broke all the same.
    assert_eq!(check(&checks, "disable.maybe")["outcome"], "warn");
    assert_eq!(
        check(&checks, "disable.after-warning")["details"][0],
        "not judged: it needs disable.maybe, which warned"
    );
    // Checks without `needs` are judged as usual.
    assert_eq!(check(&checks, "read.answered")["outcome"], "pass");
    // The only failure is the PATCH itself.
    let failed: Vec<&Value> = checks.iter().filter(|c| c["outcome"] == "fail").collect();
    assert_eq!(failed.len(), 1, "{failed:#?}");
}

#[test]
fn needs_that_passed_or_did_not_run_hold_nothing_back() {
    let (code, checks) = run(&[]);
    assert_eq!(code, 0, "{checks:#?}");
    for id in [
        "disable.applied",
        "disable.after-warning",
        "disable.still-there",
    ] {
        assert_eq!(check(&checks, id)["outcome"], "pass", "{id}");
    }
    // compliant.only (which would fail) belongs to a step of another profile: not sent, no verdict.
    assert!(checks.iter().all(|c| c["id"] != "compliant.only"));
    assert_eq!(check(&checks, "after-compliant.judged")["outcome"], "pass");
}

#[test]
fn a_need_that_failed_under_the_profile_that_runs_it_holds_back() {
    let server = TestServer::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("needs.yaml");
    std::fs::write(&file, SCENARIO).unwrap();
    let output = run_against(&server)
        .arg(&file)
        .args(["--profile", "entra-compliant", "--format", "json"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&output.stdout).expect("stdout is JSON");
    let text = report.to_string();
    assert!(
        text.contains("not judged: it needs compliant.only, which failed"),
        "{text}"
    );
}
