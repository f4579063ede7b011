//! Verdicts on RFC-legal answers and on deviations Entra's documentation says nothing about: the
//! real binary runs a small scenario against a raw server on 127.0.0.1 that answers exactly the
//! bytes under test, and the JSON report says how each check came out.

mod hostile;
mod support;

use std::time::Duration;

use hostile::{EMPTY_LIST, HostileServer, http, scenario_file, scim};
use serde_json::Value;
use support::harness;

/// One check as the JSON report gives it.
#[derive(Debug)]
struct Judged {
    step: String,
    id: String,
    outcome: String,
    title: String,
    details: Vec<String>,
    impact: String,
}

struct Run {
    code: Option<i32>,
    checks: Vec<Judged>,
    report: String,
}

impl Run {
    /// The outcomes of check `id` in step `step`, in report order.
    fn outcomes(&self, step: &str, id: &str) -> Vec<&str> {
        self.find(step, id)
            .into_iter()
            .map(|c| c.outcome.as_str())
            .collect()
    }

    fn find(&self, step: &str, id: &str) -> Vec<&Judged> {
        self.checks
            .iter()
            .filter(|c| c.step == step && c.id == id)
            .collect()
    }

    /// The one check `id` of `step`.
    #[track_caller]
    fn only(&self, step: &str, id: &str) -> &Judged {
        let found = self.find(step, id);
        assert_eq!(found.len(), 1, "{step}/{id} in:\n{}", self.report);
        found[0]
    }

    /// Every check that did not pass, as `step/id: outcome`.
    fn findings(&self) -> Vec<String> {
        self.checks
            .iter()
            .filter(|c| c.outcome != "pass")
            .map(|c| format!("{}/{}: {}", c.step, c.id, c.outcome))
            .collect()
    }
}

/// The first step of scenarios that need a user of their own: a create whose id is captured
/// and cleaned up.
const CREATE_USER_STEP: &str = r#"  - name: create
    title: Creates a user
    request:
      method: POST
      path: /Users
      body: {schemas: [urn:ietf:params:scim:schemas:core:2.0:User], userName: x}
    capture:
      user_id: /id
    cleanup:
      method: DELETE
      path: /Users/{{user_id}}
"#;

