//! The response checks on arbitrary answers: every expectation of every built-in scenario and
//! every built-in check, judged against any status, Content-Type and body, never panics.
//! Input layout: two bytes of status, one byte choosing the Content-Type and the request path,
//! then the body.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use scim_harness::checks::{Observed, built_in_checks, evaluate};
use scim_harness::scenario::builtin::builtin_scenarios;
use scim_harness::scenario::load::{LoadOptions, load_str};
use scim_harness::scenario::model::Expectation;
use scim_harness::scenario::template::Vars;

const CONTENT_TYPES: [&str; 5] = [
    "application/scim+json; charset=utf-8",
    "application/json",
    "text/html",
    "",
    "application/scim+json;;;charset=\u{fffd}",
];

const PATHS: [&str; 4] = ["/Users", "/Users/2819c223", "/Groups/g-1", "/Schemas"];

fn expectations() -> &'static [Expectation] {
    static ALL: OnceLock<Vec<Expectation>> = OnceLock::new();
    ALL.get_or_init(|| {
        builtin_scenarios()
            .iter()
            .filter_map(|b| load_str(b.path, b.text, &LoadOptions::default()).ok())
            .flat_map(|s| s.steps.into_iter().flat_map(|step| step.expect))
            .collect()
    })
}

fn vars() -> Vars {
    [
        ("user_id", "2819c223-7f76-453a-919d-413861904646"),
        ("group_id", "g-1"),
        ("manager_id", "m-1"),
        ("run.prefix", "scimh-0000"),
        ("user_name", "scimh-0000-a@contoso.com"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fuzz_target!(|data: &[u8]| {
    let [hi, lo, kind, body @ ..] = data else {
        return;
    };
    let status = 100 + u16::from_be_bytes([*hi, *lo]) % 500;
    let content_type = CONTENT_TYPES[usize::from(*kind) % CONTENT_TYPES.len()];
    // One path per input keeps each run short; the fuzzer varies the byte.
    let path = PATHS[usize::from(*kind / 8) % PATHS.len()];
    let headers = vec![("Content-Type".to_string(), content_type.to_string())];
    let body_text = String::from_utf8_lossy(body);
    let parsed: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let query = vec![(
        "filter".to_string(),
        "userName eq \"scimh-0000-a@contoso.com\"".to_string(),
    )];
    let vars = vars();
    let observed = Observed {
        method: "GET",
        path,
        query: &query,
        status,
        headers: &headers,
        body_text: &body_text,
        body: parsed.as_ref(),
        transport: None,
    };
    for expectation in expectations() {
        let _ = evaluate(expectation, &observed, &vars);
    }
    let _ = built_in_checks(&observed);
});
