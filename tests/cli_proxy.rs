//! `scim-harness proxy` as a support engineer runs it: in front of a SCIM server, traffic passes
//! unchanged, and what is left on disk after SIGTERM is a scenario that replays the traffic
//! against a fresh server and a HAR archive, neither holding the token.

mod support;

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use scim_harness::scenario::load::{LoadOptions, load_file};
use scim_harness::server::ServerProfile;
use serde_json::Value;
use support::{TestServer, harness, run_against};

/// Distinctive enough that finding it anywhere in a written file is a leak.
const SECRET: &str = "proxy-secret-token-5f3e9a71";

struct Proxy {
    child: Child,
    url: String,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Proxy {
    fn start(upstream: &str, record: &Path, har: &Path) -> Proxy {
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("scim-harness"))
            .args(["--color", "never", "proxy", "--listen", "127.0.0.1:0"])
            .args(["--upstream", upstream, "--record"])
            .arg(record)
            .arg("--har")
            .arg(har)
            .env_remove("HTTP_PROXY")
            .env_remove("http_proxy")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("proxy starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut first = String::new();
        BufReader::new(stdout)
            .read_line(&mut first)
            .expect("a banner line");
        let url = first
            .strip_prefix("proxy listening at ")
            .and_then(|rest| rest.split(',').next())
            .unwrap_or_else(|| panic!("banner: {first}"))
            .to_string();
        assert!(url.starts_with("http://127.0.0.1:"), "{url}");
        Proxy { child, url }
    }

    /// SIGTERM, then what the proxy said on stderr once it exited 0.
    fn stop(self) -> String {
        let (code, stderr) = self.stop_with_code();
        assert_eq!(code, Some(0), "{stderr}");
        stderr
    }

    /// SIGTERM, then the exit code and what the proxy said on stderr.
    fn stop_with_code(mut self) -> (Option<i32>, String) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(20);
        let exit = loop {
            if let Some(exit) = self.child.try_wait().expect("wait") {
                break exit;
            }
            assert!(
                Instant::now() < deadline,
                "the proxy did not stop after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        let mut stderr = String::new();
        if let Some(mut pipe) = self.child.stderr.take() {
            pipe.read_to_string(&mut stderr).expect("stderr");
        }
        (exit.code(), stderr)
    }
}

/// `17 steps · 70 checks: 70 passed`: the verdict line without its timing.
fn verdict(stdout: &[u8]) -> String {
    let text = String::from_utf8_lossy(stdout);
    let line = text
        .lines()
        .find(|l| l.contains(" steps · "))
        .unwrap_or_else(|| panic!("no summary line in {text}"));
    line.rsplit_once(" · ")
        .map_or(line, |(verdict, _)| verdict)
        .to_string()
}

fn files(dir: &Path) -> (PathBuf, PathBuf) {
    (dir.join("recorded.yaml"), dir.join("recorded.har"))
}

fn har_entries(path: &Path) -> Vec<Value> {
    let har: Value = serde_json::from_str(&std::fs::read_to_string(path).expect("HAR written"))
        .expect("HAR is JSON");
    assert_eq!(har["log"]["version"], "1.2");
    har["log"]["entries"].as_array().expect("entries").clone()
}

#[test]
fn traffic_passes_unchanged_and_the_recording_replays_against_a_fresh_server() {
    let direct = TestServer::start_with(ServerProfile::Entra, &[], SECRET);
    let direct_run = run_against(&direct).arg("entra-core").output().unwrap();

    let upstream = TestServer::start_with(ServerProfile::Entra, &[], SECRET);
    let dir = tempfile::tempdir().unwrap();
    let (record, har) = files(dir.path());
    let proxy = Proxy::start(&upstream.url(), &record, &har);
    let proxied_run = harness()
        .args(["run", "entra-core", "--no-snapshots", "--url", &proxy.url])
        .args(["--token", SECRET])
        .output()
        .unwrap();
    assert_eq!(
        proxied_run.status.code(),
        direct_run.status.code(),
        "{}",
        String::from_utf8_lossy(&proxied_run.stdout)
    );
    assert_eq!(proxied_run.status.code(), Some(0));
    assert_eq!(verdict(&proxied_run.stdout), verdict(&direct_run.stdout));
    let said = proxy.stop();

    let scenario = load_file(&record, &LoadOptions::default()).unwrap_or_else(|e| {
        panic!(
            "{e}\n{}",
            std::fs::read_to_string(&record).unwrap_or_default()
        )
    });
    let entries = har_entries(&har);
    assert_eq!(entries.len(), scenario.steps.len());
    assert!(
        said.contains(&format!("recorded {} exchanges", entries.len())),
        "{said}"
    );
    assert!(
        entries.iter().all(|e| e["request"]["url"]
            .as_str()
            .unwrap()
            .starts_with(&upstream.url())),
        "entries name the upstream URL"
    );

    let replay = harness()
        .arg("run")
        .arg(&record)
        .arg("--no-snapshots")
        .output()
        .unwrap();
    assert_eq!(
        replay.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&replay.stdout)
    );

    for path in [&record, &har] {
        let text = std::fs::read_to_string(path).unwrap();
        assert!(!text.contains(SECRET), "{} holds the token", path.display());
    }
    assert!(!said.contains(SECRET));
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers.len(), 2, "no partial files left: {leftovers:?}");
}

