//! The snapshot workflow end to end: record, change, review, accept.

mod support;

use std::fs;

use predicates::prelude::*;
use support::{TestServer, harness};

fn run_with_snapshots(
    server: &TestServer,
    dir: &std::path::Path,
    update: &str,
) -> assert_cmd::Command {
    let mut command = harness();
    command
        .current_dir(dir)
        .args([
            "run",
            "entra-core",
            "--target-name",
            "local",
            "--snapshots",
            "snaps",
            "--update",
            update,
            "--url",
        ])
        .arg(server.url())
        .arg("--token")
        .arg(&server.token);
    command
}

#[test]
fn a_changed_response_gives_a_diff_and_a_pending_file_that_accept_resolves() {
    let server = TestServer::start(&[]);
    let dir = tempfile::tempdir().unwrap();

    run_with_snapshots(&server, dir.path(), "always")
        .assert()
        .code(0);
    let baseline = dir
        .path()
        .join("snaps/entra-core__05_create-user@local.snap");
    let written = fs::read_to_string(&baseline).expect("baseline written");
    // Volatile values are redacted, so a second run matches.
    assert!(
        written.contains("[user_id]") || written.contains("[id]"),
        "{written}"
    );
    assert!(written.contains("[timestamp]"), "{written}");
    let parsed =
        insta::Snapshot::from_file(&baseline).expect("insta reads what the harness writes");
    assert_eq!(
        parsed.metadata().source(),
        Some("scenarios/entra-core.yaml")
    );
    run_with_snapshots(&server, dir.path(), "no")
        .assert()
        .code(0);

    // Pretend the server used to answer differently.
    fs::write(&baseline, written.replace("\"Example\"", "\"Sample\"")).unwrap();
    run_with_snapshots(&server, dir.path(), "auto")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("snapshot changed"))
        .stdout(predicate::str::contains("-").and(predicate::str::contains("Sample")));
    let pending = dir
        .path()
        .join("snaps/entra-core__05_create-user@local.snap.new");
    assert!(pending.exists(), "a .snap.new is written for review");

    harness()
        .current_dir(dir.path())
        .args(["pending", "--snapshots", "snaps"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("entra-core__05_create-user@local"));
    harness()
        .current_dir(dir.path())
        .args(["accept", "--all", "--snapshots", "snaps"])
        .assert()
        .code(0);
    assert!(!pending.exists());
    run_with_snapshots(&server, dir.path(), "no")
        .assert()
        .code(0);
}

#[test]
fn in_ci_a_missing_baseline_is_a_finding_and_nothing_is_written() {
    let server = TestServer::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    run_with_snapshots(&server, dir.path(), "auto")
        .env("CI", "true")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("snapshot missing"));
    assert!(
        !dir.path().join("snaps").exists()
            || fs::read_dir(dir.path().join("snaps"))
                .unwrap()
                .next()
                .is_none()
    );
}
