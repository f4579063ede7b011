//! The loader on good files, on the built-ins, and the limits and lookups around it.

use std::path::Path;

use scim_harness::scenario::load::{LoadOptions, MAX_FILE_BYTES, MAX_STEPS, load_file, load_str};
use scim_harness::scenario::model::{
    Assertion, Auth, Body, CaptureSource, JsonType, Method, Severity, ValueCheck,
};
use scim_harness::scenario::resolve;
use scim_harness::scenario::template::Vars;
use serde_json::json;

const GOOD: &str = "tests/fixtures/scenarios/good";

fn with_tenant() -> LoadOptions {
    LoadOptions {
        extra_vars: vec!["tenant".into()],
    }
}

fn vars(pairs: &[(&str, &str)]) -> Vars {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn minimal_file_takes_its_name_from_the_file_stem() {
    let scenario = load_file(
        &Path::new(GOOD).join("minimal.yaml"),
        &LoadOptions::default(),
    )
    .expect("loads");
    assert_eq!(scenario.name, "minimal");
    assert_eq!(
        &*scenario.source,
        "tests/fixtures/scenarios/good/minimal.yaml"
    );
    let step = &scenario.steps[0];
    assert_eq!(step.auth, Auth::Token);
    assert!(step.snapshot.enabled);
    assert!(step.expect.is_empty() && step.captures.is_empty() && step.cleanup.is_none());
    assert_eq!(
        step.location.to_string(),
        "tests/fixtures/scenarios/good/minimal.yaml:3:5"
    );
    assert_eq!(step.request.location.line, 6);
}

#[test]
fn every_form_of_the_format_loads_into_the_model() {
    let scenario =
        load_file(&Path::new(GOOD).join("every-form.yaml"), &with_tenant()).expect("loads");
    assert_eq!(scenario.name, "every-form");
    assert_eq!(
        scenario.description.as_deref(),
        Some("Used by the loader's tests.\n")
    );
    assert_eq!(scenario.requirements, ["R2", "R8"]);
    assert_eq!(scenario.profiles, ["test", "entra-legacy"]);
    let names: Vec<&str> = scenario.vars.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(names, ["probe", "user_name", "shout"]);
    let run = vars(&[("run.prefix", "scimh-1"), ("tenant", "t")]);
    let mut defined = run.clone();
    defined.insert(
        "user_name".into(),
        scenario.vars[1].value.render(&run).unwrap(),
    );
    assert_eq!(
        scenario.vars[2].value.render(&defined).unwrap(),
        "SCIMH-1.ALICE@CONTOSO.EXAMPLE-t"
    );

    let [connection, wrong, none, create, raw] = scenario.steps.as_slice() else {
        panic!("five steps expected");
    };
    assert_eq!(connection.request.method, Method::Get);
    let query: Vec<&str> = connection
        .request
        .query
        .iter()
        .map(|(k, _)| k.as_str())
        .collect();
    assert_eq!(query, ["filter", "count"]);
    assert_eq!(connection.request.headers[0].0, "User-Agent");
    assert!(!connection.snapshot.enabled);
    let check = &connection.expect[0];
    assert_eq!(check.severity, Severity::Warn);
    assert_eq!(check.impact.as_deref(), Some("Test Connection fails."));
    assert!(matches!(check.assertions[0], Assertion::Status(ref s) if s == &[200]));
    assert!(matches!(check.assertions[1], Assertion::List(ref l) if l.total == Some(0)));
    assert!(matches!(check.assertions[2], Assertion::FilterHonoured));
    assert!(matches!(
        check.assertions[3],
        Assertion::Json { ref pointer, check: ValueCheck::IsType(JsonType::Integer) } if pointer == "/totalResults"
    ));
    assert!(matches!(
        check.assertions[4],
        Assertion::Json {
            check: ValueCheck::AbsentOrEmpty,
            ..
        }
    ));

    let Auth::Bearer(token) = &wrong.auth else {
        panic!("bearer auth expected");
    };
    assert_eq!(token.render(&run).unwrap(), "scimh-1-not-the-token");
    assert!(matches!(wrong.expect[0].assertions[0], Assertion::Status(ref s) if s == &[401, 403]));
    assert!(matches!(
        wrong.expect[0].assertions[1],
        Assertion::ScimError
    ));

    assert_eq!(none.auth, Auth::None);
    assert!(none.snapshot.enabled);
    assert_eq!(
        none.snapshot.redact,
        ["/body/detail", "/headers/www-authenticate"]
    );

    let Some(Body::Json(body)) = &create.request.body else {
        panic!("JSON body expected");
    };
    assert_eq!(
        body.render(&vars(&[("user_name", "bob")])).unwrap(),
        json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "bob", "active": true, "postalCode": "98000", "count": 3, "ratio": 1.5, "nothing": null})
    );
    assert_eq!(create.captures[0].var, "user_id");
    assert_eq!(create.captures[0].source, CaptureSource::Body("/id".into()));
    assert_eq!(
        create.captures[1].source,
        CaptureSource::Header("Location".into())
    );
    let cleanup = create.cleanup.as_ref().expect("cleanup");
    assert_eq!(cleanup.method, Method::Delete);
    assert_eq!(
        cleanup.path.render(&vars(&[("user_id", "42")])).unwrap(),
        "/Users/42"
    );
    let assertions = &create.expect[0].assertions;
    assert!(matches!(assertions[1], Assertion::Resource));
    let checks: Vec<(&str, &ValueCheck)> = assertions
        .iter()
        .filter_map(|a| match a {
            Assertion::Attribute { path, check } => Some((path.source(), check)),
            _ => None,
        })
        .collect();
    assert_eq!(checks.len(), 7);
    assert!(matches!(checks[0].1, ValueCheck::EqualsIgnoreCase(_)));
    let ValueCheck::Equals(active) = checks[1].1 else {
        panic!("a bare scalar is equals");
    };
    assert_eq!(active.render(&Vars::new()).unwrap(), json!(true));
    assert_eq!(checks[2].0, "emails[type eq \"work\"].value");
    assert!(matches!(checks[2].1, ValueCheck::Exists));
    assert!(matches!(checks[3].1, ValueCheck::Absent));
    assert!(matches!(checks[4].1, ValueCheck::Contains(_)));
    assert!(
        matches!(checks[5].1, ValueCheck::OneOf(v) if v == &vec![json!("a"), json!(1), json!(true)])
    );
    let ValueCheck::Equals(name) = checks[6].1 else {
        panic!("equals expected");
    };
    assert_eq!(
        name.render(&Vars::new()).unwrap(),
        json!({"givenName": "Alice"})
    );
    assert!(
        matches!(assertions[9], Assertion::Header { ref name, check: ValueCheck::Exists } if name == "Location")
    );

    assert!(create.expect[0].needs.is_empty());
    assert_eq!(raw.expect[0].needs, ["create.created"]);

    assert_eq!(raw.request.method, Method::Patch);
    let Some(Body::Raw(raw_body)) = &raw.request.body else {
        panic!("raw body expected");
    };
    assert_eq!(
        raw_body.render(&Vars::new()).unwrap(),
        "{\"Operations\": [{{"
    );
    let Assertion::List(list) = &raw.expect[0].assertions[1] else {
        panic!("list expected");
    };
    assert_eq!(list.contains.len(), 1);
    assert_eq!(list.excludes[0].source(), "{{probe}}");
}

