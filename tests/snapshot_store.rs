//! The snapshot store against real files: insta-compatible writing, every update mode, and the
//! review operations.

use std::ffi::OsString;
use std::path::Path;

use scim_harness::snapshot::{
    PendingSnapshot, Selection, SnapshotError, SnapshotKey, SnapshotMeta, SnapshotOutcome,
    SnapshotStore, UpdateMode, accept, pending, reject, render_document,
};
use serde_json::{Value, json};

fn key(step: &str) -> SnapshotKey {
    SnapshotKey {
        scenario: "entra-core".into(),
        index: 5,
        step: step.into(),
        target: "reference".into(),
    }
}

fn meta() -> SnapshotMeta {
    SnapshotMeta {
        source: "scenarios/entra-core.yaml".into(),
        description: "Entra creates the user: POST /Users".into(),
        info: json!({"step": "scenarios/entra-core.yaml:88:5", "request": "POST /Users"}),
    }
}

fn user(active: bool) -> Value {
    json!({"status": 201, "headers": {"content-type": "application/scim+json"}, "body": {"userName": "[user_name]", "active": active, "id": "[id]"}})
}

#[test]
fn file_name_follows_the_insta_convention() {
    assert_eq!(
        key("create-user").file_name(),
        "entra-core__05_create-user@reference.snap"
    );
    let odd = SnapshotKey {
        scenario: "s".into(),
        index: 12,
        step: "x".into(),
        target: "../api.example.com:8443".into(),
    };
    assert_eq!(odd.file_name(), "s__12_x@..-api.example.com-8443.snap");
}

#[test]
fn writer_roundtrips_through_insta() {
    let folder = tempfile::tempdir().unwrap();
    let store = SnapshotStore::new(folder.path().join("snapshots"), UpdateMode::New);
    let outcome = store
        .check(&key("create-user"), &user(true), &meta())
        .unwrap();
    let SnapshotOutcome::New {
        actual,
        pending: Some(pending),
    } = outcome
    else {
        panic!("a new snapshot with a pending file expected, got {outcome:?}");
    };
    assert_eq!(
        pending,
        folder
            .path()
            .join("snapshots/entra-core__05_create-user@reference.snap.new")
    );
    let text = std::fs::read_to_string(&pending).unwrap();
    assert_eq!(
        text,
        "---\nsource: scenarios/entra-core.yaml\ndescription: \"Entra creates the user: POST /Users\"\n\
         info: {\"request\":\"POST /Users\",\"step\":\"scenarios/entra-core.yaml:88:5\"}\n---\n{\n  \"body\": {\n    \"active\": true,\n    \"id\": \"[id]\",\n    \"userName\": \"[user_name]\"\n  },\n  \"headers\": {\n    \"content-type\": \"application/scim+json\"\n  },\n  \"status\": 201\n}\n"
    );
    let parsed = insta::Snapshot::from_file(&pending).expect("insta parses our file");
    assert_eq!(
        parsed.metadata().source(),
        Some("scenarios/entra-core.yaml")
    );
    assert_eq!(
        parsed.metadata().description(),
        Some("Entra creates the user: POST /Users")
    );
    assert_eq!(parsed.contents().as_text().unwrap().to_string(), actual);
}

#[test]
fn header_values_are_quoted_only_when_yaml_needs_it() {
    let folder = tempfile::tempdir().unwrap();
    let store = SnapshotStore::new(folder.path().to_path_buf(), UpdateMode::Always);
    let descriptions = [
        ("plain words", "plain words"),
        ("true", "\"true\""),
        ("404", "\"404\""),
        ("- dash", "\"- dash\""),
        ("say \"hi\"\tnow", "\"say \\\"hi\\\"\\tnow\""),
        ("multi\nline", "\"multi\\nline\""),
        (".hidden", "\".hidden\""),
    ];
    for (index, (description, written)) in descriptions.iter().enumerate() {
        let key = SnapshotKey {
            index,
            ..key("quoting")
        };
        let meta = SnapshotMeta {
            description: description.to_string(),
            info: Value::Null,
            ..meta()
        };
        let SnapshotOutcome::Written { path } = store.check(&key, &json!({"a": 1}), &meta).unwrap()
        else {
            panic!("always mode writes the baseline");
        };
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.contains(&format!("\ndescription: {written}\n")),
            "{text}"
        );
        assert!(!text.contains("info:"), "{text}");
        let parsed = insta::Snapshot::from_file(&path).unwrap();
        assert_eq!(parsed.metadata().description(), Some(*description));
    }
}

