//! The built-in scenarios' verdicts on RFC-legal answers and on single deviations: one deviation
//! gives one failure (the checks that would only repeat it are not judged), answers the RFC
//! allows never fail, and each profile sends only its own PATCH dialect. The target is the
//! reference server, behind a forwarding front that changes one kind of answer where a quirk of
//! the reference server does not exist.

mod hostile;
mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use hostile::{HostileServer, Reply, Request, http, scim};
use scim_harness::server::Quirk;
use serde_json::Value;
use support::{TestServer, harness};

const SUITE: [&str; 5] = [
    "entra-core",
    "entra-users",
    "entra-groups",
    "entra-manager",
    "entra-pagination",
];

/// The reference server behind a front: `change` answers a request itself (it may ask the
/// reference server first, through the port it is given), or lets it through.
struct Front {
    front: HostileServer,
    backend: TestServer,
}

impl Front {
    fn start(change: impl Fn(&Request, u16) -> Option<Reply> + Send + Sync + 'static) -> Front {
        let backend = TestServer::start(&[]);
        let port: u16 = backend
            .url()
            .rsplit(':')
            .next()
            .and_then(|rest| rest.split('/').next())
            .and_then(|port| port.parse().ok())
            .expect("backend port");
        let front = HostileServer::start(move |request| {
            change(request, port).unwrap_or_else(|| Reply::Raw(forward(request, port)))
        });
        Front { front, backend }
    }

    /// Runs scenarios (`args`) through the front; the exit code and the JSON report.
    fn run(&self, args: &[&str]) -> (i32, Value) {
        let dir = tempfile::tempdir().unwrap();
        let json = dir.path().join("report.json");
        let output = harness()
            .args(["run", "--no-snapshots", "--url"])
            .arg(format!("http://127.0.0.1:{}/scim/v2", self.front.port()))
            .arg("--token")
            .arg(&self.backend.token)
            .arg("--json")
            .arg(&json)
            .args(args)
            .output()
            .unwrap();
        let report = serde_json::from_slice(&std::fs::read(&json).expect("JSON report"))
            .expect("JSON report parses");
        assert_eq!(self.backend.count("Users"), 0, "users left behind");
        (output.status.code().expect("exit code"), report)
    }
}

