//! The CI gate's policy over a finished run: whether warnings fail the build (`--fail-on`), and
//! which findings are already known (`--expect FILE`), so a team can adopt the gate before fixing
//! everything and still notice any change either way.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;

use crate::exit;
use crate::run::result::{Outcome, RunResult, StepStatus};
use crate::scenario::error::ScenarioError;
use crate::scenario::load::{MAX_FILE_BYTES, display_path, location_in, parse_yaml};
use crate::scenario::model::Scenario;

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

/// The last part of a step's finding key when it is not a check id.
const NO_ANSWER: &str = "no-answer";
const SKIPPED: &str = "skipped";
const SNAPSHOT: &str = "snapshot";
/// The second part of a scenario's key for what its cleanup left behind.
const CLEANUP: &str = "cleanup";

/// Every finding of a run, as stable keys: `scenario/step/check-id`, `scenario/step/snapshot`,
/// `scenario/step/no-answer`, `scenario/step/skipped`, `scenario/cleanup`.
pub fn findings(result: &RunResult, fail_on: FailOn) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    for scenario in &result.scenarios {
        for step in &scenario.steps {
            let prefix = format!("{}/{}", scenario.name, step.name);
            match step.status {
                StepStatus::Error { .. } => {
                    keys.insert(format!("{prefix}/{NO_ANSWER}"));
                }
                // A step that could not be sent tests nothing: a run that skips steps is not green.
                StepStatus::Skipped { .. } => {
                    keys.insert(format!("{prefix}/{SKIPPED}"));
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
                keys.insert(format!("{prefix}/{SNAPSHOT}"));
            }
        }
        if scenario.cleanup.iter().any(|c| !c.removed) {
            keys.insert(format!("{}/{CLEANUP}", scenario.name));
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
        let comparison = expected.map(|e| Comparison::of(&findings, e, &judged(result)));
        let unexpected = comparison
            .as_ref()
            .map_or(!findings.is_empty(), |c| !c.is_clean());
        let tally = result.tally();
        let code = if run_timeout.is_some() {
            exit::COULD_NOT_RUN
        } else if result.interrupted {
            exit::INTERRUPTED
        } else if tally.could_not_run() {
            exit::COULD_NOT_RUN
        } else if unexpected {
            exit::FINDINGS
        } else if tally.checks_judged() == 0 && tally.steps_not_run > 0 {
            // The flags held every step back: passing would claim what nothing tested.
            exit::USAGE
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
#[derive(Debug, Clone, Default)]
pub struct Expectations {
    /// Finding keys, as `scim-harness run --format json` lists them under `findings`.
    pub findings: BTreeSet<String>,
}

/// The file as written: `findings:`, a list of keys, each with its place for errors.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExpectations {
    #[serde(default)]
    findings: Vec<Spanned<String>>,
}

/// An expectations file that cannot be used: the message, `--> file:line:col`, the line with a
/// caret and a hint, as scenario errors show them, but without their leading `error: `, which
/// the command line adds to every error.
#[derive(Debug, thiserror::Error)]
pub struct ExpectationsError(pub ScenarioError);

impl fmt::Display for ExpectationsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.0.to_string();
        f.write_str(text.strip_prefix("error: ").unwrap_or(&text))
    }
}

const KEY_FORMS: &str = "a finding key is `scenario/step/check-id`, `scenario/step/snapshot`, `scenario/step/no-answer`, `scenario/step/skipped` or `scenario/cleanup`, as `scim-harness run --format json` lists them under `findings`";

impl Expectations {
    /// Keys that name a scenario of this run but a step or check it does not have (`built_in`:
    /// the harness's own check ids): a file that went stale when a scenario changed.
    pub fn stale<'a>(&'a self, scenarios: &[Scenario], built_in: &[&str]) -> Vec<&'a str> {
        let names_nothing = |key: &str| {
            let mut parts = key.splitn(3, '/');
            let (Some(name), Some(step_name)) = (parts.next(), parts.next()) else {
                return false;
            };
            let Some(scenario) = scenarios.iter().find(|s| s.name == name) else {
                return false;
            };
            let check = parts.next();
            if step_name == CLEANUP && check.is_none() {
                return false;
            }
            let Some(step) = scenario.steps.iter().find(|s| s.name == step_name) else {
                return true;
            };
            !check.is_some_and(|id| {
                [NO_ANSWER, SKIPPED, SNAPSHOT].contains(&id)
                    || built_in.contains(&id)
                    || step.expect.iter().any(|e| e.id == id)
            })
        };
        self.findings
            .iter()
            .map(String::as_str)
            .filter(|key| names_nothing(key))
            .collect()
    }

    /// Reads an `--expect` file; the path is shown relative to the current folder when possible.
    pub fn load(path: &Path) -> Result<Self, ExpectationsError> {
        let display = display_path(path);
        let cannot_read = |error: std::io::Error| {
            ExpectationsError(ScenarioError::new(format!(
                "cannot read the expectations file {display}: {error}"
            )))
        };
        let size = std::fs::metadata(path).map_err(cannot_read)?.len();
        if size > MAX_FILE_BYTES as u64 {
            return Err(ExpectationsError(ScenarioError::new(format!(
                "{display} is {size} bytes; expectations files are limited to {MAX_FILE_BYTES} bytes"
            ))));
        }
        let bytes = std::fs::read(path).map_err(cannot_read)?;
        let text = String::from_utf8(bytes).map_err(|error| {
            ExpectationsError(ScenarioError::new(format!(
                "{display} is not UTF-8 text (invalid byte at offset {})",
                error.utf8_error().valid_up_to()
            )))
        })?;
        Expectations::from_yaml(&display, &text)
    }

    /// Parses expectations text; `display_path` names it in errors.
    pub fn from_yaml(display_path: &str, text: &str) -> Result<Self, ExpectationsError> {
        let file: Arc<str> = Arc::from(display_path);
        parse(&file, text).map_err(|error| ExpectationsError(error.with_source(text)))
    }
}

