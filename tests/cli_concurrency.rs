//! `run --jobs`: scenarios running at the same time give the same verdicts, the same reports in
//! the same order and the same exit code as a sequential run (`-j 1`), match the committed
//! snapshots, and still remove what every scenario created when the run is stopped.

mod hostile;
mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use hostile::{CREATE_THEN_GET, HostileServer, Reply, http, scenario_file, scim};
use scim_harness::server::Quirk;
use serde_json::Value;
use support::{TestServer, harness, repo_snapshots, run_against};

/// What a run said: its exit code, its verdict lines and its JSON report, with what differs
/// between any two runs (prefix, ids, timings, server-generated response details) normalised.
#[derive(Debug)]
struct Outcome {
    code: Option<i32>,
    lines: Vec<String>,
    report: Value,
}

/// The default suite with `--jobs <jobs>` against a fresh reference server with `quirks`.
fn suite_against_fresh_server(quirks: &[Quirk], jobs: &str) -> Outcome {
    let server = TestServer::start(quirks);
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("report.json");
    let output = run_against(&server)
        .args(["--fail-on", "warn", "--jobs", jobs, "--json"])
        .arg(&json)
        .output()
        .unwrap();
    assert_eq!(server.count("Users"), 0, "-j {jobs}: users left behind");
    assert_eq!(server.count("Groups"), 0, "-j {jobs}: groups left behind");
    outcome(&output, &json)
}

/// The same code, the same verdict lines in the same order, the same JSON report.
fn assert_same(concurrent: &Outcome, sequential: &Outcome) {
    assert_eq!(concurrent.code, sequential.code);
    assert_eq!(concurrent.lines, sequential.lines);
    if let Some(pointer) = first_difference(&concurrent.report, &sequential.report, String::new()) {
        panic!(
            "the JSON reports differ at {pointer}:\n-j 4: {:?}\n-j 1: {:?}",
            concurrent.report.pointer(&pointer),
            sequential.report.pointer(&pointer)
        );
    }
}

fn first_difference(a: &Value, b: &Value, at: String) -> Option<String> {
    match (a, b) {
        (Value::Object(a), Value::Object(b)) if a.len() == b.len() => {
            a.iter().zip(b).find_map(|((ka, va), (kb, vb))| {
                if ka == kb {
                    first_difference(va, vb, format!("{at}/{ka}"))
                } else {
                    Some(format!("{at}/{ka}"))
                }
            })
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => a
            .iter()
            .zip(b)
            .enumerate()
            .find_map(|(i, (va, vb))| first_difference(va, vb, format!("{at}/{i}"))),
        _ if a == b => None,
        _ => Some(at),
    }
}

fn outcome(output: &std::process::Output, json: &std::path::Path) -> Outcome {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report: Value = serde_json::from_slice(&std::fs::read(json).unwrap()).unwrap();
    Outcome {
        code: output.status.code(),
        lines: verdict_lines(&stdout),
        report: project_report(report),
    }
}

/// Scenario headings, each step's label, number, name and status, each finding's check id and
/// title, each cleanup's method and result, the tally and the verdict: in the order printed.
fn verdict_lines(stdout: &str) -> Vec<String> {
    const LABELS: [&str; 7] = ["PASS", "FAIL", "WARN", "DIFF", "SKIP", "ERROR", "-"];
    let mut lines = Vec::new();
    for line in stdout.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        let status_after_arrow = || {
            words
                .iter()
                .position(|w| *w == "→")
                .and_then(|p| words.get(p + 1))
                .copied()
                .unwrap_or_default()
        };
        match words.as_slice() {
            [name, "—", ..] => lines.push(format!("scenario {name}")),
            [label, index, name, ..] if LABELS.contains(label) => {
                lines.push(format!("{label} {index} {name} {}", status_after_arrow()));
            }
            ["✗" | "!", kind, id, ..] => lines.push(format!("{kind} {id}")),
            ["cleanup", method, ..] => lines.push(format!(
                "cleanup {method} {} {}",
                status_after_arrow(),
                line.contains("LEFT BEHIND")
            )),
            [.., "·", _seconds, "s"] => {
                let tally = line.rsplit_once(" · ").map_or(line, |(tally, _)| tally);
                lines.push(tally.to_string());
            }
            [verdict, ..]
                if verdict.ends_with(':') && verdict.chars().all(|c| !c.is_lowercase()) =>
            {
                lines.push(line.to_string());
            }
            _ => {}
        }
    }
    lines
}

/// The JSON report without timings, and with only the status of each response: headers and
/// bodies carry what the server generates (ETag counters shared by all its resources, dates),
/// which depends on how requests interleave, not on the harness.
fn project_report(mut report: Value) -> Value {
    let prefix = report["run_prefix"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let base_url = report["target"]["base_url"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    if let Some(scenarios) = report["scenarios"].as_array_mut() {
        for step in scenarios
            .iter_mut()
            .filter_map(|s| s["steps"].as_array_mut())
            .flatten()
        {
            if let Some(response) = step.pointer_mut("/exchange/response")
                && let Some(status) = response.get("status").cloned()
            {
                *response = serde_json::json!({ "status": status });
            }
        }
    }
    normalise(report, &prefix, &base_url)
}

fn normalise(value: Value, prefix: &str, base_url: &str) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(key, _)| key != "duration" && key != "elapsed")
                .map(|(key, v)| (key, normalise(v, prefix, base_url)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|v| normalise(v, prefix, base_url))
                .collect(),
        ),
        Value::String(text) => Value::String(without_guids(
            &text
                .replace(base_url, "[base_url]")
                .replace(prefix, "[prefix]")
                .replace(&prefix.to_uppercase(), "[PREFIX]"),
        )),
        other => other,
    }
}

