//! What a snapshot holds and what it hides: the exchange document (status, allow-listed headers,
//! body) and the redactions that make it stable across runs and servers. Values the run knows
//! (its prefix, captured ids) become labels; server-generated volatile fields become fixed
//! placeholders; a scenario may name extra pointers.

use serde_json::{Map, Value};

/// Response headers kept in snapshots; the rest (dates, request ids, server banners) vary.
const HEADER_ALLOW_LIST: [&str; 4] = ["content-type", "location", "etag", "www-authenticate"];
/// A body that is not JSON is kept up to this many bytes.
const MAX_BODY_TEXT_BYTES: usize = 4096;
/// Known values shorter than this are too likely to appear by accident (`1`, `true`, `abc`).
const MIN_KNOWN_VALUE_CHARS: usize = 4;

/// The document a snapshot stores: `{"status", "headers", "body" | "body_text"}`.
pub fn exchange_document(
    status: u16,
    headers: &[(String, String)],
    body: Option<&Value>,
    raw_body: Option<&str>,
) -> Value {
    let mut kept = Map::new();
    for (name, value) in headers {
        let name = name.to_ascii_lowercase();
        if !HEADER_ALLOW_LIST.contains(&name.as_str()) {
            continue;
        }
        match kept.get_mut(&name) {
            Some(Value::String(existing)) => {
                existing.push_str(", ");
                existing.push_str(value);
            }
            _ => {
                kept.insert(name, Value::String(value.clone()));
            }
        }
    }
    let mut doc = Map::new();
    doc.insert("status".into(), Value::from(status));
    doc.insert("headers".into(), Value::Object(kept));
    match (body, raw_body) {
        (Some(body), _) => {
            doc.insert("body".into(), body.clone());
        }
        (None, Some(text)) if !text.is_empty() => {
            doc.insert("body_text".into(), Value::String(truncate(text)));
        }
        (None, _) => {}
    }
    Value::Object(doc)
}

fn truncate(text: &str) -> String {
    if text.len() <= MAX_BODY_TEXT_BYTES {
        return text.to_string();
    }
    let mut end = MAX_BODY_TEXT_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…[truncated, {} bytes in all]", &text[..end], text.len())
}

/// What to hide in an exchange document.
#[derive(Debug, Clone, Default)]
pub struct Redactions {
    /// Values the run knows and their labels, e.g. (`"3f9a…"`, `"[user_id]"`).
    pub known: Vec<(String, String)>,
    /// Extra RFC 6901 pointers into the document, replaced by `[redacted]`.
    pub pointers: Vec<String>,
}

/// Applies, in order: known values (anywhere in any string, ASCII case-insensitively, longest
/// first), the volatile-field rules, then the extra pointers.
pub fn redact(doc: &mut Value, redactions: &Redactions) {
    let mut known: Vec<(&str, &str)> = redactions
        .known
        .iter()
        .filter(|(value, _)| value.chars().count() >= MIN_KNOWN_VALUE_CHARS)
        .map(|(value, label)| (value.as_str(), label.as_str()))
        .collect();
    known.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(b.0)));
    if !known.is_empty() {
        replace_known(doc, &known);
    }

    let labels: Vec<&str> = redactions
        .known
        .iter()
        .map(|(_, label)| label.as_str())
        .collect();
    if let Some(headers) = doc.get_mut("headers").and_then(Value::as_object_mut) {
        set_if_string(headers, "etag", "[version]");
        set_if_string(headers, "location", "[location]");
    }
    if let Some(body) = doc.get_mut("body") {
        redact_resource(body, &labels);
        if let Some(resources) = body.get_mut("Resources").and_then(Value::as_array_mut) {
            for resource in resources {
                redact_resource(resource, &labels);
            }
        }
    }

    for pointer in &redactions.pointers {
        if let Some(value) = doc.pointer_mut(pointer) {
            *value = Value::String("[redacted]".into());
        }
    }
}

/// Server-generated fields of one resource. Only strings are replaced: a server that returns a
/// number or an object there still shows up in the diff.
fn redact_resource(resource: &mut Value, labels: &[&str]) {
    let Some(object) = resource.as_object_mut() else {
        return;
    };
    if let Some(Value::String(id)) = object.get("id")
        && !labels.contains(&id.as_str())
    {
        object.insert("id".into(), Value::String("[id]".into()));
    }
    if let Some(meta) = object.get_mut("meta").and_then(Value::as_object_mut) {
        set_if_string(meta, "created", "[timestamp]");
        set_if_string(meta, "lastModified", "[timestamp]");
        set_if_string(meta, "version", "[version]");
        set_if_string(meta, "location", "[location]");
    }
}

fn set_if_string(object: &mut Map<String, Value>, key: &str, placeholder: &str) {
    if let Some(value @ Value::String(_)) = object.get_mut(key) {
        *value = Value::String(placeholder.into());
    }
}