/// Sends the request to the reference server as it came; its answer, as bytes.
fn forward(request: &Request, port: u16) -> Vec<u8> {
    let mut upstream = TcpStream::connect(("127.0.0.1", port)).expect("backend reachable");
    upstream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut head = format!("{}\r\n", request.line);
    for (name, value) in &request.headers {
        if !name.eq_ignore_ascii_case("connection") {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
    }
    head.push_str("Connection: close\r\n\r\n");
    upstream.write_all(head.as_bytes()).expect("forward head");
    upstream.write_all(&request.body).expect("forward body");
    let mut answer = Vec::new();
    upstream.read_to_end(&mut answer).expect("backend answer");
    answer
}

/// The status code of a raw HTTP answer.
fn status_of(answer: &[u8]) -> u16 {
    String::from_utf8_lossy(answer)
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .expect("a status line")
}

fn is_patch_with(request: &Request, needle: &str) -> bool {
    request.method() == "PATCH" && String::from_utf8_lossy(&request.body).contains(needle)
}

/// Every check of the report: (scenario/step/id, outcome, first detail).
fn checks(report: &Value) -> Vec<(String, String, String)> {
    let mut all = Vec::new();
    for scenario in report["scenarios"].as_array().expect("scenarios") {
        for step in scenario["steps"].as_array().expect("steps") {
            for check in step["checks"].as_array().expect("checks") {
                all.push((
                    format!("{}/{}/{}", scenario["name"], step["name"], check["id"])
                        .replace('"', ""),
                    check["outcome"].as_str().unwrap_or_default().to_string(),
                    check["details"][0].as_str().unwrap_or_default().to_string(),
                ));
            }
        }
    }
    all
}

fn with_outcome(report: &Value, outcome: &str) -> Vec<String> {
    checks(report)
        .into_iter()
        .filter(|(_, o, _)| o == outcome)
        .map(|(key, _, _)| key)
        .collect()
}

fn outcome_of(report: &Value, key: &str) -> (String, String) {
    checks(report)
        .into_iter()
        .find(|(k, _, _)| k == key)
        .map(|(_, outcome, detail)| (outcome, detail))
        .unwrap_or_else(|| panic!("no check {key}"))
}

/// The `op` of every PATCH operation the run sent.
fn sent_ops(report: &Value) -> Vec<(String, String)> {
    let mut ops = Vec::new();
    for scenario in report["scenarios"].as_array().expect("scenarios") {
        for step in scenario["steps"].as_array().expect("steps") {
            let exchange = &step["exchange"];
            if exchange["method"] != "PATCH" {
                continue;
            }
            let body: Value =
                serde_json::from_str(exchange["request_body"].as_str().unwrap_or("{}")).unwrap();
            for operation in body["Operations"].as_array().expect("Operations") {
                ops.push((
                    format!("{}/{}", scenario["name"], step["name"]).replace('"', ""),
                    operation["op"].as_str().unwrap_or_default().to_string(),
                ));
            }
        }
    }
    ops
}

#[test]
fn each_profile_sends_only_its_own_dialect() {
    // A server that rejects capitalised ops passes everything entra-compliant sends.
    let server = TestServer::start(&[Quirk::RejectCapitalisedOps]);
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("report.json");
    let output = support::run_against(&server)
        .args(SUITE)
        .args(["--profile", "entra-compliant", "--json"])
        .arg(&json)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{:#?}",
        with_outcome(&report, "fail")
    );
    let capitalised: Vec<_> = sent_ops(&report)
        .into_iter()
        .filter(|(_, op)| op.chars().next().is_some_and(char::is_uppercase))
        .collect();
    assert!(capitalised.is_empty(), "{capitalised:?}");

    // entra-legacy sends Entra's legacy forms only; the manager's validator shapes (lowercase,
    // RFC forms no Entra dialect owns) go out under every profile.
    let server = TestServer::start(&[]);
    let output = support::run_against(&server)
        .args(["entra-core", "entra-users", "entra-groups"])
        .args(["--profile", "entra-legacy", "--json"])
        .arg(&json)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let report: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let lowercase: Vec<_> = sent_ops(&report)
        .into_iter()
        .filter(|(_, op)| op.chars().next().is_some_and(char::is_lowercase))
        .collect();
    assert!(lowercase.is_empty(), "{lowercase:?}");
}

#[test]
fn a_create_answering_200_is_one_failure_not_one_per_create() {
    let server = TestServer::start(&[Quirk::PostReturns200]);
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("report.json");
    support::run_against(&server)
        .args(SUITE)
        .arg("--json")
        .arg(&json)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(
        with_outcome(&report, "fail"),
        ["entra-core/create-user/create.created"]
    );
}

#[test]
fn a_rejected_patch_is_one_failure_and_its_read_back_is_not_judged() {
    // scim2-server's answer to a bare manager id, and a server without value-path upserts.
    let front = Front::start(|request, _| {
        ((is_patch_with(request, ":manager\",\"value\":\"")
            && !is_patch_with(request, ":manager\",\"value\":\"\""))
            || is_patch_with(request, "\"op\":\"Add\",\"path\":\"emails[type eq \\\"work\\\"].value\""))
        .then(|| {
            scim(
                400,
                r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"400","scimType":"invalidValue","detail":"rejected"}"#,
            )
        })
    });
    let (code, report) = front.run(&["entra-manager", "entra-users"]);
    assert_eq!(code, 1);
    assert_eq!(
        with_outcome(&report, "fail"),
        [
            "entra-manager/set-bare-id/manager.set-bare-id-accepted",
            "entra-users/add-work-email/users.value-path-add-accepted",
        ]
    );
    assert!(with_outcome(&report, "warn").is_empty(), "{report:#}");
    assert_eq!(
        outcome_of(&report, "entra-manager/get-after-set/manager.get-shape"),
        (
            "skip".to_string(),
            "not judged: it needs manager.set-bare-id-accepted, which failed".to_string()
        )
    );
    for key in [
        "entra-users/get-after-add-email/users.value-path-upsert",
        "entra-users/match-by-work-email/users.filter-work-email",
    ] {
        assert_eq!(outcome_of(&report, key).0, "skip", "{key}");
    }
}

