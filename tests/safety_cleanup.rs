//! Nothing left behind, nothing else touched: a pre-existing user survives a full run byte for
//! byte; what a run created is removed when a request times out, on SIGTERM and at the run
//! timeout; `cleanup` removes leftovers by prefix and only those.

mod hostile;
mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use hostile::{Reply, create_then_get_scenario, mini_scim, scim};
use scim_harness::server::Quirk;
use serde_json::{Value, json};
use support::{TestServer, harness, run_against};

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
    let signal = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(signal.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the harness did not stop after SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let output = child.wait_with_output().expect("output");
    assert_eq!(
        status.code(),
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