#[test]
fn matched_changed_and_stale_pending_files() {
    let folder = tempfile::tempdir().unwrap();
    let root = folder.path().to_path_buf();
    let store = SnapshotStore::new(root.clone(), UpdateMode::New);
    let key = key("create-user");
    store.check(&key, &user(true), &meta()).unwrap();
    assert_eq!(
        accept(&root, &Selection::All).unwrap(),
        [store.path_of(&key)]
    );

    assert_eq!(
        store.check(&key, &user(true), &meta()).unwrap(),
        SnapshotOutcome::Matched
    );

    let outcome = store.check(&key, &user(false), &meta()).unwrap();
    let SnapshotOutcome::Changed {
        baseline,
        actual,
        pending: Some(pending),
    } = outcome
    else {
        panic!("a change with a pending file expected, got {outcome:?}");
    };
    assert!(baseline.contains("\"active\": true"));
    assert!(actual.contains("\"active\": false"));
    assert!(pending.is_file());

    // The server is fixed: the match removes the stale pending file, as insta does.
    assert_eq!(
        store.check(&key, &user(true), &meta()).unwrap(),
        SnapshotOutcome::Matched
    );
    assert!(!pending.exists());
}

#[test]
fn comparison_ignores_trailing_whitespace_and_crlf() {
    let folder = tempfile::tempdir().unwrap();
    let store = SnapshotStore::new(folder.path().to_path_buf(), UpdateMode::No);
    let key = key("crlf");
    let body = render_document(&json!({"a": [1, 2]})).unwrap();
    let text = format!(
        "---\nsource: s.yaml\n---\n{}\r\n\r\n  \n",
        body.replace('\n', "\r\n")
    );
    std::fs::write(store.path_of(&key), text).unwrap();
    assert_eq!(
        store.check(&key, &json!({"a": [1, 2]}), &meta()).unwrap(),
        SnapshotOutcome::Matched
    );
}

#[test]
fn no_mode_writes_nothing() {
    let folder = tempfile::tempdir().unwrap();
    let root = folder.path().join("snapshots");
    let store = SnapshotStore::new(root.clone(), UpdateMode::No);
    let key = key("create-user");
    let outcome = store.check(&key, &user(true), &meta()).unwrap();
    assert!(
        matches!(outcome, SnapshotOutcome::New { pending: None, .. }),
        "{outcome:?}"
    );
    assert!(!root.exists());

    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(
        store.path_of(&key),
        format!(
            "---\nsource: s.yaml\n---\n{}\n",
            render_document(&user(true)).unwrap()
        ),
    )
    .unwrap();
    let outcome = store.check(&key, &user(false), &meta()).unwrap();
    assert!(
        matches!(outcome, SnapshotOutcome::Changed { pending: None, .. }),
        "{outcome:?}"
    );
    assert!(pending(&root).unwrap().is_empty());
}

#[test]
fn always_mode_rewrites_the_baseline() {
    let folder = tempfile::tempdir().unwrap();
    let store = SnapshotStore::new(folder.path().to_path_buf(), UpdateMode::Always);
    let key = key("create-user");
    let first = store.check(&key, &user(true), &meta()).unwrap();
    assert_eq!(
        first,
        SnapshotOutcome::Written {
            path: store.path_of(&key)
        }
    );
    let second = store.check(&key, &user(false), &meta()).unwrap();
    assert_eq!(
        second,
        SnapshotOutcome::Written {
            path: store.path_of(&key)
        }
    );
    assert!(
        std::fs::read_to_string(store.path_of(&key))
            .unwrap()
            .contains("\"active\": false")
    );
    assert_eq!(
        store.check(&key, &user(false), &meta()).unwrap(),
        SnapshotOutcome::Matched
    );
    assert!(pending(folder.path()).unwrap().is_empty());
}

#[test]
fn auto_mode_turns_into_no_in_ci_by_insta_rule() {
    let env = |pairs: &'static [(&'static str, &'static str)]| {
        move |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| OsString::from(v))
        }
    };
    assert_eq!(UpdateMode::Auto.effective_with(env(&[])), UpdateMode::Auto);
    assert_eq!(
        UpdateMode::Auto.effective_with(env(&[("CI", "true")])),
        UpdateMode::No
    );
    assert_eq!(
        UpdateMode::Auto.effective_with(env(&[("CI", "1")])),
        UpdateMode::No
    );
    assert_eq!(
        UpdateMode::Auto.effective_with(env(&[("CI", "")])),
        UpdateMode::Auto
    );
    assert_eq!(
        UpdateMode::Auto.effective_with(env(&[("CI", "0")])),
        UpdateMode::Auto
    );
    assert_eq!(
        UpdateMode::Auto.effective_with(env(&[("CI", "false")])),
        UpdateMode::Auto
    );
    assert_eq!(
        UpdateMode::Auto.effective_with(env(&[("TF_BUILD", "")])),
        UpdateMode::No
    );
    assert_eq!(
        UpdateMode::New.effective_with(env(&[("CI", "true")])),
        UpdateMode::New
    );
    assert_eq!(
        UpdateMode::Always.effective_with(env(&[("CI", "true")])),
        UpdateMode::Always
    );
}

