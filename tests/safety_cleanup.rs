//! Nothing left behind, nothing else touched: a pre-existing user survives a full run byte for
//! byte; what a run created is removed when a request times out, on SIGTERM and at the run
//! timeout; `cleanup` removes leftovers by prefix and only those.

mod hostile;
mod support;

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::extract::Request;
use axum::http::{Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::IntoResponse;
use hostile::{Reply, create_then_get_scenario, mini_scim, scim};
use scim_harness::server::{Quirk, ServerConfig};
use serde_json::{Value, json};
use support::{AppServer, TestServer, harness, run_against};

fn is_delete_of_the_user(request: &hostile::Request) -> bool {
    request.method() == "DELETE" && request.target() == "/scim/Users/u-1"
}

/// Sends a request to the reference server and returns the status and JSON body.
fn call(server: &TestServer, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let url = format!("{}{path}", server.url());
    let token = server.token.clone();
    server.runtime.block_on(async move {
        let client = reqwest::Client::new();
        let mut request = client
            .request(method.parse().expect("method"), url)
            .bearer_auth(token);
        if let Some(body) = body {
            request = request
                .header("Content-Type", "application/scim+json")
                .body(body.to_string());
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    })
}

fn create_user(server: &TestServer, user_name: &str) -> String {
    let (status, body) = call(
        server,
        "POST",
        "/Users",
        Some(json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": user_name,
            "externalId": format!("{user_name}-ext"),
            "active": true,
            "displayName": "Someone Else",
            "emails": [{"type": "work", "value": user_name, "primary": true}],
        })),
    );
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().expect("id").to_string()
}

fn create_group(server: &TestServer, name: &str) -> String {
    let (status, body) = call(
        server,
        "POST",
        "/Groups",
        Some(json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": name,
        })),
    );
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().expect("id").to_string()
}

#[test]
fn a_pre_existing_user_is_byte_for_byte_unchanged_after_a_full_run() {
    let server = TestServer::start(&[]);
    let id = create_user(&server, "existing.person@contoso.example");
    let before = call(&server, "GET", &format!("/Users/{id}"), None);
    let groups_before = call(&server, "GET", "/Groups", None);
    run_against(&server).assert().code(0);
    let after = call(&server, "GET", &format!("/Users/{id}"), None);
    assert_eq!(before, after, "the run changed a user it did not create");
    assert_eq!(groups_before, call(&server, "GET", "/Groups", None));
    assert_eq!(server.count("Users"), 1, "the run left users behind");
}

#[test]
fn what_was_created_is_removed_when_a_later_request_times_out() {
    let server = mini_scim(|| Reply::Hang(Duration::from_secs(60)));
    let (_dir, scenario) = create_then_get_scenario();
    harness()
        .args(["run", "--no-snapshots", "--timeout", "1", "--url"])
        .arg(server.url())
        .args(["--token", "t"])
        .arg(&scenario)
        .timeout(Duration::from_secs(60))
        .assert()
        .code(1)
        .stdout(predicates::str::contains(
            "no complete answer within 1 s (--timeout)",
        ));
    assert!(
        server.requests().iter().any(is_delete_of_the_user),
        "no DELETE after the timeout: {:?}",
        server.requests()
    );
}

#[test]
fn what_was_created_is_removed_at_the_run_timeout() {
    let server = mini_scim(|| Reply::Hang(Duration::from_secs(60)));
    let (_dir, scenario) = create_then_get_scenario();
    harness()
        .args(["run", "--no-snapshots", "--run-timeout", "2", "--url"])
        .arg(server.url())
        .args(["--token", "t"])
        .arg(&scenario)
        .timeout(Duration::from_secs(60))
        .assert()
        .code(3)
        .stdout(predicates::str::contains("RUN TIMEOUT"));
    assert!(server.requests().iter().any(is_delete_of_the_user));
}

/// CI mode too: with `--format json` the human report goes to stderr, where the signal handler
/// also writes.
#[test]
fn what_was_created_is_removed_at_the_run_timeout_in_json_mode() {
    let server = mini_scim(|| Reply::Hang(Duration::from_secs(60)));
    let (_dir, scenario) = create_then_get_scenario();
    harness()
        .args([
            "run",
            "--no-snapshots",
            "--format",
            "json",
            "--run-timeout",
            "2",
        ])
        .args(["--url", &server.url(), "--token", "t"])
        .arg(&scenario)
        .timeout(Duration::from_secs(30))
        .assert()
        .code(3)
        .stdout(predicates::str::contains("\"exit_code\": 3"));
    assert!(server.requests().iter().any(is_delete_of_the_user));
}

