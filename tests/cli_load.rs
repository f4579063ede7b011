//! `scim-harness load` as a user runs it: the real binary against the embedded server, the
//! reference server on loopback, and an in-test server that throttles. No timed assertions:
//! speed is for the benchmarks under bench/.

mod support;

use std::net::TcpListener as StdListener;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use predicates::prelude::*;
use scim_harness::server::{self, Quirk, ServerConfig};
use serde_json::Value;
use support::{AppServer, TOKEN, TestServer, harness};

fn load_against(url: &str) -> assert_cmd::Command {
    let mut command = harness();
    command
        .args(["load", "--url", url, "--token", TOKEN])
        .timeout(Duration::from_secs(120));
    command
}

fn read_json(path: &std::path::Path) -> Value {
    let text = std::fs::read_to_string(path).expect("the JSON report was written");
    serde_json::from_str(&text).expect("the JSON report parses")
}

#[test]
fn a_small_load_on_the_embedded_server_reports_every_operation() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("load.json");
    let assert = harness()
        .args(["load", "--users", "20", "--groups", "2", "--members", "5"])
        .args(["--concurrency", "4", "--json"])
        .arg(&json)
        .timeout(Duration::from_secs(120))
        .assert()
        .code(0)
        .stdout(predicate::str::contains("embedded reference server"))
        .stdout(predicate::str::contains(
            "20/20 users created, 2/2 groups created, 10/10 memberships added, 20/20 users disabled",
        ))
        .stdout(predicate::str::contains("Errors: none"))
        .stdout(predicate::str::contains("Microsoft's published estimate"))
        .stdout(predicate::str::contains("nothing left"));
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    for operation in [
        "user.filter",
        "user.create",
        "group.filter",
        "group.create",
        "group.add-members",
        "user.disable",
        "group.delete",
        "user.delete",
    ] {
        assert!(stdout.contains(operation), "{operation} missing:\n{stdout}");
    }

    let report = read_json(&json);
    assert_eq!(report["schema_version"], 1);
    assert_eq!(report["embedded"], true);
    assert!(report["run_prefix"].as_str().unwrap().starts_with("scimh-"));
    assert_eq!(report["dialect"], "legacy");
    assert_eq!(report["pacing"]["concurrency"], 4);
    assert_eq!(report["requested"]["members"], 5);
    assert_eq!(report["done"]["memberships_added"], 10);
    assert_eq!(report["stopped"], Value::Null);
    // 20 filters + 20 creates + 2 + 2 group ones + 2 PATCHes + 20 disables.
    assert_eq!(report["cycle"]["requests"], 66);
    assert!(report["cycle"]["requests_per_second"].as_f64().unwrap() > 0.0);
    let operations = report["operations"].as_array().unwrap();
    assert_eq!(operations.len(), 8);
    for operation in operations {
        let latency = &operation["latency_ms"];
        for field in ["p50", "p95", "p99", "max", "mean"] {
            assert!(latency[field].as_f64().unwrap() > 0.0, "{operation}");
        }
        assert_eq!(operation["failed"], 0, "{operation}");
    }
    assert_eq!(operations[1]["statuses"]["201"], 20);
    assert_eq!(report["errors"], serde_json::json!({}));
    assert_eq!(report["throttling"]["responses"], 0);
    assert_eq!(report["entra_estimate"]["objects"], 32);
    assert!((report["entra_estimate"]["low_minutes"].as_f64().unwrap() - 0.32).abs() < 1e-9);
    assert!((report["entra_estimate"]["high_minutes"].as_f64().unwrap() - 2.56).abs() < 1e-9);
    assert_eq!(report["cleanup"]["users_removed"], 20);
    assert_eq!(report["cleanup"]["groups_removed"], 2);
    assert_eq!(report["cleanup"]["left"], serde_json::json!([]));
}

