//! `--html FILE`: one self-contained HTML page to attach to a ticket. The summary and findings
//! first, then every step with its verdict, the checks with reason, impact and hint, the
//! request and response, and snapshot diffs. No script, no external asset: the CSS is inline
//! and a Content-Security-Policy forbids loading anything, so the page renders the same offline.
//! Every piece of text from the run is escaped.

use std::fmt::Write;

use crate::exit;
use crate::gate::Verdict;
use crate::report::terminal::summary_text;
use crate::report::{StepVerdict, cleanup_outcome};
use crate::run::result::{
    CheckResult, CleanupResult, Exchange, Outcome, ResponseRecord, RunResult, ScenarioResult,
    SnapshotResult, StepResult, StepStatus,
};
use crate::snapshot::DiffKind;

pub fn render(result: &RunResult, run_verdict: &Verdict) -> String {
    let exit_code = run_verdict.code;
    let (verdict_class, verdict) = if exit_code == exit::SUCCESS && !run_verdict.findings.is_empty()
    {
        (
            "warn",
            "PASSED (--expect): the only findings are the known ones listed; Entra's provisioning still fails where they say".to_string(),
        )
    } else {
        verdict(exit_code, result.tally().left_behind)
    };
    let mut page = String::with_capacity(64 * 1024);
    page.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    page.push_str(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n",
    );
    page.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(
        page,
        "<meta name=\"generator\" content=\"{} {}\">",
        env!("CARGO_PKG_NAME"),
        env!("CARGO_PKG_VERSION")
    );
    let _ = writeln!(
        page,
        "<title>scim-harness: {} · {}</title>",
        escape(verdict_word(exit_code)),
        escape(&result.target.base_url)
    );
    let _ = writeln!(page, "<style>{STYLE}</style>\n</head>\n<body>");

    page.push_str("<header>\n<h1>scim-harness report</h1>\n");
    let _ = writeln!(
        page,
        "<p id=\"verdict\" class=\"verdict {verdict_class}\" data-exit-code=\"{exit_code}\">{}</p>",
        escape(&verdict)
    );
    page.push_str("<dl class=\"facts\">\n");
    let target_kind = if result.target.embedded {
        "the embedded reference server"
    } else {
        "target"
    };
    fact(
        &mut page,
        "Target",
        &format!("{} ({target_kind})", result.target.base_url),
    );
    fact(&mut page, "Baselines", &format!("@{}", result.target.name));
    fact(&mut page, "Run prefix", &result.run_prefix);
    fact(
        &mut page,
        "Duration",
        &format!("{:.2} s", result.duration.as_secs_f64()),
    );
    page.push_str("</dl>\n");
    let _ = writeln!(
        page,
        "<p id=\"summary\">{}</p>",
        escape(&summary_text(
            &result.tally(),
            result.duration.as_secs_f64()
        ))
    );
    if result.interrupted {
        page.push_str("<p class=\"interrupted\">Interrupted: the run stopped early; what it had created was removed.</p>\n");
    }
    page.push_str("</header>\n");

    findings(&mut page, result);
    page.push_str("<main>\n");
    for scenario in &result.scenarios {
        scenario_section(&mut page, scenario, &result.target.base_url);
    }
    page.push_str("</main>\n");
    let _ = writeln!(
        page,
        "<footer>Written by {} {}. The bearer token is never recorded.</footer>\n</body>\n</html>",
        env!("CARGO_PKG_NAME"),
        env!("CARGO_PKG_VERSION")
    );
    page
}

/// Text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters other than tab and newline are not allowed in HTML text.
            c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

fn verdict(exit_code: u8, left_behind: usize) -> (&'static str, String) {
    match exit_code {
        exit::SUCCESS => (
            "pass",
            "PASSED: Entra's provisioning will work against this endpoint for what was tested"
                .to_string(),
        ),
        exit::COULD_NOT_RUN => (
            "error",
            "COULD NOT RUN: the target gave no answer at all".to_string(),
        ),
        exit::USAGE => (
            "warn",
            "NOTHING JUDGED: every step was held back (see why above), so nothing was tested"
                .to_string(),
        ),
        exit::INTERRUPTED => (
            "warn",
            format!(
                "INTERRUPTED: stopped early; {}",
                cleanup_outcome(left_behind)
            ),
        ),
        _ => ("fail", "FINDINGS: see the failures below".to_string()),
    }
}

