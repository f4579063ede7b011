//! `--trace FILE.har`: every exchange of a run as a HAR 1.2 archive, which a browser's developer
//! tools open (Network tab → Import HAR). Built from the result model, so the bearer token is
//! already `Bearer [redacted]` here. `proxy --har` writes its recording through the same model.
//!
//! The result model keeps no wall-clock time per exchange, so `startedDateTime` is reconstructed:
//! the run's start (now minus its duration), plus when the scenario started (scenarios may run at
//! the same time), plus the time every earlier exchange of the scenario took.

use std::time::{Duration, SystemTime};

use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::run::result::{
    CleanupResult, Exchange, ResponseRecord, RunResult, ScenarioResult, StepStatus,
};

/// Renders the archive; `now` is when the run finished (the caller passes the clock).
pub fn render(result: &RunResult, now: SystemTime) -> Result<String, serde_json::Error> {
    let started = now.checked_sub(result.duration).unwrap_or(now);
    let mut pages = Vec::new();
    let mut entries = Vec::new();
    for scenario in &result.scenarios {
        let mut clock = Clock {
            at: started + scenario.started_after,
        };
        let page_id = scenario.name.clone();
        pages.push(Page {
            started_date_time: clock.timestamp(),
            id: page_id.clone(),
            title: format!("{} — {}", scenario.name, scenario.title),
            page_timings: PageTimings {},
        });
        scenario_entries(scenario, &page_id, &mut clock, &mut entries);
    }
    let comment = format!(
        "{} (target {}), run prefix {}",
        result.target.base_url, result.target.name, result.run_prefix
    );
    archive(pages, entries, comment)
}

/// One exchange of a recording (the proxy's traffic), with the moment it started.
#[derive(Debug, Clone)]
pub struct TimedExchange {
    pub started: SystemTime,
    pub exchange: Exchange,
    /// Says what the entry is, e.g. which upstream failure a `502` stands for.
    pub comment: String,
}

/// A recording as an archive: one page titled `title`, one entry per exchange in order.
pub fn render_recording(
    exchanges: &[TimedExchange],
    title: &str,
    now: SystemTime,
) -> Result<String, serde_json::Error> {
    let page_id = "recording".to_string();
    let page_start = exchanges.first().map_or(now, |e| e.started);
    let pages = vec![Page {
        started_date_time: Clock { at: page_start }.timestamp(),
        id: page_id.clone(),
        title: title.to_string(),
        page_timings: PageTimings {},
    }];
    let entries = exchanges
        .iter()
        .flat_map(|timed| {
            let mut clock = Clock { at: timed.started };
            exchange_entries(
                &timed.exchange,
                &page_id,
                &mut clock,
                timed.comment.clone(),
                None,
            )
        })
        .collect();
    archive(pages, entries, title.to_string())
}

fn archive(
    pages: Vec<Page>,
    entries: Vec<Entry>,
    comment: String,
) -> Result<String, serde_json::Error> {
    let archive = Archive {
        log: Log {
            version: "1.2",
            creator: Creator {
                name: env!("CARGO_PKG_NAME"),
                version: env!("CARGO_PKG_VERSION"),
            },
            pages,
            entries,
            comment,
        },
    };
    serde_json::to_string_pretty(&archive)
}

/// Hands out start times in a scenario's order.
struct Clock {
    at: SystemTime,
}

impl Clock {
    fn timestamp(&self) -> String {
        OffsetDateTime::from(self.at)
            .format(&Rfc3339)
            .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_string())
    }

    fn advance(&mut self, by: Duration) {
        self.at += by;
    }
}

fn scenario_entries(
    scenario: &ScenarioResult,
    page_id: &str,
    clock: &mut Clock,
    entries: &mut Vec<Entry>,
) {
    for step in &scenario.steps {
        let Some(exchange) = &step.exchange else {
            continue;
        };
        let error = match &step.status {
            StepStatus::Error { message, .. } => Some(message.clone()),
            StepStatus::Completed | StepStatus::Skipped { .. } | StepStatus::NotRun { .. } => None,
        };
        let comment = format!(
            "{} step {} {}: {}",
            scenario.name, step.index, step.name, step.title
        );
        entries.extend(exchange_entries(exchange, page_id, clock, comment, error));
    }
    for cleanup in &scenario.cleanup {
        entries.push(cleanup_entry(cleanup, page_id, clock, &scenario.name));
    }
}

