//! The harness's own checks, applied to every response whatever the scenario asks.

use serde_json::Value;

use super::assertions::has_schema;
use super::{Observed, excerpt, show};
use crate::run::result::{CheckResult, Outcome};
use crate::scenario::model::Severity;
use crate::scim::{SCHEMA_ERROR, SCHEMA_LIST_RESPONSE};

/// Where the harness's own checks are defined, for reports.
const DEFINED_AT: &str = "built-in";

struct BuiltIn {
    id: &'static str,
    title: &'static str,
    requirement: &'static str,
    severity: Severity,
    impact: &'static str,
    hint: &'static str,
}

const CONTENT_TYPE: BuiltIn = BuiltIn {
    id: "http.content-type",
    title: "Responses are application/scim+json (or application/json)",
    requirement: "R18, RFC 7644 §3.1 and §8.1",
    severity: Severity::Warn,
    impact: "Entra parses the body whatever the media type, but proxies and other SCIM clients may not.",
    hint: "Answer with `Content-Type: application/scim+json`; `application/json` is also accepted (RFC 7644 §3.8).",
};

const JSON_BODY: BuiltIn = BuiltIn {
    id: "http.json-body",
    title: "Successful responses with a body carry JSON",
    requirement: "RFC 7644 §3.1, §8.1",
    severity: Severity::Fail,
    impact: "Entra cannot parse the answer and logs SystemForCrossDomainIdentityManagementServiceIncompatible; the object is retried and can escrow.",
    hint: "Return a SCIM JSON document (or no body with 204); check for HTML pages from a proxy, WAF or login redirect.",
};

const ERROR_BODY: BuiltIn = BuiltIn {
    id: "http.error-body",
    title: "Error responses carry a SCIM Error body",
    requirement: "R23, RFC 7644 §3.12",
    severity: Severity::Fail,
    impact: "Entra itself reads only the status code, but its provisioning logs show the body: a support engineer sees an HTML page or nothing instead of the reason.",
    hint: "Answer errors with {\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:Error\"],\"status\":\"<code>\",\"detail\":\"…\"}.",
};

const RESOURCE_ID: BuiltIn = BuiltIn {
    id: "resource.id",
    title: "Every returned resource has an id",
    requirement: "R15, RFC 7643 §3.1",
    severity: Severity::Fail,
    impact: "Entra caches the id of every object it creates or matches and addresses all later PATCH and DELETE requests to it; without one the user can never be updated or deprovisioned.",
    hint: "Return `id` (a string, readOnly, returned always) on every resource, in ListResponses too.",
};

const RESOURCE_ID_TYPE: BuiltIn = BuiltIn {
    id: "resource.id-type",
    title: "Resource ids are strings",
    requirement: "RFC 7643 §3.1",
    severity: Severity::Warn,
    impact: "Entra stores the id as text; strict SCIM clients reject a JSON number.",
    hint: "Serialise the id as a JSON string, e.g. \"42\" rather than 42.",
};

// Worded as what is known: Entra's documentation says nothing about following redirects.
const REDIRECT: BuiltIn = BuiltIn {
    id: "http.redirect",
    title: "SCIM endpoints answer directly, without redirects",
    requirement: "RFC 7644 §3 (the endpoint URLs are the resource URLs)",
    severity: Severity::Warn,
    impact: "Entra's documentation does not say that its provisioning service follows redirects. The harness does not follow them and never sends the Authorization header to another URL, so this step judged the redirect itself.",
    hint: "Configure the final URL (the Location this response names) as the Tenant URL, or serve SCIM at the URL Entra is given.",
};

const RATE_LIMITED: BuiltIn = BuiltIn {
    id: "http.rate-limited",
    title: "The endpoint keeps up with one request at a time",
    requirement: "Entra gallery apps must sustain 25 requests per second per tenant",
    severity: Severity::Warn,
    impact: "Entra logs a 429 as TooManyRequests and retries the object automatically; a vendor reports that many 429s pushed a job into quarantine. Whether Entra honours Retry-After is not documented.",
    hint: "Raise the rate limit for the provisioning client, and send Retry-After (seconds) with every 429.",
};

