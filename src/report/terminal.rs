//! The human report: one line per step as it finishes, the reasons under each finding, snapshot
//! diffs, and a summary. Colour comes from `colored`, whose override the CLI sets from `--color`.

use std::io::{self, Write};
use std::path::Path;

use colored::{ColoredString, Colorize};

use crate::checks::excerpt;
use crate::exit;
use crate::gate::Verdict;
use crate::report::{StepVerdict, cleanup_outcome, visible};
use crate::run::Listener;
use crate::run::result::{
    CheckResult, Exchange, Outcome, ResponseRecord, RunResult, ScenarioResult, SnapshotResult,
    StepResult, StepStatus, Tally,
};
use crate::scenario::model::Scenario;
use crate::snapshot::{DiffKind, DiffLine};

pub struct TerminalReporter<W: Write> {
    out: W,
    /// `-v`: every request and response in full.
    verbose: bool,
    base_url: String,
    /// Write errors are remembered, not fatal to the run: the result is still produced.
    failed_write: Option<io::Error>,
}

impl<W: Write> TerminalReporter<W> {
    pub fn new(out: W, verbose: bool, base_url: &str) -> Self {
        TerminalReporter {
            out,
            verbose,
            base_url: base_url.trim_end_matches('/').to_string(),
            failed_write: None,
        }
    }

    pub fn header(&mut self, run_prefix: &str, target_label: &str, baseline: Option<&str>) {
        let baselines = baseline.map_or("snapshots off".to_string(), |b| format!("baselines @{b}"));
        let text = format!(
            "{} {} ({target_label}) · {baselines} · run prefix {run_prefix}\n",
            "scim-harness →".bold(),
            visible(&self.base_url)
        );
        self.write(&text);
    }

    pub fn summary(&mut self, result: &RunResult, verdict: &Verdict, expect_file: Option<&Path>) {
        let t = result.tally();
        let text = summary_text(&t, result.duration.as_secs_f64());
        let verdict = verdict_text(verdict, expect_file, t.left_behind);
        self.write(&format!("\n{text}\n{verdict}\n"));
    }

    pub fn into_error(self) -> Option<io::Error> {
        self.failed_write
    }

    fn write(&mut self, text: &str) {
        if self.failed_write.is_some() {
            return;
        }
        if let Err(e) = self
            .out
            .write_all(text.as_bytes())
            .and_then(|_| self.out.flush())
        {
            self.failed_write = Some(e);
        }
    }

    /// The URL without the base URL, printable.
    fn relative(&self, url: &str) -> String {
        visible(url.strip_prefix(&self.base_url).unwrap_or(url)).into_owned()
    }

    fn step_text(&self, step: &StepResult) -> String {
        let mut text = String::new();
        let (label, line) = match &step.status {
            StepStatus::Skipped { reason } => (
                "SKIP".yellow().bold(),
                format!(
                    "{:>2} {}  {}",
                    step.index,
                    step.name,
                    visible(reason).yellow()
                ),
            ),
            StepStatus::NotRun { reason } => (
                "-".dimmed(),
                format!(
                    "{:>2} {}  {}",
                    step.index,
                    step.name,
                    visible(reason).dimmed()
                ),
            ),
            StepStatus::Error { message, .. } => (
                "ERROR".red().bold(),
                format!(
                    "{:>2} {}  {}",
                    step.index,
                    step.name,
                    visible(message).red()
                ),
            ),
            StepStatus::Completed => {
                let exchange = step.exchange.as_ref();
                let request = exchange
                    .map(|e| format!("{} {}", e.method, excerpt(&self.relative(&e.url), 70)))
                    .unwrap_or_default();
                let (status, millis) = exchange
                    .and_then(|e| e.response.as_ref())
                    .map(|r| (r.status.to_string(), r.elapsed.as_millis()))
                    .unwrap_or_default();
                (
                    step_label(step),
                    format!(
                        "{:>2} {:<28} {request} → {status} {}",
                        step.index,
                        step.name,
                        format!("{millis} ms").dimmed()
                    ),
                )
            }
        };
        text.push_str(&format!("  {label:<5} {line}\n"));
        if self.verbose
            && let Some(exchange) = &step.exchange
        {
            text.push_str(&exchange_text(exchange));
        }
        let findings: Vec<&CheckResult> = step
            .checks
            .iter()
            .filter(|c| matches!(c.outcome, Outcome::Fail | Outcome::Warn))
            .collect();
        for check in &findings {
            text.push_str(&check_text(check));
        }
        if StepVerdict::of(step) == StepVerdict::NotJudged {
            for check in step.checks.iter().filter(|c| c.outcome == Outcome::Skip) {
                text.push_str(&not_judged_text(check));
            }
        }
        if !findings.is_empty()
            && !self.verbose
            && let Some(response) = step.exchange.as_ref().and_then(|e| e.response.as_ref())
        {
            let body = if response.body.trim().is_empty() {
                "(no body)".to_string()
            } else {
                visible(&excerpt(&response.body, 200)).into_owned()
            };
            text.push_str(&format!(
                "        {} {} {}\n",
                "response:".dimmed(),
                response.status,
                body.dimmed()
            ));
        }
        if let Some(snapshot) = &step.snapshot {
            text.push_str(&snapshot_text(snapshot));
        }
        text
    }
}