#[test]
fn extra_vars_define_names_everywhere() {
    let path = Path::new(GOOD).join("every-form.yaml");
    let error = load_file(&path, &LoadOptions::default()).unwrap_err();
    assert!(
        error.to_string().contains("undefined variable `tenant`"),
        "{error}"
    );
    assert!(
        error.to_string().contains("every-form.yaml:12:10"),
        "{error}"
    );
}

#[test]
fn the_leads_broken_file_names_line_col_and_method() {
    let text = "title: broken\nsteps:\n  - name: a\n    title: b\n    request:\n      metod: GET\n      path: /Users\n";
    let error = load_str("broken.yaml", text, &LoadOptions::default()).unwrap_err();
    let message = error.to_string();
    assert!(message.contains("broken.yaml:6:7"), "{message}");
    assert!(message.contains("method"), "{message}");
    let location = error.location.expect("location");
    assert_eq!((location.line, location.column), (6, 7));
}

#[test]
fn pasted_json_is_a_scenario_too() {
    let text = r#"{"title": "json", "steps": [{"name": "a", "title": "b", "request": {"method": "GET", "path": "/Users"}}]}"#;
    let scenario = load_str("pasted.yaml", text, &LoadOptions::default()).expect("loads");
    assert_eq!(scenario.steps.len(), 1);
}