/// One entry per request sent: each answer that was retried (a 429), then the kept one.
fn exchange_entries(
    exchange: &Exchange,
    page_id: &str,
    clock: &mut Clock,
    comment: String,
    error: Option<String>,
) -> Vec<Entry> {
    let tries = exchange.earlier_attempts.len() + 1;
    let mut entries = Vec::with_capacity(tries);
    for (number, attempt) in exchange.earlier_attempts.iter().enumerate() {
        let retried = format!(
            "{comment} (try {} of {tries}: answered {}, sent again after {} ms)",
            number + 1,
            attempt.response.status,
            attempt.waited.as_millis()
        );
        entries.push(exchange_entry(
            exchange,
            Some(&attempt.response),
            page_id,
            clock,
            retried,
            None,
        ));
        clock.advance(attempt.waited);
    }
    let comment = if tries > 1 {
        format!("{comment} (try {tries} of {tries})")
    } else {
        comment
    };
    entries.push(exchange_entry(
        exchange,
        exchange.response.as_ref(),
        page_id,
        clock,
        comment,
        error,
    ));
    entries
}

fn exchange_entry(
    exchange: &Exchange,
    response: Option<&ResponseRecord>,
    page_id: &str,
    clock: &mut Clock,
    comment: String,
    error: Option<String>,
) -> Entry {
    let request_content_type = header(&exchange.request_headers, "content-type")
        .unwrap_or("application/scim+json")
        .to_string();
    let request = Request {
        method: exchange.method.clone(),
        url: exchange.url.clone(),
        http_version: HTTP_VERSION,
        cookies: Vec::new(),
        headers: name_values(&exchange.request_headers),
        query_string: query_string(&exchange.url),
        post_data: exchange.request_body.as_ref().map(|text| PostData {
            mime_type: request_content_type,
            text: text.clone(),
        }),
        headers_size: -1,
        body_size: exchange.request_body.as_ref().map_or(0, |b| b.len() as i64),
    };
    let started_date_time = clock.timestamp();
    let (response, wait) = match response {
        Some(record) => {
            let mime_type = header(&record.headers, "content-type")
                .unwrap_or_default()
                .to_string();
            (
                Response {
                    status: record.status,
                    status_text: status_text(record.status),
                    http_version: HTTP_VERSION,
                    cookies: Vec::new(),
                    headers: name_values(&record.headers),
                    content: Content {
                        size: record.body.len() as i64,
                        mime_type,
                        text: record.body.clone(),
                    },
                    redirect_url: header(&record.headers, "location")
                        .unwrap_or_default()
                        .to_string(),
                    headers_size: -1,
                    body_size: record.body.len() as i64,
                    error: None,
                },
                record.elapsed,
            )
        }
        // HAR has no "no response": status 0 is what browsers write for a failed request.
        None => (Response::none(error.clone()), Duration::ZERO),
    };
    clock.advance(wait);
    let millis = millis(wait);
    Entry {
        pageref: page_id.to_string(),
        started_date_time,
        time: millis,
        request,
        response,
        cache: Cache {},
        timings: Timings {
            send: 0.0,
            wait: millis,
            receive: 0.0,
        },
        comment,
    }
}

/// The cleanup requests carry only method, URL and status in the result model.
fn cleanup_entry(
    cleanup: &CleanupResult,
    page_id: &str,
    clock: &mut Clock,
    scenario: &str,
) -> Entry {
    let (response, comment) = match &cleanup.outcome {
        Ok(status) => (
            Response {
                status: *status,
                status_text: status_text(*status),
                ..Response::none(None)
            },
            format!("{scenario} cleanup"),
        ),
        Err(message) => (
            Response::none(Some(message.clone())),
            format!("{scenario} cleanup: {message}"),
        ),
    };
    Entry {
        pageref: page_id.to_string(),
        started_date_time: clock.timestamp(),
        time: 0.0,
        request: Request {
            method: cleanup.method.clone(),
            url: cleanup.url.clone(),
            http_version: HTTP_VERSION,
            cookies: Vec::new(),
            headers: Vec::new(),
            query_string: query_string(&cleanup.url),
            post_data: None,
            headers_size: -1,
            body_size: 0,
        },
        response,
        cache: Cache {},
        timings: Timings {
            send: 0.0,
            wait: 0.0,
            receive: 0.0,
        },
        comment,
    }
}