/// The ids of the harness's own checks, for `--only`/`--skip` and `list`.
pub const BUILT_IN_IDS: [&str; 7] = [
    CONTENT_TYPE.id,
    JSON_BODY.id,
    ERROR_BODY.id,
    RESOURCE_ID.id,
    RESOURCE_ID_TYPE.id,
    REDIRECT.id,
    RATE_LIMITED.id,
];

/// The 429 answers that came before a step's response and what the harness did about each.
pub fn rate_limited(notes: &[String]) -> CheckResult {
    RATE_LIMITED.judge(notes.to_vec())
}

impl BuiltIn {
    fn result(&self, outcome: Outcome, details: Vec<String>) -> CheckResult {
        CheckResult {
            id: self.id.to_string(),
            title: self.title.to_string(),
            requirement: self.requirement.to_string(),
            severity: self.severity,
            outcome,
            details,
            impact: Some(self.impact.to_string()),
            hint: Some(self.hint.to_string()),
            defined_at: DEFINED_AT.to_string(),
        }
    }

    fn judge(&self, broken: Vec<String>) -> CheckResult {
        let outcome = match (broken.is_empty(), self.severity) {
            (true, _) => Outcome::Pass,
            (false, Severity::Fail) => Outcome::Fail,
            (false, Severity::Warn) => Outcome::Warn,
        };
        self.result(outcome, broken)
    }
}

/// The checks that apply to this response; checks that do not apply are left out.
pub fn built_in_checks(observed: &Observed<'_>) -> Vec<CheckResult> {
    let mut results = Vec::new();
    if matches!(observed.status, 301 | 302 | 303 | 307 | 308) {
        let location = observed
            .header("location")
            .unwrap_or("(no Location header)");
        results.push(REDIRECT.judge(vec![format!(
            "the target answered {} with Location: {}; not followed",
            observed.status,
            excerpt(location, 200)
        )]));
    }
    let has_body = !observed.body_text.trim().is_empty();
    if has_body {
        results.push(CONTENT_TYPE.judge(content_type(observed)));
    }
    let success = (200..300).contains(&observed.status);
    if success && has_body {
        let broken = if observed.body.is_some() {
            Vec::new()
        } else {
            vec![format!(
                "the body is not JSON: {}",
                excerpt(observed.body_text, 120)
            )]
        };
        results.push(JSON_BODY.judge(broken));
    }
    if observed.status >= 400 {
        results.push(ERROR_BODY.judge(error_body(observed)));
    }
    if success && let Some(body) = observed.body {
        let resources = returned_resources(body, observed.path);
        if !resources.is_empty() {
            let (missing, numeric) = id_problems(&resources);
            results.push(RESOURCE_ID.judge(missing));
            results.push(RESOURCE_ID_TYPE.judge(numeric));
        }
    }
    results
}

fn content_type(observed: &Observed<'_>) -> Vec<String> {
    let Some(value) = observed.header("content-type") else {
        return vec!["the response has a body but no Content-Type".to_string()];
    };
    let media_type = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if media_type == "application/scim+json" || media_type == "application/json" {
        Vec::new()
    } else {
        vec![format!("Content-Type is `{value}`")]
    }
}

fn error_body(observed: &Observed<'_>) -> Vec<String> {
    match observed.body {
        Some(body) if has_schema(body, SCHEMA_ERROR) => Vec::new(),
        Some(body) => vec![format!(
            "the {} body lacks the SCIM Error schema: {}",
            observed.status,
            show(body)
        )],
        None if observed.body_text.trim().is_empty() => {
            vec![format!("the {} response has no body", observed.status)]
        }
        None => vec![format!(
            "the {} body is not JSON: {}",
            observed.status,
            excerpt(observed.body_text, 120)
        )],
    }
}