fn run(server: &HostileServer, scenario: &str) -> Run {
    let (_dir, path) = scenario_file("verdicts.yaml", scenario);
    let output = harness()
        .args(["run", "--no-snapshots", "--format", "json", "--url"])
        .arg(server.url())
        .args(["--token", "t0ken"])
        .arg(&path)
        .timeout(Duration::from_secs(60))
        .output()
        .expect("the harness runs");
    let report = String::from_utf8_lossy(&output.stdout).into_owned();
    let json: Value = serde_json::from_str(&report).unwrap_or_else(|e| {
        panic!(
            "not a JSON report ({e}):\n{report}\n{}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    let mut checks = Vec::new();
    for scenario in json["scenarios"].as_array().into_iter().flatten() {
        for step in scenario["steps"].as_array().into_iter().flatten() {
            for check in step["checks"].as_array().into_iter().flatten() {
                let text = |key: &str| check[key].as_str().unwrap_or_default().to_string();
                checks.push(Judged {
                    step: step["name"].as_str().unwrap_or_default().to_string(),
                    id: text("id"),
                    outcome: text("outcome"),
                    title: text("title"),
                    details: check["details"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|d| d.as_str().map(str::to_string))
                        .collect(),
                    impact: text("impact"),
                });
            }
        }
    }
    Run {
        code: output.status.code(),
        checks,
        report,
    }
}

/// A scenario of one GET with one expectation made of `assertions` (YAML, indented to fit).
fn one_get(path: &str, query: &str, assertions: &str) -> String {
    format!(
        r#"title: One GET
steps:
  - name: get
    title: Reads
    request:
      method: GET
      path: {path}
{query}    expect:
      - id: under.test
        title: The assertions under test
        requirement: test
{assertions}"#
    )
}

fn list_of(resources: &str, total: u64, per_page: u64) -> String {
    format!(
        r#"{{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":{total},"Resources":[{resources}],"startIndex":1,"itemsPerPage":{per_page}}}"#
    )
}

// ---- 1. `list:` and itemsPerPage -------------------------------------------------------------

#[test]
fn items_per_page_is_the_page_size_not_a_count_of_the_resources() {
    // Microsoft's own sample answers a query without hits with itemsPerPage 20 (DEV).
    let server = HostileServer::start(|_| scim(200, &list_of("", 0, 20)));
    let outcome = run(
        &server,
        &one_get("/Users", "", "        list: {total: 0}\n"),
    );
    assert_eq!(outcome.outcomes("get", "under.test"), ["pass"]);
    assert_eq!(outcome.code, Some(0), "{}", outcome.report);
}

#[test]
fn more_resources_than_count_asked_for_still_fail() {
    let server = HostileServer::start(|_| scim(200, &list_of(r#"{"id":"a"},{"id":"b"}"#, 2, 1)));
    let query = "      query: {count: \"1\"}\n";
    let outcome = run(&server, &one_get("/Users", query, "        list: {}\n"));
    let check = outcome.only("get", "under.test");
    assert_eq!(check.outcome, "fail");
    assert!(
        check.details[0].contains("asked for count=1"),
        "{:?}",
        check.details
    );
}

#[test]
fn resources_are_required_when_total_results_is_not_zero_unless_the_page_is_empty() {
    // The same answer to every request: three results in all, none on this page.
    let server = HostileServer::start(|_| {
        scim(
            200,
            r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":3,"Resources":[]}"#,
        )
    });
    let whole = run(&server, &one_get("/Users", "", "        list: {}\n"));
    let check = whole.only("get", "under.test");
    assert_eq!(check.outcome, "fail");
    assert!(
        check.details[0].contains("`totalResults` is 3 but `Resources` is empty"),
        "{:?}",
        check.details
    );
    for query in [
        "      query: {count: \"0\"}\n",
        "      query: {startIndex: \"4\"}\n",
    ] {
        let empty_page = run(&server, &one_get("/Users", query, "        list: {}\n"));
        assert_eq!(
            empty_page.outcomes("get", "under.test"),
            ["pass"],
            "{query}"
        );
    }
}

// ---- 2. numeric ids in `list:` ---------------------------------------------------------------

#[test]
fn a_numeric_id_is_found_by_contains_and_excludes_and_only_warned_about() {
    let server = HostileServer::start(|request| match request.method() {
        "POST" => scim(
            201,
            r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":1012,"userName":"x"}"#,
        ),
        "DELETE" => http(204, &[], b""),
        _ => scim(
            200,
            &list_of(
                r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":1012,"userName":"x"}"#,
                1,
                1,
            ),
        ),
    });
    let scenario = [
        "title: Numeric ids\nsteps:\n",
        CREATE_USER_STEP,
        r#"  - name: find
    title: Finds it
    request:
      method: GET
      path: /Users
    expect:
      - id: finds
        title: The list holds the user
        requirement: test
        list: {total: 1, contains: ["{{user_id}}"]}
      - id: not-excluded
        title: The excludes rule sees the numeric id too
        requirement: test
        list: {excludes: ["{{user_id}}"]}
"#,
    ]
    .concat();
    let outcome = run(&server, &scenario);
    assert_eq!(outcome.outcomes("find", "finds"), ["pass"]);
    assert_eq!(outcome.outcomes("find", "not-excluded"), ["fail"]);
    assert_eq!(outcome.outcomes("find", "resource.id"), ["pass"]);
    assert_eq!(outcome.outcomes("find", "resource.id-type"), ["warn"]);
}

// ---- 3. ids on discovery resources -----------------------------------------------------------

#[test]
fn resource_types_without_an_id_are_not_a_finding_but_users_without_one_are() {
    let server = HostileServer::start(|request| {
        if request.target().contains("ResourceTypes") {
            scim(
                200,
                &list_of(
                    r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],"name":"User","endpoint":"/Users","schema":"urn:ietf:params:scim:schemas:core:2.0:User"}"#,
                    1,
                    1,
                ),
            )
        } else {
            scim(200, &list_of(r#"{"userName":"x"}"#, 1, 1))
        }
    });
    let types = run(
        &server,
        &one_get("/ResourceTypes", "", "        status: 200\n"),
    );
    assert_eq!(types.findings(), Vec::<String>::new(), "{}", types.report);
    let users = run(&server, &one_get("/Users", "", "        status: 200\n"));
    assert_eq!(users.outcomes("get", "resource.id"), ["fail"]);
}

// ---- 4. absent, null and [] are one state ----------------------------------------------------

#[test]
fn absent_accepts_null_and_an_empty_array_and_exists_refuses_them() {
    let server = HostileServer::start(|_| {
        scim(
            200,
            &list_of(
                r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"g","displayName":"G","members":[],"externalId":null}"#,
                1,
                1,
            ),
        )
    });
    let assertions = r#"        json:
          /Resources/0/members: {absent: true}
          /Resources/0/externalId: {absent: true}
      - id: exists-on-empty
        title: An empty array is no value
        requirement: test
        json:
          /Resources/0/members: {exists: true}
      - id: equals-null
        title: null equals an empty array and a missing attribute
        requirement: test
        json:
          /Resources/0/members: null
          /Resources/0/nickName: null
          /Resources/0/title: {one_of: [null, Boss]}
      - id: present
        title: A member is a value
        requirement: test
        json:
          /Resources/0/displayName: {absent: true}
"#;
    let outcome = run(&server, &one_get("/Groups", "", assertions));
    assert_eq!(outcome.outcomes("get", "under.test"), ["pass"]);
    assert_eq!(outcome.outcomes("get", "exists-on-empty"), ["fail"]);
    assert_eq!(outcome.outcomes("get", "equals-null"), ["pass"]);
    assert_eq!(outcome.outcomes("get", "present"), ["fail"]);
}

#[test]
fn attribute_paths_treat_an_empty_members_array_as_absent() {
    let server = HostileServer::start(|_| {
        scim(
            200,
            r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"g","displayName":"G","members":[]}"#,
        )
    });
    let assertions = "        attributes:\n          members: {absent: true}\n";
    let outcome = run(&server, &one_get("/Groups/g", "", assertions));
    assert_eq!(outcome.outcomes("get", "under.test"), ["pass"]);
}

// ---- 5. attribute names are case-insensitive -------------------------------------------------

#[test]
fn pointers_and_attribute_paths_find_attributes_spelled_in_another_case() {
    let server = HostileServer::start(|request| match request.method() {
        "POST" => scim(
            201,
            r#"{"Schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"Id":"u-7","UserName":"x"}"#,
        ),
        "DELETE" => http(204, &[], b""),
        _ => scim(
            200,
            r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"TotalResults":1,"resources":[{"Id":"u-7","UserName":"x","Active":false}]}"#,
        ),
    });
    let scenario = [
        "title: Attribute case\nsteps:\n",
        CREATE_USER_STEP,
        r#"    expect:
      - id: created
        title: The create answers a resource
        requirement: test
        resource: true
  - name: find
    title: Finds it disabled
    request:
      method: GET
      path: /Users
    expect:
      - id: still-matchable
        title: The list holds the user with active false
        requirement: test
        list: {total: 1, contains: ["{{user_id}}"]}
        json:
          /Resources/0/active: false
          /resources/0/userName: x
"#,
    ]
    .concat();
    let outcome = run(&server, &scenario);
    assert_eq!(
        outcome.findings(),
        Vec::<String>::new(),
        "{}",
        outcome.report
    );
    assert_eq!(outcome.outcomes("find", "still-matchable"), ["pass"]);
    assert_eq!(outcome.outcomes("create", "resource.id"), ["pass"]);
}

// ---- 6. a bare 401 -------------------------------------------------------------------------

#[test]
fn a_bare_401_with_only_www_authenticate_is_a_warning() {
    let server = HostileServer::start(|_| {
        http(
            401,
            &[("WWW-Authenticate", r#"Bearer error="invalid_token""#)],
            b"",
        )
    });
    let outcome = run(&server, &one_get("/Users", "", "        status: 401\n"));
    let check = outcome.only("get", "http.error-body");
    assert_eq!(check.outcome, "warn");
    assert_eq!(check.title, "Authentication errors carry a SCIM Error body");
    assert!(
        check.details[0].contains("only WWW-Authenticate: Bearer error="),
        "{:?}",
        check.details
    );
    assert!(check.impact.contains("not documented"), "{}", check.impact);
    assert_eq!(outcome.code, Some(0), "{}", outcome.report);
}

#[test]
fn a_non_scim_404_body_is_still_a_failure() {
    let server = HostileServer::start(|_| {
        http(404, &[("Content-Type", "text/html")], b"<h1>Not Found</h1>")
    });
    let outcome = run(&server, &one_get("/Users/x", "", "        status: 404\n"));
    assert_eq!(outcome.outcomes("get", "http.error-body"), ["fail"]);
}

// ---- 7. a byte order mark ------------------------------------------------------------------

fn with_bom(text: &str) -> Vec<u8> {
    let mut bytes = "\u{feff}".as_bytes().to_vec();
    bytes.extend_from_slice(text.as_bytes());
    bytes
}

#[test]
fn a_byte_order_mark_is_named_once_and_the_json_after_it_is_judged() {
    let server = HostileServer::start(|_| {
        http(
            200,
            &[("Content-Type", "application/scim+json")],
            &with_bom(EMPTY_LIST),
        )
    });
    let outcome = run(
        &server,
        &one_get("/Users", "", "        list: {total: 0}\n"),
    );
    assert_eq!(outcome.outcomes("get", "under.test"), ["pass"]);
    let mark = outcome.only("get", "http.json-body");
    assert_eq!(mark.outcome, "warn");
    assert!(
        mark.details[0].contains("UTF-8 byte order mark (U+FEFF)")
            && mark.details[0].contains("RFC 8259 §8.1"),
        "{:?}",
        mark.details
    );
    assert!(mark.impact.contains("not documented"), "{}", mark.impact);
    assert_eq!(outcome.findings(), ["get/http.json-body: warn"]);
}

#[test]
fn a_byte_order_mark_before_text_that_is_not_json_says_so() {
    let server = HostileServer::start(|_| {
        http(
            200,
            &[("Content-Type", "application/scim+json")],
            &with_bom("totalResults=0"),
        )
    });
    let outcome = run(&server, &one_get("/Users", "", "        status: 200\n"));
    let check = outcome.only("get", "http.json-body");
    assert_eq!(check.outcome, "fail");
    assert_eq!(
        check.details,
        ["the body is not JSON (after a UTF-8 byte order mark, U+FEFF): totalResults=0"]
    );
}

// ---- 8. media types ------------------------------------------------------------------------

#[test]
fn the_media_type_check_and_the_html_quirk_claim_only_what_is_documented() {
    let server = HostileServer::start(|_| {
        http(
            200,
            &[("Content-Type", "text/html; charset=utf-8")],
            EMPTY_LIST.as_bytes(),
        )
    });
    let outcome = run(&server, &one_get("/Users", "", "        status: 200\n"));
    let check = outcome.only("get", "http.content-type");
    assert_eq!(check.outcome, "warn");
    assert!(
        check.impact.contains("R18") && check.impact.contains("not say what Entra does"),
        "{}",
        check.impact
    );
    let quirks = harness()
        .args(["serve", "--list-quirks"])
        .output()
        .expect("serve --list-quirks runs");
    let quirks = String::from_utf8_lossy(&quirks.stdout);
    let html = quirks
        .lines()
        .skip_while(|line| !line.contains("html-content-type"))
        .take(3)
        .collect::<Vec<_>>()
        .join(" ");
    assert!(html.contains("not documented"), "{html}");
    assert!(!html.contains("ServiceIncompatible"), "{html}");

    let json = HostileServer::start(|_| {
        http(
            200,
            &[("Content-Type", "application/json")],
            EMPTY_LIST.as_bytes(),
        )
    });
    let outcome = run(&json, &one_get("/Users", "", "        status: 200\n"));
    assert_eq!(outcome.outcomes("get", "http.content-type"), ["pass"]);
}

// ---- 9. numeric ids in attribute-path selectors ----------------------------------------------

#[test]
fn a_selector_finds_a_resource_whose_id_is_a_json_number() {
    let server = HostileServer::start(|request| match request.method() {
        "POST" => scim(
            201,
            r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":1012,"displayName":"G"}"#,
        ),
        "DELETE" => http(204, &[], b""),
        _ => scim(
            200,
            &list_of(
                r#"{"id":1011,"displayName":"G","active":true,"members":[{"value":"u"}]},{"id":1012,"displayName":"G","active":false,"members":[{"value":"stale"}]}"#,
                2,
                2,
            ),
        ),
    });
    let scenario = r#"title: Numeric ids in selectors
steps:
  - name: create
    title: Creates a group
    request:
      method: POST
      path: /Groups
      body: {schemas: [urn:ietf:params:scim:schemas:core:2.0:Group], displayName: G}
    capture:
      group_id: /id
    cleanup:
      method: DELETE
      path: /Groups/{{group_id}}
  - name: find
    title: Finds it
    request:
      method: GET
      path: /Groups
    expect:
      - id: disabled
        title: The selected resource is the created one
        requirement: test
        attributes:
          'Resources[id eq "{{group_id}}"].active': false
      - id: no-members
        title: The selected resource has no members
        requirement: test
        attributes:
          'Resources[id eq "{{group_id}}"].members': {absent_or_empty: true}
"#;
    let outcome = run(&server, scenario);
    // Without the match on the number's text, the first selects nothing (a false failure) and
    // the second passes on the absent value (a false pass).
    assert_eq!(outcome.outcomes("find", "disabled"), ["pass"]);
    assert_eq!(outcome.outcomes("find", "no-members"), ["fail"]);
}

// ---- 10. a ListResponse without `schemas` ----------------------------------------------------

#[test]
fn a_list_response_without_schemas_is_not_taken_for_a_resource_without_an_id() {
    let server = HostileServer::start(|_| scim(200, r#"{"totalResults":0,"Resources":[]}"#));
    let outcome = run(&server, &one_get("/Users", "", "        status: 200\n"));
    assert_eq!(outcome.outcomes("get", "resource.id"), Vec::<&str>::new());
    assert_eq!(
        outcome.findings(),
        Vec::<String>::new(),
        "{}",
        outcome.report
    );
}
