//! The harness as a user runs it: the real binary against the reference server on loopback.

mod support;

use std::net::TcpListener;

use predicates::prelude::*;
use scim_harness::server::{Quirk, ServerProfile};
use support::{TestServer, harness, repo_snapshots, run_against};

#[test]
fn default_run_against_the_embedded_server_passes_with_the_committed_baselines() {
    harness()
        .args(["run", "--update", "no", "--snapshots"])
        .arg(repo_snapshots())
        .assert()
        .code(0)
        .stdout(predicate::str::contains("embedded reference server"))
        .stdout(predicate::str::contains("test-connection"))
        // entra-transport judges https targets only; the embedded server is plain http.
        .stdout(predicate::str::contains(" · 1 scenario skipped · "))
        .stdout(predicate::str::contains("PASSED"));
}

#[test]
fn a_clean_server_passes_and_is_left_empty() {
    let server = TestServer::start(&[]);
    run_against(&server)
        .arg("entra-core")
        .assert()
        .code(0)
        .stdout(predicate::str::contains("FAIL").not());
    assert_eq!(server.count("Users"), 0, "the run left users behind");
}

#[test]
fn a_wrong_token_is_a_finding_on_test_connection() {
    let server = TestServer::start(&[]);
    harness()
        .args(["run", "entra-core", "--no-snapshots", "--url"])
        .arg(server.url())
        .args(["--token", "not-the-right-token"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "✗ fail test-connection.empty-list:",
        ))
        .stdout(predicate::str::contains("status: expected 200, got 401"));
}

#[test]
fn an_unreachable_url_is_exit_code_3() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    harness()
        .args(["run", "--no-snapshots", "--url"])
        .arg(format!("http://127.0.0.1:{port}/scim"))
        .args(["--token", "x"])
        .assert()
        .code(3)
        .stdout(predicate::str::contains("could not connect"))
        .stdout(predicate::str::contains("COULD NOT RUN"));
}

