//! PATCH application against every request shape Entra (legacy and `aadOptscim062020`), the
//! Microsoft SCIM Validator and the Logic-App validator send (entra-reference.md §1.5–§1.10, §3).

use scim_harness::scim::{
    PatchOptions, ResourceSchema, SCHEMA_ENTERPRISE_USER, SCHEMA_PATCH_OP, ScimError, ScimType,
    apply_patch,
};
use serde_json::{Value, json};

const ENTERPRISE: &str = SCHEMA_ENTERPRISE_USER;
const CUSTOM: &str = "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User";

fn body(operations: Value) -> Value {
    json!({"schemas": [SCHEMA_PATCH_OP], "Operations": operations})
}

fn user() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
        "id": "u-1",
        "userName": "a@contoso.com",
        "active": true,
        "displayName": "Alex",
        "nickName": "Al",
        "name": {"givenName": "Alex", "familyName": "Old"},
        "emails": [{"type": "work", "value": "a@contoso.com", "primary": true}],
        "meta": {"resourceType": "User"},
        ENTERPRISE: {"department": "Sales"}
    })
}

fn group() -> Value {
    json!({"id": "g-1", "displayName": "Team", "members": [{"value": "u1"}, {"value": "u2"}]})
}

fn patch_with(
    resource: Value,
    schema: &ResourceSchema,
    operations: Value,
    opts: &PatchOptions,
) -> Result<Value, ScimError> {
    let mut patched = resource.clone();
    let result = apply_patch(&mut patched, &body(operations), schema, opts);
    if result.is_err() {
        assert_eq!(
            patched, resource,
            "a failed PATCH must leave the resource untouched"
        );
    }
    result.map(|()| patched)
}

fn patch_user(operations: Value) -> Result<Value, ScimError> {
    patch_with(
        user(),
        &ResourceSchema::user(),
        operations,
        &PatchOptions::default(),
    )
}

fn patch_group(operations: Value) -> Result<Value, ScimError> {
    patch_with(
        group(),
        &ResourceSchema::group(),
        operations,
        &PatchOptions::default(),
    )
}

fn ok(result: Result<Value, ScimError>, what: &str) -> Value {
    result.unwrap_or_else(|e| panic!("{what}: {e}"))
}

fn fails(result: Result<Value, ScimError>, status: u16, scim_type: ScimType, what: &str) {
    match result {
        Ok(value) => panic!("{what}: expected {status} {scim_type}, got {value}"),
        Err(e) => {
            assert_eq!(
                (e.status, e.scim_type),
                (status, Some(scim_type)),
                "{what}: {e}"
            );
        }
    }
}

