//! PATCH application on arbitrary JSON: never panics, and a failed request leaves the resource
//! untouched. The input is a PatchOp body applied to a typical user and group, or a
//! `[resource, body]` pair.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scim_harness::scim::{PatchOptions, ResourceSchema, apply_patch};
use serde_json::{Value, json};

fn check(resource: &Value, request: &Value, schema: &ResourceSchema, opts: &PatchOptions) {
    let mut patched = resource.clone();
    if apply_patch(&mut patched, request, schema, opts).is_err() {
        assert_eq!(&patched, resource);
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(input) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let user = json!({
        "userName": "a@contoso.com",
        "active": true,
        "name": {"givenName": "A", "familyName": "B"},
        "emails": [{"type": "work", "value": "a@contoso.com", "primary": true}],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"manager": {"value": "m"}}
    });
    let group = json!({"displayName": "G", "members": [{"value": "u1"}, {"value": "u2"}]});
    let lenient = PatchOptions::default();
    let strict = PatchOptions {
        case_insensitive_ops: false,
        string_booleans: false,
        value_paths: true,
        upsert_value_paths: false,
        legacy_member_remove_all: true,
    };
    for opts in [&lenient, &strict] {
        check(&user, &input, &ResourceSchema::user(), opts);
        check(&group, &input, &ResourceSchema::group(), opts);
        if let Some([resource, request]) = input.as_array().map(Vec::as_slice) {
            check(resource, request, &ResourceSchema::user(), opts);
        }
    }
});
