//! Query parameters of list and resource requests: pagination (RFC 7644 §3.4.2.4) and
//! `attributes` / `excludedAttributes` projection (§3.4.2.5, §3.9).

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::scim::ScimError;
use crate::scim::path::AttrPath;
use crate::scim::schema::{ResourceSchema, Returned};

/// Largest page the server returns, advertised as `filter.maxResults`; also the page size when
/// the client sends no `count`.
pub(super) const MAX_RESULTS: usize = 200;

/// Decoded query parameters in request order. Names are matched case-insensitively and unknown
/// ones (Entra's `aadOptscim062020`) are simply never asked for.
pub(super) struct QueryParams(Vec<(String, String)>);

impl QueryParams {
    /// Form-style decoding: `+` is a space, as in Entra's `filter=userName+eq+%22…%22`.
    pub(super) fn parse(raw: Option<&str>) -> QueryParams {
        let pairs = raw
            .map(|raw| {
                form_urlencoded::parse(raw.as_bytes())
                    .map(|(name, value)| (name.into_owned(), value.into_owned()))
                    .collect()
            })
            .unwrap_or_default();
        QueryParams(pairs)
    }

    pub(super) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// Which slice of the matching resources to return.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Page {
    /// 1-based index of the first result.
    pub(super) start_index: usize,
    pub(super) count: usize,
}

impl Page {
    /// RFC 7644 §3.4.2.4: `startIndex` below 1 means 1, a negative `count` means 0, and a
    /// `count` above the maximum is capped. Non-numbers are a 400.
    pub(super) fn from_query(params: &QueryParams) -> Result<Page, ScimError> {
        let start_index = match params.get("startIndex") {
            Some(raw) => parse_integer("startIndex", raw)?.max(1),
            None => 1,
        };
        let count = match params.get("count") {
            Some(raw) => parse_integer("count", raw)?.max(0),
            None => MAX_RESULTS as i64,
        };
        Ok(Page {
            start_index: usize::try_from(start_index).unwrap_or(usize::MAX),
            count: usize::try_from(count)
                .unwrap_or(MAX_RESULTS)
                .min(MAX_RESULTS),
        })
    }
}

fn parse_integer(name: &str, raw: &str) -> Result<i64, ScimError> {
    raw.trim()
        .parse::<i64>()
        .map_err(|_| ScimError::invalid_value(format!("{name} must be an integer, got {raw:?}")))
}

/// A tree of selected attribute names (lower-cased): `name.givenName` selects `givenName` under
/// `name`; an extension URN is one level above its attributes.
#[derive(Default, Debug)]
struct Selection {
    whole: bool,
    children: HashMap<String, Selection>,
}

impl Selection {
    fn insert(&mut self, segments: &[String]) {
        match segments.split_first() {
            None => self.whole = true,
            Some((first, rest)) => self.children.entry(first.clone()).or_default().insert(rest),
        }
    }

    fn child(&self, key: &str) -> Option<&Selection> {
        self.children.get(&key.to_lowercase())
    }
}

/// What to keep of each returned resource.
pub(super) struct Projection {
    /// From `attributes`: keep only these (plus `id` and `schemas`).
    include: Option<Selection>,
    /// From `excludedAttributes`, plus every attribute whose `returned` is `never` (password).
    exclude: Selection,
}

impl Projection {
    /// Reads `attributes` and `excludedAttributes`; `honour_excluded` is false under
    /// `Quirk::IgnoreExcludedAttributes`.
    pub(super) fn from_query(
        params: &QueryParams,
        schema: &ResourceSchema,
        honour_excluded: bool,
    ) -> Result<Projection, ScimError> {
        let include = params
            .get("attributes")
            .map(|list| selection(list, schema))
            .transpose()?;
        let mut exclude = match params.get("excludedAttributes") {
            Some(list) if honour_excluded => selection(list, schema)?,
            _ => Selection::default(),
        };
        for (container, attribute) in never_returned(schema) {
            let mut segments: Vec<String> = container.into_iter().collect();
            segments.push(attribute);
            exclude.insert(&segments);
        }
        Ok(Projection { include, exclude })
    }

    /// The resource as the client asked to see it. `id` and `schemas` always stay.
    pub(super) fn apply(&self, resource: &Value) -> Value {
        let Some(object) = resource.as_object() else {
            return resource.clone();
        };
        let mut projected = Map::new();
        for (key, value) in object {
            if key == "id" || key == "schemas" {
                projected.insert(key.clone(), value.clone());
                continue;
            }
            let kept = match &self.include {
                Some(include) => include.child(key).and_then(|s| included(value, s)),
                None => Some(value.clone()),
            };
            let Some(mut kept) = kept else { continue };
            match self.exclude.child(key) {
                Some(excluded) if excluded.whole => continue,
                Some(excluded) => exclude(&mut kept, excluded),
                None => {}
            }
            projected.insert(key.clone(), kept);
        }
        Value::Object(projected)
    }
}

fn selection(list: &str, schema: &ResourceSchema) -> Result<Selection, ScimError> {
    let mut selection = Selection::default();
    for item in list
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
    {
        selection.insert(&segments(item, schema)?);
    }
    Ok(selection)
}