impl<W: Write> Listener for TerminalReporter<W> {
    fn scenario_started(&mut self, scenario: &Scenario) {
        let text = format!(
            "\n{} — {} {}\n",
            visible(&scenario.name).bold(),
            visible(&scenario.title),
            format!("({})", visible(&scenario.source)).dimmed()
        );
        self.write(&text);
    }

    fn step_finished(&mut self, _scenario: &Scenario, step: &StepResult) {
        let text = self.step_text(step);
        self.write(&text);
    }

    fn scenario_finished(&mut self, result: &ScenarioResult) {
        let mut text = String::new();
        if let Some(reason) = &result.skipped {
            text.push_str(&format!(
                "  {} {}\n",
                "SKIP".yellow().bold(),
                visible(reason)
            ));
        }
        for cleanup in &result.cleanup {
            let outcome = match &cleanup.outcome {
                Ok(status) => status.to_string(),
                Err(e) => visible(e).into_owned(),
            };
            let line = format!(
                "  cleanup {} {} → {outcome}",
                cleanup.method,
                self.relative(&cleanup.url)
            );
            if cleanup.removed {
                text.push_str(&format!("{}\n", line.dimmed()));
            } else {
                text.push_str(&format!(
                    "{}\n",
                    format!("{line}  LEFT BEHIND: find it with `scim-harness cleanup --prefix`")
                        .red()
                ));
            }
        }
        self.write(&text);
    }
}

fn step_label(step: &StepResult) -> ColoredString {
    let verdict = StepVerdict::of(step);
    let label = verdict.label();
    match verdict {
        StepVerdict::Fail | StepVerdict::Diff | StepVerdict::Error => label.red().bold(),
        StepVerdict::Warn | StepVerdict::NotJudged | StepVerdict::Skipped => label.yellow().bold(),
        StepVerdict::Pass => label.green().bold(),
        StepVerdict::NotRun => label.dimmed(),
    }
}

fn check_text(check: &CheckResult) -> String {
    let mark = match check.outcome {
        Outcome::Fail => "✗ fail".red().bold(),
        _ => "! warn".yellow().bold(),
    };
    let mut text = format!(
        "        {mark} {}: {} {}\n",
        visible(&check.id).bold(),
        visible(&check.title),
        format!("[{}]", visible(&check.requirement)).dimmed()
    );
    for detail in &check.details {
        text.push_str(&format!("            {}\n", visible(detail)));
    }
    if let Some(impact) = &check.impact {
        text.push_str(&format!(
            "            {} {}\n",
            "Entra:".bold(),
            visible(impact)
        ));
    }
    if let Some(hint) = &check.hint {
        text.push_str(&format!(
            "            {} {}\n",
            "hint:".cyan(),
            visible(hint)
        ));
    }
    text.push_str(&format!(
        "            {}\n",
        format!("--> {}", visible(&check.defined_at)).dimmed()
    ));
    text
}

/// A check that could not be judged, in a step where nothing was: why, so the step's `NOT
/// JUDGED` is explained.
fn not_judged_text(check: &CheckResult) -> String {
    let mut text = format!(
        "        {} {}: {}\n",
        "? not judged".yellow().bold(),
        visible(&check.id).bold(),
        visible(&check.title)
    );
    for detail in &check.details {
        text.push_str(&format!("            {}\n", visible(detail)));
    }
    text
}