#[test]
fn user_attribute_shapes() {
    // (description, operations, pointer, expected value; Value::Null = absent)
    let cases: Vec<(&str, Value, &str, Value)> = vec![
        (
            "legacy Replace on a work email value",
            json!([{"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "new@contoso.com"}]),
            "/emails",
            json!([{"type": "work", "value": "new@contoso.com", "primary": true}]),
        ),
        (
            "Replace name.familyName keeps givenName",
            json!([{"op": "Replace", "path": "name.familyName", "value": "NewFamily"}]),
            "/name",
            json!({"givenName": "Alex", "familyName": "NewFamily"}),
        ),
        (
            "single-valued Replace",
            json!([{"op": "Replace", "path": "userName", "value": "new-upn@contoso.com"}]),
            "/userName",
            json!("new-upn@contoso.com"),
        ),
        (
            "core URN path",
            json!([{"op": "replace", "path": "urn:ietf:params:scim:schemas:core:2.0:User:userName", "value": "b@c"}]),
            "/userName",
            json!("b@c"),
        ),
        (
            "attribute names case-insensitive",
            json!([{"op": "replace", "path": "DISPLAYNAME", "value": "D"}]),
            "/displayName",
            json!("D"),
        ),
        (
            "legacy disable with \"False\"",
            json!([{"op": "Replace", "path": "active", "value": "False"}]),
            "/active",
            json!(false),
        ),
        (
            "lowercase \"false\"",
            json!([{"op": "replace", "path": "active", "value": "false"}]),
            "/active",
            json!(false),
        ),
        (
            "compliant disable",
            json!([{"op": "replace", "path": "active", "value": false}]),
            "/active",
            json!(false),
        ),
        (
            "path-less replace of active and userName",
            json!([{"op": "replace", "value": {"active": false, "userName": "someone"}}]),
            "/userName",
            json!("someone"),
        ),
        (
            "Add nickName",
            json!([{"op": "Add", "path": "nickName", "value": "Babs"}]),
            "/nickName",
            json!("Babs"),
        ),
        (
            "Remove a single-valued attribute",
            json!([{"op": "Remove", "path": "nickName"}]),
            "/nickName",
            Value::Null,
        ),
        (
            "replace with null clears",
            json!([{"op": "replace", "path": "nickName", "value": null}]),
            "/nickName",
            Value::Null,
        ),
        (
            "replace with empty string clears",
            json!([{"op": "replace", "path": "displayName", "value": ""}]),
            "/displayName",
            Value::Null,
        ),
        (
            "Add on an enterprise URN path",
            json!([{"op": "Add", "path": format!("{ENTERPRISE}:employeeNumber"), "value": "701984"}]),
            "/urn:ietf:params:scim:schemas:extension:enterprise:2.0:User/employeeNumber",
            json!("701984"),
        ),
        (
            "Replace on an enterprise attribute without its URN",
            json!([{"op": "Replace", "path": "department", "value": "Retail"}]),
            "/urn:ietf:params:scim:schemas:extension:enterprise:2.0:User/department",
            json!("Retail"),
        ),
        (
            "remove the last enterprise attribute drops the extension object",
            json!([{"op": "Remove", "path": format!("{ENTERPRISE}:department")}]),
            "/urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
            Value::Null,
        ),
        (
            "custom extension attribute",
            json!([{"op": "Add", "path": format!("{CUSTOM}:tag"), "value": "701984"}]),
            "/urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User",
            json!({"tag": "701984"}),
        ),
        (
            "string boolean in a filtered sub-attribute",
            json!([{"op": "replace", "path": "emails[type eq \"work\"].primary", "value": "False"}]),
            "/emails/0/primary",
            json!(false),
        ),
        (
            "filtered path and filter are case-insensitive",
            json!([{"op": "replace", "path": "EMAILS[TYPE EQ \"WORK\"].VALUE", "value": "x@y"}]),
            "/emails",
            json!([{"type": "work", "value": "x@y", "primary": true}]),
        ),
        (
            "emails.value without filter sets every element",
            json!([{"op": "replace", "path": "emails.value", "value": "all@y"}]),
            "/emails/0/value",
            json!("all@y"),
        ),
        (
            "roles as JSON-encoded strings are stored as given",
            json!([{"op": "Add", "path": "roles", "value": [{"value": "{\"id\":\"06b0\",\"value\":\"25\",\"displayName\":\"Role1234\"}"}]}]),
            "/roles",
            json!([{"value": "{\"id\":\"06b0\",\"value\":\"25\",\"displayName\":\"Role1234\"}"}]),
        ),
        (
            "compliant roles replace",
            json!([{"op": "replace", "path": "roles", "value": [{"primary": "True", "type": "WindowsAzureActiveDirectoryRole", "display": "Admin", "value": "Admin"}]}]),
            "/roles",
            json!([{"primary": true, "type": "WindowsAzureActiveDirectoryRole", "display": "Admin", "value": "Admin"}]),
        ),
        (
            "path-less add of a whole multi-valued attribute appends",
            json!([{"op": "add", "value": {"emails": [{"type": "home", "value": "h@x"}]}}]),
            "/emails/1",
            json!({"type": "home", "value": "h@x"}),
        ),
    ];
    for (what, operations, pointer, expected) in cases {
        let patched = ok(patch_user(operations), what);
        let actual = patched.pointer(pointer).cloned().unwrap_or(Value::Null);
        assert_eq!(actual, expected, "{what}");
    }
}

#[test]
fn add_active_when_absent() {
    let mut resource = user();
    resource.as_object_mut().map(|o| o.remove("active"));
    let patched = ok(
        patch_with(
            resource,
            &ResourceSchema::user(),
            json!([{"op": "Add", "path": "active", "value": "True"}]),
            &PatchOptions::default(),
        ),
        "add active",
    );
    assert_eq!(patched["active"], json!(true));
}

#[test]
fn work_email_upsert() {
    let mut resource = user();
    resource.as_object_mut().map(|o| o.remove("emails"));
    let operations =
        json!([{"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "w@x"}]);
    let schema = ResourceSchema::user();
    let patched = ok(
        patch_with(
            resource.clone(),
            &schema,
            operations.clone(),
            &PatchOptions::default(),
        ),
        "upsert",
    );
    assert_eq!(patched["emails"], json!([{"type": "work", "value": "w@x"}]));
    let strict = PatchOptions {
        upsert_value_paths: false,
        ..PatchOptions::default()
    };
    fails(
        patch_with(resource.clone(), &schema, operations, &strict),
        400,
        ScimType::NoTarget,
        "no upsert",
    );
    let add = json!([{"op": "Add", "path": "emails[type eq \"work\"].value", "value": "w@x"}]);
    let patched = ok(
        patch_with(resource, &schema, add, &PatchOptions::default()),
        "add upsert",
    );
    assert_eq!(patched["emails"], json!([{"type": "work", "value": "w@x"}]));
    // A home email exists: the work one is added beside it.
    let patched = ok(
        patch_user(
            json!([{"op": "add", "path": "emails[type eq \"home\"].value", "value": "h@x"}]),
        ),
        "second type",
    );
    assert_eq!(patched["emails"].as_array().map(Vec::len), Some(2));
    // A filter that does not say what to create cannot upsert.
    fails(
        patch_user(
            json!([{"op": "replace", "path": "emails[type ne \"work\"].value", "value": "h@x"}]),
        ),
        400,
        ScimType::NoTarget,
        "ne filter",
    );
}

#[test]
fn compliant_path_less_replace_with_dotted_and_urn_keys() {
    let patched = ok(
        patch_user(json!([{"op": "replace", "value": {
            "displayName": "New Name",
            "name.givenName": "Given",
            "name.familyName": "Family",
            format!("{ENTERPRISE}:employeeNumber"): "42",
            "externalId": "ext-1"
        }}])),
        "compliant collapse",
    );
    assert_eq!(patched["displayName"], "New Name");
    assert_eq!(
        patched["name"],
        json!({"givenName": "Given", "familyName": "Family"})
    );
    assert_eq!(
        patched[ENTERPRISE],
        json!({"department": "Sales", "employeeNumber": "42"})
    );
    assert_eq!(patched["externalId"], "ext-1");
    assert!(patched.get("name.givenName").is_none());
}

#[test]
fn path_less_nested_objects_merge() {
    let patched = ok(
        patch_user(json!([{"op": "Replace", "value": {
            "name": {"familyName": "F"},
            ENTERPRISE: {"costCenter": "C1", "manager": "m-9"},
            "schemas": ["ignored"],
            "id": "ignored",
            "meta": {"created": "ignored"},
            "unknownAttribute": "ignored"
        }}])),
        "nested merge",
    );
    assert_eq!(
        patched["name"],
        json!({"givenName": "Alex", "familyName": "F"})
    );
    assert_eq!(
        patched[ENTERPRISE],
        json!({"department": "Sales", "costCenter": "C1", "manager": {"value": "m-9"}})
    );
    assert_eq!(patched["id"], "u-1");
    assert_eq!(patched["meta"], json!({"resourceType": "User"}));
    assert!(patched.get("unknownAttribute").is_none());
    assert_eq!(patched["schemas"], user()["schemas"]);
}

#[test]
fn manager_shapes() {
    let urn_path = format!("{ENTERPRISE}:manager");
    let set: Vec<(&str, Value)> = vec![
        (
            "bare id on the URN path",
            json!([{"op": "Replace", "path": urn_path, "value": "m-1"}]),
        ),
        (
            "Add bare id",
            json!([{"op": "Add", "path": urn_path, "value": "m-1"}]),
        ),
        (
            "validator {value}",
            json!([{"op": "add", "path": urn_path, "value": {"value": "m-1"}}]),
        ),
        (
            "doc example 5",
            json!([{"op": "Add", "path": "manager", "value": [{"$ref": "http://x/scim/Users/m-1", "value": "m-1"}]}]),
        ),
        (
            "manager.value",
            json!([{"op": "replace", "path": format!("{urn_path}.value"), "value": "m-1"}]),
        ),
    ];
    for (what, operations) in set {
        let patched = ok(patch_user(operations), what);
        assert_eq!(
            patched[ENTERPRISE]["manager"],
            json!({"value": "m-1"}),
            "{what}"
        );
    }
    let mut with_manager = user();
    with_manager[ENTERPRISE]["manager"] = json!({"value": "m-1"});
    let schema = ResourceSchema::user();
    let cleared: Vec<(&str, Value)> = vec![
        (
            "remove by URN path",
            json!([{"op": "remove", "path": urn_path}]),
        ),
        (
            "remove by filter",
            json!([{"op": "Remove", "path": "manager[value eq \"m-1\"]"}]),
        ),
        (
            "replace with empty string",
            json!([{"op": "Replace", "path": urn_path, "value": ""}]),
        ),
        (
            "replace with null",
            json!([{"op": "replace", "path": urn_path, "value": null}]),
        ),
        (
            "replace manager.value with empty",
            json!([{"op": "replace", "path": format!("{urn_path}.value"), "value": ""}]),
        ),
    ];
    for (what, operations) in cleared {
        let patched = ok(
            patch_with(
                with_manager.clone(),
                &schema,
                operations,
                &PatchOptions::default(),
            ),
            what,
        );
        assert!(
            patched[ENTERPRISE].get("manager").is_none(),
            "{what}: {patched}"
        );
        assert_eq!(patched[ENTERPRISE]["department"], "Sales", "{what}");
    }
    let kept = ok(
        patch_with(
            with_manager,
            &schema,
            json!([{"op": "Remove", "path": "manager[value eq \"other\"]"}]),
            &PatchOptions::default(),
        ),
        "remove another manager",
    );
    assert_eq!(kept[ENTERPRISE]["manager"], json!({"value": "m-1"}));
}

#[test]
fn group_membership_shapes() {
    let cases: Vec<(&str, Value, Value)> = vec![
        (
            "Add members without duplicates",
            json!([{"op": "Add", "path": "members", "value": [{"$ref": null, "value": "u2"}, {"$ref": null, "value": "u3"}]}]),
            json!([{"value": "u1"}, {"value": "u2"}, {"value": "u3"}]),
        ),
        (
            "legacy Remove with a value list removes only those",
            json!([{"op": "Remove", "path": "members", "value": [{"$ref": null, "value": "u1"}]}]),
            json!([{"value": "u2"}]),
        ),
        (
            "compliant remove by filter",
            json!([{"op": "remove", "path": "members[value eq \"u2\"]"}]),
            json!([{"value": "u1"}]),
        ),
        (
            "validator add member by replace",
            json!([{"op": "replace", "path": "members", "value": [{"value": "u9"}]}]),
            json!([{"value": "u9"}]),
        ),
        (
            "remove all members",
            json!([{"op": "remove", "path": "members"}]),
            Value::Null,
        ),
        (
            "several membership changes in one request",
            json!([
                {"op": "Add", "path": "members", "value": [{"value": "u3"}]},
                {"op": "Remove", "path": "members", "value": [{"value": "u1"}]},
                {"op": "add", "path": "members", "value": [{"value": "u4"}, {"value": "u4"}]},
                {"op": "remove", "path": "members[value eq \"u3\"]"}
            ]),
            json!([{"value": "u2"}, {"value": "u4"}]),
        ),
        (
            "add a member by bare id, with an extra key on the operation",
            json!([{"op": "add", "name": "addMember", "path": "members", "value": "u5"}]),
            json!([{"value": "u1"}, {"value": "u2"}, {"value": "u5"}]),
        ),
        (
            "remove a member that is not there",
            json!([{"op": "remove", "path": "members[value eq \"nobody\"]"}]),
            json!([{"value": "u1"}, {"value": "u2"}]),
        ),
    ];
    for (what, operations, expected) in cases {
        let patched = ok(patch_group(operations), what);
        assert_eq!(
            patched.get("members").cloned().unwrap_or(Value::Null),
            expected,
            "{what}"
        );
    }
    let renamed = ok(
        patch_group(json!([{"op": "Replace", "path": "displayName", "value": "New"}])),
        "rename",
    );
    assert_eq!(renamed["displayName"], "New");
}

#[test]
fn legacy_member_remove_all_quirk_removes_everyone() {
    let quirk = PatchOptions {
        legacy_member_remove_all: true,
        ..PatchOptions::default()
    };
    let patched = ok(
        patch_with(
            group(),
            &ResourceSchema::group(),
            json!([{"op": "Remove", "path": "members", "value": [{"value": "u1"}]}]),
            &quirk,
        ),
        "quirk",
    );
    assert!(patched.get("members").is_none());
}

#[test]
fn rejected_requests() {
    let user_cases: Vec<(&str, Value, ScimType)> = vec![
        (
            "readOnly id",
            json!([{"op": "replace", "path": "id", "value": "x"}]),
            ScimType::Mutability,
        ),
        (
            "readOnly meta.created",
            json!([{"op": "replace", "path": "meta.created", "value": "2020-01-01T00:00:00Z"}]),
            ScimType::Mutability,
        ),
        (
            "readOnly manager.displayName",
            json!([{"op": "replace", "path": "manager.displayName", "value": "x"}]),
            ScimType::Mutability,
        ),
        (
            "unknown attribute",
            json!([{"op": "replace", "path": "favouriteColour", "value": "x"}]),
            ScimType::InvalidPath,
        ),
        (
            "unknown sub-attribute",
            json!([{"op": "replace", "path": "name.nope", "value": "x"}]),
            ScimType::InvalidPath,
        ),
        (
            "unquoted filter value",
            json!([{"op": "replace", "path": "emails[type eq work].value", "value": "x"}]),
            ScimType::InvalidPath,
        ),
        (
            "filter on a simple attribute",
            json!([{"op": "replace", "path": "userName[value eq \"x\"]", "value": "x"}]),
            ScimType::InvalidPath,
        ),
        (
            "path is not a string",
            json!([{"op": "replace", "path": 5, "value": "x"}]),
            ScimType::InvalidPath,
        ),
        (
            "other resource's core URN",
            json!([{"op": "replace", "path": "urn:ietf:params:scim:schemas:core:2.0:Group:displayName", "value": "x"}]),
            ScimType::InvalidPath,
        ),
        (
            "maybe is not a boolean",
            json!([{"op": "replace", "path": "active", "value": "maybe"}]),
            ScimType::InvalidValue,
        ),
        (
            "number for a string",
            json!([{"op": "replace", "path": "userName", "value": 5}]),
            ScimType::InvalidValue,
        ),
        (
            "object for a string",
            json!([{"op": "replace", "path": "userName", "value": {"a": 1}}]),
            ScimType::InvalidValue,
        ),
        (
            "string for a complex",
            json!([{"op": "replace", "path": "name", "value": "x"}]),
            ScimType::InvalidValue,
        ),
        (
            "path-less value not an object",
            json!([{"op": "replace", "value": "x"}]),
            ScimType::InvalidValue,
        ),
        (
            "two managers",
            json!([{"op": "replace", "path": "manager", "value": ["a", "b"]}]),
            ScimType::InvalidValue,
        ),
        (
            "remove without path",
            json!([{"op": "remove"}]),
            ScimType::NoTarget,
        ),
        (
            "unknown op",
            json!([{"op": "frobnicate", "path": "active", "value": true}]),
            ScimType::InvalidSyntax,
        ),
        (
            "missing op",
            json!([{"path": "active", "value": true}]),
            ScimType::InvalidSyntax,
        ),
        (
            "replace without value",
            json!([{"op": "replace", "path": "active"}]),
            ScimType::InvalidSyntax,
        ),
        (
            "operation not an object",
            json!(["replace"]),
            ScimType::InvalidSyntax,
        ),
        (
            "second operation fails: nothing applied",
            json!([{"op": "replace", "path": "displayName", "value": "ok"}, {"op": "replace", "path": "active", "value": "maybe"}]),
            ScimType::InvalidValue,
        ),
    ];
    for (what, operations, scim_type) in user_cases {
        fails(patch_user(operations), 400, scim_type, what);
    }
    let schema = ResourceSchema::user();
    let bodies = [
        json!({"Operations": [{"op": "add", "path": "nickName", "value": "x"}]}),
        json!({"schemas": ["urn:x"], "Operations": [{"op": "add", "path": "nickName", "value": "x"}]}),
        json!({"schemas": [SCHEMA_PATCH_OP], "Operations": []}),
        json!({"schemas": [SCHEMA_PATCH_OP], "Operations": {"op": "add"}}),
        json!({"schemas": [SCHEMA_PATCH_OP]}),
        json!([]),
    ];
    for request in bodies {
        let error = apply_patch(&mut user(), &request, &schema, &PatchOptions::default())
            .expect_err("malformed body");
        assert_eq!(error.scim_type, Some(ScimType::InvalidSyntax), "{request}");
    }
}

#[test]
fn options_switch_off_tolerance() {
    let schema = ResourceSchema::user();
    let strict_ops = PatchOptions {
        case_insensitive_ops: false,
        ..PatchOptions::default()
    };
    fails(
        patch_with(
            user(),
            &schema,
            json!([{"op": "Replace", "path": "active", "value": false}]),
            &strict_ops,
        ),
        400,
        ScimType::InvalidSyntax,
        "capitalised op",
    );
    ok(
        patch_with(
            user(),
            &schema,
            json!([{"op": "replace", "path": "active", "value": false}]),
            &strict_ops,
        ),
        "lowercase op",
    );
    ok(
        patch_user(json!([{"op": "REPLACE", "path": "active", "value": false}])),
        "any case",
    );
    let strict_booleans = PatchOptions {
        string_booleans: false,
        ..PatchOptions::default()
    };
    fails(
        patch_with(
            user(),
            &schema,
            json!([{"op": "Replace", "path": "active", "value": "False"}]),
            &strict_booleans,
        ),
        400,
        ScimType::InvalidValue,
        "string boolean",
    );
    let no_value_paths = PatchOptions {
        value_paths: false,
        ..PatchOptions::default()
    };
    fails(
        patch_with(
            user(),
            &schema,
            json!([{"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "x@y"}]),
            &no_value_paths,
        ),
        400,
        ScimType::InvalidPath,
        "value path",
    );
}

#[test]
fn restricted_schema_refuses_attributes_it_lacks() {
    let lms = ResourceSchema::user().restricted(&[
        "userName",
        "emails",
        "active",
        "name.givenName",
        "name.familyName",
        "phoneNumbers",
    ]);
    fails(
        patch_with(
            user(),
            &lms,
            json!([{"op": "replace", "path": "title", "value": "x"}]),
            &PatchOptions::default(),
        ),
        400,
        ScimType::InvalidPath,
        "title",
    );
    fails(
        patch_with(
            user(),
            &lms,
            json!([{"op": "replace", "path": "name.middleName", "value": "x"}]),
            &PatchOptions::default(),
        ),
        400,
        ScimType::InvalidPath,
        "middleName",
    );
    let patched = ok(
        patch_with(
            user(),
            &lms,
            json!([{"op": "replace", "path": "phoneNumbers[type eq \"work\"].value", "value": "+1 555"}]),
            &PatchOptions::default(),
        ),
        "phone upsert",
    );
    assert_eq!(
        patched["phoneNumbers"],
        json!([{"type": "work", "value": "+1 555"}])
    );
}