fn verdict_word(exit_code: u8) -> &'static str {
    match exit_code {
        exit::SUCCESS => "PASSED",
        exit::COULD_NOT_RUN => "COULD NOT RUN",
        exit::INTERRUPTED => "INTERRUPTED",
        _ => "FINDINGS",
    }
}

fn fact(page: &mut String, name: &str, value: &str) {
    let _ = writeln!(page, "<dt>{}</dt><dd>{}</dd>", escape(name), escape(value));
}

fn step_anchor(scenario: &ScenarioResult, step: &StepResult) -> String {
    format!("step-{}-{:02}", scenario.name, step.index)
}

/// The step's verdict as a CSS class and a label, as the terminal report shows it.
fn step_verdict(step: &StepResult) -> (&'static str, &'static str) {
    let verdict = StepVerdict::of(step);
    let class = match verdict {
        StepVerdict::Pass => "pass",
        StepVerdict::Fail | StepVerdict::Diff => "fail",
        StepVerdict::Warn => "warn",
        StepVerdict::NotJudged => "not-judged",
        StepVerdict::Skipped => "skip",
        StepVerdict::NotRun => "not-run",
        StepVerdict::Error => "error",
    };
    (class, verdict.label())
}

/// A linked list of everything that needs attention, before the details.
fn findings(page: &mut String, result: &RunResult) {
    let mut items = Vec::new();
    for scenario in &result.scenarios {
        for step in &scenario.steps {
            let anchor = step_anchor(scenario, step);
            let place = format!("{} / {} {}", scenario.name, step.index, step.name);
            if let StepStatus::Error { message, .. } = &step.status {
                items.push((anchor.clone(), "error", place.clone(), message.clone()));
            }
            for check in &step.checks {
                let class = match check.outcome {
                    Outcome::Fail => "fail",
                    Outcome::Warn => "warn",
                    Outcome::Pass | Outcome::Skip => continue,
                };
                items.push((
                    anchor.clone(),
                    class,
                    place.clone(),
                    format!("{}: {}", check.id, check.title),
                ));
            }
            if let Some(snapshot) = step.snapshot.as_ref().filter(|s| s.is_finding()) {
                items.push((
                    anchor.clone(),
                    "fail",
                    place.clone(),
                    snapshot_headline(snapshot),
                ));
            }
        }
        for cleanup in scenario.cleanup.iter().filter(|c| !c.removed) {
            items.push((
                format!("scenario-{}", scenario.name),
                "fail",
                format!("{} cleanup", scenario.name),
                format!("{} {} was left behind", cleanup.method, cleanup.url),
            ));
        }
    }
    let _ = writeln!(
        page,
        "<nav id=\"findings\">\n<h2>Findings ({})</h2>",
        items.len()
    );
    if items.is_empty() {
        page.push_str("<p>None: every check passed and every snapshot matched.</p>\n");
    } else {
        page.push_str("<ul>\n");
        for (anchor, class, place, text) in items {
            let _ = writeln!(
                page,
                "<li class=\"finding {class}\"><a href=\"#{}\">{}</a>: {}</li>",
                escape(&anchor),
                escape(&place),
                escape(&text)
            );
        }
        page.push_str("</ul>\n");
    }
    page.push_str("</nav>\n");
}