#[test]
fn a_success_answer_that_applies_nothing_fails_the_read_back() {
    // 204 without applying: the Replace that should upsert the work email, the replace with ""
    // that should clear the manager, and both userName renames.
    let front = Front::start(|request, _| {
        let swallowed = is_patch_with(request, "\"op\":\"Replace\",\"path\":\"emails[type eq")
            || is_patch_with(request, ":manager\",\"value\":\"\"")
            || is_patch_with(request, "\"userName\"");
        swallowed.then(|| http(204, &[], b""))
    });
    let (code, report) = front.run(&["entra-manager", "entra-users"]);
    assert_eq!(code, 1);
    assert_eq!(
        with_outcome(&report, "fail"),
        [
            "entra-users/get-after-replace-missing-email/users.value-path-replace-upsert-applied",
            "entra-users/get-after-rename/users.rename-applied",
            "entra-users/get-after-compliant-rename/users.rename-applied-compliant",
        ]
    );
    assert_eq!(
        with_outcome(&report, "warn"),
        ["entra-manager/get-after-clear/manager.replace-empty-applied"]
    );
    // The matches by the new name need the rename to have been applied.
    assert_eq!(
        outcome_of(&report, "entra-users/match-renamed/users.filter-renamed").0,
        "skip"
    );
}

/// The Replace on a missing work email: a 400 other than noTarget fails.
#[test]
fn replace_on_a_missing_email_fails_on_an_error_other_than_no_target() {
    let front = Front::start(|request, _| {
        is_patch_with(request, "\"op\":\"Replace\",\"path\":\"emails[type eq").then(|| {
            scim(
                400,
                r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"400","scimType":"invalidValue"}"#,
            )
        })
    });
    let (code, report) = front.run(&["entra-users", "--profile", "entra-legacy"]);
    assert_eq!(code, 1);
    assert_eq!(
        outcome_of(
            &report,
            "entra-users/replace-missing-work-email/users.value-path-replace-upsert"
        )
        .0,
        "fail"
    );
}

#[test]
fn a_server_that_rejects_renames_fails_the_rename_once() {
    let front = Front::start(|request, _| {
        is_patch_with(request, "\"userName\"").then(|| {
            scim(
                400,
                r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"400","scimType":"mutability","detail":"userName cannot be changed"}"#,
            )
        })
    });
    let (code, report) = front.run(&["entra-users"]);
    assert_eq!(code, 1);
    assert_eq!(
        with_outcome(&report, "fail"),
        [
            "entra-users/rename/users.rename-accepted",
            "entra-users/rename-compliant/users.rename-accepted-compliant",
        ]
    );
}

#[test]
fn rejecting_sw_leaves_pagination_not_judged_with_a_warning() {
    let front = Front::start(|request, _| {
        let target = request.target();
        (target.contains("filter=userName+sw+") || target.contains("filter=userName%20sw%20"))
            .then(|| {
                scim(
                    400,
                    r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"400","scimType":"invalidFilter","detail":"only eq and and"}"#,
                )
            })
    });
    let (code, report) = front.run(&["entra-pagination"]);
    assert_eq!(code, 0, "a warning only: {report:#}");
    assert_eq!(
        with_outcome(&report, "warn"),
        ["entra-pagination/list-own-users/pagination.isolation-filter"]
    );
    for step in ["first-page", "second-page"] {
        let key = format!("entra-pagination/{step}/pagination.{step}");
        assert_eq!(
            outcome_of(&report, &key),
            (
                "skip".to_string(),
                "not judged: it needs pagination.isolation-filter, which warned".to_string()
            )
        );
    }
}

/// Without `sw`, pagination is still judged on one unfiltered page: a server that ignores
/// `startIndex` and `count` fails it.
#[test]
fn a_server_that_ignores_paging_fails_even_without_sw() {
    let front = Front::start(|request, _| {
        let target = request.target();
        if target.contains("filter=userName+sw+") {
            return Some(scim(
                400,
                r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"400","scimType":"invalidFilter"}"#,
            ));
        }
        target.contains("startIndex=2&count=1").then(|| {
            scim(
                200,
                r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":3,"startIndex":1,"itemsPerPage":3,"Resources":[{"id":"a"},{"id":"b"},{"id":"c"}]}"#,
            )
        })
    });
    let (code, report) = front.run(&["entra-pagination"]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(
        with_outcome(&report, "fail"),
        ["entra-pagination/unfiltered-page/pagination.unfiltered-page"]
    );
}

