//! `scim-harness serve` as a user runs it: it prints its base URL and token, answers curl-style
//! requests, and the harness passes against it.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use predicates::prelude::*;
use support::harness;

struct Served {
    child: Child,
    base_url: String,
    token: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(extra: &[&str]) -> Served {
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("scim-harness"))
        .args(["serve", "--port", "0"])
        .args(extra)
        .env_remove("SCIM_TOKEN")
        .stdout(Stdio::piped())
        .spawn()
        .expect("serve starts");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut base_url = String::new();
    let mut token = String::new();
    for line in lines.by_ref().take(6) {
        let line = line.expect("a line");
        if let Some(url) = line.strip_prefix("SCIM reference server listening at ") {
            base_url = url.to_string();
        }
        if let Some(t) = line.strip_prefix("bearer token: ") {
            token = t.to_string();
            break;
        }
    }
    assert!(
        base_url.starts_with("http://127.0.0.1:"),
        "printed URL: {base_url}"
    );
    Served {
        child,
        base_url,
        token,
    }
}

#[test]
fn serve_prints_its_url_and_a_generated_token_and_answers_requests() {
    let served = serve(&[]);
    assert_eq!(served.token.len(), 32, "a generated token is printed");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let url = format!("{}/Users?filter=userName+eq+%22nobody%22", served.base_url);
    let (status, body) = runtime.block_on(async {
        let response = reqwest::Client::new()
            .get(url)
            .bearer_auth(&served.token)
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    });
    assert_eq!(status, 200);
    assert!(body.contains("\"totalResults\":0"), "{body}");

    harness()
        .args([
            "run",
            "entra-core",
            "--no-snapshots",
            "--url",
            &served.base_url,
        ])
        .args(["--token", &served.token])
        .assert()
        .code(0);
}

#[test]
fn serve_with_a_quirk_makes_the_harness_fail_the_matching_check() {
    let served = serve(&["--token", "given-token", "--quirk", "empty-filter-404"]);
    assert_eq!(served.token, "the one given with --token / SCIM_TOKEN");
    harness()
        .args([
            "run",
            "entra-core",
            "--no-snapshots",
            "--url",
            &served.base_url,
        ])
        .args(["--token", "given-token"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "✗ fail test-connection.empty-list:",
        ));
}

#[test]
fn serve_lists_its_quirks() {
    harness()
        .args(["serve", "--list-quirks"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("empty-filter-404"))
        .stdout(predicate::str::contains("reject-string-booleans"));
}

#[test]
fn serve_with_latency_shows_the_harness_timeout_on_the_step() {
    let served = serve(&["--token", "given-token", "--latency", "3000"]);
    harness()
        .args(["run", "entra-core", "--step", "test-connection"])
        .args([
            "--no-snapshots",
            "--timeout",
            "1",
            "--url",
            &served.base_url,
        ])
        .args(["--token", "given-token"])
        .assert()
        .code(3)
        .stdout(predicate::str::contains("ERROR  1 test-connection  GET "))
        .stdout(predicate::str::contains(
            "no complete answer within 1 s (--timeout)",
        ))
        .stdout(predicate::str::contains("1 step · 1 without an answer"));
}
