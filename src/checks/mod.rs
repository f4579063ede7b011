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
use crate::scim::path::get_ci;

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

/// The UTF-8 byte order mark, which RFC 8259 §8.1 forbids at the start of networked JSON.
pub(crate) const BYTE_ORDER_MARK: char = '\u{feff}';

/// A response body as JSON. A leading UTF-8 byte order mark is skipped, as RFC 8259 §8.1 lets
/// parsers do, so one stray mark gives one finding (the built-in `http.json-body` check's), not a
/// failure of every check that reads the body.
pub fn parse_body(bytes: &[u8]) -> Option<Value> {
    let json = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    serde_json::from_slice(json).ok()
}

/// The value an RFC 6901 pointer names in a SCIM body. A pointer is exact, but SCIM attribute
/// names are case-insensitive (RFC 7643 §2.1), so `/Resources/0/active` must also find `"Active"`:
/// each step takes the exact member if there is one, else the first that differs only in case.
pub fn pointer<'a>(body: &'a Value, pointer: &str) -> Option<&'a Value> {
    if pointer.is_empty() {
        return Some(body);
    }
    pointer
        .strip_prefix('/')?
        .split('/')
        .try_fold(body, |current, token| {
            let token = token.replace("~1", "/").replace("~0", "~");
            match current {
                Value::Object(members) => get_ci(members, &token),
                Value::Array(items) => array_index(&token).and_then(|i| items.get(i)),
                _ => None,
            }
        })
}

/// An RFC 6901 array index: digits, without a leading zero.
fn array_index(token: &str) -> Option<usize> {
    let canonical = token == "0" || (!token.starts_with('0') && !token.is_empty());
    if canonical && token.bytes().all(|b| b.is_ascii_digit()) {
        token.parse().ok()
    } else {
        None
    }
}

/// `value[name]` for an object, the name matched case-insensitively (RFC 7643 §2.1) when the
/// exact spelling is missing.
pub(crate) fn field<'a>(value: &'a Value, name: &str) -> Option<&'a Value> {
    get_ci(value.as_object()?, name)
}

/// Whether a value is unassigned: RFC 7643 §2.5 makes null and an empty array equivalent to an
/// attribute that is absent.
pub(crate) fn is_unassigned(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Array(items) => items.is_empty(),
        _ => false,
    }
}

/// An id as text: RFC 7643 §3.1 makes it a string, but a JSON number is still an id (the built-in
/// `resource.id-type` check warns about it), so `1012` and `"1012"` name the same resource.
pub(crate) fn id_text(value: &Value) -> Option<String> {
    match value {
        Value::String(id) => Some(id.clone()),
        Value::Number(id) => Some(id.to_string()),
        _ => None,
    }
}

/// A short, single-line rendering of a JSON value for failure details.
pub(crate) fn show(value: &Value) -> String {
    let text = value.to_string();
    excerpt(&text, 120)
}

/// At most `max` characters of `text`, on one line, with an ellipsis when cut. A leading byte
/// order mark is left out: it is invisible, and the checks that care name it in words.
pub fn excerpt(text: &str, max: usize) -> String {
    let one_line: String = text
        .trim_start_matches(BYTE_ORDER_MARK)
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pointers_prefer_the_exact_member_and_fall_back_to_another_case() {
        let body = json!({
            "Active": false,
            "active": true,
            "Resources": [{"UserName": "a", "a/b": 1, "m~n": 2}],
        });
        assert_eq!(pointer(&body, "/active"), Some(&json!(true)));
        assert_eq!(pointer(&body, "/ACTIVE"), Some(&json!(false)));
        assert_eq!(pointer(&body, "/resources/0/userName"), Some(&json!("a")));
        assert_eq!(pointer(&body, "/Resources/0/A~1B"), Some(&json!(1)));
        assert_eq!(pointer(&body, "/Resources/0/m~0n"), Some(&json!(2)));
        assert_eq!(pointer(&body, ""), Some(&body));
        assert_eq!(pointer(&body, "/Resources/00/UserName"), None);
        assert_eq!(pointer(&body, "/Resources/1"), None);
        assert_eq!(pointer(&body, "Resources"), None);
        assert_eq!(pointer(&body, "/Active/x"), None);
    }

    #[test]
    fn a_leading_byte_order_mark_is_skipped_when_parsing_and_left_out_of_excerpts() {
        let marked = "\u{feff}{\"totalResults\":0}";
        assert_eq!(
            parse_body(marked.as_bytes()),
            Some(json!({"totalResults": 0}))
        );
        assert_eq!(parse_body(b"\xef\xbb"), None);
        assert_eq!(excerpt(marked, 120), "{\"totalResults\":0}");
    }

    #[test]
    fn null_and_an_empty_array_are_unassigned_an_empty_string_is_not() {
        assert!(is_unassigned(&json!(null)));
        assert!(is_unassigned(&json!([])));
        assert!(!is_unassigned(&json!("")));
        assert!(!is_unassigned(&json!([null])));
        assert!(!is_unassigned(&json!({})));
    }
}