fn scenario_section(page: &mut String, scenario: &ScenarioResult, base_url: &str) {
    let _ = writeln!(
        page,
        "<section class=\"scenario\" id=\"scenario-{}\" data-scenario=\"{}\">",
        escape(&scenario.name),
        escape(&scenario.name)
    );
    let _ = writeln!(
        page,
        "<h2>{} <span class=\"scenario-title\">{}</span></h2>\n<p class=\"source\">{} · {:.2} s</p>",
        escape(&scenario.name),
        escape(&scenario.title),
        escape(&scenario.source),
        scenario.duration.as_secs_f64()
    );
    if let Some(reason) = &scenario.skipped {
        let _ = writeln!(page, "<p class=\"skipped\">Skipped: {}</p>", escape(reason));
    }
    for step in &scenario.steps {
        step_details(page, scenario, step, base_url);
    }
    if !scenario.cleanup.is_empty() {
        cleanup_list(page, &scenario.cleanup);
    }
    page.push_str("</section>\n");
}

fn step_details(page: &mut String, scenario: &ScenarioResult, step: &StepResult, base_url: &str) {
    let (class, label) = step_verdict(step);
    // Steps that need attention start open; passing ones are one click away.
    let open = if matches!(class, "fail" | "warn" | "error" | "not-judged") {
        " open"
    } else {
        ""
    };
    let _ = writeln!(
        page,
        "<details class=\"step {class}\" id=\"{}\" data-step=\"{}\" data-verdict=\"{class}\"{open}>",
        escape(&step_anchor(scenario, step)),
        escape(&step.name)
    );
    let request_line = step
        .exchange
        .as_ref()
        .map(|e| {
            let path = e.url.strip_prefix(base_url).unwrap_or(&e.url);
            let answer = e
                .response
                .as_ref()
                .map(|r| format!(" → {} · {} ms", r.status, r.elapsed.as_millis()))
                .unwrap_or_default();
            format!("{} {path}{answer}", e.method)
        })
        .unwrap_or_default();
    let _ = writeln!(
        page,
        "<summary><span class=\"badge {class}\">{label}</span> <span class=\"index\">{}</span> <span class=\"name\">{}</span> <span class=\"title\">{}</span> <code class=\"line\">{}</code></summary>",
        step.index,
        escape(&step.name),
        escape(&step.title),
        escape(&request_line)
    );
    let _ = writeln!(
        page,
        "<p class=\"location\">defined at {}</p>",
        escape(&step.location.to_string())
    );
    match &step.status {
        StepStatus::Skipped { reason } => {
            let _ = writeln!(
                page,
                "<p class=\"status skip\">Not sent: {}</p>",
                escape(reason)
            );
        }
        StepStatus::NotRun { reason } => {
            let _ = writeln!(
                page,
                "<p class=\"status not-run\">Not run: {}</p>",
                escape(reason)
            );
        }
        StepStatus::Error { message, .. } => {
            let _ = writeln!(
                page,
                "<p class=\"status error\">No answer: {}</p>",
                escape(message)
            );
        }
        StepStatus::Completed => {}
    }
    if !step.checks.is_empty() {
        page.push_str("<ul class=\"checks\">\n");
        for check in &step.checks {
            check_item(page, check);
        }
        page.push_str("</ul>\n");
    }
    if let Some(exchange) = &step.exchange {
        exchange_block(page, exchange);
    }
    if let Some(snapshot) = &step.snapshot {
        snapshot_block(page, snapshot);
    }
    page.push_str("</details>\n");
}

fn check_item(page: &mut String, check: &CheckResult) {
    let class = match check.outcome {
        Outcome::Pass => "pass",
        Outcome::Fail => "fail",
        Outcome::Warn => "warn",
        Outcome::Skip => "skip",
    };
    let _ = writeln!(
        page,
        "<li class=\"check {class}\" data-check=\"{}\" data-outcome=\"{class}\"><span class=\"badge {class}\">{class}</span> <code>{}</code> {} <span class=\"requirement\">[{}]</span>",
        escape(&check.id),
        escape(&check.id),
        escape(&check.title),
        escape(&check.requirement)
    );
    if check.outcome != Outcome::Pass {
        if !check.details.is_empty() {
            page.push_str("<ul class=\"details\">\n");
            for detail in &check.details {
                let _ = writeln!(page, "<li>{}</li>", escape(detail));
            }
            page.push_str("</ul>\n");
        }
        if let Some(impact) = &check.impact {
            let _ = writeln!(
                page,
                "<p class=\"impact\"><strong>What Entra does:</strong> {}</p>",
                escape(impact)
            );
        }
        if let Some(hint) = &check.hint {
            let _ = writeln!(
                page,
                "<p class=\"hint\"><strong>Hint:</strong> {}</p>",
                escape(hint)
            );
        }
        let _ = writeln!(
            page,
            "<p class=\"defined\">defined at {}</p>",
            escape(&check.defined_at)
        );
    }
    page.push_str("</li>\n");
}

