//! `/Users` and `/Groups`: list and filter, create, read, replace, patch, delete (RFC 7644 §3).

use std::collections::HashSet;

use axum::http::header::{ETAG, IF_MATCH, IF_NONE_MATCH, LOCATION};
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Map, Value};

use super::input;
use super::query::{Page, Projection, QueryParams};
use super::reply::{Failure, Reply, error_with_status, list_response};
use super::store::{Kind, Store};
use super::{App, Quirk, ServerProfile};
use crate::scim::ScimError;
use crate::scim::filter::{CompValue, CompareOp, Filter};
use crate::scim::patch::apply_patch;
use crate::scim::path::PatchPath;
use crate::scim::schema::ResourceSchema;

/// A request addressed to one resource.
pub(super) struct ResourceRequest<'a> {
    pub(super) kind: Kind,
    pub(super) id: &'a str,
    pub(super) params: &'a QueryParams,
    pub(super) headers: &'a HeaderMap,
}

pub(super) fn list(app: &App, kind: Kind, params: &QueryParams) -> Result<Reply, Failure> {
    let schema = schema(app, kind)?;
    let raw_filter = params.get("filter");
    let filter = match raw_filter {
        Some(raw) if !app.has(Quirk::IgnoreFilter) => Some(parse_filter(app, raw)?),
        _ => None,
    };
    let page = Page::from_query(params)?;
    let projection = projection(app, params, schema)?;
    let store = app.read_store();
    let indexed = filter
        .as_ref()
        .and_then(|f| unique_equality(f, kind, schema))
        .and_then(|value| store.find_unique(kind, value));
    let candidates: Box<dyn Iterator<Item = &Value>> = match indexed {
        Some(found) => Box::new(found.into_iter()),
        None => Box::new(store.iter(kind)),
    };
    let mut total = 0;
    let mut resources = Vec::new();
    let matching =
        candidates.filter(|resource| filter.as_ref().is_none_or(|f| f.matches(resource, schema)));
    for resource in matching {
        total += 1;
        if total >= page.start_index && resources.len() < page.count {
            resources.push(projection.apply(resource));
        }
    }
    if total == 0 && raw_filter.is_some() && app.has(Quirk::EmptyFilter404) {
        return Err(Failure::from(ScimError::not_found(format!(
            "no {} matches the filter",
            kind.resource_type()
        ))));
    }
    Ok(Reply::ok(list_response(total, page.start_index, resources)))
}

