//! `run --trace FILE.har` and `run --html FILE` as a support engineer uses them: evidence files
//! of a run against the reference server, checked for structure, redaction and (where Chromium
//! is installed) for what a browser actually renders.

mod support;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::IntoResponse;
use scim_harness::server::{self, Quirk, ServerConfig};
use serde_json::Value;
use support::{AppServer, TOKEN, TestServer, harness, run_against};

/// The reference server behind a gate that answers every other request but DELETEs 429
/// (`Retry-After: 0`, a body that echoes the Authorization header), counting every request it
/// saw. DELETEs pass: the cleanup's retries are not in the result model.
struct EveryOtherThrottled {
    url: String,
    requests: Arc<AtomicUsize>,
    _runtime: tokio::runtime::Runtime,
}

impl EveryOtherThrottled {
    fn start() -> Self {
        let requests = Arc::new(AtomicUsize::new(0));
        let seen = Arc::clone(&requests);
        let turn = Arc::new(AtomicUsize::new(0));
        let app = server::router(ServerConfig {
            token: Some(TOKEN.to_string()),
            ..ServerConfig::default()
        })
        .layer(middleware::from_fn(move |request: Request, next: Next| {
            let seen = Arc::clone(&seen);
            let turn = Arc::clone(&turn);
            async move {
                seen.fetch_add(1, Ordering::SeqCst);
                let throttled = request.method() != axum::http::Method::DELETE
                    && turn.fetch_add(1, Ordering::SeqCst) % 2 == 0;
                if throttled {
                    let echoed = request
                        .headers()
                        .get("authorization")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_string();
                    return (
                        StatusCode::TOO_MANY_REQUESTS,
                        [("Retry-After", "0"), ("Content-Type", "text/plain")],
                        format!("slow down, {echoed}"),
                    )
                        .into_response();
                }
                next.run(request).await
            }
        }));
        let AppServer { url, runtime } = AppServer::start(app);
        EveryOtherThrottled {
            url,
            requests,
            _runtime: runtime,
        }
    }
}

#[test]
fn every_try_of_a_rate_limited_request_is_an_entry_of_the_trace() {
    let server = EveryOtherThrottled::start();
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("run.har");
    let report = dir.path().join("run.json");
    let output = harness()
        .args([
            "run",
            "entra-core",
            "--no-snapshots",
            "--token",
            TOKEN,
            "--url",
            &server.url,
        ])
        .arg("--trace")
        .arg(&trace)
        .arg("--json")
        .arg(&report)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "429s waited out are warnings: {stdout}"
    );
    let text = std::fs::read_to_string(&trace).unwrap();
    assert!(!text.contains(TOKEN), "a 429 echoed the token into the HAR");
    let har: Value = serde_json::from_str(&text).unwrap();
    let entries = har["log"]["entries"].as_array().unwrap();
    let sent = server.requests.load(Ordering::SeqCst);
    assert_eq!(entries.len(), sent, "one entry per request the server saw");
    let throttled = entries
        .iter()
        .filter(|e| e["response"]["status"] == 429)
        .count();
    assert!(throttled >= 10, "{throttled} of {sent}");
    let first = &entries[0];
    assert_eq!(first["response"]["status"], 429);
    assert!(
        first["comment"]
            .as_str()
            .unwrap()
            .ends_with("(try 1 of 2: answered 429, sent again after 0 ms)"),
        "{first}"
    );
    assert_eq!(entries[1]["request"]["url"], first["request"]["url"]);
    assert_ne!(entries[1]["response"]["status"], 429);

    let json = std::fs::read_to_string(&report).unwrap();
    assert!(
        !json.contains(TOKEN),
        "a 429 echoed the token into the JSON report"
    );
    let json: Value = serde_json::from_str(&json).unwrap();
    let attempt = &json["scenarios"][0]["steps"][0]["exchange"]["earlier_attempts"][0];
    assert_eq!(attempt["response"]["status"], 429);
    assert_eq!(attempt["waited"], 0);
    assert!(
        attempt["response"]["body"]
            .as_str()
            .unwrap()
            .starts_with("slow down, Bearer "),
        "{attempt}"
    );
}

