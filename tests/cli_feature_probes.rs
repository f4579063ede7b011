//! The probes behind `requires:`: a scenario is skipped only when the target really lacks the
//! feature, never because of a defect the scenario itself should report.

mod support;

use axum::body::Body;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use predicates::prelude::*;
use scim_harness::server::{self, Quirk, ServerConfig, ServerProfile};
use support::{AppServer, TOKEN, TestServer, harness, run_against};

#[test]
fn a_server_without_groups_skips_entra_groups_with_the_reason() {
    let server = TestServer::start_with(ServerProfile::InsiteLms, &[], TOKEN);
    run_against(&server)
        .arg("entra-groups")
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "SKIP the target has no /Groups endpoint (GET /Groups answered 404, and /ResourceTypes lists no Group)",
        ));
}

/// A 404 to a group lookup that matches nothing is a quarantine reason (R8), not a missing
/// endpoint: the scenario runs and reports it.
#[test]
fn a_404_for_an_empty_group_lookup_is_a_finding_not_a_skip() {
    let server = TestServer::start(&[Quirk::EmptyFilter404]);
    run_against(&server)
        .arg("entra-groups")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("no /Groups endpoint").not())
        .stdout(predicate::str::contains("✗ fail groups.absent-empty-list:"));
}

/// The reference server with one path answering a SCIM 404, as a server that serves `/Schemas`
/// but not `/Schemas/{id}` does (RFC 7644 §4 requires only the list).
struct WithoutPath {
    url: String,
    _runtime: tokio::runtime::Runtime,
}

impl WithoutPath {
    fn start(profile: ServerProfile, missing_path: &'static str) -> Self {
        let app = server::router(ServerConfig {
            token: Some(TOKEN.to_string()),
            profile,
            ..ServerConfig::default()
        })
        .layer(middleware::from_fn(
            move |request: Request, next: Next| async move {
                if request.uri().path() == missing_path {
                    return not_found();
                }
                next.run(request).await
            },
        ));
        let AppServer { url, runtime } = AppServer::start(app);
        WithoutPath {
            url,
            _runtime: runtime,
        }
    }
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [("Content-Type", "application/scim+json")],
        Body::from(r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"404"}"#),
    )
        .into_response()
}

const ENTERPRISE_SCHEMA_PATH: &str =
    "/scim/v2/Schemas/urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

fn run_manager(url: &str) -> assert_cmd::assert::Assert {
    harness()
        .args(["run", "entra-manager", "--no-snapshots", "--url", url])
        .args(["--token", TOKEN])
        .assert()
}

#[test]
fn manager_runs_when_the_extension_is_listed_but_not_served_on_its_own() {
    let server = WithoutPath::start(ServerProfile::Entra, ENTERPRISE_SCHEMA_PATH);
    run_manager(&server.url)
        .code(0)
        .stdout(predicate::str::contains("SKIP").not())
        .stdout(predicate::str::contains("set-bare-id"));
}

#[test]
fn manager_is_skipped_when_the_schema_list_lacks_the_extension() {
    let server = WithoutPath::start(ServerProfile::InsiteLms, ENTERPRISE_SCHEMA_PATH);
    run_manager(&server.url)
        .code(0)
        .stdout(predicate::str::contains(
            "SKIP /Schemas does not list the enterprise extension, so it has no `manager`",
        ));
}

/// Without a usable /ResourceTypes list the probe cannot tell whether a 404 from /Groups means
/// no groups, so the scenario runs and its checks say what is wrong.
#[test]
fn groups_run_when_resource_types_cannot_tell() {
    let server = WithoutPath::start(ServerProfile::InsiteLms, "/scim/v2/ResourceTypes");
    harness()
        .args([
            "run",
            "entra-groups",
            "--no-snapshots",
            "--url",
            &server.url,
        ])
        .args(["--token", TOKEN])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("no /Groups endpoint").not())
        .stdout(predicate::str::contains("✗ fail groups.created:"));
}