/// Replaces every GUID (8-4-4-4-12 hex digits) with `[guid]`: server ids and `run.id`.
fn without_guids(text: &str) -> String {
    const SHAPE: &[u8] = b"hhhhhhhh-hhhh-hhhh-hhhh-hhhhhhhhhhhh";
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    while at < bytes.len() {
        let is_guid = bytes.len() - at >= SHAPE.len()
            && SHAPE
                .iter()
                .zip(&bytes[at..])
                .all(|(shape, byte)| match shape {
                    b'h' => byte.is_ascii_hexdigit(),
                    _ => byte == shape,
                });
        if is_guid {
            out.push_str("[guid]");
            at += SHAPE.len();
        } else {
            let next = text[at..].chars().next().unwrap();
            out.push(next);
            at += next.len_utf8();
        }
    }
    out
}

#[test]
fn concurrent_and_sequential_runs_agree_on_a_clean_server() {
    let sequential = suite_against_fresh_server(&[], "1");
    let concurrent = suite_against_fresh_server(&[], "4");
    assert_eq!(sequential.code, Some(0), "{:#?}", sequential.lines);
    assert!(
        sequential.lines.len() > 80,
        "too few verdict lines recognised: {:#?}",
        sequential.lines
    );
    assert_same(&concurrent, &sequential);
}

#[test]
fn concurrent_and_sequential_runs_agree_on_a_server_with_a_quirk() {
    // Rejecting "Replace"/"Add" breaks the legacy PATCH steps of four scenarios.
    let sequential = suite_against_fresh_server(&[Quirk::RejectCapitalisedOps], "1");
    let concurrent = suite_against_fresh_server(&[Quirk::RejectCapitalisedOps], "4");
    assert_eq!(sequential.code, Some(1), "{:#?}", sequential.lines);
    assert!(
        sequential.lines.iter().any(|l| l.starts_with("FAIL")),
        "{:#?}",
        sequential.lines
    );
    assert_same(&concurrent, &sequential);
}

#[test]
fn a_concurrent_run_matches_the_committed_snapshots() {
    let mut outcomes = Vec::new();
    for jobs in ["1", "7"] {
        let dir = tempfile::tempdir().unwrap();
        let json = dir.path().join("report.json");
        let output = harness()
            .args(["run", "--update", "no", "--jobs", jobs, "--snapshots"])
            .arg(repo_snapshots())
            .arg("--json")
            .arg(&json)
            .output()
            .unwrap();
        let outcome = outcome(&output, &json);
        assert_eq!(outcome.code, Some(0), "-j {jobs}: {:#?}", outcome.lines);
        assert_eq!(
            outcome.report["tally"]["snapshots_changed"],
            Value::from(0),
            "-j {jobs}"
        );
        assert_eq!(
            outcome.report["tally"]["snapshots_new"],
            Value::from(0),
            "-j {jobs}"
        );
        outcomes.push(outcome.lines);
    }
    assert_eq!(outcomes[0], outcomes[1]);
}

/// Two copies of a scenario that creates a user and then reads it back; the server hands out
/// `u-1`, `u-2`, … and never answers the read.
fn two_scenarios_stuck_after_creating() -> (tempfile::TempDir, HostileServer) {
    let text = CREATE_THEN_GET;
    let (dir, first) = scenario_file("first.yaml", text);
    std::fs::write(first.with_file_name("second.yaml"), text).unwrap();
    let created = AtomicUsize::new(0);
    let server = HostileServer::start(move |request| match (request.method(), request.target()) {
        ("POST", "/scim/Users") => {
            let id = created.fetch_add(1, Ordering::SeqCst) + 1;
            scim(
                201,
                &format!(
                    r#"{{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"u-{id}","userName":"x"}}"#
                ),
            )
        }
        ("DELETE", _) => http(204, &[], b""),
        ("GET", _) => Reply::Hang(Duration::from_secs(60)),
        _ => scim(404, r#"{"status":"404"}"#),
    });
    (dir, server)
}

#[test]
fn the_run_timeout_removes_what_every_concurrent_scenario_created() {
    let (dir, server) = two_scenarios_stuck_after_creating();
    let output = harness()
        .args(["run", "--no-snapshots", "--jobs", "2", "--run-timeout", "2"])
        .args(["--token", "t", "--url"])
        .arg(server.url())
        .arg(dir.path())
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(3), "{stdout}");
    let requests = server.requests();
    let user_names: Vec<String> = requests
        .iter()
        .filter(|r| r.method() == "POST")
        .filter_map(|r| serde_json::from_slice::<Value>(&r.body).ok())
        .filter_map(|body| body["userName"].as_str().map(str::to_string))
        .collect();
    assert_eq!(user_names.len(), 2, "both scenarios create: {requests:?}");
    assert_ne!(
        user_names[0].split('.').next(),
        user_names[1].split('.').next(),
        "each scenario has its own prefix"
    );
    for id in ["u-1", "u-2"] {
        assert!(
            requests
                .iter()
                .any(|r| r.method() == "DELETE" && r.target() == format!("/scim/Users/{id}")),
            "{id} not removed: {requests:?}"
        );
    }
    // Both blocks print whole, in the suite's order.
    let first = stdout.find("first —").expect("first scenario reported");
    let second = stdout.find("second —").expect("second scenario reported");
    assert!(first < second, "{stdout}");
    let between = &stdout[first..second];
    assert!(
        between.contains("cleanup DELETE /Users/u-"),
        "the first block holds its own cleanup: {stdout}"
    );
}

#[test]
fn zero_jobs_is_a_usage_error() {
    harness().args(["run", "--jobs", "0"]).assert().code(2);
}
