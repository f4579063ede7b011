//! What a run produced: plain data that every reporter formats. Nothing here knows about terminals.

use std::time::Duration;

use serde::Serialize;

use crate::scenario::model::{Location, Severity};
use crate::snapshot::DiffLine;

#[derive(Debug, Clone, Serialize)]
pub struct RunResult {
    pub target: TargetInfo,
    /// Every resource this run created carries this prefix.
    pub run_prefix: String,
    pub scenarios: Vec<ScenarioResult>,
    #[serde(serialize_with = "as_millis")]
    pub duration: Duration,
    /// Stopped early by Ctrl-C or SIGTERM (after removing what it had created).
    pub interrupted: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct TargetInfo {
    pub base_url: String,
    /// Which baseline set snapshots are compared against (`@<name>` in snapshot file names).
    pub name: String,
    /// True when the target is the embedded reference server.
    pub embedded: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScenarioResult {
    pub name: String,
    pub title: String,
    pub source: String,
    /// Why the scenario did not run: the target lacks a feature it requires.
    pub skipped: Option<String>,
    pub steps: Vec<StepResult>,
    /// The requests that undid what the scenario created, in the order they ran.
    pub cleanup: Vec<CleanupResult>,
    /// When it started, counted from the run's start: scenarios may run at the same time.
    #[serde(skip)]
    pub started_after: Duration,
    #[serde(serialize_with = "as_millis")]
    pub duration: Duration,
}

impl ScenarioResult {
    pub fn skipped(scenario: &crate::scenario::model::Scenario, reason: String) -> Self {
        ScenarioResult {
            name: scenario.name.clone(),
            title: scenario.title.clone(),
            source: scenario.source.to_string(),
            skipped: Some(reason),
            steps: Vec::new(),
            cleanup: Vec::new(),
            started_after: Duration::ZERO,
            duration: Duration::ZERO,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct StepResult {
    /// 1-based position in the scenario.
    pub index: usize,
    pub name: String,
    pub title: String,
    #[serde(serialize_with = "location_string")]
    pub location: Location,
    pub status: StepStatus,
    pub exchange: Option<Exchange>,
    pub checks: Vec<CheckResult>,
    pub snapshot: Option<SnapshotResult>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StepStatus {
    /// The request was sent and a response came back.
    Completed,
    /// Not sent: a variable it needs was never captured.
    Skipped { reason: String },
    /// Not sent on purpose (`--read-only`); not a finding.
    NotRun { reason: String },
    /// Sent, but no usable response came back (refused, timeout, TLS, oversized body).
    Error { message: String, unreachable: bool },
}

/// One request and its response as they went over the wire (the token is never stored here).
#[derive(Debug, Clone, Serialize)]
pub struct Exchange {
    pub method: String,
    pub url: String,
    pub request_headers: Vec<(String, String)>,
    pub request_body: Option<String>,
    pub response: Option<ResponseRecord>,
    /// The answers to the same request that came before `response`, oldest first: each a 429
    /// the harness waited out and sent the request again after. Empty when the first answer
    /// was kept.
    pub earlier_attempts: Vec<Attempt>,
}

/// An answer that was not kept: the request was sent again after it.
#[derive(Debug, Clone, Serialize)]
pub struct Attempt {
    pub response: ResponseRecord,
    /// How long the harness waited after this answer before sending again.
    #[serde(serialize_with = "as_millis")]
    pub waited: Duration,
}

#[derive(Debug, Clone, Serialize)]
pub struct ResponseRecord {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// The body as text (lossy UTF-8).
    pub body: String,
    #[serde(serialize_with = "as_millis")]
    pub elapsed: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Pass,
    Fail,
    Warn,
    Skip,
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckResult {
    pub id: String,
    pub title: String,
    pub requirement: String,
    pub severity: Severity,
    pub outcome: Outcome,
    /// Why it failed (or was skipped): one line per broken assertion.
    pub details: Vec<String>,
    /// What Entra does about it.
    pub impact: Option<String>,
    pub hint: Option<String>,
    /// Where the check is defined (a scenario line, or `built-in` for the harness's own checks).
    pub defined_at: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SnapshotResult {
    Matched {
        file: String,
    },
    Changed {
        file: String,
        diff: Vec<DiffLine>,
        pending: Option<String>,
    },
    New {
        file: String,
        pending: Option<String>,
        required: bool,
    },
    Written {
        file: String,
    },
    Error {
        message: String,
    },
}

impl SnapshotResult {
    pub fn is_finding(&self) -> bool {
        match self {
            SnapshotResult::Matched { .. } | SnapshotResult::Written { .. } => false,
            SnapshotResult::New { required, .. } => *required,
            SnapshotResult::Changed { .. } | SnapshotResult::Error { .. } => true,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct CleanupResult {
    pub method: String,
    pub url: String,
    /// The status the target answered, or why the request failed.
    pub outcome: Result<u16, String>,
    /// True when the resource is gone (2xx, or 404: already deleted).
    pub removed: bool,
}

/// Counts for the summary line and the exit code.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub scenarios_skipped: usize,
    pub steps: usize,
    pub steps_skipped: usize,
    pub steps_not_run: usize,
    pub steps_errored: usize,
    pub checks_passed: usize,
    pub checks_failed: usize,
    pub checks_warned: usize,
    pub checks_skipped: usize,
    pub snapshots_matched: usize,
    pub snapshots_changed: usize,
    pub snapshots_new: usize,
    pub snapshot_findings: usize,
    pub left_behind: usize,
    pub responses: usize,
    pub unreachable: usize,
}

impl RunResult {
    pub fn tally(&self) -> Tally {
        let mut t = Tally::default();
        for scenario in &self.scenarios {
            if scenario.skipped.is_some() {
                t.scenarios_skipped += 1;
            }
            for step in &scenario.steps {
                t.steps += 1;
                match &step.status {
                    StepStatus::Completed => t.responses += 1,
                    StepStatus::Skipped { .. } => t.steps_skipped += 1,
                    StepStatus::NotRun { .. } => t.steps_not_run += 1,
                    StepStatus::Error { unreachable, .. } => {
                        t.steps_errored += 1;
                        if *unreachable {
                            t.unreachable += 1;
                        }
                    }
                }
                for check in &step.checks {
                    match check.outcome {
                        Outcome::Pass => t.checks_passed += 1,
                        Outcome::Fail => t.checks_failed += 1,
                        Outcome::Warn => t.checks_warned += 1,
                        Outcome::Skip => t.checks_skipped += 1,
                    }
                }
                if let Some(snapshot) = &step.snapshot {
                    match snapshot {
                        SnapshotResult::Matched { .. } => t.snapshots_matched += 1,
                        SnapshotResult::Changed { .. } => t.snapshots_changed += 1,
                        SnapshotResult::New { .. } | SnapshotResult::Written { .. } => {
                            t.snapshots_new += 1
                        }
                        SnapshotResult::Error { .. } => {}
                    }
                    if snapshot.is_finding() {
                        t.snapshot_findings += 1;
                    }
                }
            }
            t.left_behind += scenario.cleanup.iter().filter(|c| !c.removed).count();
        }
        t
    }
}

impl Tally {
    /// Checks that came to a verdict (passed, failed or warned).
    pub fn checks_judged(&self) -> usize {
        self.checks_passed + self.checks_failed + self.checks_warned
    }

    /// Nothing answered at all: the target is unreachable, not wrong.
    pub fn could_not_run(&self) -> bool {
        self.responses == 0 && self.unreachable > 0
    }
}

fn as_millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_millis() as u64)
}

fn location_string<S: serde::Serializer>(l: &Location, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(l)
}