fn snapshot_text(snapshot: &SnapshotResult) -> String {
    match snapshot {
        SnapshotResult::Matched { .. } => String::new(),
        SnapshotResult::Written { file } => {
            format!("        {} {}\n", "snapshot written:".cyan(), visible(file))
        }
        SnapshotResult::New {
            file,
            pending,
            required,
        } => {
            let what = if *required {
                "snapshot missing (baselines are required here):"
                    .red()
                    .bold()
            } else {
                "new snapshot:".cyan()
            };
            let review = pending.as_ref().map_or(
                "; record it with `scim-harness run --update always`".to_string(),
                |p| format!("; pending {p} (review with `scim-harness pending`)"),
            );
            format!("        {what} {}{}\n", visible(file), visible(&review))
        }
        SnapshotResult::Changed {
            file,
            diff,
            pending,
        } => {
            let mut text = format!(
                "        {} {}\n",
                "snapshot changed:".red().bold(),
                visible(file)
            );
            for line in diff {
                text.push_str(&format!("          {}\n", diff_line(line)));
            }
            if let Some(pending) = pending {
                text.push_str(&format!(
                    "        {}\n",
                    format!(
                        "new version in {}: `scim-harness accept` if the change is right",
                        visible(pending)
                    )
                    .dimmed()
                ));
            }
            text
        }
        SnapshotResult::Error { message } => {
            format!(
                "        {} {}\n",
                "snapshot error:".red().bold(),
                visible(message)
            )
        }
    }
}

fn diff_line(line: &DiffLine) -> ColoredString {
    let text = visible(line.text.trim_end_matches('\n'));
    match line.kind {
        DiffKind::Hunk => text.cyan(),
        DiffKind::Removed => format!("-{text}").red(),
        DiffKind::Added => format!("+{text}").green(),
        DiffKind::Context => format!(" {text}").normal(),
    }
}

fn exchange_text(exchange: &Exchange) -> String {
    let mut text = format!(
        "        {} {} {}\n",
        ">".dimmed(),
        exchange.method,
        visible(&exchange.url)
    );
    for (name, value) in &exchange.request_headers {
        text.push_str(&format!(
            "        {} {}: {}\n",
            ">".dimmed(),
            visible(name),
            visible(value)
        ));
    }
    if let Some(body) = &exchange.request_body {
        for line in pretty(body).lines() {
            text.push_str(&format!("        {} {}\n", ">".dimmed(), visible(line)));
        }
    }
    for attempt in &exchange.earlier_attempts {
        text.push_str(&response_text(&attempt.response));
        text.push_str(&format!(
            "        {}\n",
            format!("(retried after {} ms)", attempt.waited.as_millis()).dimmed()
        ));
    }
    if let Some(response) = &exchange.response {
        text.push_str(&response_text(response));
    }
    text
}

fn response_text(response: &ResponseRecord) -> String {
    let mut text = format!("        {} {}\n", "<".dimmed(), response.status);
    for (name, value) in &response.headers {
        text.push_str(&format!(
            "        {} {}: {}\n",
            "<".dimmed(),
            visible(name),
            visible(value)
        ));
    }
    for line in pretty(&response.body).lines() {
        text.push_str(&format!("        {} {}\n", "<".dimmed(), visible(line)));
    }
    text
}

/// JSON pretty-printed; anything else as it came.
fn pretty(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| body.to_string())
}

/// How the run compares with `--expect`, then the one-line verdict with its exit code.
fn verdict_text(verdict: &Verdict, expect_file: Option<&Path>, left_behind: usize) -> String {
    let mut text = String::new();
    if let (Some(comparison), Some(file)) = (&verdict.comparison, expect_file) {
        let file = file.display();
        for key in &comparison.new {
            text.push_str(&format!(
                "{} {key} (not in {file})\n",
                "new finding:".red().bold()
            ));
        }
        for key in &comparison.resolved {
            text.push_str(&format!(
                "{} {} no longer occurs: remove it from {file}\n",
                "resolved:".yellow().bold(),
                visible(key)
            ));
        }
        for key in &comparison.not_run {
            text.push_str(&format!(
                "{}\n",
                format!(
                    "not run in this selection: {} (listed in {file})",
                    visible(key)
                )
                .dimmed()
            ));
        }
        if comparison.is_clean() && !verdict.findings.is_empty() {
            text.push_str(&format!(
                "{} known findings, exactly as listed in {file}\n",
                verdict.findings.len()
            ));
        }
    }
    let line = match verdict.code {
        _ if verdict.run_timeout.is_some() => format!(
            "RUN TIMEOUT: the run took longer than --run-timeout {} s and stopped; {} (exit 3)",
            verdict.run_timeout.unwrap_or_default().as_secs(),
            cleanup_outcome(left_behind)
        )
        .red(),
        exit::SUCCESS if !verdict.findings.is_empty() => {
            "PASSED (--expect): the only findings are the known ones listed; Entra's provisioning still fails where they say (exit 0)"
                .yellow()
        }
        exit::SUCCESS => {
            "PASSED: Entra's provisioning will work against this endpoint for what was tested (exit 0)"
                .green()
        }
        exit::USAGE => {
            "NOTHING JUDGED: every step was held back (see why above), so nothing was tested (exit 2)"
                .yellow()
        }
        exit::COULD_NOT_RUN => "COULD NOT RUN: the target gave no answer at all (exit 3)".red(),
        exit::INTERRUPTED => format!(
            "INTERRUPTED: stopped early; {} (exit 130)",
            cleanup_outcome(left_behind)
        )
        .yellow(),
        _ => "FINDINGS: see the failures above (exit 1)".red(),
    };
    text.push_str(&line.bold().to_string());
    text
}

