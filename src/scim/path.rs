//! Attribute paths (RFC 7644 §3.10: `[urn:]name[.subAttr]`), PATCH paths (§3.5.2:
//! `attr[valueFilter].subAttr`), and reading the values a path designates in a JSON resource.

use std::fmt;

use serde_json::{Map, Value};

use super::filter::{self, Filter};
use super::schema::ResourceSchema;

/// `urn:…:User:name.familyName` split into its schema URN, attribute and sub-attribute.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AttrPath {
    /// The schema URN prefix, without the trailing colon, as written.
    pub urn: Option<String>,
    pub name: String,
    pub sub_attr: Option<String>,
}

/// A path that does not parse; `position` is a byte offset into the parsed text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (at byte {position})")]
pub struct PathError {
    pub position: usize,
    pub message: String,
}

impl PathError {
    fn new(position: usize, message: impl Into<String>) -> PathError {
        PathError {
            position,
            message: message.into(),
        }
    }
}

impl AttrPath {
    /// An unqualified attribute without sub-attribute.
    pub fn named(name: &str) -> AttrPath {
        AttrPath {
            urn: None,
            name: name.to_string(),
            sub_attr: None,
        }
    }

    /// Parses `name`, `name.sub`, `urn:…:name` or `urn:…:name.sub`. The URN ends at the last
    /// colon, so the `.` in a URN's `2.0` never splits off a sub-attribute.
    pub fn parse(text: &str) -> Result<AttrPath, PathError> {
        let is_urn = text
            .get(..4)
            .is_some_and(|prefix| prefix.eq_ignore_ascii_case("urn:"));
        let (urn, rest, rest_start) = if is_urn {
            // `rfind` always succeeds here: the text starts with "urn:".
            let colon = text.rfind(':').unwrap_or(3);
            let urn = &text[..colon];
            if let Some(bad) = urn.char_indices().find(|(_, c)| !is_urn_char(*c)) {
                return Err(PathError::new(
                    bad.0,
                    format!("character {:?} is not allowed in a schema URN", bad.1),
                ));
            }
            if urn.len() <= 4 {
                return Err(PathError::new(
                    0,
                    "a schema URN needs at least one segment after \"urn:\"",
                ));
            }
            (Some(urn.to_string()), &text[colon + 1..], colon + 1)
        } else {
            (None, text, 0)
        };
        let (name, sub_attr) = match rest.split_once('.') {
            Some((name, sub)) => (name, Some((sub, rest_start + name.len() + 1))),
            None => (rest, None),
        };
        check_name(name, rest_start)?;
        let sub_attr = match sub_attr {
            Some((sub, at)) => {
                check_name(sub, at)?;
                Some(sub.to_string())
            }
            None => None,
        };
        Ok(AttrPath {
            urn,
            name: name.to_string(),
            sub_attr,
        })
    }

    /// This path without its sub-attribute.
    pub fn parent(&self) -> AttrPath {
        AttrPath {
            sub_attr: None,
            ..self.clone()
        }
    }
}

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(urn) = &self.urn {
            write!(f, "{urn}:")?;
        }
        f.write_str(&self.name)?;
        if let Some(sub) = &self.sub_attr {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

/// RFC 8141 NSS characters, minus the ones that delimit filters and paths.
fn is_urn_char(c: char) -> bool {
    c.is_ascii_graphic() && !matches!(c, '"' | '[' | ']' | '(' | ')' | '\\')
}

/// RFC 7644 ATTRNAME (`ALPHA *(nameChar)`), plus a leading `$` for `$ref` (RFC 7643 §2.1).
pub(crate) fn check_name(name: &str, offset: usize) -> Result<(), PathError> {
    let mut chars = name.char_indices();
    match chars.next() {
        None => return Err(PathError::new(offset, "attribute name missing")),
        Some((_, c)) if c.is_ascii_alphabetic() || c == '$' => {}
        Some((_, c)) => {
            return Err(PathError::new(
                offset,
                format!("an attribute name must start with a letter, not {c:?}"),
            ));
        }
    }
    match chars.find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_')) {
        Some((at, c)) => Err(PathError::new(
            offset + at,
            format!("character {c:?} is not allowed in an attribute name"),
        )),
        None => Ok(()),
    }
}

/// The `path` of a PATCH operation: `active`, `name.familyName`, `urn:…:User:manager`,
/// `emails[type eq "work"].value`, `members[value eq "id"]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatchPath {
    pub attr: AttrPath,
    /// The filter between brackets, evaluated against each element of `attr`.
    pub value_filter: Option<Filter>,
    /// The sub-attribute after the brackets (`.value` in `emails[…].value`).
    pub sub_attr: Option<String>,
}

