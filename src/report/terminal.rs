//! The human report: one line per step as it finishes, the reasons under each finding, snapshot
//! diffs, and a summary. Colour comes from `colored`, whose override the CLI sets from `--color`.

use std::io::{self, Write};
use std::path::Path;

use colored::{ColoredString, Colorize};

use crate::checks::excerpt;
use crate::exit;
use crate::gate::Verdict;
use crate::run::Listener;
use crate::run::result::{
    CheckResult, Exchange, Outcome, RunResult, ScenarioResult, SnapshotResult, StepResult,
    StepStatus, Tally,
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
            self.base_url
        );
        self.write(&text);
    }

    pub fn summary(&mut self, result: &RunResult, verdict: &Verdict, expect_file: Option<&Path>) {
        let t = result.tally();
        let text = summary_text(&t, result.duration.as_secs_f64());
        let verdict = verdict_text(verdict, expect_file);
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

    fn relative(&self, url: &str) -> String {
        url.strip_prefix(&self.base_url).unwrap_or(url).to_string()
    }

    fn step_text(&self, step: &StepResult) -> String {
        let mut text = String::new();
        let (label, line) = match &step.status {
            StepStatus::Skipped { reason } => (
                "SKIP".yellow().bold(),
                format!("{:>2} {}  {}", step.index, step.name, reason.yellow()),
            ),
            StepStatus::NotRun { reason } => (
                "-".dimmed(),
                format!("{:>2} {}  {}", step.index, step.name, reason.dimmed()),
            ),
            StepStatus::Error { message, .. } => (
                "ERROR".red().bold(),
                format!("{:>2} {}  {}", step.index, step.name, message.red()),
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
        if !findings.is_empty()
            && !self.verbose
            && let Some(response) = step.exchange.as_ref().and_then(|e| e.response.as_ref())
        {
            let body = if response.body.trim().is_empty() {
                "(no body)".to_string()
            } else {
                excerpt(&response.body, 200)
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
            scenario.name.bold(),
            scenario.title,
            format!("({})", scenario.source).dimmed()
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
            text.push_str(&format!("  {} {reason}\n", "SKIP".yellow().bold()));
        }
        for cleanup in &result.cleanup {
            let outcome = match &cleanup.outcome {
                Ok(status) => status.to_string(),
                Err(e) => e.clone(),
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
                    format!("{line}  LEFT BEHIND: remove it by hand").red()
                ));
            }
        }
        self.write(&text);
    }
}

fn step_label(step: &StepResult) -> ColoredString {
    let worst = step
        .checks
        .iter()
        .map(|c| c.outcome)
        .fold(Outcome::Pass, |worst, o| match (worst, o) {
            (Outcome::Fail, _) | (_, Outcome::Fail) => Outcome::Fail,
            (Outcome::Warn, _) | (_, Outcome::Warn) => Outcome::Warn,
            _ => Outcome::Pass,
        });
    let snapshot_finding = step
        .snapshot
        .as_ref()
        .is_some_and(SnapshotResult::is_finding);
    match worst {
        Outcome::Fail => "FAIL".red().bold(),
        _ if snapshot_finding => "DIFF".red().bold(),
        Outcome::Warn => "WARN".yellow().bold(),
        _ => "PASS".green().bold(),
    }
}

fn check_text(check: &CheckResult) -> String {
    let mark = match check.outcome {
        Outcome::Fail => "✗ fail".red().bold(),
        _ => "! warn".yellow().bold(),
    };
    let mut text = format!(
        "        {mark} {}: {} {}\n",
        check.id.bold(),
        check.title,
        format!("[{}]", check.requirement).dimmed()
    );
    for detail in &check.details {
        text.push_str(&format!("            {detail}\n"));
    }
    if let Some(impact) = &check.impact {
        text.push_str(&format!("            {} {impact}\n", "Entra:".bold()));
    }
    if let Some(hint) = &check.hint {
        text.push_str(&format!("            {} {hint}\n", "hint:".cyan()));
    }
    text.push_str(&format!(
        "            {}\n",
        format!("--> {}", check.defined_at).dimmed()
    ));
    text
}

fn snapshot_text(snapshot: &SnapshotResult) -> String {
    match snapshot {
        SnapshotResult::Matched { .. } => String::new(),
        SnapshotResult::Written { file } => {
            format!("        {} {file}\n", "snapshot written:".cyan())
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
            format!("        {what} {file}{review}\n")
        }
        SnapshotResult::Changed {
            file,
            diff,
            pending,
        } => {
            let mut text = format!("        {} {file}\n", "snapshot changed:".red().bold());
            for line in diff {
                text.push_str(&format!("          {}\n", diff_line(line)));
            }
            if let Some(pending) = pending {
                text.push_str(&format!(
                    "        {}\n",
                    format!(
                        "new version in {pending}: `scim-harness accept` if the change is right"
                    )
                    .dimmed()
                ));
            }
            text
        }
        SnapshotResult::Error { message } => {
            format!("        {} {message}\n", "snapshot error:".red().bold())
        }
    }
}

fn diff_line(line: &DiffLine) -> ColoredString {
    let text = line.text.trim_end_matches('\n');
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
        exchange.url
    );
    for (name, value) in &exchange.request_headers {
        text.push_str(&format!("        {} {name}: {value}\n", ">".dimmed()));
    }
    if let Some(body) = &exchange.request_body {
        for line in pretty(body).lines() {
            text.push_str(&format!("        {} {line}\n", ">".dimmed()));
        }
    }
    if let Some(response) = &exchange.response {
        text.push_str(&format!("        {} {}\n", "<".dimmed(), response.status));
        for (name, value) in &response.headers {
            text.push_str(&format!("        {} {name}: {value}\n", "<".dimmed()));
        }
        for line in pretty(&response.body).lines() {
            text.push_str(&format!("        {} {line}\n", "<".dimmed()));
        }
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
fn verdict_text(verdict: &Verdict, expect_file: Option<&Path>) -> String {
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
                "{} {key} no longer occurs: remove it from {file}\n",
                "resolved:".yellow().bold()
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
            "RUN TIMEOUT: the run took longer than --run-timeout {} s; it stopped and removed what it created (exit 3)",
            verdict.run_timeout.unwrap_or_default().as_secs()
        )
        .red(),
        exit::SUCCESS => {
            "PASSED: Entra's provisioning will work against this endpoint for what was tested (exit 0)"
                .green()
        }
        exit::COULD_NOT_RUN => "COULD NOT RUN: the target gave no answer at all (exit 3)".red(),
        exit::INTERRUPTED => {
            "INTERRUPTED: stopped early; what the run created was removed (exit 130)".yellow()
        }
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
        parts.push(format!("{} not sent (read-only)", t.steps_not_run));
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
    use super::*;

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