const HTTP_VERSION: &str = "HTTP/1.1";

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn name_values(headers: &[(String, String)]) -> Vec<NameValue> {
    headers
        .iter()
        .map(|(name, value)| NameValue {
            name: name.clone(),
            value: value.clone(),
        })
        .collect()
}

fn query_string(url: &str) -> Vec<NameValue> {
    url::Url::parse(url)
        .map(|parsed| {
            parsed
                .query_pairs()
                .map(|(name, value)| NameValue {
                    name: name.into_owned(),
                    value: value.into_owned(),
                })
                .collect()
        })
        .unwrap_or_default()
}

fn status_text(status: u16) -> String {
    http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or_default()
        .to_string()
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

#[derive(Serialize)]
struct Archive {
    log: Log,
}

#[derive(Serialize)]
struct Log {
    version: &'static str,
    creator: Creator,
    pages: Vec<Page>,
    entries: Vec<Entry>,
    comment: String,
}

#[derive(Serialize)]
struct Creator {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Page {
    started_date_time: String,
    id: String,
    title: String,
    page_timings: PageTimings,
}

/// No page loads happen here; HAR still requires the object.
#[derive(Serialize)]
struct PageTimings {}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Entry {
    pageref: String,
    started_date_time: String,
    time: f64,
    request: Request,
    response: Response,
    cache: Cache,
    timings: Timings,
    comment: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    method: String,
    url: String,
    http_version: &'static str,
    cookies: Vec<NameValue>,
    headers: Vec<NameValue>,
    query_string: Vec<NameValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    post_data: Option<PostData>,
    headers_size: i64,
    body_size: i64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PostData {
    mime_type: String,
    text: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Response {
    status: u16,
    status_text: String,
    http_version: &'static str,
    cookies: Vec<NameValue>,
    headers: Vec<NameValue>,
    content: Content,
    #[serde(rename = "redirectURL")]
    redirect_url: String,
    headers_size: i64,
    body_size: i64,
    /// Why no answer came (a custom field, as Chromium writes it).
    #[serde(rename = "_error", skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

impl Response {
    fn none(error: Option<String>) -> Response {
        Response {
            status: 0,
            status_text: String::new(),
            http_version: HTTP_VERSION,
            cookies: Vec::new(),
            headers: Vec::new(),
            content: Content {
                size: 0,
                mime_type: String::new(),
                text: String::new(),
            },
            redirect_url: String::new(),
            headers_size: -1,
            body_size: -1,
            error,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Content {
    size: i64,
    mime_type: String,
    text: String,
}

#[derive(Serialize)]
struct NameValue {
    name: String,
    value: String,
}

/// Nothing is cached; HAR still requires the object.
#[derive(Serialize)]
struct Cache {}

#[derive(Serialize)]
struct Timings {
    send: f64,
    wait: f64,
    receive: f64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::result::{Attempt, StepResult, TargetInfo};
    use crate::scenario::model::Location;
    use serde_json::Value;

    fn step(index: usize, exchange: Option<Exchange>, status: StepStatus) -> StepResult {
        StepResult {
            index,
            name: format!("step-{index}"),
            title: "a step".to_string(),
            location: Location {
                file: "scenarios/x.yaml".into(),
                line: 1,
                column: 1,
            },
            status,
            exchange,
            checks: Vec::new(),
            snapshot: None,
        }
    }

    fn sample() -> RunResult {
        let post = Exchange {
            method: "POST".to_string(),
            url: "http://127.0.0.1:1/scim/v2/Users".to_string(),
            request_headers: vec![
                ("Authorization".to_string(), "Bearer [redacted]".to_string()),
                (
                    "Content-Type".to_string(),
                    "application/scim+json; charset=utf-8".to_string(),
                ),
            ],
            request_body: Some(r#"{"userName":"a"}"#.to_string()),
            response: Some(ResponseRecord {
                status: 201,
                headers: vec![(
                    "content-type".to_string(),
                    "application/scim+json".to_string(),
                )],
                body: r#"{"id":"1"}"#.to_string(),
                elapsed: Duration::from_millis(12),
            }),
            earlier_attempts: Vec::new(),
        };
        let get = Exchange {
            method: "GET".to_string(),
            url: "http://127.0.0.1:1/scim/v2/Users?filter=userName+eq+%22a%22".to_string(),
            request_headers: Vec::new(),
            request_body: None,
            response: None,
            earlier_attempts: Vec::new(),
        };
        RunResult {
            target: TargetInfo {
                base_url: "http://127.0.0.1:1/scim/v2".to_string(),
                name: "reference".to_string(),
                embedded: true,
            },
            run_prefix: "scimh-1".to_string(),
            scenarios: vec![ScenarioResult {
                name: "core".to_string(),
                title: "Core".to_string(),
                source: "scenarios/core.yaml".to_string(),
                skipped: None,
                steps: vec![
                    step(1, Some(post), StepStatus::Completed),
                    step(
                        2,
                        Some(get),
                        StepStatus::Error {
                            message: "connection refused".to_string(),
                            unreachable: true,
                        },
                    ),
                    step(
                        3,
                        None,
                        StepStatus::Skipped {
                            reason: "no id".to_string(),
                        },
                    ),
                ],
                cleanup: vec![CleanupResult {
                    method: "DELETE".to_string(),
                    url: "http://127.0.0.1:1/scim/v2/Users/1".to_string(),
                    outcome: Ok(204),
                    removed: true,
                }],
                started_after: Duration::ZERO,
                duration: Duration::from_millis(20),
            }],
            duration: Duration::from_millis(30),
            interrupted: false,
        }
    }

    #[test]
    fn every_sent_request_and_the_cleanup_become_entries() {
        let text = render(&sample(), SystemTime::UNIX_EPOCH + Duration::from_secs(1)).unwrap();
        let har: Value = serde_json::from_str(&text).unwrap();
        let log = &har["log"];
        assert_eq!(log["version"], "1.2");
        assert_eq!(log["creator"]["name"], "scim-harness");
        assert_eq!(log["pages"][0]["id"], "core");
        let entries = log["entries"].as_array().unwrap();
        assert_eq!(
            entries.len(),
            3,
            "POST, the failed GET and the cleanup DELETE"
        );

        let post = &entries[0];
        assert_eq!(post["startedDateTime"], "1970-01-01T00:00:00.97Z");
        assert_eq!(post["time"], 12.0);
        assert_eq!(post["timings"]["wait"], 12.0);
        assert_eq!(
            post["request"]["postData"]["mimeType"],
            "application/scim+json; charset=utf-8"
        );
        assert_eq!(post["request"]["headers"][0]["value"], "Bearer [redacted]");
        assert_eq!(post["response"]["status"], 201);
        assert_eq!(post["response"]["statusText"], "Created");
        assert_eq!(post["response"]["content"]["text"], r#"{"id":"1"}"#);

        let get = &entries[1];
        assert_eq!(get["startedDateTime"], "1970-01-01T00:00:00.982Z");
        assert_eq!(get["request"]["queryString"][0]["name"], "filter");
        assert_eq!(
            get["request"]["queryString"][0]["value"],
            r#"userName eq "a""#
        );
        assert!(get["request"].get("postData").is_none());
        assert_eq!(get["response"]["status"], 0);
        assert_eq!(get["response"]["_error"], "connection refused");

        assert_eq!(entries[2]["request"]["method"], "DELETE");
        assert_eq!(entries[2]["response"]["status"], 204);
        assert_eq!(entries[2]["comment"], "core cleanup");
    }

    #[test]
    fn each_retried_answer_is_an_entry_of_its_own() {
        let mut result = sample();
        let post = result.scenarios[0].steps[0].exchange.as_mut().unwrap();
        let throttled = ResponseRecord {
            status: 429,
            headers: vec![("retry-after".to_string(), "1".to_string())],
            body: String::new(),
            elapsed: Duration::from_millis(2),
        };
        post.earlier_attempts = vec![
            Attempt {
                response: throttled.clone(),
                waited: Duration::from_millis(1000),
            },
            Attempt {
                response: throttled,
                waited: Duration::from_millis(1000),
            },
        ];
        let text = render(&result, SystemTime::UNIX_EPOCH + Duration::from_secs(3)).unwrap();
        let har: Value = serde_json::from_str(&text).unwrap();
        let entries = har["log"]["entries"].as_array().unwrap();
        assert_eq!(
            entries.len(),
            5,
            "two 429s, the POST's answer, the GET, the cleanup"
        );
        let statuses: Vec<&Value> = entries.iter().map(|e| &e["response"]["status"]).collect();
        assert_eq!(statuses, [429, 429, 201, 0, 204]);
        assert_eq!(entries[0]["response"]["headers"][0]["value"], "1");
        assert_eq!(
            entries[0]["comment"],
            "core step 1 step-1: a step (try 1 of 3: answered 429, sent again after 1000 ms)"
        );
        assert_eq!(
            entries[2]["comment"],
            "core step 1 step-1: a step (try 3 of 3)"
        );
        // Each try starts after the answer before it and the wait.
        assert_eq!(entries[0]["startedDateTime"], "1970-01-01T00:00:02.97Z");
        assert_eq!(entries[1]["startedDateTime"], "1970-01-01T00:00:03.972Z");
        assert_eq!(entries[2]["startedDateTime"], "1970-01-01T00:00:04.974Z");
    }

    #[test]
    fn scenarios_that_ran_at_the_same_time_start_at_their_own_offset() {
        let mut result = sample();
        let mut second = result.scenarios[0].clone();
        second.name = "second".to_string();
        second.started_after = Duration::from_millis(5);
        result.scenarios.push(second);
        let text = render(&result, SystemTime::UNIX_EPOCH + Duration::from_secs(1)).unwrap();
        let har: Value = serde_json::from_str(&text).unwrap();
        let log = &har["log"];
        assert_eq!(
            log["pages"][1]["startedDateTime"],
            "1970-01-01T00:00:00.975Z"
        );
        let entries = log["entries"].as_array().unwrap();
        assert_eq!(entries[3]["pageref"], "second");
        assert_eq!(entries[3]["startedDateTime"], "1970-01-01T00:00:00.975Z");
    }

    #[test]
    fn a_recording_keeps_each_exchanges_own_start_time() {
        let run = sample();
        let post = run.scenarios[0].steps[0].exchange.clone().unwrap();
        let at = |secs| SystemTime::UNIX_EPOCH + Duration::from_secs(secs);
        let exchanges = vec![
            TimedExchange {
                started: at(10),
                exchange: post.clone(),
                comment: "forwarded".to_string(),
            },
            TimedExchange {
                started: at(70),
                exchange: post,
                comment: "answered by the proxy: refused".to_string(),
            },
        ];
        let text = render_recording(&exchanges, "through the proxy", at(100)).unwrap();
        let har: Value = serde_json::from_str(&text).unwrap();
        let log = &har["log"];
        assert_eq!(log["version"], "1.2");
        assert_eq!(log["pages"][0]["startedDateTime"], "1970-01-01T00:00:10Z");
        assert_eq!(log["pages"][0]["title"], "through the proxy");
        let entries = log["entries"].as_array().unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[1]["startedDateTime"], "1970-01-01T00:01:10Z");
        assert_eq!(entries[1]["pageref"], "recording");
        assert_eq!(entries[1]["comment"], "answered by the proxy: refused");
        assert_eq!(entries[1]["response"]["status"], 201);

        let empty = render_recording(&[], "nothing yet", at(5)).unwrap();
        let har: Value = serde_json::from_str(&empty).unwrap();
        assert_eq!(har["log"]["entries"], serde_json::json!([]));
    }
}
