//! `run --mapping FILE`: the scenario generated from a user's own attribute mapping passes against
//! the reference server, fails with the check that names the broken attribute against a server
//! that breaks it, and bad mapping files are usage errors at `file:line:col` (golden files in
//! tests/fixtures/mappings/bad; `UPDATE_GOLDEN=1` rewrites them).

#[path = "support/golden.rs"]
mod golden;
mod support;

use golden::assert_golden_errors;
use scim_harness::mapping::scenario::generate;
use scim_harness::mapping::{Dialect, Mapping};
use scim_harness::scenario::load::LoadOptions;
use scim_harness::server::{Quirk, ServerProfile};
use support::{TOKEN, TestServer, harness, run_against};

const EXAMPLE: &str = "examples/insite-lms-mapping.yaml";
const FULL: &str = "tests/fixtures/mappings/entra-full.yaml";

fn run_mapping(server: &TestServer, mapping: &str, profile: &str) -> (Option<i32>, String, String) {
    let output = run_against(server)
        .args([
            "--mapping",
            mapping,
            "--profile",
            profile,
            "--fail-on",
            "warn",
        ])
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn the_example_mapping_passes_against_the_reference_server_in_both_dialects() {
    let server = TestServer::start(&[]);
    let (code, stdout, _) = run_mapping(&server, EXAMPLE, "entra");
    assert_eq!(code, Some(0), "{stdout}");
    assert!(stdout.contains("mapping — Entra's provisioning of one user with the mapping in examples/insite-lms-mapping.yaml"), "{stdout}");
    assert!(
        stdout.contains("update-legacy-phone-numbers-work"),
        "{stdout}"
    );
    assert!(
        stdout.contains("update-compliant-phone-numbers-work"),
        "{stdout}"
    );
    assert_eq!(server.count("Users"), 0);
}

#[test]
fn every_kind_of_row_passes_and_what_is_left_out_is_said() {
    let server = TestServer::start(&[]);
    let (code, stdout, stderr) = run_mapping(&server, FULL, "entra-compliant");
    assert_eq!(code, Some(0), "{stdout}");
    assert!(
        stdout.contains("match-before-create-external-id"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("update-legacy"),
        "one dialect only:\n{stdout}"
    );
    assert!(
        !stdout.contains("update-compliant-employee-number"),
        "on-create only:\n{stdout}"
    );
    assert!(stderr.contains("note: `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager`: manager holds another user's id"), "{stderr}");
    assert_eq!(server.count("Users"), 0);
}

#[test]
fn the_insite_lms_server_passes_its_own_mapping() {
    let server = TestServer::start_with(ServerProfile::InsiteLms, &[], TOKEN);
    let (code, stdout, _) = run_mapping(&server, EXAMPLE, "insite-lms");
    assert_eq!(code, Some(0), "{stdout}");
    assert!(
        !stdout.contains("compliant"),
        "insite-lms is legacy only:\n{stdout}"
    );
}

#[test]
fn a_server_that_drops_a_mapped_attribute_fails_its_round_trip() {
    // Insite LMS stores only its six attributes: a mapping that adds jobTitle → title (and more)
    // is caught, each at its row.
    let server = TestServer::start_with(ServerProfile::InsiteLms, &[], TOKEN);
    let (code, stdout, _) = run_mapping(&server, FULL, "entra-legacy");
    assert_eq!(code, Some(1), "{stdout}");
    assert!(stdout.contains("✗ fail round-trip.title:"), "{stdout}");
    assert!(
        stdout.contains(
            "hint: Store `title` and return it exactly as sent.\n            --> tests/fixtures/mappings/entra-full.yaml:8:12"
        ),
        "the check points at the row:\n{stdout}"
    );
    assert!(
        !stdout.contains("✗ fail round-trip.given-name:"),
        "{stdout}"
    );
    assert_eq!(server.count("Users"), 0);
}

#[test]
fn a_server_without_value_paths_fails_the_mapped_email_update() {
    let server = TestServer::start(&[Quirk::NoValuePaths]);
    let (code, stdout, _) = run_mapping(&server, EXAMPLE, "entra-legacy");
    assert_eq!(code, Some(1), "{stdout}");
    assert!(
        stdout.contains("✗ fail update.emails-work.legacy-accepted:"),
        "{stdout}"
    );
    assert!(
        stdout.contains("✗ fail update.phone-numbers-work.legacy-accepted:"),
        "{stdout}"
    );
    // The refused PATCH is the finding; its read-back is not judged rather than failed again.
    assert!(
        !stdout.contains("✗ fail update.emails-work.legacy-applied:"),
        "{stdout}"
    );
    assert!(stdout.contains("2 failed, 2 not judged"), "{stdout}");
    assert!(
        !stdout.contains("✗ fail update.given-name.legacy-accepted:"),
        "{stdout}"
    );
    assert_eq!(server.count("Users"), 0);
}

#[test]
fn a_server_that_cannot_read_dotted_keys_fails_the_compliant_update() {
    let server = TestServer::start(&[Quirk::DottedKeysLiteral]);
    let (code, stdout, _) = run_mapping(&server, EXAMPLE, "entra-compliant");
    assert_eq!(code, Some(1), "{stdout}");
    assert!(
        stdout.contains("✗ fail update.given-name.compliant-applied:"),
        "{stdout}"
    );
}

#[test]
fn mapping_and_named_scenarios_run_together() {
    let server = TestServer::start(&[]);
    let output = run_against(&server)
        .args(["entra-core", "--mapping", EXAMPLE])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("\nmapping — ") && stdout.contains("\nentra-core — "),
        "{stdout}"
    );
}

#[test]
fn a_bad_mapping_file_is_a_usage_error_at_its_line() {
    let output = harness()
        .args([
            "run",
            "--no-snapshots",
            "--mapping",
            "tests/fixtures/mappings/bad/unknown-key.yaml",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--> tests/fixtures/mappings/bad/unknown-key.yaml:3:3"),
        "{stderr}"
    );
    assert!(stderr.contains("did you mean `matching`?"), "{stderr}");
    let missing = harness()
        .args(["run", "--mapping", "no-such-mapping.yaml"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
}

#[test]
fn bad_mappings_fail_with_their_golden_error() {
    assert_golden_errors("tests/fixtures/mappings/bad", 10, "cli_mapping", |file| {
        Mapping::load_file(file)
            .and_then(|mapping| {
                generate(
                    &mapping,
                    &[Dialect::Legacy, Dialect::Compliant],
                    &LoadOptions::default(),
                )
            })
            .err()
            .map(|error| error.to_string())
    });
}

#[test]
fn steps_whose_checks_could_not_be_judged_are_not_judged_in_every_report() {
    // The create answers without an id: `user_id` is never captured, so the lookups that must
    // find the created user answer but cannot be judged.
    let server = TestServer::start(&[Quirk::PostWithoutId]);
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("report.json");
    let junit = dir.path().join("report.xml");
    let html = dir.path().join("report.html");
    let output = run_against(&server)
        .args(["--mapping", EXAMPLE, "--profile", "entra"])
        .arg("--json")
        .arg(&json)
        .arg("--junit")
        .arg(&junit)
        .arg("--html")
        .arg(&html)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .find(|l| l.contains(" match-after-create "))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(line.trim_start().starts_with("NOT JUDGED"), "{line}");
    assert!(
        stdout.contains("? not judged match.finds-user"),
        "the reason is shown: {stdout}"
    );
    // Every place the report names is in the 18-line mapping file.
    let lines = std::fs::read_to_string(EXAMPLE).unwrap().lines().count();
    for (at, _) in stdout.match_indices(&format!("{EXAMPLE}:")) {
        let rest = &stdout[at + EXAMPLE.len() + 1..];
        let line: usize = rest
            .split(':')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{rest}"));
        assert!(line <= lines, "{EXAMPLE}:{line} is past its end:\n{stdout}");
    }

    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let step = report["scenarios"][0]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "match-after-create")
        .unwrap();
    assert_eq!(step["verdict"], "not_judged", "{step:#}");
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(
        page.contains("data-step=\"match-after-create\" data-verdict=\"not-judged\""),
        "HTML agrees"
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    let case = xml
        .find("<testcase name=\"match.finds-user\"")
        .unwrap_or_else(|| panic!("{xml}"));
    let case_end = case + xml[case..].find("</testcase>").unwrap();
    assert!(xml[case..case_end].contains("<skipped>"), "JUnit agrees");
}
