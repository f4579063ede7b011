//! The harness's own checks, applied to every response whatever the scenario asks.

use serde_json::Value;

use super::assertions::has_schema;
use super::{Observed, excerpt, field, show};
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
    impact: "Entra's documentation asks for application/scim+json (R18) but does not say what Entra does with JSON served under another media type; clients that go by the media type may refuse it.",
    hint: "Answer with `Content-Type: application/scim+json`; `application/json` is also accepted (RFC 7644 §3.8, §8.1).",
};

const JSON_BODY: BuiltIn = BuiltIn {
    id: "http.json-body",
    title: "Successful responses with a body carry JSON",
    requirement: "RFC 7644 §3.1, §8.1",
    severity: Severity::Fail,
    impact: "Entra cannot parse the answer and logs SystemForCrossDomainIdentityManagementServiceIncompatible; the object is retried and can escrow.",
    hint: "Return a SCIM JSON document (or no body with 204); check for HTML pages from a proxy, WAF or login redirect.",
};

// Same id as JSON_BODY, so `--skip http.json-body` covers it: the body is JSON, but starts with
// a mark RFC 8259 forbids senders to add and allows parsers to ignore.
const BYTE_ORDER_MARK: BuiltIn = BuiltIn {
    id: "http.json-body",
    title: "JSON bodies start without a byte order mark",
    requirement: "RFC 8259 §8.1 (the JSON of RFC 7644 §3.1)",
    severity: Severity::Warn,
    impact: "What Entra does with a body that starts with a byte order mark is not documented. RFC 8259 §8.1 lets parsers ignore the mark, and the harness does, judging the JSON after it; strict parsers (serde_json among them) reject the whole body.",
    hint: "Write JSON without a byte order mark (in .NET, e.g. `new UTF8Encoding(false)`).",
};

const ERROR_BODY: BuiltIn = BuiltIn {
    id: "http.error-body",
    title: "Error responses carry a SCIM Error body",
    requirement: "R23, RFC 7644 §3.12",
    severity: Severity::Fail,
    impact: "Entra acts on the status code, but its provisioning log quotes the body as the failure reason (`Web Response: …`): the admin sees an HTML page or nothing instead of why the request failed.",
    hint: "Answer errors with {\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:Error\"],\"status\":\"<code>\",\"detail\":\"…\"}.",
};

// Same id as ERROR_BODY, a warning: a 401/403 usually comes from authentication middleware that
// answers before the SCIM layer with only WWW-Authenticate (RFC 6750 §3), as Microsoft's own
// SCIMReferenceCode does, and the harness provokes it with probes Entra never sends.
const AUTH_ERROR_BODY: BuiltIn = BuiltIn {
    id: "http.error-body",
    title: "Authentication errors carry a SCIM Error body",
    requirement: "RFC 7644 §3.12",
    severity: Severity::Warn,
    impact: "Entra always sends its token: a refused token is logged as a credential failure and can put the job into quarantine. Whether Entra reads the body of a 401 or 403 is not documented; a SCIM Error body tells the admin why.",
    hint: "Let authentication failures answer with a SCIM Error body too, e.g. {\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:Error\"],\"status\":\"401\",\"detail\":\"invalid token\"}, alongside WWW-Authenticate.",
};

const RESOURCE_ID: BuiltIn = BuiltIn {
    id: "resource.id",
    title: "Every returned User and Group has an id",
    requirement: "R15, RFC 7643 §3.1",
    severity: Severity::Fail,
    impact: "Entra caches the id of every object it creates or matches and addresses all later PATCH and DELETE requests to it; without one the user or group can never be updated or deprovisioned.",
    hint: "Return `id` (a string, readOnly, returned always) on every User and Group, in ListResponses too.",
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
    let marked = observed.body_text.starts_with(super::BYTE_ORDER_MARK);
    if marked && observed.body.is_some() {
        results.push(BYTE_ORDER_MARK.judge(vec![
            "the body starts with a UTF-8 byte order mark (U+FEFF), which RFC 8259 §8.1 forbids in JSON sent over a network".to_string(),
        ]));
    } else if success && has_body {
        let broken = if observed.body.is_some() {
            Vec::new()
        } else {
            vec![not_json("the body", observed)]
        };
        results.push(JSON_BODY.judge(broken));
    }
    if observed.status >= 400 {
        let check = if matches!(observed.status, 401 | 403) {
            AUTH_ERROR_BODY
        } else {
            ERROR_BODY
        };
        results.push(check.judge(error_body(observed)));
    }
    if success
        && let Some(body) = observed.body
        && is_resource_endpoint(observed.path)
    {
        let resources = returned_resources(body);
        if !resources.is_empty() {
            let (missing, numeric) = id_problems(&resources);
            results.push(RESOURCE_ID.judge(missing));
            results.push(RESOURCE_ID_TYPE.judge(numeric));
        }
    }
    results
}