fn parse(file: &Arc<str>, text: &str) -> Result<Expectations, ScenarioError> {
    let raw: Option<RawExpectations> = parse_yaml(file, text)?;
    let mut findings: BTreeMap<String, u32> = BTreeMap::new();
    for key in raw.map(|raw| raw.findings).unwrap_or_default() {
        let at = location_in(file, key.referenced);
        if let Err(problem) = check_key(&key.value) {
            return Err(ScenarioError::new(format!(
                "`{}` is not a finding key: {problem}",
                key.value
            ))
            .at(at)
            .with_hint(KEY_FORMS));
        }
        if let Some(line) = findings.insert(key.value.clone(), at.line) {
            return Err(
                ScenarioError::new(format!("`{}` is listed twice", key.value))
                    .at(at)
                    .with_hint(format!(
                        "line {line} lists it already; list each finding once"
                    )),
            );
        }
    }
    Ok(Expectations {
        findings: findings.into_keys().collect(),
    })
}

/// Why `key` cannot be one of [`findings`]' keys.
fn check_key(key: &str) -> Result<(), String> {
    let parts: Vec<&str> = key.split('/').collect();
    let (names, last) = match parts.as_slice() {
        [scenario, CLEANUP] => (vec![*scenario], None),
        [_, other] => return Err(format!("`{other}` is not `{CLEANUP}`")),
        [scenario, step, last] => (vec![*scenario, *step], Some(*last)),
        [_] => return Err("it has no `/`; a key has 2 or 3 parts separated by `/`".to_string()),
        _ => {
            return Err(format!(
                "it has {} parts separated by `/`; a key has 2 or 3",
                parts.len()
            ));
        }
    };
    let name_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
    if let Some(name) = names
        .iter()
        .find(|name| name.is_empty() || !name.chars().all(name_char))
    {
        return Err(format!(
            "`{name}` is not a scenario or step name (lower-case letters, digits and `-`)"
        ));
    }
    match last {
        Some(id)
            if id.is_empty() || !id.chars().all(|c| name_char(c) || matches!(c, '.' | '_')) =>
        {
            Err(format!(
                "`{id}` is not a check id (lower-case letters, digits, `-`, `_` and `.`)"
            ))
        }
        _ => Ok(()),
    }
}

/// How a run's findings compare with the known ones.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Comparison {
    /// Findings the expectations file does not list.
    pub new: Vec<String>,
    /// Listed findings that were judged and no longer occur: the server improved, update the file.
    pub resolved: Vec<String>,
    /// Listed findings this run did not judge (`--only`/`--skip`, a step not sent, a check that
    /// could not be judged, snapshots off): neither new nor resolved, and no effect on the exit
    /// code.
    pub not_run: Vec<String>,
}

