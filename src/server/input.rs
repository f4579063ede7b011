//! Turning a client's resource (POST/PUT body, or the result of a PATCH) into what the server
//! stores: tolerant of what Entra really sends (explicit nulls, client `meta`, `roles: []`, odd
//! schema URNs, `"True"` strings, a bare-string manager), strict about what would corrupt data
//! (wrong types, a missing userName / displayName).

use serde_json::{Map, Value};

use super::store::Kind;
use crate::scim::schema::{AttrType, AttributeDef, Mutability, ResourceSchema};
use crate::scim::{self, ScimError};

/// How strictly incoming resources are read.
pub(super) struct InputRules<'a> {
    pub(super) schema: &'a ResourceSchema,
    /// Accept `"True"`/`"False"` for Boolean attributes (off under `Quirk::RejectStringBooleans`).
    pub(super) string_booleans: bool,
    /// Drop attributes the schema does not define, and email / phone entries that are not
    /// `type: work` (the Insite LMS profile stores nothing else).
    pub(super) only_schema_attributes: bool,
}

/// Validates and cleans a resource. The result has `schemas` first (computed from the attributes
/// present, so an unknown URN the client listed is dropped rather than echoed), and no `id` or
/// `meta`: those belong to the store.
pub(super) fn prepare(
    kind: Kind,
    mut resource: Value,
    rules: &InputRules,
) -> Result<Map<String, Value>, ScimError> {
    if !resource.is_object() {
        return Err(ScimError::invalid_syntax(format!(
            "a {} must be a JSON object",
            kind.resource_type()
        )));
    }
    drop_nulls(&mut resource);
    rules
        .schema
        .canonicalize(&mut resource, rules.string_booleans);
    let Value::Object(mut attributes) = resource else {
        return Err(ScimError::invalid_syntax(
            "the resource must stay a JSON object",
        ));
    };
    for key in ["schemas", "id", "meta"] {
        attributes.remove(key);
    }
    normalize_manager(&mut attributes);
    drop_read_only(&mut attributes, rules.schema);
    if rules.only_schema_attributes {
        keep_schema_attributes(&mut attributes, rules.schema);
        keep_work_entries(&mut attributes);
    }
    validate_types(&attributes, rules.schema)?;
    require_unique_attribute(kind, &attributes)?;
    let mut prepared = Map::new();
    prepared.insert("schemas".to_string(), schemas_of(&attributes, rules.schema));
    prepared.extend(attributes);
    Ok(prepared)
}

/// Explicit nulls mean "no value" (RFC 7643 §2.5); older Entra samples send them.
pub(super) fn drop_nulls(value: &mut Value) {
    match value {
        Value::Object(object) => {
            object.retain(|_, v| !v.is_null());
            object.values_mut().for_each(drop_nulls);
        }
        Value::Array(elements) => {
            elements.retain(|v| !v.is_null());
            elements.iter_mut().for_each(drop_nulls);
        }
        _ => {}
    }
}

/// Entra sends the manager as a bare id string (entra-reference.md §1.7); RFC 7643 §4.3 wants
/// `{"value": id}`. An empty value is Entra's way of clearing it.
fn normalize_manager(attributes: &mut Map<String, Value>) {
    let Some(extension) = attributes
        .iter_mut()
        .find(|(key, _)| key.eq_ignore_ascii_case(scim::SCHEMA_ENTERPRISE_USER))
        .and_then(|(_, value)| value.as_object_mut())
    else {
        return;
    };
    let Some(key) = extension
        .keys()
        .find(|key| key.eq_ignore_ascii_case("manager"))
        .cloned()
    else {
        return;
    };
    let manager_id = match extension.get(&key) {
        Some(Value::String(id)) => Some(id.clone()),
        Some(Value::Object(manager)) => manager
            .get("value")
            .and_then(Value::as_str)
            .map(str::to_string),
        _ => None,
    };
    match manager_id {
        Some(id) if id.is_empty() => {
            extension.remove(&key);
        }
        Some(id) if extension.get(&key).is_some_and(Value::is_string) => {
            extension.insert(
                key,
                Value::Object(Map::from_iter([("value".to_string(), Value::String(id))])),
            );
        }
        _ => {}
    }
}

