//! Hostile servers: every misbehaviour becomes a finding with an excerpt or a clear message and
//! the right exit code, never a crash or a hang. Each case runs the real binary against a raw TCP
//! server on 127.0.0.1.

mod hostile;
mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use hostile::{EMPTY_LIST, HostileServer, Reply, http, one_get_scenario, scim};
use support::harness;

/// No case may take longer than this, whatever the server does.
const BOUND: Duration = Duration::from_secs(60);

struct Outcome {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run_one_get(server: &HostileServer, extra: &[&str]) -> Outcome {
    let (_dir, scenario) = one_get_scenario();
    let output = harness()
        .args(["run", "--no-snapshots", "--url"])
        .arg(server.url())
        .args(["--token", "t0ken"])
        .args(extra)
        .arg(&scenario)
        .timeout(BOUND)
        .output()
        .expect("the harness runs");
    let outcome = Outcome {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    assert!(
        !outcome.stderr.contains("panicked"),
        "the harness panicked:\n{}",
        outcome.stderr
    );
    outcome
}

#[track_caller]
fn assert_outcome(outcome: &Outcome, code: i32, needles: &[&str]) {
    assert_eq!(
        outcome.code,
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        outcome.stdout,
        outcome.stderr
    );
    for needle in needles {
        assert!(
            outcome.stdout.contains(needle),
            "`{needle}` missing from:\n{}",
            outcome.stdout
        );
    }
}

#[test]
fn a_body_that_is_not_json_is_a_finding_with_an_excerpt() {
    let server = HostileServer::start(|_| {
        http(
            200,
            &[("Content-Type", "application/scim+json")],
            b"totalResults=0; this is not JSON",
        )
    });
    let outcome = run_one_get(&server, &[]);
    assert_outcome(
        &outcome,
        1,
        &["http.json-body", "totalResults=0; this is not JSON"],
    );
}

#[test]
fn an_html_error_page_is_a_finding_with_an_excerpt() {
    let server = HostileServer::start(|_| {
        http(
            502,
            &[("Content-Type", "text/html")],
            b"<html><body><h1>502 Bad Gateway</h1></body></html>",
        )
    });
    let outcome = run_one_get(&server, &[]);
    assert_outcome(
        &outcome,
        1,
        &[
            "http.error-body",
            "<h1>502 Bad Gateway</h1>",
            "status: expected 200, got 502",
        ],
    );
}

#[test]
fn invalid_utf8_is_shown_lossily_not_a_crash() {
    let server = HostileServer::start(|_| {
        http(
            200,
            &[("Content-Type", "application/scim+json")],
            b"{\"Resources\": [\xff\xfe\xfd]}",
        )
    });
    let outcome = run_one_get(&server, &[]);
    assert_outcome(
        &outcome,
        1,
        &["http.json-body", "{\"Resources\": [\u{fffd}"],
    );
}

#[test]
fn a_wrong_content_type_is_a_warning_that_fails_with_fail_on_warn() {
    let server = HostileServer::start(|_| {
        http(
            200,
            &[("Content-Type", "text/plain")],
            EMPTY_LIST.as_bytes(),
        )
    });
    let outcome = run_one_get(&server, &[]);
    assert_outcome(
        &outcome,
        0,
        &["http.content-type", "Content-Type is `text/plain`"],
    );
    let outcome = run_one_get(&server, &["--fail-on", "warn"]);
    assert_outcome(&outcome, 1, &["http.content-type"]);
}

#[test]
fn a_truncated_body_is_reported_with_what_arrived() {
    let server = HostileServer::start(|_| {
        Reply::Raw(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/scim+json\r\nContent-Length: 500\r\n\r\n{\"schemas\":[\"urn:ietf".to_vec(),
        )
    });
    let outcome = run_one_get(&server, &[]);
    assert_outcome(
        &outcome,
        1,
        &[
            "broke off after 21 bytes",
            "it began: {\"schemas\":[\"urn:ietf",
        ],
    );
}

#[test]
fn a_connection_closed_without_an_answer_is_could_not_run() {
    let server = HostileServer::start(|_| Reply::Close);
    let outcome = run_one_get(&server, &[]);
    assert_outcome(
        &outcome,
        3,
        &["closed the connection without answering", "COULD NOT RUN"],
    );
}

#[test]
fn a_server_that_never_answers_times_out_with_a_clear_message() {
    let server = HostileServer::start(|_| Reply::Hang(Duration::from_secs(60)));
    let started = Instant::now();
    let outcome = run_one_get(&server, &["--timeout", "1"]);
    assert_outcome(
        &outcome,
        3,
        &["no complete answer within 1 s (--timeout)", "COULD NOT RUN"],
    );
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "it waited {:?}",
        started.elapsed()
    );
}

#[test]
fn an_oversized_body_is_refused_with_its_size() {
    let server = HostileServer::start(|_| {
        Reply::Raw(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/scim+json\r\nContent-Length: 5242880\r\n\r\n{".to_vec(),
        )
    });
    let outcome = run_one_get(&server, &[]);
    assert_outcome(
        &outcome,
        1,
        &["larger than the 4194304-byte cap: its Content-Length is 5242880 bytes"],
    );

    // Without a Content-Length the cap holds as the bytes arrive.
    let server = HostileServer::start(|_| {
        let mut raw =
            b"HTTP/1.1 200 OK\r\nContent-Type: application/scim+json\r\nConnection: close\r\n\r\n"
                .to_vec();
        raw.extend(std::iter::repeat_n(b' ', 5 * 1024 * 1024));
        Reply::Raw(raw)
    });
    let outcome = run_one_get(&server, &[]);
    assert_outcome(
        &outcome,
        1,
        &["larger than the 4194304-byte cap: more than"],
    );
}

#[test]
fn the_whole_run_is_bounded_by_run_timeout() {
    let server = HostileServer::start(|_| Reply::Hang(Duration::from_secs(60)));
    let started = Instant::now();
    let outcome = run_one_get(&server, &["--timeout", "30", "--run-timeout", "2"]);
    assert_eq!(outcome.code, Some(3), "{}", outcome.stdout);
    assert!(outcome.stdout.contains("RUN TIMEOUT"), "{}", outcome.stdout);
    assert!(
        outcome.stderr.contains("exceeded --run-timeout 2 s"),
        "{}",
        outcome.stderr
    );
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "it waited {:?}",
        started.elapsed()
    );
}

/// A server that answers 429 with `retry_after` until it has been asked `limited` times.
fn rate_limited(
    limited: usize,
    retry_after: impl Fn() -> String + Send + Sync + 'static,
) -> (HostileServer, Arc<AtomicUsize>) {
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    let server = HostileServer::start(move |_| {
        if seen.fetch_add(1, Ordering::SeqCst) < limited {
            let value = retry_after();
            http(429, &[("Retry-After", value.as_str())], b"")
        } else {
            scim(200, EMPTY_LIST)
        }
    });
    (server, count)
}

#[test]
fn a_429_is_retried_after_retry_after_seconds_and_the_retry_is_reported() {
    let (server, count) = rate_limited(1, || "1".to_string());
    let started = Instant::now();
    let outcome = run_one_get(&server, &[]);
    assert_outcome(
        &outcome,
        0,
        &[
            "http.rate-limited",
            "429 Too Many Requests (Retry-After: 1): retried after 1 s",
        ],
    );
    assert_eq!(count.load(Ordering::SeqCst), 2);
    assert!(started.elapsed() >= Duration::from_secs(1));
}

#[test]
fn a_429_with_an_http_date_is_retried_at_that_time() {
    let (server, count) = rate_limited(1, || {
        let when = time::OffsetDateTime::now_utc() + time::Duration::seconds(2);
        let format = time::macros::format_description!(
            "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
        );
        when.format(&format).expect("an HTTP-date")
    });
    let outcome = run_one_get(&server, &[]);
    assert_outcome(&outcome, 0, &["http.rate-limited", "retried after"]);
    assert_eq!(count.load(Ordering::SeqCst), 2);
}

#[test]
fn a_429_asking_for_too_long_a_wait_is_reported_not_waited_for() {
    let (server, count) = rate_limited(usize::MAX, || "3600".to_string());
    let started = Instant::now();
    let outcome = run_one_get(&server, &[]);
    assert_outcome(
        &outcome,
        1,
        &[
            "3600 s is beyond the 30 s the harness waits, so not retried",
            "got 429",
        ],
    );
    assert_eq!(count.load(Ordering::SeqCst), 1);
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[test]
fn retries_of_a_429_are_bounded() {
    let (server, count) = rate_limited(usize::MAX, || "0".to_string());
    let outcome = run_one_get(&server, &[]);
    assert_outcome(&outcome, 1, &["gave up after 3 retries", "got 429"]);
    assert_eq!(count.load(Ordering::SeqCst), 4);
}

#[test]
fn a_transient_5xx_is_reported_and_never_silently_retried() {
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    let server = HostileServer::start(move |_| {
        if seen.fetch_add(1, Ordering::SeqCst) == 0 {
            scim(
                503,
                r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"503","detail":"try later"}"#,
            )
        } else {
            scim(200, EMPTY_LIST)
        }
    });
    let outcome = run_one_get(&server, &[]);
    assert_outcome(&outcome, 1, &["status: expected 200, got 503"]);
    assert_eq!(count.load(Ordering::SeqCst), 1, "the 503 was retried");
}

#[test]
fn a_redirect_is_reported_and_the_token_never_goes_to_the_other_host() {
    let elsewhere = HostileServer::start(|_| scim(200, EMPTY_LIST));
    let location = format!("http://127.0.0.1:{}/scim/Users", elsewhere.port());
    let server = HostileServer::start(move |_| http(307, &[("Location", location.as_str())], b""));
    let outcome = run_one_get(&server, &[]);
    assert_outcome(
        &outcome,
        1,
        &[
            "http.redirect",
            "answered 307 with Location: http://127.0.0.1:",
            "got 307",
        ],
    );
    let sent = server.requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].header("Authorization"), Some("Bearer t0ken"));
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        elsewhere.requests().is_empty(),
        "the redirect was followed: {:?}",
        elsewhere.requests()
    );
}