/// Lower-cased key path of one `attributes` entry, e.g.
/// `urn:…:enterprise:2.0:User:manager.value` -> [urn…:user, manager, value].
fn segments(item: &str, schema: &ResourceSchema) -> Result<Vec<String>, ScimError> {
    if schema.extension(item).is_some() {
        return Ok(vec![item.to_lowercase()]);
    }
    let path = AttrPath::parse(item)
        .map_err(|e| ScimError::invalid_value(format!("invalid attribute {item:?}: {e}")))?;
    let mut segments = Vec::with_capacity(3);
    if let Some(urn) = &path.urn
        && !urn.eq_ignore_ascii_case(&schema.core.id)
    {
        segments.push(urn.to_lowercase());
    }
    segments.push(path.name.to_lowercase());
    if let Some(sub_attr) = &path.sub_attr {
        segments.push(sub_attr.to_lowercase());
    }
    Ok(segments)
}

/// (extension URN if any, attribute name) of every top-level attribute never returned.
fn never_returned(schema: &ResourceSchema) -> Vec<(Option<String>, String)> {
    let core = schema
        .core
        .attributes
        .iter()
        .filter(|a| a.returned == Returned::Never)
        .map(|a| (None, a.name.to_lowercase()));
    let extensions = schema.extensions.iter().flat_map(|extension| {
        extension
            .attributes
            .iter()
            .filter(|a| a.returned == Returned::Never)
            .map(|a| (Some(extension.id.to_lowercase()), a.name.to_lowercase()))
    });
    core.chain(extensions).collect()
}

/// The part of `value` the selection keeps, or `None` if nothing is left.
fn included(value: &Value, selection: &Selection) -> Option<Value> {
    if selection.whole {
        return Some(value.clone());
    }
    match value {
        Value::Object(object) => {
            let kept: Map<String, Value> = object
                .iter()
                .filter_map(|(key, value)| {
                    let child = selection.child(key)?;
                    Some((key.clone(), included(value, child)?))
                })
                .collect();
            (!kept.is_empty()).then_some(Value::Object(kept))
        }
        Value::Array(elements) => {
            let kept: Vec<Value> = elements
                .iter()
                .filter_map(|element| included(element, selection))
                .collect();
            (!kept.is_empty()).then_some(Value::Array(kept))
        }
        _ => None,
    }
}

fn exclude(value: &mut Value, selection: &Selection) {
    match value {
        Value::Object(object) => {
            object.retain(|key, _| !selection.child(key).is_some_and(|child| child.whole));
            for (key, value) in object.iter_mut() {
                if let Some(child) = selection.child(key) {
                    exclude(value, child);
                }
            }
        }
        Value::Array(elements) => {
            for element in elements {
                exclude(element, selection);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn params(raw: &str) -> QueryParams {
        QueryParams::parse(Some(raw))
    }

    #[test]
    fn decodes_plus_as_space_and_ignores_name_case() {
        let query = params("aadOptscim062020&Filter=userName+eq+%22a%40b%22");
        assert_eq!(query.get("filter"), Some("userName eq \"a@b\""));
        assert_eq!(query.get("count"), None);
    }

    #[test]
    fn page_bounds_follow_rfc_7644() {
        assert_eq!(
            Page::from_query(&params("startIndex=0&count=-3")).ok(),
            Some(Page {
                start_index: 1,
                count: 0
            })
        );
        assert_eq!(
            Page::from_query(&params("count=100000")).ok(),
            Some(Page {
                start_index: 1,
                count: MAX_RESULTS
            })
        );
        assert!(Page::from_query(&params("count=ten")).is_err());
    }

    #[test]
    fn attributes_keep_id_schemas_and_the_listed_paths() {
        let schema = ResourceSchema::user();
        let projection = Projection::from_query(
            &params("attributes=userName,name.givenName,emails.value"),
            &schema,
            true,
        )
        .expect("valid");
        let resource = json!({
            "schemas": ["s"], "id": "1", "userName": "u", "active": true,
            "name": {"givenName": "g", "familyName": "f"},
            "emails": [{"value": "a@b", "type": "work"}],
            "meta": {"resourceType": "User"}
        });
        assert_eq!(
            projection.apply(&resource),
            json!({"schemas": ["s"], "id": "1", "userName": "u",
                   "name": {"givenName": "g"}, "emails": [{"value": "a@b"}]})
        );
    }

    #[test]
    fn excluded_attributes_remove_members_and_urn_paths_but_never_id() {
        let schema = ResourceSchema::user();
        let ext = crate::scim::SCHEMA_ENTERPRISE_USER;
        let projection = Projection::from_query(
            &params(&format!("excludedAttributes=id,{ext}:department,password")),
            &schema,
            true,
        )
        .expect("valid");
        let resource = json!({
            "id": "1", "password": "p",
            ext: {"department": "d", "employeeNumber": "7"}
        });
        assert_eq!(
            projection.apply(&resource),
            json!({"id": "1", ext: {"employeeNumber": "7"}})
        );
        let ignoring =
            Projection::from_query(&params("excludedAttributes=members"), &schema, false)
                .expect("valid");
        assert_eq!(
            ignoring.apply(&json!({"id": "1", "members": []})),
            json!({"id": "1", "members": []})
        );
    }
}