/// RFC 7643 §2.2: read-only values sent by a client are ignored (e.g. a User's `groups`).
fn drop_read_only(attributes: &mut Map<String, Value>, schema: &ResourceSchema) {
    attributes.retain(|key, _| {
        schema
            .core
            .attribute(key)
            .is_none_or(|def| def.mutability != Mutability::ReadOnly)
    });
    for extension in &schema.extensions {
        if let Some(object) = extension_object_mut(attributes, &extension.id) {
            object.retain(|key, _| {
                extension
                    .attribute(key)
                    .is_none_or(|def| def.mutability != Mutability::ReadOnly)
            });
        }
    }
}

fn keep_schema_attributes(attributes: &mut Map<String, Value>, schema: &ResourceSchema) {
    attributes.retain(|key, value| {
        if key == "externalId" {
            return true;
        }
        if let Some(def) = schema.core.attribute(key) {
            keep_defined_sub_attributes(value, def);
            return true;
        }
        match schema.extension(key) {
            Some(extension) => {
                if let Some(object) = value.as_object_mut() {
                    object.retain(|name, v| match extension.attribute(name) {
                        Some(def) => {
                            keep_defined_sub_attributes(v, def);
                            true
                        }
                        None => false,
                    });
                }
                true
            }
            None => false,
        }
    });
}

fn keep_defined_sub_attributes(value: &mut Value, def: &AttributeDef) {
    if def.sub_attributes.is_empty() {
        return;
    }
    let keep = |element: &mut Value| {
        if let Some(object) = element.as_object_mut() {
            object.retain(|name, _| {
                def.sub_attributes
                    .iter()
                    .any(|sub| sub.name.eq_ignore_ascii_case(name))
            });
        }
    };
    match value {
        Value::Array(elements) => elements.iter_mut().for_each(keep),
        other => keep(other),
    }
}

/// The Insite LMS mapping carries only `emails[type eq "work"]` and `phoneNumbers[type eq "work"]`.
fn keep_work_entries(attributes: &mut Map<String, Value>) {
    for name in ["emails", "phoneNumbers"] {
        if let Some(elements) = attributes.get_mut(name).and_then(Value::as_array_mut) {
            elements.retain(|element| {
                element
                    .get("type")
                    .and_then(Value::as_str)
                    .is_some_and(|kind| kind.eq_ignore_ascii_case("work"))
            });
        }
    }
}

/// Every attribute the schema defines must have its declared type (RFC 7643 §2.3); attributes
/// the schema does not know (custom extensions) are stored as sent.
fn validate_types(
    attributes: &Map<String, Value>,
    schema: &ResourceSchema,
) -> Result<(), ScimError> {
    for (key, value) in attributes {
        if let Some(def) = schema.core.attribute(key) {
            check_attribute(def, value, &def.name)?;
        } else if let Some(extension) = schema.extension(key) {
            let Some(object) = value.as_object() else {
                return Err(ScimError::invalid_value(format!(
                    "{key} must be a JSON object holding the extension's attributes"
                )));
            };
            for (name, value) in object {
                if let Some(def) = extension.attribute(name) {
                    check_attribute(def, value, &format!("{}:{}", extension.id, def.name))?;
                }
            }
        }
    }
    Ok(())
}

fn check_attribute(def: &AttributeDef, value: &Value, path: &str) -> Result<(), ScimError> {
    if !def.multi_valued {
        return check_single(def, value, path);
    }
    let Some(elements) = value.as_array() else {
        return Err(ScimError::invalid_value(format!(
            "{path} is multi-valued and must be a JSON array"
        )));
    };
    elements
        .iter()
        .try_for_each(|element| check_single(def, element, path))
}

fn check_single(def: &AttributeDef, value: &Value, path: &str) -> Result<(), ScimError> {
    let (valid, expected) = match def.kind {
        AttrType::String | AttrType::Reference | AttrType::DateTime | AttrType::Binary => {
            (value.is_string(), "a string")
        }
        AttrType::Boolean => (value.is_boolean(), "a boolean"),
        AttrType::Integer => (value.is_i64() || value.is_u64(), "an integer"),
        AttrType::Decimal => (value.is_number(), "a number"),
        AttrType::Complex => (value.is_object(), "a JSON object"),
    };
    if !valid {
        return Err(ScimError::invalid_value(format!(
            "{path} must be {expected}, got {value}"
        )));
    }
    if let Value::Object(object) = value {
        for (name, sub_value) in object {
            if let Some(sub) = def
                .sub_attributes
                .iter()
                .find(|sub| sub.name.eq_ignore_ascii_case(name))
            {
                check_single(sub, sub_value, &format!("{path}.{}", sub.name))?;
            }
        }
    }
    Ok(())
}

