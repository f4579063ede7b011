//! Properties of the SCIM model: parsers never panic, the canonical filter text parses back to
//! the same filter, and PATCH application / filter evaluation never panic on arbitrary JSON.

use proptest::prelude::*;
use scim_harness::scim::{
    AttrPath, CompValue, CompareOp, Filter, PatchOptions, PatchPath, ResourceSchema,
    SCHEMA_PATCH_OP, apply_patch, select,
};
use serde_json::{Map, Number, Value, json};

fn attr_name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "userName", "emails", "value", "type", "active", "not", "and", "or", "pr", "eq",
            "$ref", "true", "null", "name",
        ])
        .prop_map(str::to_string),
        "[a-zA-Z$][a-zA-Z0-9_-]{0,6}",
    ]
}

fn attr_path() -> impl Strategy<Value = AttrPath> {
    let urn = prop_oneof![
        3 => Just(None),
        1 => Just(Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User".to_string())),
        1 => "urn:[a-zA-Z0-9.:-]{1,12}".prop_map(Some),
    ];
    (urn, attr_name(), prop::option::of(attr_name())).prop_map(|(urn, name, sub_attr)| AttrPath {
        urn,
        name,
        sub_attr,
    })
}

fn comp_value() -> impl Strategy<Value = CompValue> {
    prop_oneof![
        any::<String>().prop_map(CompValue::Str),
        any::<bool>().prop_map(CompValue::Bool),
        Just(CompValue::Null),
        any::<i64>().prop_map(|n| CompValue::Number(Number::from(n))),
        any::<u64>().prop_map(|n| CompValue::Number(Number::from(n))),
        any::<f64>()
            .prop_filter_map("finite", Number::from_f64)
            .prop_map(CompValue::Number),
    ]
}

fn compare_op() -> impl Strategy<Value = CompareOp> {
    prop::sample::select(vec![
        CompareOp::Eq,
        CompareOp::Ne,
        CompareOp::Co,
        CompareOp::Sw,
        CompareOp::Ew,
        CompareOp::Gt,
        CompareOp::Ge,
        CompareOp::Lt,
        CompareOp::Le,
    ])
}

fn simple_filter() -> impl Strategy<Value = Filter> {
    let leaf =
        prop_oneof![
            (attr_path(), compare_op(), comp_value())
                .prop_map(|(attr, op, value)| Filter::Compare { attr, op, value }),
            attr_path().prop_map(Filter::Present),
        ];
    logical(leaf.boxed())
}

fn logical(leaf: BoxedStrategy<Filter>) -> BoxedStrategy<Filter> {
    leaf.prop_recursive(4, 24, 2, |inner| {
        prop_oneof![
            inner.clone().prop_map(|f| Filter::Not(Box::new(f))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Filter::And(Box::new(a), Box::new(b))),
            (inner.clone(), inner).prop_map(|(a, b)| Filter::Or(Box::new(a), Box::new(b))),
        ]
    })
    .boxed()
}

fn filter() -> BoxedStrategy<Filter> {
    let value_path = (attr_path(), simple_filter()).prop_map(|(attr, inner)| Filter::ValuePath {
        attr: AttrPath {
            sub_attr: None,
            ..attr
        },
        filter: Box::new(inner),
    });
    let leaf = prop_oneof![
        3 => (attr_path(), compare_op(), comp_value())
            .prop_map(|(attr, op, value)| Filter::Compare { attr, op, value }),
        1 => attr_path().prop_map(Filter::Present),
        1 => value_path,
    ];
    logical(leaf.boxed())
}

/// Filter-looking text: a soup of the grammar's tokens.
fn filter_soup() -> impl Strategy<Value = String> {
    let token = prop::sample::select(vec![
        "userName",
        "eq",
        "EQ",
        "\"x\"",
        "\"\\u00e9\"",
        "(",
        ")",
        "[",
        "]",
        "not",
        "and",
        "or",
        "pr",
        "true",
        "null",
        "-1.5e3",
        "emails",
        ".value",
        "urn:ietf:params:scim:schemas:core:2.0:User:userName",
        "\"",
        "\\",
        "gt",
        "co",
        "x.y",
        "1e999",
        " ",
        "",
    ]);
    prop::collection::vec(token, 0..14).prop_map(|tokens| tokens.join(" "))
}

fn json_value() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        prop::sample::select(vec![
            "userName",
            "UserName",
            "active",
            "emails",
            "value",
            "type",
            "work",
            "members",
            "manager",
            "name",
            "givenName",
            "id",
            "meta",
            "schemas",
            "Operations",
            "op",
            "path",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
            "name.givenName",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
        ])
        .prop_map(str::to_string),
        "[a-z.:]{0,6}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter_map("finite", Number::from_f64)
            .prop_map(Value::Number),
        prop::sample::select(vec![
            "",
            "True",
            "false",
            "work",
            "u1",
            "2024-01-01T00:00:00Z",
            "maybe"
        ])
        .prop_map(Value::from),
        any::<String>().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 5, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..5)
                .prop_map(|entries| Value::Object(entries.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn patch_path_text() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "active",
            "userName",
            "name",
            "name.familyName",
            "emails",
            "emails.value",
            "emails[type eq \"work\"].value",
            "emails[type eq \"work\"]",
            "emails[type eq \"work\" and primary eq true].primary",
            "emails[type ne \"work\"].value",
            "members",
            "members[value eq \"u1\"]",
            "members[value eq \"u1\"].value",
            "manager",
            "manager[value eq \"u1\"]",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
            "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User",
            "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User:tag",
            "urn:ietf:params:scim:schemas:core:2.0:User:userName",
            "roles",
            "id",
            "meta.created",
            "",
        ])
        .prop_map(str::to_string),
        any::<String>(),
    ]
}