impl PatchPath {
    pub fn parse(text: &str) -> Result<PatchPath, PathError> {
        let Some(open) = text.find('[') else {
            return Ok(PatchPath {
                attr: AttrPath::parse(text)?,
                value_filter: None,
                sub_attr: None,
            });
        };
        let attr = AttrPath::parse(&text[..open])?;
        if attr.sub_attr.is_some() {
            return Err(PathError::new(
                open,
                "a value filter must follow the attribute, not a sub-attribute",
            ));
        }
        let close = closing_bracket(text, open)?;
        let inner = &text[open + 1..close];
        let value_filter = filter::parse_value_filter(inner)
            .map_err(|e| PathError::new(open + 1 + e.position, e.message))?;
        let rest = &text[close + 1..];
        let sub_attr = if rest.is_empty() {
            None
        } else if let Some(sub) = rest.strip_prefix('.') {
            check_name(sub, close + 2)?;
            Some(sub.to_string())
        } else {
            return Err(PathError::new(
                close + 1,
                "only \".subAttribute\" may follow a value filter",
            ));
        };
        Ok(PatchPath {
            attr,
            value_filter: Some(value_filter),
            sub_attr,
        })
    }
}

impl fmt::Display for PatchPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.attr)?;
        if let Some(filter) = &self.value_filter {
            write!(f, "[{filter}]")?;
        }
        if let Some(sub) = &self.sub_attr {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

/// The byte offset of the `]` closing the `[` at `open`, skipping brackets inside strings.
fn closing_bracket(text: &str, open: usize) -> Result<usize, PathError> {
    let mut in_string = false;
    let mut escaped = false;
    for (at, byte) in text.bytes().enumerate().skip(open + 1) {
        match (in_string, escaped, byte) {
            (true, true, _) => escaped = false,
            (true, false, b'\\') => escaped = true,
            (true, false, b'"') => in_string = false,
            (false, _, b'"') => in_string = true,
            (false, _, b']') => return Ok(at),
            (false, _, b'[') => {
                return Err(PathError::new(at, "value filters cannot be nested"));
            }
            _ => {}
        }
    }
    Err(PathError::new(open, "\"[\" is never closed"))
}

/// The values `path` designates in `resource`: `active` gives the boolean, `emails` its
/// elements, `emails[type eq "work"].value` the matching elements' values, `name.givenName` the
/// string. Keys are matched case-insensitively; extension attributes are read under their URN
/// key, whether or not the path names the URN. Nulls are never returned.
pub fn select<'a>(
    resource: &'a Value,
    path: &PatchPath,
    schema: &ResourceSchema,
) -> Vec<&'a Value> {
    let Some(value_filter) = &path.value_filter else {
        return attribute_values(resource, &path.attr, schema);
    };
    let parent = path.attr.parent();
    attribute_values(resource, &parent, schema)
        .into_iter()
        .filter(|element| value_filter.matches_element(element, &parent, schema))
        .flat_map(|element| match &path.sub_attr {
            None => vec![element],
            Some(sub) => member(element, sub).map(flatten).unwrap_or_default(),
        })
        .collect()
}

/// The values of `attr` in `resource`, multi-valued attributes flattened into their elements.
pub(crate) fn attribute_values<'a>(
    resource: &'a Value,
    attr: &AttrPath,
    schema: &ResourceSchema,
) -> Vec<&'a Value> {
    let Some(top) = top_level_value(resource, attr, schema) else {
        return Vec::new();
    };
    match &attr.sub_attr {
        None => flatten(top),
        Some(sub) => flatten(top)
            .into_iter()
            .flat_map(|element| member(element, sub).map(flatten).unwrap_or_default())
            .collect(),
    }
}

/// The values of `attr` (relative: `type`, `value`) inside one element of a multi-valued
/// attribute.
pub(crate) fn element_values<'a>(element: &'a Value, attr: &AttrPath) -> Vec<&'a Value> {
    let Some(value) = member(element, &attr.name) else {
        return Vec::new();
    };
    match &attr.sub_attr {
        None => flatten(value),
        Some(sub) => flatten(value)
            .into_iter()
            .flat_map(|inner| member(inner, sub).map(flatten).unwrap_or_default())
            .collect(),
    }
}

fn top_level_value<'a>(
    resource: &'a Value,
    attr: &AttrPath,
    schema: &ResourceSchema,
) -> Option<&'a Value> {
    let object = resource.as_object()?;
    match &attr.urn {
        Some(urn) if urn.eq_ignore_ascii_case(&schema.core.id) => get_ci(object, &attr.name),
        Some(urn) => get_ci(get_ci(object, urn)?.as_object()?, &attr.name),
        None => get_ci(object, &attr.name).or_else(|| {
            let extension = schema.locate(&attr.parent())?.extension?;
            get_ci(get_ci(object, &extension.id)?.as_object()?, &attr.name)
        }),
    }
}

/// `value[key]` for an object, matched case-insensitively.
fn member<'a>(value: &'a Value, key: &str) -> Option<&'a Value> {
    get_ci(value.as_object()?, key)
}

