//! Verdicts. A scenario's expectations are judged here, and so are the harness's own checks that
//! apply to every response. Pure: a response in, [`CheckResult`]s out.
//!
//! The line between fail and warn: a failure means Entra's provisioning breaks or a MUST of RFC
//! 7643/7644 is broken; RFC-legal variations (PATCH answering 204, vendor attributes, ids that are
//! not UUIDs, `application/json` responses) never fail.

mod assertions;
mod builtin;
mod transport;

use serde_json::Value;

use crate::run::result::{CheckResult, Outcome};
use crate::scenario::model::{Assertion, Expectation, Severity};
use crate::scenario::template::Vars;

pub use builtin::{BUILT_IN_IDS, built_in_checks, rate_limited};
pub use transport::{Probed, TransportFacts};

/// A response as the checks see it.
#[derive(Debug, Clone, Copy)]
pub struct Observed<'a> {
    pub method: &'a str,
    /// The request path relative to the base URL, e.g. `/Users/42`.
    pub path: &'a str,
    /// The request's query parameters, decoded.
    pub query: &'a [(String, String)],
    pub status: u16,
    pub headers: &'a [(String, String)],
    pub body_text: &'a str,
    /// The body parsed as JSON, when it is JSON.
    pub body: Option<&'a Value>,
    /// The https connection, probed for steps with `transport:` checks.
    pub transport: Option<&'a TransportFacts>,
}

impl Observed<'_> {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Judges one expectation of a scenario step.
pub fn evaluate(expectation: &Expectation, observed: &Observed<'_>, vars: &Vars) -> CheckResult {
    let mut details = Vec::new();
    let mut unevaluable = Vec::new();
    for assertion in &expectation.assertions {
        match assertions::check(assertion, observed, vars) {
            Ok(mut broken) => details.append(&mut broken),
            Err(reason) => unevaluable.push(reason),
        }
    }
    // `--insecure`: a certificate nobody verified is worth a warning, never a pass.
    let not_verified: Vec<String> = expectation
        .assertions
        .iter()
        .filter_map(|assertion| match assertion {
            Assertion::Transport(check) => transport::not_verified(*check, observed.transport),
            _ => None,
        })
        .collect();
    let outcome = if !details.is_empty() {
        match expectation.severity {
            Severity::Fail if tolerated(expectation, observed, vars) => Outcome::Warn,
            Severity::Fail => Outcome::Fail,
            Severity::Warn => Outcome::Warn,
        }
    } else if !unevaluable.is_empty() {
        details = unevaluable;
        Outcome::Skip
    } else if !not_verified.is_empty() {
        details = not_verified;
        Outcome::Warn
    } else {
        Outcome::Pass
    };
    CheckResult {
        id: expectation.id.clone(),
        title: expectation.title.clone(),
        requirement: expectation.requirement.clone(),
        severity: expectation.severity,
        outcome,
        details,
        impact: expectation.impact.clone(),
        hint: expectation.hint.clone(),
        defined_at: expectation.location.to_string(),
    }
}

/// Whether the response meets every `warn_if` assertion of a broken check, which makes it a
/// warning.
fn tolerated(expectation: &Expectation, observed: &Observed<'_>, vars: &Vars) -> bool {
    !expectation.warn_if.is_empty()
        && expectation.warn_if.iter().all(|assertion| {
            assertions::check(assertion, observed, vars).is_ok_and(|broken| broken.is_empty())
        })
}

/// A short, single-line rendering of a JSON value for failure details.
pub(crate) fn show(value: &Value) -> String {
    let text = value.to_string();
    excerpt(&text, 120)
}

/// At most `max` characters of `text`, on one line, with an ellipsis when cut.
pub fn excerpt(text: &str, max: usize) -> String {
    let one_line: String = text
        .chars()
        .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
        .collect();
    let trimmed = one_line.trim();
    if trimmed.chars().count() <= max {
        trimmed.to_string()
    } else {
        let cut: String = trimmed.chars().take(max).collect();
        format!("{cut}…")
    }
}