impl Comparison {
    /// `judged`: every key the run could have found (see [`judged`]).
    pub fn of(
        found: &BTreeSet<String>,
        expected: &Expectations,
        judged: &BTreeSet<String>,
    ) -> Self {
        let (resolved, not_run) = expected
            .findings
            .difference(found)
            .cloned()
            .partition(|key| judged.contains(key));
        Comparison {
            new: found.difference(&expected.findings).cloned().collect(),
            resolved,
            not_run,
        }
    }

    pub fn is_clean(&self) -> bool {
        self.new.is_empty() && self.resolved.is_empty()
    }
}

/// Every finding key the run judged, whether it found it or not: a check that gave an outcome,
/// a snapshot that was compared, a step that was due (`skipped`) or sent (`no-answer`), the
/// cleanup of a scenario that ran. A listed key outside it was not run in this selection.
pub fn judged(result: &RunResult) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    for scenario in result.scenarios.iter().filter(|s| s.skipped.is_none()) {
        keys.insert(format!("{}/cleanup", scenario.name));
        for step in &scenario.steps {
            let prefix = format!("{}/{}", scenario.name, step.name);
            let sent = match step.status {
                StepStatus::Completed | StepStatus::Error { .. } => true,
                StepStatus::Skipped { .. } => false,
                StepStatus::NotRun { .. } => continue,
            };
            keys.insert(format!("{prefix}/skipped"));
            if sent {
                keys.insert(format!("{prefix}/no-answer"));
            }
            for check in step.checks.iter().filter(|c| c.outcome != Outcome::Skip) {
                keys.insert(format!("{prefix}/{}", check.id));
            }
            if step.snapshot.is_some() {
                keys.insert(format!("{prefix}/snapshot"));
            }
        }
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(keys: &[&str]) -> BTreeSet<String> {
        keys.iter().map(|k| k.to_string()).collect()
    }

    #[test]
    fn comparison_reports_both_directions_and_what_was_not_run() {
        let found = keys(&["a/b/new", "a/b/known"]);
        let expected = Expectations {
            findings: keys(&["a/b/known", "a/c/fixed", "a/d/unselected"]),
        };
        let judged = keys(&["a/b/new", "a/b/known", "a/c/fixed"]);
        let comparison = Comparison::of(&found, &expected, &judged);
        assert_eq!(comparison.new, vec!["a/b/new"]);
        assert_eq!(comparison.resolved, vec!["a/c/fixed"]);
        assert_eq!(comparison.not_run, vec!["a/d/unselected"]);
        assert!(!comparison.is_clean());

        let only_unselected = Expectations {
            findings: keys(&["a/b/new", "a/b/known", "a/d/unselected"]),
        };
        assert!(Comparison::of(&found, &only_unselected, &judged).is_clean());
    }

    #[test]
    fn expectations_files_name_the_place_of_a_problem() {
        let error = Expectations::from_yaml("known.yaml", "findngs: []\n")
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("unknown key `findngs`\n --> known.yaml:1:1\n"),
            "{error}"
        );
        assert!(error.contains("did you mean `findings`?"), "{error}");
        let error = Expectations::from_yaml("known.yaml", "findings:\n  - a/b/c\n  - bogus\n")
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("`bogus` is not a finding key: it has no `/`"),
            "{error}"
        );
        assert!(error.contains(" --> known.yaml:3:5\n"), "{error}");

        let loaded = Expectations::from_yaml(
            "known.yaml",
            "findings:\n  - entra-core/create-user/create.created\n  - entra-core/cleanup\n  - entra-core/get-user/snapshot\n",
        )
        .unwrap();
        assert_eq!(loaded.findings.len(), 3);
        assert!(
            Expectations::from_yaml("known.yaml", "")
                .unwrap()
                .findings
                .is_empty()
        );
    }

    #[test]
    fn keys_are_checked_part_by_part() {
        for good in ["s/step/check.id-2_x", "s/cleanup", "s-1/step/no-answer"] {
            assert_eq!(check_key(good), Ok(()), "{good}");
        }
        for bad in [
            "bogus",
            "a/b",
            "a/b/c/d",
            "S/step/x",
            "s//x",
            "s/step/",
            "s/step/Id",
            "s/step x/id",
        ] {
            assert!(check_key(bad).is_err(), "{bad}");
        }
    }
}
