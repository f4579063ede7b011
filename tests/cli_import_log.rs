//! `import-log` as a support engineer uses it: a provisioning log export in, a scenario out that
//! loads, runs against the embedded server as it is, and reproduces the customer's failure
//! against a server with the customer's defect.

mod support;

use std::path::{Path, PathBuf};

use predicates::prelude::*;
use scim_harness::scenario::load::{LoadOptions, load_file};
use scim_harness::server::{Quirk, ServerProfile};
use support::{TestServer, harness, run_against};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/logs")
        .join(name)
}

/// `import-log FIXTURE --profile PROFILE -o <tmp>/repro.yaml`, which must succeed.
fn import(dir: &Path, log: &Path, profile: &str) -> PathBuf {
    let output = dir.join("repro.yaml");
    harness()
        .arg("import-log")
        .arg(log)
        .args(["--profile", profile, "-o"])
        .arg(&output)
        .assert()
        .code(0)
        .stderr(predicate::str::contains(format!(
            "next: scim-harness run {}",
            output.display()
        )));
    output
}

fn step_names(path: &Path) -> Vec<String> {
    let scenario = load_file(path, &LoadOptions::default())
        .unwrap_or_else(|e| panic!("{e}\n{}", std::fs::read_to_string(path).unwrap()));
    scenario.steps.into_iter().map(|s| s.name).collect()
}

#[test]
fn every_export_becomes_a_scenario_the_loader_accepts() {
    let cases: [(&str, &str, &[&str]); 4] = [
        (
            "graph-v1.json",
            "entra",
            &[
                "create-1",
                "prepare-2",
                "update-2",
                "get-after-update-2",
                "prepare-3",
                "disable-3",
                "get-after-disable-3",
            ],
        ),
        (
            "graph-beta-insite-lms.json",
            "insite-lms",
            &[
                "prepare-1",
                "update-1",
                "get-after-update-1",
                "prepare-2",
                "disable-2",
                "get-after-disable-2",
            ],
        ),
        (
            "portal-download.json",
            "entra-compliant",
            &[
                "prepare-1",
                "update-1",
                "get-after-update-1",
                "prepare-2",
                "delete-2",
            ],
        ),
        (
            "ProvisioningLogs.csv",
            "insite-lms",
            &[
                "prepare-1",
                "update-1",
                "get-after-update-1",
                "prepare-2",
                "disable-2",
                "get-after-disable-2",
            ],
        ),
    ];
    for (log, profile, expected) in cases {
        let dir = tempfile::tempdir().unwrap();
        let scenario = import(dir.path(), &fixture(log), profile);
        assert_eq!(step_names(&scenario), expected, "{log}");
    }
}

#[test]
fn the_scenario_keeps_the_error_code_and_the_servers_answer_as_comments() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = import(dir.path(), &fixture("graph-v1.json"), "entra");
    let text = std::fs::read_to_string(scenario).unwrap();
    assert!(
        text.contains("# Entra: failure, errorCode BadRequest"),
        "{text}"
    );
    assert!(
        text.contains("# The server answered 400 BadRequest:"),
        "{text}"
    );
    assert!(
        text.contains(r#"#     {"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"400","scimType":"invalidValue","detail":"Attribute 'active' expected value type 'boolean' but found type 'string'"}"#),
        "{text}"
    );
    assert!(
        text.contains("--var user_3_id=7a3f0c2e-1b4d-4e6f-9a8b-0c1d2e3f4a5b"),
        "the customer's target id is kept: {text}"
    );
    assert!(
        text.contains("- {op: Replace, path: active, value: \"False\"}"),
        "{text}"
    );
    assert!(text.contains("Not sent: extensionAttribute3"), "{text}");
    assert!(text.contains("group operations are not imported"), "{text}");
}