#[test]
fn a_load_on_a_reference_server_leaves_it_empty() {
    let server = TestServer::start(&[]);
    load_against(&server.url())
        .args(["--users", "30", "--groups", "3", "--members", "10"])
        .args(["--rate", "500", "--dialect", "compliant"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("compliant dialect"))
        .stdout(predicate::str::contains("nothing left"));
    assert_eq!(server.count("Users"), 0, "users left behind");
    assert_eq!(server.count("Groups"), 0, "groups left behind");
}

#[test]
fn failed_requests_are_classified_exit_1_and_everything_is_still_removed() {
    // Entra's legacy disable sends "False" as a string; this server refuses it.
    let server = TestServer::start(&[Quirk::RejectStringBooleans]);
    load_against(&server.url())
        .args(["--users", "10", "--concurrency", "2"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("0/10 users disabled"))
        .stdout(predicate::str::contains("10 × user.disable: HTTP 400"))
        .stdout(predicate::str::contains("nothing left"));
    assert_eq!(server.count("Users"), 0);
}

#[test]
fn the_time_limit_stops_the_cycle_and_the_cleanup_still_runs() {
    let server = TestServer::start(&[]);
    load_against(&server.url())
        .args(["--users", "100000", "--rate", "50", "--time-limit", "1"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "stopped early: the time limit was reached",
        ))
        .stdout(predicate::str::contains("nothing left"));
    assert_eq!(server.count("Users"), 0);
}

#[test]
fn an_unreachable_target_cannot_run() {
    let port = StdListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    load_against(&format!("http://127.0.0.1:{port}/scim/v2"))
        .args(["--users", "3"])
        .assert()
        .code(3)
        .stdout(predicate::str::contains("3 × user.filter: connect"));
}

#[test]
fn impossible_sizes_are_usage_errors() {
    harness()
        .args(["load", "--users", "3", "--groups", "1", "--members", "4"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot exceed --users"));
    harness()
        .args(["load", "--users", "3", "--rate", "10", "--concurrency", "2"])
        .assert()
        .code(2);
}

/// The reference server behind a gate that answers the first `limit` user creates with 429 and
/// `Retry-After: 1`.
struct ThrottlingServer {
    url: String,
    throttled: Arc<AtomicUsize>,
    runtime: tokio::runtime::Runtime,
}

impl ThrottlingServer {
    fn start(limit: usize) -> Self {
        let throttled = Arc::new(AtomicUsize::new(0));
        let gate = Arc::clone(&throttled);
        let app = server::router(ServerConfig {
            token: Some(TOKEN.to_string()),
            ..ServerConfig::default()
        })
        .layer(middleware::from_fn(move |request: Request, next: Next| {
            let gate = Arc::clone(&gate);
            async move {
                let is_create =
                    request.method() == Method::POST && request.uri().path().ends_with("/Users");
                if is_create && gate.fetch_add(1, Ordering::SeqCst) < limit {
                    return too_many_requests();
                }
                next.run(request).await
            }
        }));
        let AppServer { url, runtime } = AppServer::start(app);
        ThrottlingServer {
            url,
            throttled,
            runtime,
        }
    }
}

fn too_many_requests() -> Response {
    (
        StatusCode::TOO_MANY_REQUESTS,
        [
            ("Retry-After", "1"),
            ("Content-Type", "application/scim+json"),
        ],
        Body::from(r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"429"}"#),
    )
        .into_response()
}

#[test]
fn a_429_with_retry_after_is_waited_out_retried_and_reported() {
    let server = ThrottlingServer::start(3);
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("load.json");
    load_against(&server.url)
        .args(["--users", "5", "--concurrency", "2", "--json"])
        .arg(&json)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("5/5 users created"))
        .stdout(predicate::str::contains(
            "429 Too Many Requests: 3 responses; 3 retried, 0 gave up",
        ))
        .stdout(predicate::str::contains(
            "Retry-After on 3 of them (longest 1 s); the run honoured it on 3 retries",
        ))
        .stdout(predicate::str::contains("nothing left"));
    assert!(
        server.throttled.load(Ordering::SeqCst) >= 8,
        "3 refused + 5 created"
    );
    let report = read_json(&json);
    let throttling = &report["throttling"];
    assert_eq!(throttling["responses"], 3);
    assert_eq!(throttling["with_retry_after"], 3);
    assert_eq!(throttling["honoured"], 3);
    assert_eq!(throttling["retried"], 3);
    assert_eq!(throttling["gave_up"], 0);
    let create = report["operations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|op| op["name"] == "user.create")
        .unwrap();
    assert_eq!(create["statuses"]["429"], 3);
    assert_eq!(create["statuses"]["201"], 5);
    assert_eq!(create["requests"], 8);
    assert_eq!(create["succeeded"], 5);
    drop(server.runtime);
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_the_cycle_and_removes_what_was_created() {
    let server = TestServer::start(&[]);
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin!("scim-harness"))
        .args([
            "--color", "never", "load", "--users", "100000", "--rate", "200",
        ])
        .args(["--url", &server.url(), "--token", TOKEN])
        .env_remove("SCIM_URL")
        .env_remove("SCIM_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until users exist, so there is something to clean up.
    let mut waited = Duration::ZERO;
    while server.count("Users") < 5 {
        assert!(waited < Duration::from_secs(60), "no user was created");
        std::thread::sleep(Duration::from_millis(100));
        waited += Duration::from_millis(100);
    }
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "load did not stop after Ctrl-C"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(exit.code(), Some(130), "{stdout}");
    assert!(stdout.contains("stopped early: interrupted"), "{stdout}");
    assert!(stdout.contains("nothing left"), "{stdout}");
    assert_eq!(server.count("Users"), 0, "users left behind after Ctrl-C");
}