#[test]
fn a_malformed_scenario_is_exit_code_2_naming_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("broken.yaml");
    std::fs::write(
        &file,
        "title: broken\nsteps:\n  - name: one\n    title: x\n    request:\n      metod: GET\n      path: /Users\n",
    )
    .unwrap();
    harness()
        .current_dir(dir.path())
        .args(["run", "--no-snapshots", "broken.yaml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("broken.yaml:6:7"))
        .stderr(predicate::str::contains("method"));
}

#[test]
fn a_replay_without_the_captured_variable_says_which_var_to_pass() {
    let server = TestServer::start(&[]);
    run_against(&server)
        .args(["entra-core", "--from-step", "get-after-legacy-disable"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("pass --var user_id=<value>"));
}

#[test]
fn an_unknown_step_is_a_usage_error_with_a_suggestion() {
    harness()
        .args(["run", "entra-core", "--step", "disable-legcy"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("did you mean `disable-legacy`"));
}

#[test]
fn read_only_sends_nothing_that_changes_the_target() {
    let server = TestServer::start(&[]);
    let existing = server.create_user("production.user@contoso.example");
    let before = server.get(&format!("Users/{existing}"));
    run_against(&server)
        .arg("--read-only")
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "not sent: --read-only sends no POST",
        ))
        // The reads before a scenario's first write are sent and judged.
        .stdout(predicate::str::is_match(r"PASS +1 test-connection +GET ").unwrap())
        .stdout(predicate::str::is_match(r"PASS +2 no-token +GET ").unwrap())
        .stdout(predicate::str::is_match(r"PASS +4 match-before-create +GET ").unwrap());
    assert_eq!(server.count("Users"), 1, "only the pre-existing user");
    assert_eq!(server.get(&format!("Users/{existing}")), before);
}

/// A replay pointed at an existing user by `--var` changes it only with `--allow-existing`.
#[test]
fn a_replay_never_changes_an_existing_user_unless_allowed() {
    let server = TestServer::start(&[]);
    let existing = server.create_user("customer.user@contoso.example");
    let before = server.get(&format!("Users/{existing}"));
    run_against(&server)
        .args(["entra-core", "--from-step", "disable-legacy"])
        .args(["--var", &format!("user_id={existing}")])
        .assert()
        // Nothing was sent, so nothing was tested: no PASSED.
        .code(2)
        .stdout(predicate::str::contains("NOTHING JUDGED"))
        .stdout(predicate::str::contains(
            "not sent: this PATCH would change a resource this run did not create (`user_id` came from --var); pass --allow-existing to send it",
        ))
        .stdout(predicate::str::contains(
            "not sent: it relies on step `disable-legacy`",
        ));
    assert_eq!(server.get(&format!("Users/{existing}")), before);

    run_against(&server)
        .args(["entra-core", "--step", "disable-legacy", "--allow-existing"])
        .args(["--var", &format!("user_id={existing}")])
        .assert()
        .code(0);
    assert_eq!(server.get(&format!("Users/{existing}"))["active"], false);
}

#[test]
fn read_only_still_judges_test_connection() {
    let server = TestServer::start(&[Quirk::EmptyFilter404]);
    run_against(&server)
        .args(["entra-core", "--read-only"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "✗ fail test-connection.empty-list:",
        ));
}

#[test]
fn the_insite_lms_profile_passes_against_a_server_with_exactly_its_attributes() {
    let server = TestServer::start_with(ServerProfile::InsiteLms, &[], support::TOKEN);
    run_against(&server)
        .args(["--profile", "insite-lms", "--fail-on", "warn"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("insite-lms-core"))
        .stdout(predicate::str::contains("entra-groups").not());
    assert_eq!(server.count("Users"), 0);
}

#[test]
fn the_insite_lms_profile_without_a_url_needs_the_api_key() {
    harness()
        .args(["run", "--profile", "insite-lms"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("https://api.insitelms.net/scim"))
        .stderr(predicate::str::contains("Self hosted Jobs → SCIM"));
}

#[test]
fn an_unknown_profile_is_a_usage_error() {
    harness()
        .args(["run", "--profile", "entre"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("did you mean `entra`"));
}

#[test]
fn the_token_appears_in_no_output_and_no_file() {
    let secret = "distinctive-Secret-0x5eed-token";
    let accepting = TestServer::start_with(ServerProfile::Entra, &[], secret);
    let refusing = TestServer::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    // Once accepted (snapshots written, verbose traces), once refused (every failure path).
    for server in [&accepting, &refusing] {
        let output = harness()
            .current_dir(dir.path())
            .args([
                "run",
                "-v",
                "--update",
                "always",
                "--snapshots",
                "snaps",
                "--url",
            ])
            .arg(server.url())
            .args(["--token", secret])
            .output()
            .unwrap();
        let everything = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(!everything.contains(secret), "token printed:\n{everything}");
        assert!(
            everything.contains("Bearer [redacted]"),
            "-v shows requests"
        );
    }
    let files = walk(dir.path());
    assert!(!files.is_empty(), "snapshots were written");
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        assert!(
            !text.contains(secret),
            "token written to {}",
            file.display()
        );
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[test]
fn report_paths_that_cannot_be_written_are_usage_errors_before_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-folder").join("report.json");
    harness()
        .args(["run", "entra-core", "--no-snapshots", "--json"])
        .arg(&missing)
        .assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains("no-such-folder does not exist"));
    let same = dir.path().join("report.xml");
    harness()
        .args(["run", "entra-core", "--no-snapshots", "--json"])
        .arg(&same)
        .arg("--junit")
        .arg(&same)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--json and --junit both write"));
    // A folder nobody can write in, even root: the check creates a file, it does not guess.
    #[cfg(target_os = "linux")]
    harness()
        .args([
            "run",
            "entra-core",
            "--no-snapshots",
            "--junit",
            "/proc/report.xml",
        ])
        .assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains("cannot write in /proc"));
    let file = dir.path().join("not-a-folder");
    std::fs::write(&file, "x").unwrap();
    harness()
        .args(["run", "entra-core", "--snapshots"])
        .arg(&file)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is a file, not a folder"));
}

#[test]
fn a_run_prefix_given_with_var_must_start_like_every_run_prefix() {
    harness()
        .args([
            "run",
            "entra-core",
            "--no-snapshots",
            "--var",
            "run.prefix=mine",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("must start with `scimh-`"));
    harness()
        .args([
            "run",
            "entra-core",
            "--no-snapshots",
            "--var",
            "run.prefix=scimh-",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "at least four characters of its own",
        ));
    harness()
        .args(["run", "entra-core", "--no-snapshots"])
        .args(["--var", "run.prefix=scimh-support-case-42"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("run prefix scimh-support-case-42"));
}

/// A scenario that names an existing user's id literally (a recording of traffic to a user that
/// was already there), or through a scenario variable built from a `--var`, changes it only with
/// `--allow-existing`.
#[test]
fn literal_and_indirect_ids_of_existing_users_are_not_changed_unless_allowed() {
    let server = TestServer::start(&[]);
    let existing = server.create_user("customer.two@contoso.example");
    let before = server.get(&format!("Users/{existing}"));
    let dir = tempfile::tempdir().unwrap();
    let disable = r#"
    request:
      method: PATCH
      body: {schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: [{op: Replace, path: active, value: "False"}]}"#;
    let literal = dir.path().join("literal.yaml");
    std::fs::write(
        &literal,
        format!("title: Recorded\nsteps:\n  - name: disable\n    title: Disable{disable}\n      path: /Users/{existing}\n"),
    )
    .unwrap();
    let indirect = dir.path().join("indirect.yaml");
    std::fs::write(
        &indirect,
        format!("title: Indirect\nvars:\n  target: \"{{{{user_id}}}}\"\nsteps:\n  - name: disable\n    title: Disable{disable}\n      path: /Users/{{{{target}}}}\n"),
    )
    .unwrap();
    for (file, extra) in [
        (&literal, vec![]),
        (
            &indirect,
            vec!["--var".to_string(), format!("user_id={existing}")],
        ),
    ] {
        run_against(&server)
            .arg(file)
            .args(&extra)
            .assert()
            .code(2)
            .stdout(predicate::str::contains("pass --allow-existing to send it"));
        assert_eq!(server.get(&format!("Users/{existing}")), before);
    }
    run_against(&server)
        .arg(&literal)
        .arg("--allow-existing")
        .assert()
        .code(0);
    assert_eq!(server.get(&format!("Users/{existing}"))["active"], false);
}

/// `--var` gives a variable the scenario defines in `vars:` a value of the user's choosing.
#[test]
fn a_var_overrides_a_scenario_variable() {
    let server = TestServer::start(&[]);
    run_against(&server)
        .args(["entra-core", "--step", "match-before-create", "-v"])
        .args(["--var", "user_name=bob.replay@contoso.example"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("bob.replay%40contoso.example"));
}
