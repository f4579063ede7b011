//! The CI gate's policy over a finished run: whether warnings fail the build (`--fail-on`), and
//! which findings are already known (`--expect FILE`), so a team can adopt the gate before fixing
//! everything and still notice any change either way.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::exit;
use crate::run::result::{Outcome, RunResult, StepStatus};

/// What makes a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FailOn {
    /// Failed checks, changed or missing snapshots, unanswered steps, resources left behind.
    #[default]
    Fail,
    /// All of those, and warnings too.
    Warn,
}

/// Every finding of a run, as stable keys: `scenario/step/check-id`, `scenario/step/snapshot`,
/// `scenario/step/no-answer`, `scenario/step/skipped`, `scenario/cleanup`.
pub fn findings(result: &RunResult, fail_on: FailOn) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    for scenario in &result.scenarios {
        for step in &scenario.steps {
            let prefix = format!("{}/{}", scenario.name, step.name);
            match step.status {
                StepStatus::Error { .. } => {
                    keys.insert(format!("{prefix}/no-answer"));
                }
                // A step that could not be sent tests nothing: a run that skips steps is not green.
                StepStatus::Skipped { .. } => {
                    keys.insert(format!("{prefix}/skipped"));
                }
                StepStatus::Completed | StepStatus::NotRun { .. } => {}
            }
            for check in &step.checks {
                let counts = match check.outcome {
                    Outcome::Fail => true,
                    Outcome::Warn => fail_on == FailOn::Warn,
                    Outcome::Pass | Outcome::Skip => false,
                };
                if counts {
                    keys.insert(format!("{prefix}/{}", check.id));
                }
            }
            if step.snapshot.as_ref().is_some_and(|s| s.is_finding()) {
                keys.insert(format!("{prefix}/snapshot"));
            }
        }
        if scenario.cleanup.iter().any(|c| !c.removed) {
            keys.insert(format!("{}/cleanup", scenario.name));
        }
    }
    keys
}

/// The exit code and why: the run's findings, judged against known ones when `--expect` is given.
#[derive(Debug, Clone)]
pub struct Verdict {
    pub code: u8,
    pub findings: BTreeSet<String>,
    pub comparison: Option<Comparison>,
    /// Set when `--run-timeout` stopped the run.
    pub run_timeout: Option<Duration>,
}

impl Verdict {
    pub fn of(
        result: &RunResult,
        fail_on: FailOn,
        expected: Option<&Expectations>,
        run_timeout: Option<Duration>,
    ) -> Self {
        let findings = findings(result, fail_on);
        let comparison = expected.map(|e| Comparison::of(&findings, e));
        let unexpected = comparison
            .as_ref()
            .map_or(!findings.is_empty(), |c| !c.is_clean());
        let code = if run_timeout.is_some() {
            exit::COULD_NOT_RUN
        } else if result.interrupted {
            exit::INTERRUPTED
        } else if result.tally().could_not_run() {
            exit::COULD_NOT_RUN
        } else if unexpected {
            exit::FINDINGS
        } else {
            exit::SUCCESS
        };
        Verdict {
            code,
            findings,
            comparison,
            run_timeout,
        }
    }
}

/// A committed list of known findings for one server.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Expectations {
    /// Finding keys, as `scim-harness run --format json` lists them under `findings`.
    #[serde(default)]
    pub findings: BTreeSet<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ExpectationsError {
    #[error("could not read the expectations file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: String, message: String },
}

impl Expectations {
    pub fn load(path: &Path) -> Result<Self, ExpectationsError> {
        let display = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ExpectationsError::Read {
            path: display.clone(),
            source,
        })?;
        serde_saphyr::from_str(&text).map_err(|e| ExpectationsError::Parse {
            path: display,
            message: e.to_string(),
        })
    }
}

/// How a run's findings compare with the known ones.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Comparison {
    /// Findings the expectations file does not list.
    pub new: Vec<String>,
    /// Listed findings that no longer occur: the server improved, update the file.
    pub resolved: Vec<String>,
}

impl Comparison {
    pub fn of(found: &BTreeSet<String>, expected: &Expectations) -> Self {
        Comparison {
            new: found.difference(&expected.findings).cloned().collect(),
            resolved: expected.findings.difference(found).cloned().collect(),
        }
    }

    pub fn is_clean(&self) -> bool {
        self.new.is_empty() && self.resolved.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comparison_reports_both_directions() {
        let found: BTreeSet<String> = ["a/b/new".to_string(), "a/b/known".to_string()].into();
        let expected = Expectations {
            findings: ["a/b/known".to_string(), "a/c/fixed".to_string()].into(),
        };
        let comparison = Comparison::of(&found, &expected);
        assert_eq!(comparison.new, vec!["a/b/new"]);
        assert_eq!(comparison.resolved, vec!["a/c/fixed"]);
        assert!(!comparison.is_clean());
    }

    #[test]
    fn expectations_file_rejects_unknown_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("known.yaml");
        std::fs::write(&path, "findngs: []\n").unwrap();
        let error = Expectations::load(&path).unwrap_err().to_string();
        assert!(error.contains("known.yaml"), "{error}");
        std::fs::write(
            &path,
            "findings:\n  - entra-core/create-user/create.created\n",
        )
        .unwrap();
        let loaded = Expectations::load(&path).unwrap();
        assert!(
            loaded
                .findings
                .contains("entra-core/create-user/create.created")
        );
    }
}