/// Why a body is not JSON, with an excerpt; a leading byte order mark is named, since it is
/// invisible in the excerpt.
fn not_json(what: &str, observed: &Observed<'_>) -> String {
    let mark = if observed.body_text.starts_with(super::BYTE_ORDER_MARK) {
        " (after a UTF-8 byte order mark, U+FEFF)"
    } else {
        ""
    };
    format!(
        "{what} is not JSON{mark}: {}",
        excerpt(observed.body_text, 120)
    )
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
            let challenge = observed
                .header("www-authenticate")
                .map(|value| format!(" (only WWW-Authenticate: {})", excerpt(value, 120)))
                .unwrap_or_default();
            vec![format!(
                "the {} response has no body{challenge}",
                observed.status
            )]
        }
        None => vec![not_json(&format!("the {} body", observed.status), observed)],
    }
}

/// Whether the request went to `/Users` or `/Groups` (R15: their resources need an id; a
/// ResourceType's id is OPTIONAL, RFC 7643 §6, and a Schema's id is its URN, RFC 7643 §7, which
/// the discovery scenario judges).
fn is_resource_endpoint(path: &str) -> bool {
    let endpoint = path
        .trim_start_matches('/')
        .split(['/', '?'])
        .next()
        .unwrap_or_default();
    endpoint.eq_ignore_ascii_case("users") || endpoint.eq_ignore_ascii_case("groups")
}

/// The resources a successful response returns: the members of a ListResponse, or the body
/// itself.
fn returned_resources(body: &Value) -> Vec<&Value> {
    if is_list_response(body) {
        return field(body, "Resources")
            .and_then(Value::as_array)
            .map(|items| items.iter().collect())
            .unwrap_or_default();
    }
    if body.is_object() && !has_schema(body, SCHEMA_ERROR) {
        vec![body]
    } else {
        Vec::new()
    }
}

/// A ListResponse, also one that leaves out its `schemas` (a defect the list checks report):
/// `totalResults` and `Resources` are no User or Group attributes, in any case.
fn is_list_response(body: &Value) -> bool {
    has_schema(body, SCHEMA_LIST_RESPONSE)
        || field(body, "totalResults").is_some()
        || field(body, "Resources").is_some()
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
        match field(resource, "id") {
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
    fn a_non_scim_403_is_a_warning_and_a_non_scim_409_a_failure() {
        let body = json!({"error": "forbidden"});
        let results = built_in_checks(&observed(403, &[], "{..}", Some(&body)));
        assert_eq!(outcome(&results, "http.error-body"), Some(Outcome::Warn));
        let results = built_in_checks(&observed(409, &[], "{..}", Some(&body)));
        assert_eq!(outcome(&results, "http.error-body"), Some(Outcome::Fail));
    }

    #[test]
    fn only_users_and_groups_need_ids() {
        assert!(is_resource_endpoint("/Users"));
        assert!(is_resource_endpoint("/groups/7"));
        assert!(is_resource_endpoint("/Users/.search"));
        assert!(!is_resource_endpoint("/UsersArchive"));
        assert!(!is_resource_endpoint("/ResourceTypes"));
        assert!(!is_resource_endpoint(
            "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User"
        ));
        assert!(!is_resource_endpoint("/ServiceProviderConfig"));
    }

    #[test]
    fn a_byte_order_mark_on_an_error_body_is_named_and_the_error_judged() {
        let body = json!({"schemas": [SCHEMA_ERROR], "status": "404"});
        let text = "\u{feff}{\"schemas\":[\"…\"]}";
        let results = built_in_checks(&observed(404, &[], text, Some(&body)));
        assert_eq!(outcome(&results, "http.error-body"), Some(Outcome::Pass));
        assert_eq!(outcome(&results, "http.json-body"), Some(Outcome::Warn));
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
    fn a_list_response_without_schemas_is_judged_as_a_list() {
        let empty = json!({"totalResults": 0, "Resources": []});
        let results = built_in_checks(&observed(200, &[], "{..}", Some(&empty)));
        assert_eq!(outcome(&results, "resource.id"), None);
        let one = json!({"TotalResults": 1, "resources": [{"userName": "x"}]});
        let results = built_in_checks(&observed(200, &[], "{..}", Some(&one)));
        let check = results.iter().find(|r| r.id == "resource.id").unwrap();
        assert_eq!(check.outcome, Outcome::Fail);
        assert_eq!(check.details, ["the resource has no `id`"]);
        let only_total = json!({"totalResults": 0});
        let results = built_in_checks(&observed(200, &[], "{..}", Some(&only_total)));
        assert_eq!(outcome(&results, "resource.id"), None);
    }

    #[test]
    fn no_content_answers_have_nothing_to_judge() {
        let results = built_in_checks(&observed(204, &[], "", None));
        assert!(results.is_empty());
    }
}