fn exchange_block(page: &mut String, exchange: &Exchange) {
    let mut request = format!("{} {}\n", exchange.method, exchange.url);
    for (name, value) in &exchange.request_headers {
        let _ = writeln!(request, "{name}: {value}");
    }
    if let Some(body) = &exchange.request_body {
        let _ = write!(request, "\n{}", pretty(body));
    }
    page.push_str("<div class=\"exchange\">\n<h3>Request</h3>\n");
    let _ = writeln!(page, "<pre class=\"request\">{}</pre>", escape(&request));
    let tries = exchange.earlier_attempts.len() + 1;
    for (number, attempt) in exchange.earlier_attempts.iter().enumerate() {
        let _ = writeln!(
            page,
            "<h3>Response to try {} of {tries}, sent again after {} ms</h3>",
            number + 1,
            attempt.waited.as_millis()
        );
        response_block(page, &attempt.response);
    }
    page.push_str("<h3>Response</h3>\n");
    match &exchange.response {
        Some(response) => response_block(page, response),
        None => page.push_str("<p class=\"status error\">No response.</p>\n"),
    }
    page.push_str("</div>\n");
}

fn response_block(page: &mut String, response: &ResponseRecord) {
    let reason = http::StatusCode::from_u16(response.status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or_default();
    let mut text = format!("{} {reason}\n", response.status);
    for (name, value) in &response.headers {
        let _ = writeln!(text, "{name}: {value}");
    }
    if !response.body.is_empty() {
        let _ = write!(text, "\n{}", pretty(&response.body));
    }
    let _ = writeln!(page, "<pre class=\"response\">{}</pre>", escape(&text));
}

fn snapshot_headline(snapshot: &SnapshotResult) -> String {
    match snapshot {
        SnapshotResult::Matched { file } => format!("snapshot {file} matched"),
        SnapshotResult::Written { file } => format!("snapshot {file} written"),
        SnapshotResult::Changed { file, .. } => format!("snapshot {file} changed"),
        SnapshotResult::New {
            file,
            required: true,
            ..
        } => format!("snapshot {file} has no baseline (baselines are required here)"),
        SnapshotResult::New { file, .. } => format!("new snapshot {file}"),
        SnapshotResult::Error { message } => format!("snapshot error: {message}"),
    }
}

fn snapshot_block(page: &mut String, snapshot: &SnapshotResult) {
    let class = if snapshot.is_finding() {
        "fail"
    } else {
        "pass"
    };
    let _ = writeln!(
        page,
        "<div class=\"snapshot {class}\">\n<h3>{}</h3>",
        escape(&snapshot_headline(snapshot))
    );
    match snapshot {
        SnapshotResult::Changed { diff, pending, .. } => {
            page.push_str("<pre class=\"diff\">");
            for line in diff {
                let (class, sign) = match line.kind {
                    DiffKind::Hunk => ("hunk", ""),
                    DiffKind::Removed => ("del", "-"),
                    DiffKind::Added => ("add", "+"),
                    DiffKind::Context => ("ctx", " "),
                };
                let _ = writeln!(
                    page,
                    "<span class=\"{class}\">{}</span>",
                    escape(&format!("{sign}{}", line.text))
                );
            }
            page.push_str("</pre>\n");
            if let Some(pending) = pending {
                let _ = writeln!(
                    page,
                    "<p>New version in {}: <code>scim-harness accept</code> if the change is right.</p>",
                    escape(pending)
                );
            }
        }
        SnapshotResult::New {
            pending: Some(pending),
            ..
        } => {
            let _ = writeln!(
                page,
                "<p>Pending in {}: review it with <code>scim-harness pending</code>.</p>",
                escape(pending)
            );
        }
        _ => {}
    }
    page.push_str("</div>\n");
}

fn cleanup_list(page: &mut String, cleanup: &[CleanupResult]) {
    page.push_str("<div class=\"cleanup\">\n<h3>Cleanup</h3>\n<ul>\n");
    for item in cleanup {
        let outcome = match &item.outcome {
            Ok(status) => status.to_string(),
            Err(message) => message.clone(),
        };
        let (class, note) = if item.removed {
            ("removed", "")
        } else {
            (
                "left-behind",
                " · LEFT BEHIND: find it with scim-harness cleanup --prefix",
            )
        };
        let _ = writeln!(
            page,
            "<li class=\"{class}\">{}</li>",
            escape(&format!("{} {} → {outcome}{note}", item.method, item.url))
        );
    }
    page.push_str("</ul>\n</div>\n");
}

/// JSON pretty-printed; anything else as it came.
fn pretty(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| body.to_string())
}