#[cfg(unix)]
#[test]
fn sigterm_mid_run_removes_what_was_created_and_exits_130() {
    sigterm_mid_run(&[]);
}

#[cfg(unix)]
#[test]
fn sigterm_mid_run_in_json_mode_removes_what_was_created_and_exits_130() {
    sigterm_mid_run(&["--format", "json"]);
}

#[cfg(unix)]
fn sigterm_mid_run(extra: &[&str]) {
    let server = mini_scim(|| Reply::Hang(Duration::from_secs(60)));
    let (_dir, scenario) = create_then_get_scenario();
    let binary = assert_cmd::cargo::cargo_bin("scim-harness");
    let mut child = Command::new(binary)
        .args(["--color", "never", "run", "--no-snapshots", "--url"])
        .arg(server.url())
        .args(["--token", "t"])
        .args(extra)
        .arg(&scenario)
        .env_remove("SCIM_TOKEN")
        .env_remove("SCIM_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the harness starts");
    let reading = server.wait_for(Duration::from_secs(30), |r| {
        r.method() == "GET" && r.target() == "/scim/Users/u-1"
    });
    if !reading {
        let _ = child.kill();
        panic!(
            "the run never reached the slow step: {:?}",
            server.requests()
        );
    }
    send_signal(&child, "TERM");
    wait_for_exit(&mut child, "the harness did not stop after SIGTERM");
    let output = child.wait_with_output().expect("output");
    assert_eq!(
        output.status.code(),
        Some(130),
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        server.requests().iter().any(is_delete_of_the_user),
        "no DELETE after SIGTERM: {:?}",
        server.requests()
    );
}

#[test]
fn cleanup_lists_without_yes_and_deletes_only_prefixed_resources_with_it() {
    // The server ignores filters, so the client-side prefix check is all that protects the rest.
    let server = TestServer::start(&[Quirk::IgnoreFilter]);
    let alice = create_user(&server, "alice@contoso.example");
    let bob = create_user(&server, "scimh-0badc0de.bob@contoso.example");
    let staff = create_group(&server, "Staff");
    let sales = create_group(&server, "scimh-0badc0de Sales");

    let cleanup = || {
        let mut command = harness();
        command
            .args(["cleanup", "--url"])
            .arg(server.url())
            .args(["--token", &server.token]);
        command
    };
    let dry = cleanup().output().expect("cleanup runs");
    let stdout = String::from_utf8_lossy(&dry.stdout);
    assert_eq!(dry.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains(&format!("User {bob}  scimh-0badc0de.bob@contoso.example")),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("Group {sales}  scimh-0badc0de Sales")),
        "{stdout}"
    );
    assert!(stdout.contains("Dry run: nothing was deleted"), "{stdout}");
    assert!(
        !stdout.contains(&alice) && !stdout.contains(&staff),
        "{stdout}"
    );
    assert!(stdout.contains("does not start with `scimh-`"), "{stdout}");
    assert_eq!(server.count("Users"), 2);
    assert_eq!(server.count("Groups"), 2);

    let wet = cleanup().arg("--yes").output().expect("cleanup runs");
    let stdout = String::from_utf8_lossy(&wet.stdout);
    assert_eq!(wet.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("Deleted 2 of 2 resources."), "{stdout}");
    assert_eq!(
        call(&server, "GET", &format!("/Users/{alice}"), None).0,
        200
    );
    assert_eq!(
        call(&server, "GET", &format!("/Groups/{staff}"), None).0,
        200
    );
    assert_eq!(call(&server, "GET", &format!("/Users/{bob}"), None).0, 404);
    assert_eq!(
        call(&server, "GET", &format!("/Groups/{sales}"), None).0,
        404
    );

    let again = cleanup().arg("--yes").output().expect("cleanup runs");
    assert!(String::from_utf8_lossy(&again.stdout).contains("Nothing to clean up."));
}