/// Array elements, or the value itself; nulls dropped.
fn flatten(value: &Value) -> Vec<&Value> {
    match value {
        Value::Array(elements) => elements.iter().filter(|e| !e.is_null()).collect(),
        Value::Null => Vec::new(),
        single => vec![single],
    }
}

/// The entry for `key`: the exact spelling if present, else the first case-insensitive match.
pub(crate) fn get_ci<'a>(object: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    object.get(key).or_else(|| {
        object
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

/// The key spelling under which `key` is stored in `object`, if it is.
pub(crate) fn existing_key(object: &Map<String, Value>, key: &str) -> Option<String> {
    if object.contains_key(key) {
        return Some(key.to_string());
    }
    object.keys().find(|k| k.eq_ignore_ascii_case(key)).cloned()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn attr_paths_parse() {
        let cases: [(&str, Option<&str>, &str, Option<&str>); 7] = [
            ("active", None, "active", None),
            ("name.familyName", None, "name", Some("familyName")),
            ("$ref", None, "$ref", None),
            (
                "urn:ietf:params:scim:schemas:core:2.0:User:userName",
                Some("urn:ietf:params:scim:schemas:core:2.0:User"),
                "userName",
                None,
            ),
            (
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
                Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"),
                "manager",
                Some("value"),
            ),
            (
                "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User:tag",
                Some("urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User"),
                "tag",
                None,
            ),
            (
                "URN:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
                Some("URN:ietf:params:scim:schemas:extension:enterprise:2.0:User"),
                "employeeNumber",
                None,
            ),
        ];
        for (text, urn, name, sub) in cases {
            let path = AttrPath::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(path.urn.as_deref(), urn, "{text}");
            assert_eq!(path.name, name, "{text}");
            assert_eq!(path.sub_attr.as_deref(), sub, "{text}");
            assert_eq!(path.to_string(), text);
        }
    }

    #[test]
    fn bad_attr_paths_fail_with_position() {
        let cases = [
            ("", 0),
            ("a.b.c", 3),
            ("1abc", 0),
            ("na me", 2),
            ("urn:", 0),
            ("urn:x:", 6),
            ("name.", 5),
            ("ém", 0),
        ];
        for (text, position) in cases {
            let error = AttrPath::parse(text).expect_err(text);
            assert_eq!(error.position, position, "{text}: {error}");
        }
    }

    #[test]
    fn patch_paths_parse() {
        let path = PatchPath::parse(r#"emails[type eq "work"].value"#).expect("parses");
        assert_eq!(path.attr, AttrPath::named("emails"));
        assert_eq!(path.sub_attr.as_deref(), Some("value"));
        assert_eq!(path.to_string(), r#"emails[type eq "work"].value"#);
        let path = PatchPath::parse(r#"members[value eq "a]b"]"#).expect("parses");
        assert_eq!(path.to_string(), r#"members[value eq "a]b"]"#);
        assert!(path.sub_attr.is_none());
        let manager = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager";
        let path = PatchPath::parse(manager).expect("parses");
        assert_eq!(path.attr.name, "manager");
        assert!(path.value_filter.is_none());
    }

    #[test]
    fn bad_patch_paths_fail() {
        for text in [
            "emails[",
            r#"emails[type eq "work""#,
            r#"emails[type eq "work"]value"#,
            r#"emails[type eq "work"]."#,
            r#"emails[type eq work]"#,
            r#"emails[type eq "work"][value eq "x"]"#,
            r#"emails[members[value eq "x"]]"#,
            r#"name.givenName[value eq "x"]"#,
            "emails[]",
        ] {
            assert!(PatchPath::parse(text).is_err(), "{text}");
        }
    }

    #[test]
    fn select_reads_values_by_path() {
        let schema = ResourceSchema::user();
        let user = json!({
            "userName": "a@b",
            "Active": false,
            "name": {"givenName": "G"},
            "emails": [{"type": "home", "value": "h@x"}, {"type": "work", "value": "w@x"}],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"manager": {"value": "m1"}}
        });
        let cases: [(&str, Vec<Value>); 7] = [
            ("active", vec![json!(false)]),
            ("name.givenName", vec![json!("G")]),
            (r#"emails[type eq "work"].value"#, vec![json!("w@x")]),
            (
                r#"emails[TYPE eq "WORK"]"#,
                vec![json!({"type": "work", "value": "w@x"})],
            ),
            ("emails.value", vec![json!("h@x"), json!("w@x")]),
            ("manager.value", vec![json!("m1")]),
            (
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
                vec![json!("m1")],
            ),
        ];
        for (text, expected) in cases {
            let path = PatchPath::parse(text).expect(text);
            let got: Vec<Value> = select(&user, &path, &schema).into_iter().cloned().collect();
            assert_eq!(got, expected, "{text}");
        }
        let emails = PatchPath::parse("emails").expect("parses");
        assert_eq!(select(&user, &emails, &schema).len(), 2);
        let missing = PatchPath::parse("title").expect("parses");
        assert!(select(&user, &missing, &schema).is_empty());
    }
}