pub(super) fn create(
    app: &App,
    kind: Kind,
    params: &QueryParams,
    body: Value,
    base_url: &str,
) -> Result<Reply, Failure> {
    let schema = schema(app, kind)?;
    let projection = projection(app, params, schema)?;
    let mut attributes = input::prepare(kind, body, &app.input_rules(schema))?;
    spoil(app, kind, &mut attributes);
    let resource = {
        let mut store = app.write_store();
        check_members(&store, kind, &mut attributes, None)?;
        store.create(kind, attributes, &format!("{base_url}/{}", kind.endpoint()))?
    };
    let status = if app.has(Quirk::PostReturns200) {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    let mut body = projection.apply(&resource);
    if app.has(Quirk::PostWithoutId) {
        if let Some(object) = body.as_object_mut() {
            object.remove("id");
        }
        if let Some(meta) = body.get_mut("meta").and_then(Value::as_object_mut) {
            meta.remove("location");
        }
        return Ok(Reply::new(status, body).with_header(ETAG, version(&resource)));
    }
    Ok(Reply::new(status, body)
        .with_header(LOCATION, location(&resource))
        .with_header(ETAG, version(&resource)))
}

pub(super) fn get(app: &App, request: &ResourceRequest) -> Result<Reply, Failure> {
    let schema = schema(app, request.kind)?;
    let projection = projection(app, request.params, schema)?;
    let resource = {
        let store = app.read_store();
        existing(&store, request)?.clone()
    };
    if let Some(tags) = header(request.headers, IF_NONE_MATCH)
        && tag_matches(tags, version(&resource))
    {
        return Ok(Reply::empty(StatusCode::NOT_MODIFIED).with_header(ETAG, version(&resource)));
    }
    Ok(resource_reply(&projection, &resource))
}

/// PUT (RFC 7644 §3.5.1): every attribute is replaced; `id` and `meta.created` stay.
pub(super) fn replace(app: &App, request: &ResourceRequest, body: Value) -> Result<Reply, Failure> {
    let kind = request.kind;
    let schema = schema(app, kind)?;
    let projection = projection(app, request.params, schema)?;
    let mut attributes = input::prepare(kind, body, &app.input_rules(schema))?;
    spoil(app, kind, &mut attributes);
    let mut store = app.write_store();
    check_precondition(request.headers, existing(&store, request)?)?;
    check_members(&store, kind, &mut attributes, Some(request.id))?;
    let resource = store
        .update(kind, request.id, attributes)?
        .ok_or_else(|| not_found(request))?;
    Ok(resource_reply(&projection, &resource))
}

/// PATCH (RFC 7644 §3.5.2) through the shared model; answers 200 with the resource.
pub(super) fn patch(app: &App, request: &ResourceRequest, body: Value) -> Result<Reply, Failure> {
    let kind = request.kind;
    let schema = schema(app, kind)?;
    let projection = projection(app, request.params, schema)?;
    let mut store = app.write_store();
    let current = existing(&store, request)?;
    check_precondition(request.headers, current)?;
    if app.has(Quirk::PatchIgnored) {
        return Ok(resource_reply(&projection, current));
    }
    let mut patched = current.clone();
    let (body, literal_keys) = if app.has(Quirk::DottedKeysLiteral) {
        split_dotted_keys(body)
    } else {
        (body, Vec::new())
    };
    let body = if app.profile == ServerProfile::InsiteLms {
        without_unsupported_operations(body, schema)
    } else {
        Some(body)
    };
    if let Some(body) = body {
        apply_patch(&mut patched, &body, schema, &app.patch_options())?;
    }
    let mut attributes = input::prepare(kind, patched, &app.input_rules(schema))?;
    attributes.extend(literal_keys);
    spoil(app, kind, &mut attributes);
    check_members(&store, kind, &mut attributes, Some(request.id))?;
    let resource = store
        .update(kind, request.id, attributes)?
        .ok_or_else(|| not_found(request))?;
    Ok(resource_reply(&projection, &resource))
}

pub(super) fn delete(app: &App, request: &ResourceRequest) -> Result<Reply, Failure> {
    let mut store = app.write_store();
    check_precondition(request.headers, existing(&store, request)?)?;
    store.delete(request.kind, request.id);
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}

fn schema(app: &App, kind: Kind) -> Result<&ResourceSchema, Failure> {
    app.schema(kind).ok_or_else(|| {
        Failure::from(ScimError::not_found(format!(
            "this server's profile does not host {}",
            kind.endpoint()
        )))
    })
}

fn projection(
    app: &App,
    params: &QueryParams,
    schema: &ResourceSchema,
) -> Result<Projection, ScimError> {
    Projection::from_query(params, schema, !app.has(Quirk::IgnoreExcludedAttributes))
}

fn parse_filter(app: &App, raw: &str) -> Result<Filter, ScimError> {
    if app.has(Quirk::NoValuePaths) && raw.contains('[') {
        return Err(ScimError::invalid_filter(
            "value paths such as emails[type eq \"work\"] are not supported",
        ));
    }
    Filter::parse(raw).map_err(|e| ScimError::invalid_filter(e.to_string()))
}

/// The value of `userName eq "…"` (Users) or `displayName eq "…"` (Groups): Entra's matching
/// query, which the uniqueness index answers without scanning every resource. It compares the
/// way the filter would, because uniqueness and the filter share the attribute's caseExact.
fn unique_equality<'f>(filter: &'f Filter, kind: Kind, schema: &ResourceSchema) -> Option<&'f str> {
    let Filter::Compare {
        attr,
        op: CompareOp::Eq,
        value: CompValue::Str(value),
    } = filter
    else {
        return None;
    };
    let in_core = attr
        .urn
        .as_deref()
        .is_none_or(|urn| urn.eq_ignore_ascii_case(&schema.core.id));
    let unique = attr.name.eq_ignore_ascii_case(kind.unique_attribute());
    (in_core && unique && attr.sub_attr.is_none()).then_some(value.as_str())
}

fn existing<'a>(store: &'a Store, request: &ResourceRequest) -> Result<&'a Value, ScimError> {
    store
        .get(request.kind, request.id)
        .ok_or_else(|| not_found(request))
}

fn not_found(request: &ResourceRequest) -> ScimError {
    ScimError::not_found(format!(
        "{} {} not found",
        request.kind.resource_type(),
        request.id
    ))
}

fn resource_reply(projection: &Projection, resource: &Value) -> Reply {
    Reply::ok(projection.apply(resource)).with_header(ETAG, version(resource))
}

fn version(resource: &Value) -> &str {
    resource["meta"]["version"].as_str().unwrap_or_default()
}

fn location(resource: &Value) -> &str {
    resource["meta"]["location"].as_str().unwrap_or_default()
}