#[test]
fn error_statuses_are_judged_by_status_and_bodies_by_the_built_in_check() {
    // 403 for a missing token, and errors with HTML or plain-text bodies.
    let front = Front::start(|request, _| {
        if request.header("authorization").is_none() {
            return Some(scim(
                403,
                r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"403","detail":"forbidden"}"#,
            ));
        }
        None
    });
    let (code, report) = front.run(&["entra-core"]);
    assert_eq!(code, 0);
    assert_eq!(
        with_outcome(&report, "warn"),
        ["entra-core/no-token/auth.missing-token-rejected"]
    );

    let front = Front::start(|request, port| {
        if request.method() == "POST" && String::from_utf8_lossy(&request.body).contains("DANA") {
            return Some(http(409, &[("Content-Type", "text/plain")], b"conflict"));
        }
        // Every 404 from the reference server becomes an HTML page.
        let answer = forward(request, port);
        Some(match status_of(&answer) {
            404 => http(
                404,
                &[("Content-Type", "text/html")],
                b"<html>Not Found</html>",
            ),
            _ => Reply::Raw(answer),
        })
    });
    let (_, report) = front.run(&["entra-core", "entra-users"]);
    for key in [
        "entra-core/get-deleted-user/delete.then-not-found",
        "entra-users/get-unknown/users.unknown-not-found",
        "entra-users/create-duplicate/users.duplicate-conflict",
    ] {
        assert_eq!(outcome_of(&report, key).0, "pass", "{key}");
    }
    assert_eq!(
        outcome_of(
            &report,
            "entra-users/create-duplicate/users.duplicate-scim-type"
        )
        .0,
        "warn"
    );
    let failed = with_outcome(&report, "fail");
    assert!(
        !failed.is_empty() && failed.iter().all(|key| key.ends_with("/http.error-body")),
        "{failed:?}"
    );
}

#[test]
fn a_delete_of_an_unknown_id_that_answers_success_warns() {
    let front = Front::start(|request, port| {
        let answer = forward(request, port);
        Some(match (request.method(), status_of(&answer)) {
            ("DELETE", 404) => http(204, &[], b""),
            _ => Reply::Raw(answer),
        })
    });
    let (code, report) = front.run(&["entra-users"]);
    assert_eq!(code, 0, "warnings only");
    assert_eq!(
        with_outcome(&report, "warn"),
        [
            "entra-users/delete-unknown/users.delete-unknown-not-found",
            "entra-users/delete-again/users.second-delete-not-found",
        ]
    );
}

/// A DELETE that answers 200 but deletes nothing: the read-back still judges the user gone (the
/// status alone is its own finding), and the cleanup, which the read-back shows is still owed,
/// removes the user (`run` asserts the backend is empty).
#[test]
fn a_delete_that_answers_success_but_keeps_the_user_fails_its_read_back() {
    let swallowed = std::sync::atomic::AtomicBool::new(false);
    let front = Front::start(move |request, _| {
        let first_delete = request.method() == "DELETE"
            && request.target().contains("/Users/")
            && !swallowed.swap(true, std::sync::atomic::Ordering::SeqCst);
        first_delete.then(|| http(200, &[], b""))
    });
    let (code, report) = front.run(&["entra-core"]);
    assert_eq!(code, 1);
    assert_eq!(
        with_outcome(&report, "fail"),
        [
            "entra-core/delete-user/delete.no-content",
            "entra-core/get-deleted-user/delete.then-not-found",
        ]
    );
}

/// The default profile sends both disables; where the legacy one is refused but the compliant
/// one works, whether the disabled user is still found is judged.
#[test]
fn the_disabled_user_is_judged_matchable_after_the_compliant_disable_alone() {
    let server = TestServer::start(&[Quirk::RejectStringBooleans]);
    let output = support::run_against(&server)
        .args(["entra-core", "--format", "json"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON report");
    assert_eq!(
        outcome_of(
            &report,
            "entra-core/match-disabled-user/deprovision.still-matchable"
        )
        .0,
        "pass"
    );
}
