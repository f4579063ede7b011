//! A small YAML writer for the scenarios the harness generates (`import-log`, `proxy --record`): block style for structure, flow style for short
//! objects of scalars (`- {op: Replace, path: active, value: "False"}`), and quoting wherever a
//! plain scalar could be read as something else (`"False"` stays a string, `"0123"` stays text).
//! Quoted strings escape every character YAML does not allow as it is (DEL, C1 controls,
//! U+FFFE/U+FFFF) and the ones older readers take for line breaks (NEL, U+2028, U+2029) or a
//! byte-order mark.

use serde_json::{Map, Value};

/// Lines longer than this are written in block style rather than flow style.
const FLOW_WIDTH: usize = 100;
/// Longer comment text is cropped, so a huge response body cannot swamp the scenario.
const COMMENT_LIMIT: usize = 1500;

#[derive(Debug, Default)]
pub struct YamlWriter {
    out: String,
}

impl YamlWriter {
    pub fn finish(self) -> String {
        self.out
    }

    /// A line written as it is.
    pub fn line(&mut self, indent: usize, text: &str) {
        self.out.push_str(&format!("{}{text}\n", pad(indent)));
    }

    pub fn blank(&mut self) {
        self.out.push('\n');
    }

    /// `# text`, one comment line per line of text; control characters become spaces.
    pub fn comment(&mut self, indent: usize, text: &str) {
        let cropped = crop(text, COMMENT_LIMIT);
        for line in cropped.lines() {
            let clean: String = line
                .chars()
                .map(|c| if plain_safe(c) { c } else { ' ' })
                .collect();
            let clean = clean.trim_end();
            if clean.is_empty() {
                self.out.push_str(&format!("{}#\n", pad(indent)));
            } else {
                self.out.push_str(&format!("{}# {clean}\n", pad(indent)));
            }
        }
    }

    /// `key: value`, in block style where the value is too large for one line.
    pub fn entry(&mut self, indent: usize, key: &str, value: &Value) {
        let key = quote_key(key);
        if let Value::String(text) = value
            && let Some(block) = literal_block(text, indent + 2)
        {
            self.out.push_str(&format!("{}{key}: {block}", pad(indent)));
            return;
        }
        // Scalars stay on the key's line however long; containers only while they fit.
        if let Some(flow) =
            flow(value).filter(|f| is_scalar(value) || indent + key.len() + f.len() < FLOW_WIDTH)
        {
            self.out
                .push_str(&format!("{}{key}: {flow}\n", pad(indent)));
            return;
        }
        self.out.push_str(&format!("{}{key}:\n", pad(indent)));
        match value {
            Value::Object(object) => self.object(indent + 2, object),
            Value::Array(items) => self.items(indent + 2, items),
            scalar => self
                .out
                .push_str(&format!("{}{}\n", pad(indent + 2), inline(scalar))),
        }
    }

    /// A list item under a block sequence at `indent`.
    pub fn item(&mut self, indent: usize, value: &Value) {
        match value {
            Value::Object(object)
                if !object.is_empty()
                    && flow(value).is_none_or(|f| indent + 2 + f.len() >= FLOW_WIDTH) =>
            {
                let mut nested = YamlWriter::default();
                nested.object(indent + 2, object);
                let text = nested.finish();
                // The first key shares the line with the dash.
                self.out.push_str(&pad(indent));
                self.out.push_str("- ");
                self.out.push_str(&text[indent + 2..]);
            }
            other => {
                let text = inline(other);
                self.out.push_str(&format!("{}- {text}\n", pad(indent)));
            }
        }
    }

    fn object(&mut self, indent: usize, object: &Map<String, Value>) {
        for (key, value) in object {
            self.entry(indent, key, value);
        }
    }

    fn items(&mut self, indent: usize, items: &[Value]) {
        for item in items {
            self.item(indent, item);
        }
    }
}

/// A multi-line string as a literal block (`|-` and the lines indented), when its text survives
/// that unchanged: no control characters, no leading space on the first line, at most one final
/// newline.
fn literal_block(text: &str, indent: usize) -> Option<String> {
    if !text.contains('\n') {
        return None;
    }
    let (body, chomp) = match text.strip_suffix('\n') {
        Some(body) => (body, "|"),
        None => (text, "|-"),
    };
    let safe = !body.ends_with('\n')
        && !body.starts_with([' ', '\n'])
        && body
            .chars()
            .all(|c| c == '\n' || (c != '\t' && plain_safe(c)))
        && body.lines().all(|line| !line.ends_with(' '));
    if !safe {
        return None;
    }
    let mut block = format!("{chomp}\n");
    for line in body.split('\n') {
        if line.is_empty() {
            block.push('\n');
        } else {
            block.push_str(&format!("{}{line}\n", pad(indent)));
        }
    }
    Some(block)
}

fn pad(indent: usize) -> String {
    " ".repeat(indent)
}

fn crop(text: &str, limit: usize) -> String {
    if text.chars().count() <= limit {
        text.to_string()
    } else {
        let cut: String = text.chars().take(limit).collect();
        format!("{cut}…")
    }
}

/// The one-line form of scalars, empty containers, lists of scalars and objects of scalars.
fn flow(value: &Value) -> Option<String> {
    let flat = match value {
        Value::Array(items) => items.iter().all(is_scalar),
        Value::Object(object) => object.values().all(is_scalar),
        _ => true,
    };
    flat.then(|| inline(value))
}