#[test]
fn cleanup_with_a_custom_prefix_and_a_too_broad_one() {
    let server = TestServer::start(&[]);
    let mine = create_user(&server, "loadtest-7.carol@contoso.example");
    let other = create_user(&server, "scimh-11111111.dan@contoso.example");
    harness()
        .args(["cleanup", "--yes", "--prefix", "loadtest-", "--url"])
        .arg(server.url())
        .args(["--token", &server.token])
        .assert()
        .code(0);
    assert_eq!(call(&server, "GET", &format!("/Users/{mine}"), None).0, 404);
    assert_eq!(
        call(&server, "GET", &format!("/Users/{other}"), None).0,
        200
    );

    harness()
        .args(["cleanup", "--yes", "--prefix", "sc", "--url"])
        .arg(server.url())
        .args(["--token", &server.token])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("too broad"));
    assert_eq!(server.count("Users"), 1);
}

#[test]
fn cleanup_against_a_refusing_server_is_could_not_run() {
    let server = hostile::HostileServer::start(|_| {
        scim(
            401,
            r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"401"}"#,
        )
    });
    harness()
        .args(["cleanup", "--url"])
        .arg(server.url())
        .args(["--token", "wrong"])
        .assert()
        .code(3)
        .stderr(predicates::str::contains("answered 401"));
}

/// The reference server behind a middleware that creates each user at once but answers the
/// POST only after `delay`, as a slow or overloaded target does; with `refuse_eq_lookups`, a
/// filtered GET with `eq` answers 500, so the harness cannot find what it created by name.
struct SlowCreates {
    url: String,
    created: Arc<AtomicUsize>,
    runtime: tokio::runtime::Runtime,
}

impl SlowCreates {
    fn start(delay: Duration, refuse_eq_lookups: bool) -> Self {
        let created = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&created);
        let app = scim_harness::server::router(ServerConfig {
            token: Some(support::TOKEN.to_string()),
            ..ServerConfig::default()
        })
        .layer(middleware::from_fn(move |request: Request, next: Next| {
            let counter = Arc::clone(&counter);
            async move {
                let is_create =
                    request.method() == Method::POST && request.uri().path().ends_with("/Users");
                let is_eq_lookup = request.method() == Method::GET
                    && request.uri().query().is_some_and(|q| q.contains("+eq+"));
                if refuse_eq_lookups && is_eq_lookup {
                    return StatusCode::INTERNAL_SERVER_ERROR.into_response();
                }
                let response = next.run(request).await;
                if is_create {
                    counter.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(delay).await;
                }
                response
            }
        }));
        let AppServer { url, runtime } = AppServer::start(app);
        SlowCreates {
            url,
            created,
            runtime,
        }
    }

    /// Creates a user directly (slowly: creates are delayed here too).
    fn create(&self, user_name: &str) {
        let url = format!("{}/Users", self.url);
        let body = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": user_name});
        self.runtime.block_on(async move {
            let response = reqwest::Client::new()
                .post(url)
                .bearer_auth(support::TOKEN)
                .json(&body)
                .send()
                .await
                .expect("create request");
            assert_eq!(response.status().as_u16(), 201);
        });
    }

    fn user_count(&self) -> u64 {
        let url = format!("{}/Users", self.url);
        self.runtime.block_on(async move {
            let response = reqwest::Client::new()
                .get(url)
                .bearer_auth(support::TOKEN)
                .send()
                .await
                .expect("list request");
            let body: Value = response.json().await.expect("ListResponse");
            body["totalResults"].as_u64().expect("totalResults")
        })
    }
}

/// The scenario against the slow server, giving up on each request after a second; what the
/// harness printed, stdout and stderr.
fn run_with_a_one_second_timeout(server: &SlowCreates, scenario: &std::path::Path) -> String {
    let output = harness()
        .args([
            "run",
            "--no-snapshots",
            "--timeout",
            "1",
            "--url",
            &server.url,
        ])
        .args(["--token", support::TOKEN])
        .arg(scenario)
        .timeout(Duration::from_secs(60))
        .output()
        .expect("the harness runs");
    text_of(&output)
}

/// Sends `signal` (`TERM`, `INT`) to the harness under test.
#[cfg(unix)]
fn send_signal(child: &std::process::Child, signal: &str) {
    let sent = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success());
}