#[test]
fn imported_scenarios_run_at_once_against_the_embedded_server() {
    for (log, profile) in [
        ("graph-v1.json", "entra"),
        ("ProvisioningLogs.csv", "insite-lms"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let scenario = import(dir.path(), &fixture(log), profile);
        harness()
            .current_dir(dir.path())
            .args(["run", "--no-snapshots"])
            .arg(&scenario)
            .assert()
            .code(0)
            .stdout(predicate::str::contains("PASSED"));
    }
}

#[test]
fn the_customers_failure_reproduces_against_a_server_with_the_same_defect() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = import(dir.path(), &fixture("graph-v1.json"), "entra");
    let server = TestServer::start(&[Quirk::RejectStringBooleans]);
    run_against(&server)
        .arg(&scenario)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("✗ fail disable-3.accepted"))
        .stdout(predicate::str::contains("✗ fail update-2.accepted").not());
    assert_eq!(server.count("Users"), 0, "the stand-ins were removed");

    let beta = import(
        dir.path(),
        &fixture("graph-beta-insite-lms.json"),
        "insite-lms",
    );
    let insite = TestServer::start_with(
        ServerProfile::InsiteLms,
        &[Quirk::RejectCapitalisedOps],
        support::TOKEN,
    );
    run_against(&insite)
        .arg(&beta)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("✗ fail disable-2.accepted"))
        .stdout(predicate::str::contains("✗ fail update-1.accepted"));
}

#[test]
fn without_an_output_file_the_scenario_goes_to_stdout() {
    harness()
        .arg("import-log")
        .arg(fixture("portal-download.json"))
        .assert()
        .code(0)
        .stdout(predicate::str::starts_with(
            "# Generated by `scim-harness import-log` from portal-download.json (portal JSON download).",
        ))
        .stdout(predicate::str::contains("name: imported-log"))
        .stderr(predicate::str::contains(
            "read 3 entries (portal JSON download); 2 operations to replay",
        ));
}

#[test]
fn a_mapping_file_replaces_the_profiles_mapping() {
    let dir = tempfile::tempdir().unwrap();
    let mapping = dir.path().join("mapping.yaml");
    std::fs::write(
        &mapping,
        "- {source: surname, target: name.familyName}\n\
         - {source: extensionAttribute3, target: 'urn:ietf:params:scim:schemas:extension:Contoso:2.0:User:cohort'}\n",
    )
    .unwrap();
    harness()
        .arg("import-log")
        .arg(fixture("graph-v1.json"))
        .arg("--mapping")
        .arg(&mapping)
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "path: \"urn:ietf:params:scim:schemas:extension:Contoso:2.0:User:cohort\"",
        ))
        .stdout(predicate::str::contains(
            "Not sent: emails[type eq \"work\"].value, department",
        ));
}

#[test]
fn any_of_the_three_csv_files_names_the_export() {
    harness()
        .arg("import-log")
        .arg(fixture("ProvisioningLogs_ModifiedProperties.csv"))
        .args(["--profile", "insite-lms"])
        .assert()
        .code(0)
        .stderr(predicate::str::contains(
            "portal CSV download (three files)",
        ));
}

#[test]
fn a_csv_without_its_siblings_is_read_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let main = dir.path().join("ProvisioningLogs (3).csv");
    std::fs::copy(fixture("ProvisioningLogs.csv"), &main).unwrap();
    harness()
        .arg("import-log")
        .arg(&main)
        .args(["--profile", "insite-lms"])
        .assert()
        .code(0)
        .stderr(predicate::str::contains(
            "warning: ProvisioningLogs_ModifiedProperties (3).csv not found",
        ))
        .stderr(predicate::str::contains(
            "an update without modified properties",
        ))
        .stdout(predicate::str::contains("name: disable-1"));
}

#[test]
fn mistakes_are_usage_errors_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let not_a_log = dir.path().join("x.json");
    std::fs::write(&not_a_log, r#"{"hello": "world"}"#).unwrap();
    harness()
        .arg("import-log")
        .arg(&not_a_log)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "no provisioning log entries found",
        ));
    harness()
        .arg("import-log")
        .arg(fixture("graph-v1.json"))
        .args(["--profile", "okta"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "unknown profile `okta`; import-log knows: entra, entra-legacy, entra-compliant, insite-lms",
        ));
    harness()
        .arg("import-log")
        .arg(dir.path().join("missing.json"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("could not read the log export"));
    let bad_mapping = dir.path().join("mapping.yaml");
    std::fs::write(&bad_mapping, "- {source: mail}\n").unwrap();
    harness()
        .arg("import-log")
        .arg(fixture("graph-v1.json"))
        .arg("--mapping")
        .arg(&bad_mapping)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("missing required key `target`"))
        .stderr(predicate::str::contains("mapping.yaml:1:4"));
}