fn operation() -> impl Strategy<Value = Value> {
    let op = prop::sample::select(vec![
        "add", "Add", "replace", "REPLACE", "remove", "Remove", "move",
    ]);
    (
        op,
        prop::option::of(patch_path_text()),
        prop::option::of(json_value()),
    )
        .prop_map(|(op, path, value)| {
            let mut operation = Map::new();
            operation.insert("op".into(), Value::from(op));
            if let Some(path) = path {
                operation.insert("path".into(), Value::from(path));
            }
            if let Some(value) = value {
                operation.insert("value".into(), value);
            }
            Value::Object(operation)
        })
}

fn options() -> impl Strategy<Value = PatchOptions> {
    any::<[bool; 5]>().prop_map(|flags| PatchOptions {
        case_insensitive_ops: flags[0],
        string_booleans: flags[1],
        value_paths: flags[2],
        upsert_value_paths: flags[3],
        legacy_member_remove_all: flags[4],
    })
}

fn schema() -> impl Strategy<Value = ResourceSchema> {
    prop_oneof![
        Just(ResourceSchema::user()),
        Just(ResourceSchema::group()),
        Just(ResourceSchema::user().restricted(&[
            "userName",
            "emails",
            "active",
            "name.givenName"
        ])),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn filter_parse_never_panics(text in any::<String>()) {
        let _ = Filter::parse(&text);
    }

    #[test]
    fn filter_soup_reparses_to_itself(text in filter_soup()) {
        if let Ok(parsed) = Filter::parse(&text) {
            let canonical = parsed.to_string();
            prop_assert_eq!(Filter::parse(&canonical), Ok(parsed), "{}", canonical);
        }
    }

    #[test]
    fn filter_display_round_trips(filter in filter()) {
        let text = filter.to_string();
        prop_assert_eq!(Filter::parse(&text), Ok(filter), "{}", text);
    }

    #[test]
    fn path_parsers_never_panic(text in any::<String>()) {
        let _ = AttrPath::parse(&text);
        if let Ok(path) = PatchPath::parse(&text) {
            let canonical = path.to_string();
            prop_assert_eq!(PatchPath::parse(&canonical), Ok(path), "{}", canonical);
        }
    }

    #[test]
    fn apply_patch_never_panics_on_arbitrary_json(
        resource in json_value(),
        request in json_value(),
        opts in options(),
        schema in schema(),
    ) {
        let mut patched = resource.clone();
        if apply_patch(&mut patched, &request, &schema, &opts).is_err() {
            prop_assert_eq!(patched, resource);
        }
    }

    #[test]
    fn apply_patch_never_panics_on_plausible_operations(
        resource in json_value(),
        operations in prop::collection::vec(operation(), 1..5),
        opts in options(),
        schema in schema(),
    ) {
        let request = json!({"schemas": [SCHEMA_PATCH_OP], "Operations": operations});
        let mut patched = if resource.is_object() { resource } else { json!({"userName": "u", "emails": resource}) };
        let before = patched.clone();
        match apply_patch(&mut patched, &request, &schema, &opts) {
            Ok(()) => prop_assert!(patched.is_object()),
            Err(error) => {
                prop_assert_eq!(patched, before);
                prop_assert!(error.status == 400, "{}", error);
            }
        }
    }

    #[test]
    fn evaluation_never_panics(resource in json_value(), filter in filter(), path in patch_path_text(), schema in schema()) {
        let _ = filter.matches(&resource, &schema);
        if let Ok(path) = PatchPath::parse(&path) {
            let _ = select(&resource, &path, &schema);
        }
    }
}