/// Waits up to 30 s for the harness to exit; `failure` says what it failed to do otherwise.
#[cfg(unix)]
fn wait_for_exit(child: &mut std::process::Child, failure: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{failure}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn text_of(output: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn a_create_that_times_out_in_flight_is_found_by_name_and_removed() {
    let server = SlowCreates::start(Duration::from_secs(10), false);
    let (_dir, scenario) = create_then_get_scenario();
    let text = run_with_a_one_second_timeout(&server, &scenario);
    assert_eq!(server.created.load(Ordering::SeqCst), 1, "{text}");
    assert_eq!(
        server.user_count(),
        0,
        "the timed-out create was left:\n{text}"
    );
    assert!(text.contains("cleanup DELETE /Users/"), "{text}");
    assert!(!text.contains("LEFT BEHIND"), "{text}");
}

#[cfg(unix)]
#[test]
fn a_create_in_flight_at_ctrl_c_is_found_by_name_and_removed() {
    let server = SlowCreates::start(Duration::from_secs(20), false);
    let (_dir, scenario) = create_then_get_scenario();
    let binary = assert_cmd::cargo::cargo_bin("scim-harness");
    let mut child = Command::new(binary)
        .args([
            "--color",
            "never",
            "run",
            "--no-snapshots",
            "--url",
            &server.url,
        ])
        .args(["--token", support::TOKEN])
        .arg(&scenario)
        .env_remove("SCIM_TOKEN")
        .env_remove("SCIM_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the harness starts");
    let deadline = Instant::now() + Duration::from_secs(30);
    while server.created.load(Ordering::SeqCst) == 0 {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the create never arrived");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    send_signal(&child, "INT");
    wait_for_exit(&mut child, "the harness did not stop after Ctrl-C");
    let output = child.wait_with_output().expect("output");
    let text = text_of(&output);
    assert_eq!(output.status.code(), Some(130), "{text}");
    assert_eq!(
        server.user_count(),
        0,
        "the create in flight was left:\n{text}"
    );
    assert!(text.contains("cleanup DELETE /Users/"), "{text}");
    assert!(
        text.contains("INTERRUPTED: stopped early; what the run created was removed"),
        "{text}"
    );
}

/// When the lookup by name fails, the run says the user may remain and prints the command that
/// finds it; that command, run as printed, removes it.
#[test]
fn a_create_that_cannot_be_looked_up_is_reported_with_the_cleanup_command() {
    let server = SlowCreates::start(Duration::from_secs(10), true);
    let (_dir, scenario) = create_then_get_scenario();
    let text = run_with_a_one_second_timeout(&server, &scenario);
    assert_eq!(server.user_count(), 1, "{text}");
    assert!(
        text.contains("the create got no answer, and the lookup by name answered 500"),
        "{text}"
    );
    assert!(text.contains("may remain on the target"), "{text}");
    assert!(text.contains("LEFT BEHIND"), "{text}");
    let command = text
        .split("find it with `")
        .nth(1)
        .and_then(|rest| rest.split('`').next())
        .unwrap_or_else(|| panic!("no cleanup command in:\n{text}"));
    let words: Vec<&str> = command.split_whitespace().collect();
    assert_eq!(words[..2], ["scim-harness", "cleanup"], "{command}");
    assert!(words.contains(&"--prefix"), "{command}");
    harness()
        .args(&words[1..])
        .args(["--yes", "--token", support::TOKEN])
        .timeout(Duration::from_secs(60))
        .assert()
        .code(0)
        .stdout(predicates::str::contains("Deleted 1 of 1 resources."));
    assert_eq!(
        server.user_count(),
        0,
        "the printed command did not remove it"
    );
}

/// A create answered 201 without an id is found by its name too; of what a target that ignores
/// the filter lists, only the resource with exactly that name is deleted.
#[test]
fn a_create_answered_without_an_id_removes_only_the_resource_with_its_name() {
    let server = hostile::HostileServer::start(|request| {
        let target = request.target();
        match request.method() {
            "POST" => scim(
                201,
                r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"]}"#,
            ),
            "GET" if target.starts_with("/scim/Users?filter=userName+eq+") => {
                let name = target
                    .split("%22")
                    .nth(1)
                    .unwrap_or_default()
                    .replace("%40", "@")
                    .to_uppercase();
                scim(
                    200,
                    &json!({
                        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
                        "totalResults": 2,
                        "Resources": [
                            {"id": "u-7", "userName": "someone.else@contoso.example"},
                            {"id": "u-9", "userName": name},
                        ],
                    })
                    .to_string(),
                )
            }
            "DELETE" => hostile::http(204, &[], b""),
            _ => scim(
                404,
                r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"404"}"#,
            ),
        }
    });
    let (_dir, scenario) = create_then_get_scenario();
    harness()
        .args(["run", "--no-snapshots", "--url"])
        .arg(server.url())
        .args(["--token", "t"])
        .arg(&scenario)
        .timeout(Duration::from_secs(60))
        .assert()
        .stdout(predicates::str::contains("cleanup DELETE /Users/u-9 → 204"));
    let deletes: Vec<String> = server
        .requests()
        .iter()
        .filter(|r| r.method() == "DELETE")
        .map(|r| r.target().to_string())
        .collect();
    assert_eq!(deletes, ["/scim/Users/u-9"]);
}

/// A second SIGTERM while the cleanup waits on a DELETE stops the cleanup but not the reports:
/// the run still writes its JSON report, which says what was left behind and how to find it.
#[cfg(unix)]
#[test]
fn a_second_sigterm_aborts_the_cleanup_and_still_writes_the_reports() {
    let server = hostile::HostileServer::start(|request| {
        match (request.method(), request.target()) {
            ("POST", "/scim/Users") => scim(
                201,
                r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"u-1","userName":"x"}"#,
            ),
            _ => Reply::Hang(Duration::from_secs(60)),
        }
    });
    let (dir, scenario) = create_then_get_scenario();
    let report = dir.path().join("report.json");
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("scim-harness"))
        .args(["--color", "never", "run", "--no-snapshots", "--url"])
        .arg(server.url())
        .args(["--token", "t", "--json"])
        .arg(&report)
        .arg(&scenario)
        .env_remove("SCIM_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the harness starts");
    assert!(
        server.wait_for(Duration::from_secs(30), |r| r.method() == "GET"),
        "the run never reached the slow step"
    );
    send_signal(&child, "TERM");
    assert!(
        server.wait_for(Duration::from_secs(30), |r| r.method() == "DELETE"),
        "no cleanup after the first SIGTERM"
    );
    send_signal(&child, "TERM");
    wait_for_exit(
        &mut child,
        "the harness did not stop after the second SIGTERM",
    );
    let output = child.wait_with_output().expect("output");
    let text = text_of(&output);
    assert_eq!(output.status.code(), Some(130), "{text}");
    assert!(
        text.contains("INTERRUPTED: stopped early; 1 resource may remain"),
        "{text}"
    );
    let json: Value = serde_json::from_slice(&std::fs::read(&report).expect("report written"))
        .expect("a JSON report");
    let cleanup = &json["scenarios"][0]["cleanup"][0];
    assert_eq!(cleanup["removed"], false, "{json}");
    assert!(
        cleanup
            .to_string()
            .contains("aborted by a second Ctrl-C or SIGTERM"),
        "{cleanup}"
    );
}

/// With the run prefix fixed by `--var`, a name is no proof that the run created the resource:
/// a create that timed out is not cleaned up by name, and the user someone else created under
/// that name survives, reported as possibly remaining.
#[test]
fn a_fixed_prefix_never_deletes_by_name() {
    let server = SlowCreates::start(Duration::from_secs(3), false);
    server.create("scimh-fixed01.alice@contoso.example");
    let (_dir, scenario) = create_then_get_scenario();
    let output = harness()
        .args([
            "run",
            "--no-snapshots",
            "--timeout",
            "1",
            "--url",
            &server.url,
        ])
        .args([
            "--token",
            support::TOKEN,
            "--var",
            "run.prefix=scimh-fixed01",
        ])
        .arg(&scenario)
        .timeout(Duration::from_secs(60))
        .output()
        .expect("the harness runs");
    let text = text_of(&output);
    assert_eq!(server.user_count(), 1, "{text}");
    assert!(
        text.contains("the run prefix was given with --var, so a resource of that name may belong to another run"),
        "{text}"
    );
}