#[test]
fn too_large_files_are_refused_before_parsing() {
    let text = format!("title: big\n#{}\n", "x".repeat(MAX_FILE_BYTES));
    let error = load_str("big.yaml", &text, &LoadOptions::default()).unwrap_err();
    assert!(
        error.to_string().contains("limited to 1048576 bytes"),
        "{error}"
    );

    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("big.yaml");
    std::fs::write(&path, &text).unwrap();
    let error = load_file(&path, &LoadOptions::default()).unwrap_err();
    assert!(error.to_string().contains("limited to"), "{error}");
}

#[test]
fn too_many_steps_are_refused() {
    let mut text = String::from("title: many\nsteps:\n");
    for index in 0..=MAX_STEPS {
        text.push_str(&format!(
            "  - {{name: s{index}, title: t, request: {{method: GET, path: /Users}}}}\n"
        ));
    }
    let error = load_str("many.yaml", &text, &LoadOptions::default()).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("501 steps; a scenario may have at most 500"),
        "{error}"
    );
    assert!(error.to_string().contains("many.yaml:3:3"), "{error}");
}

#[test]
fn unreadable_and_non_utf8_files_are_errors() {
    let error = load_file(
        Path::new("tests/fixtures/no-such.yaml"),
        &LoadOptions::default(),
    )
    .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("cannot read tests/fixtures/no-such.yaml"),
        "{error}"
    );
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("latin1.yaml");
    std::fs::write(&path, b"title: caf\xe9\n").unwrap();
    let error = load_file(&path, &LoadOptions::default()).unwrap_err();
    assert!(error.to_string().contains("not UTF-8"), "{error}");
}

#[test]
fn resolve_without_args_runs_the_profile_suite() {
    let entra = resolve(&[], "entra", &LoadOptions::default()).expect("built-ins load");
    assert!(entra.iter().any(|s| s.name == "entra-core"));
    let names: Vec<&str> = entra.iter().map(|s| s.name.as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(names, sorted);
    assert!(
        resolve(&[], "no-such-profile", &LoadOptions::default())
            .unwrap()
            .is_empty()
    );
}

#[test]
fn resolve_takes_files_folders_and_builtin_names() {
    let args = vec![format!("{GOOD}/minimal.yaml"), "entra-core".to_string()];
    let scenarios = resolve(&args, "entra", &LoadOptions::default()).expect("resolves");
    let names: Vec<&str> = scenarios.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["minimal", "entra-core"]);
    assert_eq!(&*scenarios[1].source, "scenarios/entra-core.yaml");

    let folder = resolve(&[GOOD.to_string()], "entra", &with_tenant()).expect("folder");
    let names: Vec<&str> = folder.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["every-form", "minimal"]);
}

#[test]
fn resolve_rejects_unknown_names_and_duplicates() {
    let error = resolve(&["entra-cor".to_string()], "entra", &LoadOptions::default()).unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains("no built-in scenario or file named `entra-cor`"),
        "{message}"
    );
    assert!(message.contains("did you mean `entra-core`?"), "{message}");

    let twice = vec!["entra-core".to_string(), "entra-core".to_string()];
    let error = resolve(&twice, "entra", &LoadOptions::default()).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("two scenarios are named `entra-core`"),
        "{error}"
    );

    let empty = tempfile::tempdir().unwrap();
    let error = resolve(
        &[empty.path().display().to_string()],
        "entra",
        &LoadOptions::default(),
    )
    .unwrap_err();
    assert!(error.to_string().contains("holds no *.yaml"), "{error}");
}
