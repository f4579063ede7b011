//! Reporting: formats a run's results; never talks to the target.

pub mod github;
pub mod har;
pub mod html;
pub mod json;
pub mod junit;
pub mod terminal;

use std::borrow::Cow;
use std::fmt::Write;

use serde::Serialize;

use crate::checks::BUILT_IN_IDS;
use crate::run::result::{Outcome, SnapshotResult, StepResult, StepStatus};

/// What a step amounts to, the same in every report: the terminal's label, the HTML badge and
/// the JSON report's `verdict`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepVerdict {
    Pass,
    Fail,
    /// The snapshot changed (or a required baseline is missing); no check failed.
    Diff,
    Warn,
    /// Answered, but none of the scenario's checks could be judged (e.g. a variable an earlier
    /// step failed to capture): passing the harness's own checks alone is not a pass.
    NotJudged,
    /// Not sent: a variable it needs was never captured.
    Skipped,
    /// Not sent on purpose (`--read-only`).
    NotRun,
    /// Sent, but no usable answer came back.
    Error,
}

impl StepVerdict {
    pub fn of(step: &StepResult) -> StepVerdict {
        match &step.status {
            StepStatus::Skipped { .. } => return StepVerdict::Skipped,
            StepStatus::NotRun { .. } => return StepVerdict::NotRun,
            StepStatus::Error { .. } => return StepVerdict::Error,
            StepStatus::Completed => {}
        }
        let has = |outcome| step.checks.iter().any(|c| c.outcome == outcome);
        let snapshot_finding = step
            .snapshot
            .as_ref()
            .is_some_and(SnapshotResult::is_finding);
        let mut scenario_checks = step
            .checks
            .iter()
            .filter(|c| !BUILT_IN_IDS.contains(&c.id.as_str()))
            .peekable();
        let nothing_judged =
            scenario_checks.peek().is_some() && scenario_checks.all(|c| c.outcome == Outcome::Skip);
        if has(Outcome::Fail) {
            StepVerdict::Fail
        } else if snapshot_finding {
            StepVerdict::Diff
        } else if has(Outcome::Warn) {
            StepVerdict::Warn
        } else if nothing_judged {
            StepVerdict::NotJudged
        } else {
            StepVerdict::Pass
        }
    }

    /// The upper-case label the terminal and HTML reports show.
    pub fn label(self) -> &'static str {
        match self {
            StepVerdict::Pass => "PASS",
            StepVerdict::Fail => "FAIL",
            StepVerdict::Diff => "DIFF",
            StepVerdict::Warn => "WARN",
            StepVerdict::NotJudged => "NOT JUDGED",
            StepVerdict::Skipped => "SKIP",
            StepVerdict::NotRun => "NOT RUN",
            StepVerdict::Error => "ERROR",
        }
    }
}

/// What the last line of a run that stopped early says about its cleanup: only a claim the
/// cleanup results back.
pub fn cleanup_outcome(left_behind: usize) -> String {
    match left_behind {
        0 => "what the run created was removed".to_string(),
        1 => "1 resource may remain (see the cleanup lines)".to_string(),
        n => format!("{n} resources may remain (see the cleanup lines)"),
    }
}

/// Text from the target (or a file) made safe to print to a terminal or a CI log: control
/// characters (C0 but tab, DEL, C1) and the bidirectional overrides and isolates become visible
/// `\u{1b}`-style escapes, so a response cannot recolour the output, move the cursor, set the
/// window title, forge a line of its own or hide text by reordering it. A newline is escaped
/// too: callers print multi-line text line by line.
pub fn visible(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if needs_escape(c) {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn needs_escape(c: char) -> bool {
    (c.is_control() && c != '\t') || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cleanup_claim_follows_what_was_left_behind() {
        assert_eq!(cleanup_outcome(0), "what the run created was removed");
        assert_eq!(
            cleanup_outcome(2),
            "2 resources may remain (see the cleanup lines)"
        );
    }
    use crate::run::result::CheckResult;
    use crate::scenario::model::{Location, Severity};

    fn check(id: &str, outcome: Outcome) -> CheckResult {
        CheckResult {
            id: id.to_string(),
            title: String::new(),
            requirement: String::new(),
            severity: Severity::Fail,
            outcome,
            details: Vec::new(),
            impact: None,
            hint: None,
            defined_at: String::new(),
        }
    }

    fn step(checks: Vec<CheckResult>) -> StepResult {
        StepResult {
            index: 1,
            name: "s".to_string(),
            title: String::new(),
            location: Location {
                file: "f.yaml".into(),
                line: 1,
                column: 1,
            },
            status: StepStatus::Completed,
            exchange: None,
            checks,
            snapshot: None,
        }
    }

    #[test]
    fn a_step_whose_own_checks_were_all_skipped_is_not_judged() {
        let built_in = || check("http.content-type", Outcome::Pass);
        let verdict = |checks| StepVerdict::of(&step(checks));
        assert_eq!(
            verdict(vec![check("match.finds-user", Outcome::Skip), built_in()]),
            StepVerdict::NotJudged
        );
        assert_eq!(
            verdict(vec![
                check("a", Outcome::Skip),
                check("b", Outcome::Pass),
                built_in()
            ]),
            StepVerdict::Pass,
            "one judged check is enough"
        );
        assert_eq!(verdict(vec![built_in()]), StepVerdict::Pass);
        assert_eq!(
            verdict(vec![
                check("a", Outcome::Skip),
                check("http.json-body", Outcome::Fail)
            ]),
            StepVerdict::Fail
        );
        assert_eq!(StepVerdict::NotJudged.label(), "NOT JUDGED");
    }

    #[test]
    fn control_characters_become_visible_escapes() {
        assert_eq!(
            visible("a\u{0}b\u{1b}[31mred\u{1b}]0;pwned\u{7}\u{7f}\u{9b}\r\nc\td"),
            "a\\u{0}b\\u{1b}[31mred\\u{1b}]0;pwned\\u{7}\\u{7f}\\u{9b}\\u{d}\\u{a}c\td"
        );
        assert_eq!(visible("abc\u{202e}txt.exe"), "abc\\u{202e}txt.exe");
        assert!(matches!(visible("plain é ✓ \u{fffe}"), Cow::Borrowed(_)));
    }
}