/// The resources a successful response returns: the members of a ListResponse, or the body
/// itself when it answers a request on `/Users` or `/Groups`.
fn returned_resources<'a>(body: &'a Value, path: &str) -> Vec<&'a Value> {
    if has_schema(body, SCHEMA_LIST_RESPONSE) {
        return body
            .get("Resources")
            .and_then(Value::as_array)
            .map(|items| items.iter().collect())
            .unwrap_or_default();
    }
    let endpoint = path.trim_start_matches('/').to_ascii_lowercase();
    let is_resource_endpoint = endpoint.starts_with("users") || endpoint.starts_with("groups");
    if body.is_object() && is_resource_endpoint && !has_schema(body, SCHEMA_ERROR) {
        vec![body]
    } else {
        Vec::new()
    }
}

fn id_problems(resources: &[&Value]) -> (Vec<String>, Vec<String>) {
    let mut missing = Vec::new();
    let mut numeric = Vec::new();
    for (i, resource) in resources.iter().enumerate() {
        let which = if resources.len() == 1 {
            "the resource".to_string()
        } else {
            format!("resource #{}", i + 1)
        };
        match resource.get("id") {
            Some(Value::String(id)) if !id.is_empty() => {}
            Some(Value::Number(n)) => numeric.push(format!("{which} has the numeric id {n}")),
            Some(other) => missing.push(format!("{which} has an unusable id: {}", show(other))),
            None => missing.push(format!("{which} has no `id`")),
        }
    }
    (missing, numeric)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn observed<'a>(
        status: u16,
        headers: &'a [(String, String)],
        text: &'a str,
        body: Option<&'a Value>,
    ) -> Observed<'a> {
        Observed {
            method: "GET",
            path: "/Users/1",
            query: &[],
            status,
            headers,
            body_text: text,
            body,
            transport: None,
        }
    }

    fn outcome(results: &[CheckResult], id: &str) -> Option<Outcome> {
        results.iter().find(|r| r.id == id).map(|r| r.outcome)
    }

    #[test]
    fn plain_json_content_type_and_integer_like_ids_pass() {
        let headers = [("Content-Type".to_string(), "application/json".to_string())];
        let body = json!({"id": "12345", "userName": "a"});
        let results = built_in_checks(&observed(200, &headers, "{..}", Some(&body)));
        assert_eq!(outcome(&results, "http.content-type"), Some(Outcome::Pass));
        assert_eq!(outcome(&results, "resource.id"), Some(Outcome::Pass));
        assert_eq!(outcome(&results, "resource.id-type"), Some(Outcome::Pass));
    }

    #[test]
    fn numeric_id_is_a_warning_not_a_failure() {
        let headers = [(
            "content-type".to_string(),
            "application/scim+json".to_string(),
        )];
        let body = json!({"id": 42});
        let results = built_in_checks(&observed(201, &headers, "{..}", Some(&body)));
        assert_eq!(outcome(&results, "resource.id"), Some(Outcome::Pass));
        assert_eq!(outcome(&results, "resource.id-type"), Some(Outcome::Warn));
    }

    #[test]
    fn html_error_page_fails_the_error_body_check_and_warns_on_media_type() {
        let headers = [("content-type".to_string(), "text/html".to_string())];
        let results = built_in_checks(&observed(404, &headers, "<html>nope</html>", None));
        assert_eq!(outcome(&results, "http.error-body"), Some(Outcome::Fail));
        assert_eq!(outcome(&results, "http.content-type"), Some(Outcome::Warn));
    }

    #[test]
    fn a_redirect_is_reported_with_its_location() {
        let headers = [(
            "Location".to_string(),
            "https://other.example/scim".to_string(),
        )];
        let results = built_in_checks(&observed(307, &headers, "", None));
        let redirect = results.iter().find(|r| r.id == "http.redirect").unwrap();
        assert_eq!(redirect.outcome, Outcome::Warn);
        assert!(redirect.details[0].contains("307 with Location: https://other.example/scim"));
        let ok = built_in_checks(&observed(304, &[], "", None));
        assert_eq!(outcome(&ok, "http.redirect"), None);
    }

    #[test]
    fn no_content_answers_have_nothing_to_judge() {
        let results = built_in_checks(&observed(204, &[], "", None));
        assert!(results.is_empty());
    }
}