fn header(headers: &HeaderMap, name: axum::http::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

/// RFC 7232 `If-Match`: a write only applies to the version the client last saw.
fn check_precondition(headers: &HeaderMap, current: &Value) -> Result<(), ScimError> {
    match header(headers, IF_MATCH) {
        Some(tags) if !tag_matches(tags, version(current)) => Err(error_with_status(
            StatusCode::PRECONDITION_FAILED,
            format!(
                "the resource is at version {}, not the one in If-Match",
                version(current)
            ),
        )),
        _ => Ok(()),
    }
}

/// Weak comparison (RFC 7232 §2.3.2) against a comma-separated tag list, or `*`.
fn tag_matches(tags: &str, current: &str) -> bool {
    let opaque = |tag: &str| tag.trim().trim_start_matches("W/").to_string();
    tags.split(',')
        .any(|tag| tag.trim() == "*" || opaque(tag) == opaque(current))
}

/// The quirks that corrupt what is stored.
fn spoil(app: &App, kind: Kind, attributes: &mut Map<String, Value>) {
    if kind == Kind::User && app.has(Quirk::ActiveAlwaysTrue) && attributes.contains_key("active") {
        attributes.insert("active".to_string(), Value::Bool(true));
    }
}

/// Group members must be existing Users or Groups other than the group itself; repeated values
/// are kept once. Checked under the same lock as the write, so a member cannot vanish between.
fn check_members(
    store: &Store,
    kind: Kind,
    attributes: &mut Map<String, Value>,
    own_id: Option<&str>,
) -> Result<(), ScimError> {
    if kind != Kind::Group {
        return Ok(());
    }
    let Some(members) = attributes.get_mut("members").and_then(Value::as_array_mut) else {
        return Ok(());
    };
    let mut seen = HashSet::new();
    let mut kept = Vec::with_capacity(members.len());
    for member in members.drain(..) {
        let Some(value) = member.get("value").and_then(Value::as_str) else {
            return Err(ScimError::invalid_value(
                "every member needs a value: the id of a User or Group",
            ));
        };
        if Some(value) == own_id {
            return Err(ScimError::invalid_value(
                "a group cannot be a member of itself",
            ));
        }
        if store.kind_of(value).is_none() {
            return Err(ScimError::invalid_value(format!(
                "member {value:?} is not the id of a User or Group on this server"
            )));
        }
        if seen.insert(value.to_string()) {
            kept.push(member);
        }
    }
    *members = kept;
    Ok(())
}

/// `Quirk::DottedKeysLiteral`: takes `"name.givenName"`-style keys out of path-less operations
/// so they can be stored verbatim instead of being applied.
fn split_dotted_keys(mut body: Value) -> (Value, Vec<(String, Value)>) {
    let mut literal = Vec::new();
    let operations = body
        .get_mut("Operations")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten();
    for operation in operations {
        let path_less = operation
            .get("path")
            .is_none_or(|path| path.as_str().is_some_and(str::is_empty));
        if !path_less {
            continue;
        }
        if let Some(value) = operation.get_mut("value").and_then(Value::as_object_mut) {
            let dotted: Vec<String> = value
                .keys()
                .filter(|key| key.contains('.') && !key.to_ascii_lowercase().starts_with("urn:"))
                .cloned()
                .collect();
            for key in dotted {
                if let Some(v) = value.remove(&key) {
                    literal.push((key, v));
                }
            }
        }
    }
    (body, literal)
}

/// Insite LMS profile: operations on attributes it does not store are dropped (not failed), as
/// the profile ignores them on create. `None` when nothing is left to apply.
fn without_unsupported_operations(mut body: Value, schema: &ResourceSchema) -> Option<Value> {
    let Some(operations) = body.get_mut("Operations").and_then(Value::as_array_mut) else {
        return Some(body);
    };
    if operations.is_empty() {
        return Some(body);
    }
    operations.retain(|operation| {
        let Some(path) = operation.get("path").and_then(Value::as_str) else {
            return true;
        };
        // An unparsable path stays, so the model reports it as invalidPath.
        PatchPath::parse(path).map_or(true, |path| schema.find(&path.attr).is_some())
    });
    (!operations.is_empty()).then_some(body)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn weak_etags_compare_by_opaque_tag() {
        assert!(tag_matches("W/\"3\"", "W/\"3\""));
        assert!(tag_matches("\"3\"", "W/\"3\""));
        assert!(tag_matches("\"1\", W/\"3\"", "W/\"3\""));
        assert!(tag_matches("*", "W/\"3\""));
        assert!(!tag_matches("W/\"2\"", "W/\"3\""));
    }

    #[test]
    fn dotted_keys_are_taken_out_of_path_less_operations_only() {
        let body = json!({"Operations": [
            {"op": "replace", "value": {"name.givenName": "G", "displayName": "D",
                                        "urn:x:2.0:User:employeeNumber": "7"}},
            {"op": "replace", "path": "name.familyName", "value": "F"}
        ]});
        let (rest, literal) = split_dotted_keys(body);
        assert_eq!(literal, vec![("name.givenName".to_string(), json!("G"))]);
        assert_eq!(
            rest["Operations"][0]["value"],
            json!({"displayName": "D", "urn:x:2.0:User:employeeNumber": "7"})
        );
        assert_eq!(rest["Operations"][1]["path"], json!("name.familyName"));
    }
}
