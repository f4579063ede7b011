//! The assertion kinds a scenario can use, each judged leniently: a vendor attribute or an extra
//! schema URN never breaks one.

use serde_json::Value;

use super::{Observed, excerpt, field, id_text, is_unassigned, show};
use crate::scenario::model::{Assertion, JsonType, ListAssertion, ValueCheck};
use crate::scenario::template::Vars;
use crate::scim::filter::Filter;
use crate::scim::path::{PatchPath, select};
use crate::scim::schema::ResourceSchema;
use crate::scim::{SCHEMA_ERROR, SCHEMA_GROUP, SCHEMA_LIST_RESPONSE};

/// `Ok(details)`: the broken parts (empty when it holds). `Err(reason)`: it could not be judged,
/// e.g. a variable it needs was never captured.
pub(super) fn check(
    assertion: &Assertion,
    observed: &Observed<'_>,
    vars: &Vars,
) -> Result<Vec<String>, String> {
    match assertion {
        Assertion::Status(expected) => Ok(status(expected, observed.status)),
        Assertion::List(list) => list_response(list, observed, vars),
        Assertion::FilterHonoured => filter_honoured(observed),
        Assertion::Resource => Ok(resource(observed)),
        Assertion::ScimError => Ok(scim_error(observed)),
        Assertion::Attribute { path, check } => {
            let path = path.render(vars).map_err(|e| e.to_string())?;
            attribute(&path, check, observed, vars)
        }
        Assertion::Json { pointer, check } => {
            let Some(body) = observed.body else {
                return Ok(vec![format!("{pointer}: the body is not JSON")]);
            };
            let found: Vec<&Value> = super::pointer(body, pointer).into_iter().collect();
            value_check(pointer, &found, check, vars)
        }
        Assertion::Header { name, check } => {
            let found = observed.header(name).map(|v| Value::String(v.to_string()));
            let found: Vec<&Value> = found.iter().collect();
            value_check(&format!("header {name}"), &found, check, vars)
        }
        Assertion::Transport(check) => super::transport::check(*check, observed.transport),
    }
}

fn status(expected: &[u16], actual: u16) -> Vec<String> {
    if expected.contains(&actual) {
        return Vec::new();
    }
    let wanted = expected
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(" or ");
    vec![format!("status: expected {wanted}, got {actual}")]
}

fn list_response(
    list: &ListAssertion,
    observed: &Observed<'_>,
    vars: &Vars,
) -> Result<Vec<String>, String> {
    let Some(body) = observed.body.filter(|b| b.is_object()) else {
        return Ok(vec![format!(
            "the body is not a JSON ListResponse: {}",
            excerpt(observed.body_text, 120)
        )]);
    };
    let mut broken = Vec::new();
    if !has_schema(body, SCHEMA_LIST_RESPONSE) {
        broken.push(format!("`schemas` does not contain {SCHEMA_LIST_RESPONSE}"));
    }
    let total = field(body, "totalResults");
    let total_number = total.and_then(Value::as_u64);
    if total_number.is_none() {
        broken.push(match total {
            Some(v) => format!("`totalResults` is not a non-negative integer: {}", show(v)),
            None => "`totalResults` is missing".to_string(),
        });
    }
    let resources = field(body, "Resources");
    let items: &[Value] = match resources {
        Some(Value::Array(items)) => items,
        Some(Value::Null) | None => &[],
        Some(other) => {
            broken.push(format!("`Resources` is not an array: {}", show(other)));
            &[]
        }
    };
    let ids: Vec<String> = items
        .iter()
        .filter_map(|r| field(r, "id").and_then(id_text))
        .collect();
    let returned = items.len() as u64;
    // RFC 7644 §3.4.2.4: a negative count means 0, a startIndex below 1 means 1.
    let count = query_number(observed, "count").map(|c| c.max(0).unsigned_abs());
    let start_index = query_number(observed, "startIndex").map_or(1, |s| s.max(1).unsigned_abs());
    if let Some(total) = total_number {
        // RFC 7644 §3.4.2: Resources is REQUIRED when totalResults is not 0 (and null or [] is
        // the same as absent, RFC 7643 §2.5), unless the page asked for is empty: count=0, or a
        // startIndex past the last result.
        let page_is_empty = count == Some(0) || start_index > total;
        if total > 0 && returned == 0 && !page_is_empty {
            broken.push(match resources {
                Some(Value::Array(_)) => format!(
                    "`totalResults` is {total} but `Resources` is empty (RFC 7644 §3.4.2 requires the resources when totalResults is not 0)"
                ),
                _ => format!(
                    "`totalResults` is {total} but `Resources` is missing (RFC 7644 §3.4.2 requires it when totalResults is not 0)"
                ),
            });
        }
        if returned > total {
            broken.push(format!(
                "{returned} resources returned but `totalResults` is {total}"
            ));
        }
    }
    // `itemsPerPage` is not compared with the page: RFC 7644 §3.4.2 requires it only for
    // partial results, and Entra's own documentation answers a query without hits with
    // itemsPerPage 20 (the page size, not the number of resources returned).
    if let Some(count) = count
        && returned > count
    {
        broken.push(format!(
            "{returned} resources returned but the request asked for count={count} (RFC 7644 §3.4.2.4: never more than count)"
        ));
    }
    if let Some(expected) = list.total
        && let Some(total) = total_number
        && total != expected
    {
        let found = if ids.is_empty() {
            String::new()
        } else {
            format!(" (ids: {})", ids.join(", "))
        };
        broken.push(format!(
            "totalResults: expected {expected}, got {total}{found}"
        ));
    }
    for wanted in &list.contains {
        let id = wanted.render(vars).map_err(|e| e.to_string())?;
        if !ids.contains(&id) {
            broken.push(format!(
                "`Resources` does not contain the resource with id `{id}`"
            ));
        }
    }
    for unwanted in &list.excludes {
        let id = unwanted.render(vars).map_err(|e| e.to_string())?;
        if ids.contains(&id) {
            broken.push(format!("`Resources` contains the resource with id `{id}`"));
        }
    }
    Ok(broken)
}

