//! Every quirk of the reference server is a realistic defect; the harness against a server with
//! that quirk must fail (or, for a SHOULD, warn on) the check that names the problem, with exit
//! code 1, and still remove what it created. Without the quirk the same scenario passes
//! (`a_clean_server_passes_every_scenario_used_here`).

mod support;

use scim_harness::server::Quirk;
use support::{TestServer, run_against};

const ALL_SCENARIOS: [&str; 3] = ["entra-core", "entra-users", "entra-groups"];

fn assert_caught(quirk: Quirk, scenario: &str, check_id: &str, warning: bool) {
    let server = TestServer::start(&[quirk]);
    let mut command = run_against(&server);
    command.arg(scenario);
    if warning {
        command.args(["--fail-on", "warn"]);
    }
    let output = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(1),
        "quirk {} should give findings:\n{stdout}",
        quirk.name()
    );
    let marker = if warning { "! warn" } else { "✗ fail" };
    assert!(
        stdout.contains(&format!("{marker} {check_id}:")),
        "quirk {} should be caught by {check_id}:\n{stdout}",
        quirk.name()
    );
    // Without an id nothing can be deleted: that defect is the one thing the harness cannot undo.
    if quirk != Quirk::PostWithoutId {
        assert_eq!(
            server.count("Users"),
            0,
            "quirk {}: users left behind",
            quirk.name()
        );
    }
}

macro_rules! quirk_tests {
    ($($test:ident: $quirk:ident => $scenario:literal, $check:literal $(, $warn:ident)?;)*) => {
        $(
            #[test]
            fn $test() {
                assert_caught(Quirk::$quirk, $scenario, $check, quirk_tests!(@warn $($warn)?));
            }
        )*

        /// Every quirk the server offers has a test above.
        #[test]
        fn every_quirk_is_covered() {
            let covered = [$(Quirk::$quirk),*];
            for quirk in Quirk::all() {
                assert!(covered.contains(quirk), "no harness test for quirk {}", quirk.name());
            }
        }
    };
    (@warn warn) => { true };
    (@warn) => { false };
}

quirk_tests! {
    empty_filter_404: EmptyFilter404 => "entra-core", "test-connection.empty-list";
    case_sensitive_username: CaseSensitiveUsername => "entra-core", "match.username-case-insensitive";
    reject_capitalised_ops: RejectCapitalisedOps => "entra-core", "deprovision.legacy-accepted";
    reject_string_booleans: RejectStringBooleans => "entra-core", "deprovision.legacy-accepted";
    patch_ignored: PatchIgnored => "entra-core", "deprovision.legacy-applied";
    ignore_filter: IgnoreFilter => "entra-core", "test-connection.filter-honoured";
    post_returns_200: PostReturns200 => "entra-core", "create.created";
    post_without_id: PostWithoutId => "entra-core", "create.created";
    post_without_location: PostWithoutId => "entra-core", "create.location", warn;
    allow_duplicates: AllowDuplicates => "entra-users", "users.duplicate-conflict";
    no_auth: NoAuth => "entra-core", "auth.missing-token-rejected";
    reject_scim_json: RejectScimJson => "entra-core", "create.created";
    no_value_paths: NoValuePaths => "entra-users", "users.value-path-add-accepted";
    no_value_path_upsert: NoValuePathUpsert => "entra-users", "users.value-path-add-accepted";
    dotted_keys_literal: DottedKeysLiteral => "entra-users", "users.compliant-update-applied";
    ignore_excluded_attributes: IgnoreExcludedAttributes => "entra-groups", "groups.excluded-attributes-by-id";
    legacy_remove_clears_members: LegacyRemoveClearsMembers => "entra-groups", "groups.legacy-remove-only-that-member";
    active_always_true: ActiveAlwaysTrue => "entra-core", "deprovision.legacy-applied";
    non_scim_errors: NonScimErrors => "entra-core", "http.error-body";
    html_content_type: HtmlContentType => "entra-core", "http.content-type", warn;
    require_accept_header: RequireAcceptHeader => "entra-core", "test-connection.empty-list";
    require_user_agent: RequireUserAgent => "entra-core", "test-connection.empty-list";
}

#[test]
fn a_clean_server_passes_every_scenario_used_here() {
    let server = TestServer::start(&[]);
    let output = run_against(&server)
        .args(ALL_SCENARIOS)
        .args(["--fail-on", "warn"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert_eq!(server.count("Users"), 0);
    assert_eq!(server.count("Groups"), 0);
}

/// A Replace on `emails[type eq "work"].value` when the user has no work email: an upsert passes,
/// 400 noTarget (what RFC 7644 §3.5.2.3 mandates; Entra sends Add in exactly that case) only
/// warns, with the hint, in each dialect; any other answer fails.
#[test]
fn replace_on_a_missing_work_email_warns_on_no_target_and_fails_otherwise() {
    for (profile, check_id) in [
        ("entra-legacy", "users.value-path-replace-upsert"),
        (
            "entra-compliant",
            "users.value-path-replace-upsert-compliant",
        ),
    ] {
        let server = TestServer::start(&[Quirk::NoValuePathUpsert]);
        let output = run_against(&server)
            .args(["entra-users", "--profile", profile])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(stdout.contains(&format!("! warn {check_id}:")), "{stdout}");
        assert!(
            stdout.contains("hint: RFC 7644 §3.5.2.3 mandates 400 noTarget"),
            "{stdout}"
        );
        assert!(!stdout.contains(&format!("✗ fail {check_id}:")), "{stdout}");

        let server = TestServer::start(&[Quirk::NoValuePaths]);
        let output = run_against(&server)
            .args(["entra-users", "--profile", profile])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            stdout.contains(&format!("✗ fail {check_id}:")),
            "400 invalidPath is no noTarget:\n{stdout}"
        );
        assert_eq!(server.count("Users"), 0);
    }
}

/// The same step against the reference server, which upserts, passes in both dialects.
#[test]
fn replace_on_a_missing_work_email_passes_when_the_server_upserts() {
    let server = TestServer::start(&[]);
    let output = run_against(&server)
        .args([
            "entra-users",
            "--profile",
            "entra-compliant",
            "--fail-on",
            "warn",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("PASS  17 replace-missing-work-email-compliant"),
        "{stdout}"
    );
}