fn replace_known(value: &mut Value, known: &[(&str, &str)]) {
    match value {
        Value::String(text) => {
            if let Some(replaced) = replace_in(text, known) {
                *text = replaced;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| replace_known(item, known)),
        Value::Object(map) => map.values_mut().for_each(|item| replace_known(item, known)),
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// One left-to-right pass, so a label just written is never matched again. Returns None when
/// nothing matched.
fn replace_in(text: &str, known: &[(&str, &str)]) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = String::new();
    let mut copied_up_to = 0;
    let mut index = 0;
    while index < bytes.len() {
        let hit = known.iter().find(|(value, _)| {
            bytes.len() - index >= value.len()
                && bytes[index..index + value.len()].eq_ignore_ascii_case(value.as_bytes())
        });
        match hit {
            Some((value, label)) => {
                out.push_str(&text[copied_up_to..index]);
                out.push_str(label);
                index += value.len();
                copied_up_to = index;
            }
            None => {
                // Advance by one character so `index` stays on a char boundary.
                index += text[index..].chars().next().map_or(1, char::len_utf8);
            }
        }
    }
    if copied_up_to == 0 {
        return None;
    }
    out.push_str(&text[copied_up_to..]);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn headers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn document_keeps_allow_listed_headers_lower_cased() {
        let doc = exchange_document(
            201,
            &headers(&[
                ("Content-Type", "application/scim+json"),
                ("Date", "today"),
                ("ETag", "W/\"1\""),
                ("Location", "https://x/Users/1"),
                ("WWW-Authenticate", "Bearer"),
                ("X-Request-Id", "abc"),
            ]),
            Some(&json!({"id": "1"})),
            Some("ignored"),
        );
        assert_eq!(
            doc,
            json!({
                "status": 201,
                "headers": {"content-type": "application/scim+json", "etag": "W/\"1\"", "location": "https://x/Users/1", "www-authenticate": "Bearer"},
                "body": {"id": "1"}
            })
        );
    }

    #[test]
    fn document_text_body_is_truncated_and_empty_body_omitted() {
        let long = "é".repeat(3000);
        let doc = exchange_document(500, &[], None, Some(&long));
        let text = doc["body_text"].as_str().unwrap();
        assert!(text.len() < 4200, "{}", text.len());
        assert!(text.ends_with("…[truncated, 6000 bytes in all]"));
        let empty = exchange_document(204, &[], None, Some(""));
        assert_eq!(empty, json!({"status": 204, "headers": {}}));
        let none = exchange_document(204, &[], None, None);
        assert_eq!(none, json!({"status": 204, "headers": {}}));
    }

    #[test]
    fn known_values_are_replaced_anywhere_case_insensitively_longest_first() {
        let mut doc = json!({
            "body": {
                "userName": "SCIMH-3F9A.alice@contoso.example",
                "externalId": "scimh-3f9a-alice",
                "emails": [{"value": "scimh-3f9a.alice@contoso.example"}],
                "short": "abc",
                "active": true
            }
        });
        redact(
            &mut doc,
            &Redactions {
                known: vec![
                    ("scimh-3f9a".into(), "[run.prefix]".into()),
                    (
                        "scimh-3f9a.alice@contoso.example".into(),
                        "[user_name]".into(),
                    ),
                    ("abc".into(), "[too_short]".into()),
                ],
                pointers: vec![],
            },
        );
        assert_eq!(
            doc["body"],
            json!({
                "userName": "[user_name]",
                "externalId": "[run.prefix]-alice",
                "emails": [{"value": "[user_name]"}],
                "short": "abc",
                "active": true
            })
        );
    }

    #[test]
    fn a_label_is_not_redacted_again() {
        let mut doc = json!({"body": {"x": "user-1234"}});
        redact(
            &mut doc,
            &Redactions {
                known: vec![
                    ("1234".into(), "[user_id]".into()),
                    ("user".into(), "[u]".into()),
                ],
                pointers: vec![],
            },
        );
        assert_eq!(doc["body"]["x"], "[u]-[user_id]");
    }

    #[test]
    fn volatile_fields_follow_the_rules() {
        let mut doc = json!({
            "status": 200,
            "headers": {"etag": "W/\"3\"", "location": "https://h/Users/9", "content-type": "application/scim+json"},
            "body": {
                "id": "9",
                "meta": {"created": "2024-01-01T00:00:00Z", "lastModified": "2024-01-02T00:00:00Z", "version": "W/\"3\"", "location": "https://h/Users/9", "resourceType": "User"},
                "Resources": [
                    {"id": "known-id-1", "meta": {"created": 5}},
                    {"id": "other", "meta": {"lastModified": "x"}}
                ]
            }
        });
        redact(
            &mut doc,
            &Redactions {
                known: vec![("known-id-1".into(), "[user_id]".into())],
                pointers: vec!["/body/meta/resourceType".into(), "/body/nope".into()],
            },
        );
        assert_eq!(
            doc,
            json!({
                "status": 200,
                "headers": {"etag": "[version]", "location": "[location]", "content-type": "application/scim+json"},
                "body": {
                    "id": "[id]",
                    "meta": {"created": "[timestamp]", "lastModified": "[timestamp]", "version": "[version]", "location": "[location]", "resourceType": "[redacted]"},
                    "Resources": [
                        {"id": "[user_id]", "meta": {"created": 5}},
                        {"id": "[id]", "meta": {"lastModified": "[timestamp]"}}
                    ]
                }
            })
        );
    }
}