/// A whole-number query parameter of the request, its name matched case-insensitively.
fn query_number(observed: &Observed<'_>, name: &str) -> Option<i64> {
    observed
        .query
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .and_then(|(_, v)| v.trim().parse::<i64>().ok())
}

fn filter_honoured(observed: &Observed<'_>) -> Result<Vec<String>, String> {
    let Some((_, expression)) = observed
        .query
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("filter"))
    else {
        return Err("the request has no `filter` parameter".to_string());
    };
    let filter = Filter::parse(expression)
        .map_err(|e| format!("the harness cannot evaluate the filter `{expression}`: {e}"))?;
    let Some(items) = observed
        .body
        .and_then(|b| field(b, "Resources"))
        .and_then(Value::as_array)
    else {
        return Ok(Vec::new());
    };
    let schema = schema_for_path(observed.path);
    Ok(items
        .iter()
        .enumerate()
        .filter(|(_, resource)| !filter.matches(resource, &schema))
        .map(|(i, resource)| {
            let id = field(resource, "id")
                .map(show)
                .unwrap_or_else(|| "?".into());
            format!("Resources[{i}] (id {id}) does not match the filter `{expression}`")
        })
        .collect())
}

fn resource(observed: &Observed<'_>) -> Vec<String> {
    let Some(body) = observed.body.filter(|b| b.is_object()) else {
        return vec![format!(
            "the body is not a JSON resource: {}",
            excerpt(observed.body_text, 120)
        )];
    };
    match field(body, "id") {
        Some(Value::String(id)) if !id.is_empty() => Vec::new(),
        // RFC 7643 §3.1 types id as a string, but a numeric id is still an id Entra can store;
        // the built-in `resource.id-type` check warns about it.
        Some(Value::Number(_)) => Vec::new(),
        Some(other) => vec![format!("`id` is not a non-empty string: {}", show(other))],
        None => vec!["the resource has no `id`".to_string()],
    }
}

fn scim_error(observed: &Observed<'_>) -> Vec<String> {
    let Some(body) = observed.body.filter(|b| b.is_object()) else {
        return vec![format!(
            "the error body is not a SCIM Error: {}",
            if observed.body_text.trim().is_empty() {
                "(empty body)".to_string()
            } else {
                excerpt(observed.body_text, 120)
            }
        )];
    };
    let mut broken = Vec::new();
    if !has_schema(body, SCHEMA_ERROR) {
        broken.push(format!("`schemas` does not contain {SCHEMA_ERROR}"));
    }
    let expected = observed.status.to_string();
    match field(body, "status") {
        Some(Value::String(s)) if s == &expected => {}
        Some(Value::Number(n)) if n.to_string() == expected => {}
        Some(other) => broken.push(format!(
            "`status` is {} but the HTTP status is {expected}",
            show(other)
        )),
        None => broken.push("`status` is missing".to_string()),
    }
    broken
}

fn attribute(
    path: &str,
    check: &ValueCheck,
    observed: &Observed<'_>,
    vars: &Vars,
) -> Result<Vec<String>, String> {
    let parsed = PatchPath::parse(path)
        .map_err(|e| format!("the scenario's attribute path `{path}` is invalid: {e}"))?;
    let Some(body) = observed.body.filter(|b| b.is_object()) else {
        return Ok(vec![format!(
            "{path}: the body is not a JSON resource: {}",
            excerpt(observed.body_text, 120)
        )]);
    };
    let schema = schema_for_resource(body, observed.path);
    let found = select(body, &parsed, &schema);
    value_check(path, &found, check, vars)
}