#[test]
fn trace_is_a_har_of_every_exchange_with_the_token_redacted() {
    let server = TestServer::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("run.har");
    let report = dir.path().join("run.json");
    run_against(&server)
        .arg("entra-core")
        .arg("--trace")
        .arg(&trace)
        .arg("--json")
        .arg(&report)
        .assert()
        .code(0);
    let text = std::fs::read_to_string(&trace).unwrap();
    assert!(
        !text.contains(&server.token),
        "the token leaked into the HAR"
    );
    let har: Value = serde_json::from_str(&text).unwrap();
    let log = &har["log"];
    assert_eq!(log["version"], "1.2");
    assert_eq!(log["creator"]["name"], "scim-harness");
    assert_eq!(log["pages"][0]["id"], "entra-core");

    let json: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let scenario = &json["scenarios"][0];
    let sent = scenario["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| !s["exchange"].is_null())
        .count();
    let cleanup = scenario["cleanup"].as_array().unwrap().len();
    let entries = log["entries"].as_array().unwrap();
    assert_eq!(entries.len(), sent + cleanup, "one entry per request sent");

    let mut previous = String::new();
    for entry in entries {
        for key in [
            "startedDateTime",
            "time",
            "request",
            "response",
            "timings",
            "cache",
        ] {
            assert!(!entry[key].is_null(), "entry without {key}: {entry}");
        }
        let started = entry["startedDateTime"].as_str().unwrap().to_string();
        assert!(started >= previous, "entries are in run order");
        previous = started;
        for header in entry["request"]["headers"].as_array().unwrap() {
            if header["name"] == "Authorization" {
                let value = header["value"].as_str().unwrap();
                assert!(
                    value == "Bearer [redacted]" || !value.contains(&server.token),
                    "{value}"
                );
            }
        }
    }
    let post = entries
        .iter()
        .find(|e| e["request"]["method"] == "POST")
        .expect("the create is in the trace");
    let mime = post["request"]["postData"]["mimeType"].as_str().unwrap();
    assert!(mime.starts_with("application/scim+json"), "{mime}");
    assert!(
        post["request"]["postData"]["text"]
            .as_str()
            .unwrap()
            .contains("userName")
    );
    assert_eq!(post["response"]["status"], 201);
    let filter = entries
        .iter()
        .find(|e| e["request"]["url"].as_str().unwrap().contains("filter="))
        .unwrap();
    assert_eq!(filter["request"]["queryString"][0]["name"], "filter");
    assert!(
        filter["request"]["queryString"][0]["value"]
            .as_str()
            .unwrap()
            .starts_with("userName eq \"")
    );
}

#[test]
fn html_report_holds_the_findings_with_reason_and_hint() {
    let server = TestServer::start(&[Quirk::RejectStringBooleans]);
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    run_against(&server)
        .arg("entra-core")
        .arg("--html")
        .arg(&page)
        .assert()
        .code(1);
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(
        !html.contains(&server.token),
        "the token leaked into the report"
    );
    assert!(html.contains("data-exit-code=\"1\">FINDINGS"));
    assert!(html.contains("data-check=\"deprovision.legacy-accepted\" data-outcome=\"fail\""));
    assert!(html.contains("<strong>What Entra does:</strong>"));
    assert!(html.contains("<strong>Hint:</strong>"));
    assert!(html.contains("<pre class=\"request\">PATCH "));
    assert!(!html.contains("<script"));
}

/// Chromium as the Debian package installs it; `None` (and the test is skipped with a message)
/// where it is absent.
fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| ["chromium", "chromium-browser"].map(|name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

fn dump_dom(browser: &Path, page: &Path, profile: &Path) -> String {
    let output = assert_cmd::Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--no-first-run",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .timeout(Duration::from_secs(120))
        .output()
        .expect("chromium runs");
    assert!(
        output.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("the DOM is UTF-8")
}

#[test]
fn html_report_renders_in_headless_chromium() {
    let Some(browser) = chromium() else {
        eprintln!(
            "skipped: `chromium` is not on PATH (Debian: apt-get install chromium; .ci/run installs it)"
        );
        return;
    };
    let server = TestServer::start(&[Quirk::RejectStringBooleans]);
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    let report = dir.path().join("report.json");
    run_against(&server)
        .arg("entra-core")
        .arg("--html")
        .arg(&page)
        .arg("--json")
        .arg(&report)
        .assert()
        .code(1);
    let json: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let steps_run = json["scenarios"][0]["steps"].as_array().unwrap().len();

    let dom = dump_dom(&browser, &page, &dir.path().join("profile"));
    // The parsed document, not the file: Chromium serialises what it built.
    assert!(dom.contains("<title>scim-harness: FINDINGS"), "{dom}");
    assert!(dom.contains("id=\"verdict\" class=\"verdict fail\" data-exit-code=\"1\""));
    let steps = dom.matches("<details class=\"step ").count();
    assert_eq!(steps, steps_run, "one <details> per step of the run");
    let failing = dom
        .find("data-check=\"deprovision.legacy-accepted\" data-outcome=\"fail\"")
        .expect("the failing check is in the DOM");
    let step_start = dom[..failing].rfind("<details").unwrap();
    assert!(
        dom[step_start..failing].contains("data-verdict=\"fail\" open=\"\""),
        "failing steps are open: {}",
        &dom[step_start..failing]
    );
    let check = &dom[failing..];
    let check = &check[..check
        .find("<div class=\"exchange\">")
        .unwrap_or(check.len())];
    assert!(check.contains("What Entra does:"), "{check}");
    assert!(check.contains("Hint:"), "{check}");
    assert!(dom.contains("Bearer [redacted]"));
    assert!(!dom.contains(&server.token));
    assert!(!dom.contains("<script"), "no script in the rendered page");
}