fn is_scalar(value: &Value) -> bool {
    !matches!(value, Value::Array(_) | Value::Object(_))
}

/// Any value in flow style on one line; the block style covers the nesting it does not.
fn inline(value: &Value) -> String {
    match value {
        Value::String(text) => quote(text),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(inline).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(object) => format!(
            "{{{}}}",
            object
                .iter()
                .map(|(k, v)| format!("{}: {}", quote_key(k), inline(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => other.to_string(),
    }
}

/// Characters that may stand as they are in YAML text (printable, and not read as a line break
/// or byte-order mark by any YAML version).
fn plain_safe(c: char) -> bool {
    matches!(c, '\t' | ' '..='~' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
        && !matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}')
}

/// A double-quoted YAML scalar.
fn double_quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if plain_safe(c) => out.push(c),
            // Every character that is not plain-safe is below U+10000.
            c => out.push_str(&format!("\\u{:04x}", u32::from(c))),
        }
    }
    out.push('"');
    out
}

/// Text taken from elsewhere (a log, recorded traffic) inside a template field: `{{` must not
/// start a placeholder.
pub fn template_literal(text: &str) -> String {
    text.replace("{{", "{{\"{{\"}}")
}

/// A string as a YAML scalar: plain when nothing could misread it, JSON-quoted otherwise.
pub fn quote(text: &str) -> String {
    let plain = text
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '/')
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || " _./@+-".contains(c))
        && !text.ends_with(' ')
        && !is_reserved(text);
    if plain {
        text.to_string()
    } else {
        double_quoted(text)
    }
}

/// Words YAML resolvers read as booleans or null.
fn is_reserved(text: &str) -> bool {
    matches!(
        text.to_ascii_lowercase().as_str(),
        "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n" | "null"
    )
}

fn quote_key(key: &str) -> String {
    let plain = key
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '$' || c == '_')
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.$-".contains(c))
        && !is_reserved(key);
    if plain {
        key.to_string()
    } else {
        double_quoted(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn render(value: &Value) -> String {
        let mut writer = YamlWriter::default();
        for (key, value) in value.as_object().unwrap() {
            writer.entry(0, key, value);
        }
        writer.finish()
    }

    #[test]
    fn block_and_flow_styles() {
        let value = json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [
                {"op": "Replace", "path": "active", "value": "False"},
                {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "a@b.example"}
            ],
            "name": {"givenName": "Lee", "familyName": "O'Neil"},
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "0042"},
            "empty": {},
            "flag": true
        });
        let text = render(&value);
        assert_eq!(
            text,
            "schemas: [\"urn:ietf:params:scim:api:messages:2.0:PatchOp\"]\n\
             Operations:\n  \
               - {op: Replace, path: active, value: \"False\"}\n  \
               - {op: Replace, path: \"emails[type eq \\\"work\\\"].value\", value: a@b.example}\n\
             name: {givenName: Lee, familyName: \"O'Neil\"}\n\
             \"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User\": {department: \"0042\"}\n\
             empty: {}\n\
             flag: true\n"
        );
        let back: Value = serde_saphyr::from_str(&text).unwrap();
        assert_eq!(back, value);
    }

    #[test]
    fn nested_objects_in_lists_round_trip() {
        let value = json!({
            "steps": [{
                "name": "create-1",
                "request": {"method": "POST", "path": "/Users", "body": {"a": [{"b": [1, {"c": null}]}]}},
                "expect": [{"id": "x.y", "status": [200, 204]}]
            }]
        });
        let text = render(&value);
        let back: Value = serde_saphyr::from_str(&text).unwrap();
        assert_eq!(back, value, "{text}");
    }

    #[test]
    fn scalars_that_yaml_would_misread_are_quoted() {
        for text in [
            "False", "yes", "0123", "", " lead", "a: b", "a #b", "{x}", "-1", "trail ",
        ] {
            assert!(quote(text).starts_with('"'), "{text}");
        }
        assert_eq!(quote("lee@contoso.example"), "lee@contoso.example");
        assert_eq!(quote("+1 555 0100"), "\"+1 555 0100\"");
    }

    #[test]
    fn multi_line_strings_are_literal_blocks() {
        for text in [
            "one\ntwo",
            "one\n\nthree\n",
            " lead\nx",
            "a\n\n",
            "tab\there\nx",
        ] {
            let value = json!({"description": text});
            let yaml = render(&value);
            let back: Value = serde_saphyr::from_str(&yaml).unwrap();
            assert_eq!(back, value, "{yaml}");
        }
        assert_eq!(render(&json!({"d": "one\ntwo"})), "d: |-\n  one\n  two\n");
    }

    #[test]
    fn characters_yaml_forbids_are_escaped() {
        for text in [
            "\u{7f}",
            "a\u{85}b",
            "\u{2028}",
            "\u{feff}x",
            "\u{fffe}",
            "\u{ffff}",
            "\u{1}",
            "é😀",
        ] {
            let value = json!({"k": text, "list": [text], "nested": [{"a": [text]}]});
            let yaml = render(&value);
            let back: Value = serde_saphyr::from_str(&yaml).unwrap();
            assert_eq!(back, value, "{yaml}");
        }
    }

    #[test]
    fn comments_stay_comments() {
        let mut writer = YamlWriter::default();
        writer.comment(2, "line one\nline\u{7}two\u{2028}\n\nend");
        assert_eq!(
            writer.finish(),
            "  # line one\n  # line two\n  #\n  # end\n"
        );
    }
}