const STYLE: &str = r#"
:root { color-scheme: light dark; --fg: #1b1f24; --bg: #fff; --muted: #5b636e; --line: #d6dae0;
  --pass: #1a7f37; --fail: #cf222e; --warn: #9a6700; --skip: #6e7781; --code: #f4f6f8; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --bg: #0d1117; --muted: #9198a1;
  --line: #30363d; --pass: #3fb950; --fail: #f85149; --warn: #d29922; --skip: #9198a1; --code: #161b22; } }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg);
  background: var(--bg); margin: 0 auto; padding: 1.5rem; max-width: 72rem; }
h1 { font-size: 1.5rem; margin: 0 0 .5rem; } h2 { font-size: 1.2rem; margin: 1.5rem 0 .25rem; }
h3 { font-size: .95rem; margin: .75rem 0 .25rem; color: var(--muted); }
.verdict { font-weight: 700; padding: .5rem .75rem; border-radius: 6px; border: 2px solid; }
.verdict.pass { color: var(--pass); } .verdict.fail, .verdict.error { color: var(--fail); }
.verdict.warn { color: var(--warn); }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: .1rem 1rem; margin: .75rem 0; }
.facts dt { color: var(--muted); } .facts dd { margin: 0; overflow-wrap: anywhere; }
#summary, .source, .location, .defined, .requirement, .scenario-title { color: var(--muted); }
.finding.fail a, .check.fail > code { color: var(--fail); } .finding.warn a { color: var(--warn); }
details.step { border: 1px solid var(--line); border-left: 4px solid var(--skip); border-radius: 6px;
  margin: .4rem 0; padding: .3rem .75rem; }