fn value_check(
    what: &str,
    found: &[&Value],
    check: &ValueCheck,
    vars: &Vars,
) -> Result<Vec<String>, String> {
    // One selected value is compared as itself; several (a multi-valued path) as an array.
    let single: Option<Value> = match found {
        [] => None,
        [one] => Some((*one).clone()),
        many => Some(Value::Array(many.iter().map(|v| (*v).clone()).collect())),
    };
    let got = || single.as_ref().map_or("absent".to_string(), show);
    let broken = match check {
        ValueCheck::Equals(expected) => {
            let expected = expected.render(vars).map_err(|e| e.to_string())?;
            let matches = if is_unassigned(&expected) {
                single.as_ref().is_none_or(is_unassigned)
            } else {
                single.as_ref() == Some(&expected)
            };
            (!matches).then(|| format!("{what}: expected {}, got {}", show(&expected), got()))
        }
        ValueCheck::EqualsIgnoreCase(expected) => {
            let expected = expected.render(vars).map_err(|e| e.to_string())?;
            let matches = single
                .as_ref()
                .and_then(Value::as_str)
                .is_some_and(|s| s.to_lowercase() == expected.to_lowercase());
            (!matches).then(|| {
                format!(
                    "{what}: expected {} (any case), got {}",
                    show(&Value::String(expected)),
                    got()
                )
            })
        }
        // Absent, null and [] are one state (RFC 7643 §2.5).
        ValueCheck::Exists => single
            .as_ref()
            .is_none_or(is_unassigned)
            .then(|| format!("{what}: expected a value, got {}", got())),
        ValueCheck::Absent => single
            .as_ref()
            .is_some_and(|v| !is_unassigned(v))
            .then(|| format!("{what}: expected no value, got {}", got())),
        ValueCheck::AbsentOrEmpty => single
            .as_ref()
            .is_some_and(|v| !is_empty_value(v))
            .then(|| format!("{what}: expected it cleared, got {}", got())),
        ValueCheck::Contains(needle) => {
            let needle = needle.render(vars).map_err(|e| e.to_string())?;
            let matches = single
                .as_ref()
                .and_then(Value::as_str)
                .is_some_and(|s| s.contains(&needle));
            (!matches).then(|| format!("{what}: expected it to contain `{needle}`, got {}", got()))
        }
        ValueCheck::OneOf(options) => {
            let unassigned_allowed = options.iter().any(is_unassigned);
            let matches = match single.as_ref() {
                Some(v) if !is_unassigned(v) => options.contains(v),
                _ => unassigned_allowed,
            };
            (!matches).then(|| {
                let options: Vec<String> = options.iter().map(show).collect();
                format!(
                    "{what}: expected one of {}, got {}",
                    options.join(", "),
                    got()
                )
            })
        }
        ValueCheck::IsType(kind) => (!single.as_ref().is_some_and(|v| is_type(v, *kind)))
            .then(|| format!("{what}: expected {}, got {}", type_name(*kind), got())),
    };
    Ok(broken.into_iter().collect())
}

fn is_empty_value(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(items) => items.iter().all(is_empty_value),
        _ => false,
    }
}

fn is_type(value: &Value, kind: JsonType) -> bool {
    match kind {
        JsonType::String => value.is_string(),
        JsonType::Boolean => value.is_boolean(),
        JsonType::Number => value.is_number(),
        JsonType::Integer => value.is_i64() || value.is_u64(),
        JsonType::Object => value.is_object(),
        JsonType::Array => value.is_array(),
        JsonType::Null => value.is_null(),
    }
}

fn type_name(kind: JsonType) -> &'static str {
    match kind {
        JsonType::String => "a string",
        JsonType::Boolean => "a boolean",
        JsonType::Number => "a number",
        JsonType::Integer => "an integer",
        JsonType::Object => "an object",
        JsonType::Array => "an array",
        JsonType::Null => "null",
    }
}

pub(super) fn has_schema(body: &Value, urn: &str) -> bool {
    field(body, "schemas")
        .and_then(Value::as_array)
        .is_some_and(|s| {
            s.iter()
                .any(|v| v.as_str().is_some_and(|u| u.eq_ignore_ascii_case(urn)))
        })
}

/// Which schema judges a resource: by its `schemas`, else by the endpoint it came from.
fn schema_for_resource(body: &Value, path: &str) -> ResourceSchema {
    if has_schema(body, SCHEMA_GROUP) {
        ResourceSchema::group()
    } else {
        schema_for_path(path)
    }
}

fn schema_for_path(path: &str) -> ResourceSchema {
    if path
        .trim_start_matches('/')
        .to_ascii_lowercase()
        .starts_with("groups")
    {
        ResourceSchema::group()
    } else {
        ResourceSchema::user()
    }
}