/// What the echo upstream saw: method, path, raw query, headers, body.
async fn echo(request: axum::extract::Request) -> axum::response::Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 1 << 20).await.unwrap();
    let headers: serde_json::Map<String, Value> = parts
        .headers
        .iter()
        .map(|(n, v)| {
            (
                n.to_string(),
                Value::String(v.to_str().unwrap().to_string()),
            )
        })
        .collect();
    let seen = serde_json::json!({
        "method": parts.method.as_str(),
        "path": parts.uri.path(),
        "query": parts.uri.query(),
        "headers": headers,
        "body": String::from_utf8_lossy(&body),
    });
    axum::response::Response::builder()
        .status(418)
        .header("content-type", "application/json")
        .header("x-upstream", "kept")
        .header("connection", "x-hop")
        .header("x-hop", "dropped")
        .body(axum::body::Body::from(seen.to_string()))
        .unwrap()
}

#[test]
fn requests_and_answers_pass_byte_for_byte_and_failures_answer_502() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let upstream: SocketAddr = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, axum::Router::new().fallback(echo))
                .await
                .unwrap()
        });
        addr
    });
    let dir = tempfile::tempdir().unwrap();
    let (record, har) = files(dir.path());
    let proxy = Proxy::start(&format!("http://{upstream}/scim/v2"), &record, &har);

    let query = "filter=userName%20eq%20%22a+b%22&count=%2B1&access_token=q-secret-value";
    let body = r#"{ "userName": "a",  "password": "hunter2-password" }"#;
    let client = reqwest::Client::new();
    let (status, headers, answer) = runtime.block_on(async {
        let response = client
            .post(format!("{}/scim/v2/Users?{query}", proxy.url))
            .header("Authorization", format!("Bearer {SECRET}"))
            .header("Content-Type", "application/scim+json")
            .header("X-Custom", "yes")
            .body(body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        (status, headers, response.text().await.unwrap())
    });
    assert_eq!(status, 418);
    assert_eq!(headers["x-upstream"], "kept");
    assert!(
        headers.get("x-hop").is_none(),
        "a header Connection names stays behind"
    );
    let seen: Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(seen["method"], "POST");
    assert_eq!(seen["path"], "/scim/v2/Users");
    assert_eq!(seen["query"], query);
    assert_eq!(seen["body"], body);
    assert_eq!(seen["headers"]["authorization"], format!("Bearer {SECRET}"));
    assert_eq!(seen["headers"]["content-type"], "application/scim+json");
    assert_eq!(seen["headers"]["x-custom"], "yes");
    assert_eq!(
        seen["headers"]["host"],
        upstream.to_string(),
        "Host names the upstream"
    );

    // An upstream that does not answer: the client gets a SCIM Error, and it is recorded.
    let closed = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        listener.local_addr().unwrap()
    });
    let dead_dir = tempfile::tempdir().unwrap();
    let (dead_record, dead_har) = files(dead_dir.path());
    let dead = Proxy::start(&format!("http://{closed}/scim"), &dead_record, &dead_har);
    let (status, answer) = runtime.block_on(async {
        let response = client
            .get(format!("{}/Users", dead.url))
            .bearer_auth(SECRET)
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    });
    assert_eq!(status, 502);
    let error: Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(
        error["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:Error"
    );
    assert_eq!(error["status"], "502");

    let said = proxy.stop();
    assert!(said.contains("recorded 1 exchanges"), "{said}");
    let said = dead.stop();
    assert!(said.contains("no scenario written"), "{said}");
    assert!(!dead_record.exists(), "nothing to replay, so no scenario");
    let entries = har_entries(&dead_har);
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["response"]["status"], 502);

    let recorded = std::fs::read_to_string(&record).unwrap();
    let archive = std::fs::read_to_string(&har).unwrap();
    for text in [
        &recorded,
        &archive,
        &std::fs::read_to_string(&dead_har).unwrap(),
    ] {
        for secret in [SECRET, "q-secret-value", "hunter2-password"] {
            assert!(!text.contains(secret), "{secret} written:\n{text}");
        }
    }
    let entry = &har_entries(&har)[0];
    assert_eq!(entry["request"]["method"], "POST");
    assert_eq!(entry["response"]["status"], 418);
    assert!(recorded.contains("status: 418"), "{recorded}");
    assert!(
        recorded.contains("X-Custom") || recorded.contains("x-custom"),
        "{recorded}"
    );
}

#[test]
fn a_recording_that_cannot_be_saved_is_said_at_once_and_in_the_exit_code() {
    let upstream = TestServer::start_with(ServerProfile::Entra, &[], SECRET);
    let dir = tempfile::tempdir().unwrap();
    let gone = dir.path().join("gone");
    std::fs::create_dir(&gone).unwrap();
    let (record, har) = files(&gone);
    let proxy = Proxy::start(&upstream.url(), &record, &har);
    std::fs::remove_dir_all(&gone).unwrap();
    harness()
        .args(["run", "entra-core", "--no-snapshots", "--url", &proxy.url])
        .args(["--token", SECRET])
        .assert()
        .code(0);
    let (code, said) = proxy.stop_with_code();
    assert_eq!(code, Some(3), "{said}");
    assert_eq!(
        said.matches("warning: the recording is not being saved")
            .count(),
        1,
        "told once while it keeps failing: {said}"
    );
    assert!(
        said.contains("error: the recording is incomplete"),
        "{said}"
    );
    assert!(!said.contains(SECRET));
}