pub fn summary_text(t: &Tally, seconds: f64) -> String {
    let mut parts = vec![counted(t.steps, "step", "steps")];
    if t.scenarios_skipped > 0 {
        parts.push(format!(
            "{} skipped",
            counted(t.scenarios_skipped, "scenario", "scenarios")
        ));
    }
    if t.steps_skipped > 0 {
        parts.push(format!("{} skipped", t.steps_skipped));
    }
    if t.steps_not_run > 0 {
        parts.push(format!("{} not sent", t.steps_not_run));
    }
    if t.steps_errored > 0 {
        parts.push(format!("{} without an answer", t.steps_errored));
    }
    let checks = t.checks_passed + t.checks_failed + t.checks_warned + t.checks_skipped;
    let mut check_parts = vec![format!("{} passed", t.checks_passed)];
    if t.checks_failed > 0 {
        check_parts.push(format!("{} failed", t.checks_failed));
    }
    if t.checks_warned > 0 {
        check_parts.push(counted(t.checks_warned, "warning", "warnings"));
    }
    if t.checks_skipped > 0 {
        check_parts.push(format!("{} not judged", t.checks_skipped));
    }
    parts.push(format!(
        "{}: {}",
        counted(checks, "check", "checks"),
        check_parts.join(", ")
    ));
    let snapshots = t.snapshots_matched + t.snapshots_changed + t.snapshots_new;
    if snapshots > 0 {
        let mut snap = vec![format!("{} matched", t.snapshots_matched)];
        if t.snapshots_changed > 0 {
            snap.push(format!("{} changed", t.snapshots_changed));
        }
        if t.snapshots_new > 0 {
            snap.push(format!("{} new", t.snapshots_new));
        }
        parts.push(format!("snapshots: {}", snap.join(", ")));
    }
    if t.left_behind > 0 {
        parts.push(format!(
            "{} left behind",
            counted(t.left_behind, "resource", "resources")
        ));
    }
    format!("{} · {seconds:.2} s", parts.join(" · "))
}

/// `1 step`, `2 steps`.
fn counted(n: usize, singular: &str, plural: &str) -> String {
    format!("{n} {}", if n == 1 { singular } else { plural })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::run::result::Attempt;
    use crate::scenario::model::Location;

    #[test]
    fn verbose_output_shows_each_retried_answer_with_control_characters_escaped() {
        let answer = |status, body: &str| ResponseRecord {
            status,
            headers: vec![("x-note".to_string(), "a\u{1b}[2Jb".to_string())],
            body: body.to_string(),
            elapsed: Duration::from_millis(1),
        };
        let step = StepResult {
            index: 1,
            name: "list".to_string(),
            title: String::new(),
            location: Location {
                file: "f.yaml".into(),
                line: 1,
                column: 1,
            },
            status: StepStatus::Completed,
            exchange: Some(Exchange {
                method: "GET".to_string(),
                url: "http://h/scim/Users".to_string(),
                request_headers: Vec::new(),
                request_body: None,
                response: Some(answer(200, "{}")),
                earlier_attempts: vec![Attempt {
                    response: answer(429, "slow\u{7}down"),
                    waited: Duration::from_secs(1),
                }],
            }),
            checks: Vec::new(),
            snapshot: None,
        };
        let text = TerminalReporter::new(Vec::new(), true, "http://h/scim").step_text(&step);
        let retried = text.find("429").unwrap();
        assert!(text[retried..].contains("slow\\u{7}down"), "{text}");
        assert!(text.contains("(retried after 1000 ms)"), "{text}");
        assert!(text.contains("x-note: a\\u{1b}[2Jb"), "{text}");
        assert!(!text.contains('\u{7}'), "{text}");
    }

    #[test]
    fn the_summary_counts_in_singular_and_plural() {
        let one = Tally {
            steps: 1,
            scenarios_skipped: 1,
            checks_passed: 0,
            checks_warned: 1,
            left_behind: 1,
            ..Tally::default()
        };
        assert_eq!(
            summary_text(&one, 0.5),
            "1 step · 1 scenario skipped · 1 check: 0 passed, 1 warning · 1 resource left behind · 0.50 s"
        );
        let many = Tally {
            steps: 2,
            checks_passed: 2,
            ..Tally::default()
        };
        assert_eq!(
            summary_text(&many, 1.0),
            "2 steps · 2 checks: 2 passed · 1.00 s"
        );
    }
}