details.step.pass { border-left-color: var(--pass); } details.step.fail, details.step.error { border-left-color: var(--fail); }
details.step.warn, details.step.not-judged { border-left-color: var(--warn); }
summary { cursor: pointer; } summary .name { font-weight: 600; } summary .line { margin-left: .5rem; }
.badge { display: inline-block; min-width: 3.2rem; text-align: center; font: 700 .75rem/1.6 ui-monospace, monospace;
  border-radius: 4px; color: #fff; background: var(--skip); text-transform: uppercase; }
.badge.pass { background: var(--pass); } .badge.fail, .badge.error { background: var(--fail); }
.badge.warn, .badge.not-judged { background: var(--warn); }
.checks { list-style: none; padding-left: 0; } .checks > li { margin: .35rem 0; }
.details { margin: .2rem 0; } .impact, .hint, .defined { margin: .15rem 0 .15rem 1.5rem; }
pre { background: var(--code); border: 1px solid var(--line); border-radius: 6px; padding: .6rem;
  overflow-x: auto; white-space: pre-wrap; overflow-wrap: anywhere; font: 13px/1.4 ui-monospace, Menlo, Consolas, monospace; }
.diff .del { color: var(--fail); } .diff .add { color: var(--pass); } .diff .hunk { color: var(--muted); }
.status.error, .left-behind { color: var(--fail); } .status.skip, .skipped { color: var(--warn); }
footer { margin-top: 2rem; color: var(--muted); font-size: .85rem; }
@media print { details.step { break-inside: avoid; } }
"#;

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::run::result::{ResponseRecord, TargetInfo};
    use crate::scenario::model::{Location, Severity};
    use crate::snapshot::DiffLine;

    fn verdict_of(code: u8) -> Verdict {
        Verdict {
            code,
            findings: Default::default(),
            comparison: None,
            run_timeout: None,
        }
    }

    fn sample() -> RunResult {
        let failing = CheckResult {
            id: "deprovision.legacy-accepted".to_string(),
            title: "PATCH with \"op\":\"Replace\" is accepted".to_string(),
            requirement: "R11".to_string(),
            severity: Severity::Fail,
            outcome: Outcome::Fail,
            details: vec!["expected status 200 or 204, got 400".to_string()],
            impact: Some("Users keep access <always>.".to_string()),
            hint: Some("Accept \"False\" & \"True\".".to_string()),
            defined_at: "scenarios/entra-core.yaml:40:9".to_string(),
        };
        let passing = CheckResult {
            outcome: Outcome::Pass,
            id: "http.content-type".to_string(),
            ..failing.clone()
        };
        let step = StepResult {
            index: 3,
            name: "disable".to_string(),
            title: "Entra disables <the user>".to_string(),
            location: Location {
                file: "scenarios/entra-core.yaml".into(),
                line: 30,
                column: 5,
            },
            status: StepStatus::Completed,
            exchange: Some(Exchange {
                method: "PATCH".to_string(),
                url: "http://127.0.0.1:9/scim/v2/Users/1".to_string(),
                request_headers: vec![(
                    "Authorization".to_string(),
                    "Bearer [redacted]".to_string(),
                )],
                request_body: Some(
                    r#"{"Operations":[{"op":"Replace","path":"active","value":"False"}]}"#
                        .to_string(),
                ),
                response: Some(ResponseRecord {
                    status: 400,
                    headers: vec![("content-type".to_string(), "text/html".to_string())],
                    body: "<script>alert('x')</script>".to_string(),
                    elapsed: Duration::from_millis(7),
                }),
                earlier_attempts: Vec::new(),
            }),
            checks: vec![passing, failing],
            snapshot: Some(SnapshotResult::Changed {
                file: "snapshots/entra-core__03_disable@reference.snap".to_string(),
                diff: vec![
                    DiffLine {
                        kind: DiffKind::Hunk,
                        text: "@@ -1,3 +1,3 @@".to_string(),
                    },
                    DiffLine {
                        kind: DiffKind::Removed,
                        text: r#"  "active": false,"#.to_string(),
                    },
                    DiffLine {
                        kind: DiffKind::Added,
                        text: r#"  "active": "<b>",,"#.to_string(),
                    },
                ],
                pending: None,
            }),
        };
        RunResult {
            target: TargetInfo {
                base_url: "http://127.0.0.1:9/scim/v2".to_string(),
                name: "reference".to_string(),
                embedded: true,
            },
            run_prefix: "scimh-1".to_string(),
            scenarios: vec![ScenarioResult {
                name: "entra-core".to_string(),
                title: "Core".to_string(),
                source: "scenarios/entra-core.yaml".to_string(),
                skipped: None,
                steps: vec![step],
                cleanup: vec![CleanupResult {
                    method: "DELETE".to_string(),
                    url: "http://127.0.0.1:9/scim/v2/Users/1".to_string(),
                    outcome: Err("connection refused".to_string()),
                    removed: false,
                }],
                started_after: Duration::ZERO,
                duration: Duration::from_millis(20),
            }],
            duration: Duration::from_millis(25),
            interrupted: false,
        }
    }

    #[test]
    fn everything_from_the_run_is_escaped_and_nothing_is_loaded() {
        let html = render(&sample(), &verdict_of(exit::FINDINGS));
        assert!(!html.contains("<script"), "{html}");
        assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
        assert!(html.contains("Entra disables &lt;the user&gt;"));
        assert!(html.contains("Accept &quot;False&quot; &amp; &quot;True&quot;."));
        assert!(html.contains("&quot;active&quot;: &quot;&lt;b&gt;&quot;,,"));
        for external in ["<link", " src=", "href=\"http", "url(", "@import"] {
            assert!(!html.contains(external), "{external} in the page");
        }
        assert!(html.contains("default-src 'none'"));
    }

    #[test]
    fn summary_findings_and_step_details() {
        let html = render(&sample(), &verdict_of(exit::FINDINGS));
        assert!(
            html.contains("<p id=\"verdict\" class=\"verdict fail\" data-exit-code=\"1\">FINDINGS")
        );
        assert!(html.contains("<h2>Findings (3)</h2>"), "{html}");
        assert!(html.contains(
            "<a href=\"#step-entra-core-03\">entra-core / 3 disable</a>: deprovision.legacy-accepted"
        ));
        assert!(html.contains(
            "<details class=\"step fail\" id=\"step-entra-core-03\" data-step=\"disable\" data-verdict=\"fail\" open>"
        ));
        assert!(html.contains("PATCH /Users/1 → 400 · 7 ms"));
        assert!(
            html.contains("<strong>What Entra does:</strong> Users keep access &lt;always&gt;.")
        );
        assert!(
            html.contains("&quot;value&quot;: &quot;False&quot;"),
            "request bodies are pretty-printed"
        );
        assert!(html.contains("<span class=\"del\">-  &quot;active&quot;: false,</span>"));
        assert!(html.contains("LEFT BEHIND"));
        let passing = html.find("data-check=\"http.content-type\"").unwrap();
        let failing = html
            .find("data-check=\"deprovision.legacy-accepted\"")
            .unwrap();
        assert!(
            !html[passing..failing].contains("What Entra does"),
            "passing checks stay one line"
        );
    }

    #[test]
    fn retried_answers_are_shown_before_the_kept_one() {
        let mut result = sample();
        let exchange = result.scenarios[0].steps[0].exchange.as_mut().unwrap();
        exchange.earlier_attempts = vec![crate::run::result::Attempt {
            response: ResponseRecord {
                status: 429,
                headers: vec![("retry-after".to_string(), "2".to_string())],
                body: "slow <down>".to_string(),
                elapsed: Duration::from_millis(1),
            },
            waited: Duration::from_secs(2),
        }];
        let html = render(&result, &verdict_of(exit::FINDINGS));
        let retried = html
            .find("<h3>Response to try 1 of 2, sent again after 2000 ms</h3>")
            .unwrap();
        let kept = html.find("<h3>Response</h3>").unwrap();
        assert!(retried < kept);
        assert!(
            html[retried..kept]
                .contains("429 Too Many Requests\nretry-after: 2\n\nslow &lt;down&gt;")
        );
    }

    #[test]
    fn known_findings_pass_without_claiming_a_clean_run() {
        let mut verdict = verdict_of(exit::SUCCESS);
        verdict
            .findings
            .insert("entra-core/disable/deprovision.legacy-accepted".to_string());
        let html = render(&sample(), &verdict);
        assert!(html.contains(
            "class=\"verdict warn\" data-exit-code=\"0\">PASSED (--expect): the only findings are the known ones listed"
        ));
    }

    #[test]
    fn a_clean_run_says_so() {
        let mut result = sample();
        result.scenarios[0].steps.clear();
        result.scenarios[0].cleanup.clear();
        let html = render(&result, &verdict_of(exit::SUCCESS));
        assert!(html.contains("class=\"verdict pass\""));
        assert!(html.contains("<h2>Findings (0)</h2>\n<p>None"));
    }
}