fn require_unique_attribute(kind: Kind, attributes: &Map<String, Value>) -> Result<(), ScimError> {
    let name = kind.unique_attribute();
    match attributes.get(name).and_then(Value::as_str) {
        Some(value) if !value.trim().is_empty() => Ok(()),
        _ => Err(ScimError::invalid_value(format!(
            "{name} is required and must be a non-empty string"
        ))),
    }
}

/// The core URN plus the URN of every extension object present (RFC 7643 §3).
fn schemas_of(attributes: &Map<String, Value>, schema: &ResourceSchema) -> Value {
    let mut schemas = vec![Value::String(schema.core.id.clone())];
    for (key, value) in attributes {
        if key.starts_with("urn:") && value.is_object() {
            let urn = schema
                .extension(key)
                .map_or(key.as_str(), |extension| extension.id.as_str());
            schemas.push(Value::String(urn.to_string()));
        }
    }
    Value::Array(schemas)
}

fn extension_object_mut<'a>(
    attributes: &'a mut Map<String, Value>,
    urn: &str,
) -> Option<&'a mut Map<String, Value>> {
    attributes
        .iter_mut()
        .find(|(key, _)| key.eq_ignore_ascii_case(urn))
        .and_then(|(_, value)| value.as_object_mut())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn rules(schema: &ResourceSchema) -> InputRules<'_> {
        InputRules {
            schema,
            string_booleans: true,
            only_schema_attributes: false,
        }
    }

    #[test]
    fn tolerates_entra_create_body() {
        let schema = ResourceSchema::user();
        let body = json!({
            "schemas": [scim::SCHEMA_USER, scim::SCHEMA_ENTERPRISE_USER],
            "externalId": "alice", "userName": "alice@contoso.com", "active": "True",
            "meta": {"resourceType": "User"}, "roles": [], "addresses": null,
            "id": "client-chosen",
            scim::SCHEMA_ENTERPRISE_USER: {"manager": "m-1", "department": null}
        });
        let prepared = prepare(Kind::User, body, &rules(&schema)).expect("accepted");
        assert_eq!(prepared["active"], json!(true));
        assert!(!prepared.contains_key("meta"));
        assert!(!prepared.contains_key("id"));
        assert!(!prepared.contains_key("addresses"));
        assert_eq!(
            prepared[scim::SCHEMA_ENTERPRISE_USER],
            json!({"manager": {"value": "m-1"}})
        );
        assert_eq!(
            prepared["schemas"],
            json!([scim::SCHEMA_USER, scim::SCHEMA_ENTERPRISE_USER])
        );
        assert_eq!(prepared.keys().next().map(String::as_str), Some("schemas"));
    }

    #[test]
    fn rejects_wrong_types_and_missing_user_name() {
        let schema = ResourceSchema::user();
        let bad_bool = prepare(
            Kind::User,
            json!({"userName": "a", "active": "maybe"}),
            &rules(&schema),
        );
        assert_eq!(bad_bool.map_err(|e| e.status), Err(400));
        let no_name = prepare(Kind::User, json!({"displayName": "a"}), &rules(&schema));
        assert_eq!(no_name.map_err(|e| e.status), Err(400));
        let not_object = prepare(Kind::User, json!([1]), &rules(&schema));
        assert_eq!(not_object.map_err(|e| e.status), Err(400));
    }

    #[test]
    fn string_booleans_are_refused_when_switched_off() {
        let schema = ResourceSchema::user();
        let strict = InputRules {
            string_booleans: false,
            ..rules(&schema)
        };
        let result = prepare(
            Kind::User,
            json!({"userName": "a", "active": "False"}),
            &strict,
        );
        assert_eq!(result.map_err(|e| e.status), Err(400));
    }
}