#[test]
fn a_broken_baseline_is_an_error_not_a_new_snapshot() {
    let folder = tempfile::tempdir().unwrap();
    let store = SnapshotStore::new(folder.path().to_path_buf(), UpdateMode::New);
    let key = key("conflict");
    let path = store.path_of(&key);
    std::fs::write(&path, "<<<<<<< HEAD\n{}\n=======\n{}\n>>>>>>> theirs\n").unwrap();
    let error = store.check(&key, &json!({}), &meta()).unwrap_err();
    assert!(matches!(error, SnapshotError::Parse { .. }));
    assert!(
        error.to_string().contains(&path.display().to_string()),
        "{error}"
    );

    std::fs::write(&path, "---\nsource: [unclosed\n---\n{}\n").unwrap();
    let error = store.check(&key, &json!({}), &meta()).unwrap_err();
    assert!(matches!(error, SnapshotError::Parse { .. }), "{error}");
    assert!(!Path::new(&format!("{}.new", path.display())).exists());
}

#[test]
fn key_order_is_canonical_whatever_the_insertion_order() {
    let mut forward = serde_json::Map::new();
    forward.insert("b".into(), json!({"y": 1, "x": 2}));
    forward.insert("a".into(), json!([{"d": 1, "c": 2}]));
    let mut backward = serde_json::Map::new();
    backward.insert("a".into(), json!([{"c": 2, "d": 1}]));
    backward.insert("b".into(), json!({"x": 2, "y": 1}));
    let forward = render_document(&Value::Object(forward)).unwrap();
    assert_eq!(forward, render_document(&Value::Object(backward)).unwrap());
    assert_eq!(
        forward,
        "{\n  \"a\": [\n    {\n      \"c\": 2,\n      \"d\": 1\n    }\n  ],\n  \"b\": {\n    \"x\": 2,\n    \"y\": 1\n  }\n}"
    );
}

fn two_pending(root: &Path) -> SnapshotStore {
    let store = SnapshotStore::new(root.to_path_buf(), UpdateMode::New);
    store
        .check(&key("create-user"), &user(true), &meta())
        .unwrap();
    store
        .check(&key("create-group"), &user(true), &meta())
        .unwrap();
    store
}

#[test]
fn pending_lists_new_files_and_whether_a_baseline_exists() {
    let folder = tempfile::tempdir().unwrap();
    assert!(pending(&folder.path().join("missing")).unwrap().is_empty());
    let store = two_pending(folder.path());
    accept(
        folder.path(),
        &Selection::Name("entra-core__05_create-user@reference".into()),
    )
    .unwrap();
    store
        .check(&key("create-user"), &user(false), &meta())
        .unwrap();
    let listed: Vec<PendingSnapshot> = pending(folder.path()).unwrap();
    let summary: Vec<(String, bool)> = listed.iter().map(|p| (p.name(), p.has_baseline)).collect();
    assert_eq!(
        summary,
        [
            ("entra-core__05_create-group@reference".to_string(), false),
            ("entra-core__05_create-user@reference".to_string(), true),
        ]
    );
    assert_eq!(
        listed[0].to_string(),
        folder
            .path()
            .join("entra-core__05_create-group@reference.snap.new")
            .display()
            .to_string()
    );
}

#[test]
fn accept_and_reject_select_by_name_suffix_or_unique_prefix() {
    let folder = tempfile::tempdir().unwrap();
    let root = folder.path();
    let store = two_pending(root);

    let ambiguous = accept(root, &Selection::Name("entra-core__05_create".into())).unwrap_err();
    assert!(matches!(ambiguous, SnapshotError::Ambiguous { .. }));
    assert!(
        ambiguous.to_string().contains("create-group@reference"),
        "{ambiguous}"
    );
    assert!(
        ambiguous.to_string().contains("create-user@reference"),
        "{ambiguous}"
    );

    let unknown = reject(root, &Selection::Name("nope".into())).unwrap_err();
    assert!(matches!(unknown, SnapshotError::NoSuchPending { .. }));
    assert!(
        unknown
            .to_string()
            .contains("pending: entra-core__05_create-group@reference"),
        "{unknown}"
    );

    let accepted = accept(root, &Selection::Name("entra-core__05_create-u".into())).unwrap();
    assert_eq!(accepted, [store.path_of(&key("create-user"))]);
    assert!(store.path_of(&key("create-user")).is_file());

    let rejected = reject(
        root,
        &Selection::Name("entra-core__05_create-group@reference.snap.new".into()),
    )
    .unwrap();
    assert_eq!(
        rejected,
        [root.join("entra-core__05_create-group@reference.snap.new")]
    );
    assert!(!store.path_of(&key("create-group")).exists());
    assert!(pending(root).unwrap().is_empty());
    assert!(accept(root, &Selection::All).unwrap().is_empty());
}

#[test]
fn accept_all_then_the_next_run_matches() {
    let folder = tempfile::tempdir().unwrap();
    let store = two_pending(folder.path());
    assert_eq!(accept(folder.path(), &Selection::All).unwrap().len(), 2);
    for step in ["create-user", "create-group"] {
        assert_eq!(
            store.check(&key(step), &user(true), &meta()).unwrap(),
            SnapshotOutcome::Matched
        );
    }
}
