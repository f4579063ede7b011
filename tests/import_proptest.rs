//! Whatever a provisioning log holds (quotes, `{{`, newlines, control characters, any Unicode),
//! import-log never panics, the scenario it writes always loads, and the values from the log
//! reach the requests unchanged.

use proptest::prelude::*;
use scim_harness::import::{
    self, Dialect, Identity, ImportOptions, LogEntry, Mapping, ModifiedProperty, ParsedLog,
    ProvisioningStep, Status,
};
use scim_harness::scenario::load::{LoadOptions, load_str};
use scim_harness::scenario::model::Body;
use scim_harness::scenario::template::Vars;
use serde_json::Value;

/// Text from a log: arbitrary Unicode, and the shapes that break YAML and templates.
fn log_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        prop::string::string_regex("[{}\"'#:|>&*!%@`\\\\ \n\t-]{0,8}[a-z]{0,4}").expect("regex"),
        prop::string::string_regex("\\{\\{ ?[a-z.]{0,8} ?\\}\\}").expect("regex"),
        prop::sample::select(vec![
            "False", "true", "null", "~", "yes", "0123", "- x", "a: b", " lead", "trail ",
            "\u{7f}", "\u{85}", "\u{2028}", "\u{feff}", "\u{fffe}", "\u{ffff}", "\r\n",
        ])
        .prop_map(str::to_string),
    ]
}

/// Property names the mapping knows (by source and by target) and ones it does not.
fn property_name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "displayName",
            "mail",
            "givenName",
            "jobTitle",
            "accountEnabled",
            "IsSoftDeleted",
            "manager",
            "department",
            "emails[type eq \"work\"].value",
            "name.familyName",
            "userName",
        ])
        .prop_map(str::to_string),
        log_text(),
    ]
}

fn entry() -> impl Strategy<Value = LogEntry> {
    (
        prop::sample::select(vec![
            "create",
            "update",
            "disable",
            "Delete",
            "StagedDelete",
            "EntryExportUpdateSoftDelete",
            "other",
        ]),
        log_text(),
        log_text(),
        prop::option::of(log_text()),
        prop::option::of(log_text()),
        prop::collection::vec(
            (
                property_name(),
                prop::option::of(log_text()),
                prop::option::of(log_text()),
            ),
            0..5,
        ),
        prop::option::of(log_text()),
    )
        .prop_map(
            |(action, display_name, target_id, error_code, reason, properties, upn)| LogEntry {
                id: "entry".to_string(),
                activity_date_time: "2024-05-01T10:00:00Z".to_string(),
                change_id: display_name.chars().rev().collect(),
                cycle_id: String::new(),
                job_id: String::new(),
                action: action.to_string(),
                status: Status::Failure,
                error_code,
                reason: reason.map(|body| format!("StatusCode: BadRequest Web Response: {body}. This operation was retried 1 times.")),
                source: Identity {
                    id: target_id.clone(),
                    display_name,
                    identity_type: "User".to_string(),
                },
                target: Identity {
                    id: target_id,
                    display_name: String::new(),
                    identity_type: "User".to_string(),
                },
                modified_properties: properties
                    .into_iter()
                    .map(|(name, old_value, new_value)| ModifiedProperty {
                        name,
                        old_value,
                        new_value,
                    })
                    .collect(),
                steps: vec![ProvisioningStep {
                    name: "EntryExport".to_string(),
                    status: "failure".to_string(),
                    description: upn.clone().unwrap_or_default(),
                    reportable_identifier: upn,
                }],
            },
        )
}

fn options(dialect: Dialect) -> ImportOptions {
    ImportOptions {
        scenario_name: "repro".to_string(),
        source_label: "log.json".to_string(),
        output_label: "repro.yaml".to_string(),
        dialect,
        include_succeeded: false,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn every_generated_scenario_loads_and_keeps_the_logs_values(
        entries in prop::collection::vec(entry(), 1..4),
        compliant in any::<bool>(),
    ) {
        let dialect = if compliant { Dialect::Compliant } else { Dialect::Legacy };
        let log = ParsedLog { format: "test".to_string(), entries: entries.clone() };
        let Ok(imported) = import::generate(&log, &Mapping::entra_default(), &options(dialect)) else {
            return Ok(());
        };
        let scenario = load_str("repro.yaml", &imported.yaml, &LoadOptions::default())
            .map_err(|e| TestCaseError::fail(format!("{e}\n{}", imported.yaml)))?;
        let mut vars = Vars::new();
        vars.insert("run.prefix".to_string(), "scimh-1".to_string());
        for step in &scenario.steps {
            if let Some(Body::Json(body)) = &step.request.body {
                let body = body.render(&vars).map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert!(body.is_object());
            }
        }
        // A create's display name is the log's value, character for character.
        if let Some(step) = scenario.steps.iter().find(|s| s.name.starts_with("create-")) {
            let create = entries
                .iter()
                .find(|e| e.action == "create")
                .expect("a create step comes from a create entry");
            let expected = create
                .modified_properties
                .iter()
                .rev()
                .find(|p| p.name == "displayName")
                .and_then(|p| p.new_value.clone())
                .filter(|v| !v.is_empty());
            if let (Some(expected), Some(Body::Json(body))) = (expected, &step.request.body) {
                let body = body.render(&vars).map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert_eq!(&body["displayName"], &Value::String(expected));
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn reading_any_text_as_an_export_never_panics(
        main in any::<String>(),
        steps in prop::option::of(any::<String>()),
        properties in prop::option::of(any::<String>()),
    ) {
        let _ = import::parse_json(&main);
        let _ = import::parse_csv(import::CsvFiles {
            main: &main,
            steps: steps.as_deref(),
            modified_properties: properties.as_deref(),
        });
        let _ = import::sibling_names(&main);
        let _ = Mapping::from_yaml("m.yaml", &main);
    }

    #[test]
    fn damaged_exports_never_panic(
        cut in 0usize..4000,
        insert in prop::string::string_regex("[\\[\\]{}\",:a-z0-9 \n]{0,6}").expect("regex"),
    ) {
        let text = include_str!("fixtures/logs/graph-v1.json");
        let mut at = cut.min(text.len());
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        let damaged = format!("{}{insert}{}", &text[..at], &text[at..]);
        if let Ok(log) = import::parse_json(&damaged) {
            let _ = import::generate(&log, &Mapping::entra_default(), &options(Dialect::Legacy));
        }
    }
}
