//! The mapping file (docs/mapping-format.md): a YAML (or JSON) list with one entry per row of
//! Entra's Attribute Mapping table. The first format, a list of `{source, target}`, is still valid.
//! Problems are reported like scenario files: `file:line:col`, the line, a caret and a hint.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use serde::Deserialize;
use serde_saphyr::Spanned;

use super::{Apply, AttributeMapping, Mapping, Source};
use crate::scenario::error::ScenarioError;
use crate::scenario::load::{MAX_FILE_BYTES, display_path, location_in, parse_yaml};

/// One row of the table, as the file gives it.
#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a mapped attribute: a mapping with `target` and one of `source`, `constant`, `expression`"
)]
struct RawAttribute {
    target: Spanned<String>,
    source: Option<Spanned<String>>,
    constant: Option<Spanned<String>>,
    expression: Option<Spanned<String>>,
    matching: Option<Spanned<bool>>,
    precedence: Option<Spanned<u32>>,
    apply: Option<Spanned<String>>,
}

const APPLY_VALUES: [&str; 2] = ["always", "on-create"];

impl Mapping {
    /// Reads a `--mapping` file; the path is shown relative to the current folder when possible.
    pub fn load_file(path: &Path) -> Result<Mapping, ScenarioError> {
        let display = display_path(path);
        let cannot_read =
            |error: std::io::Error| ScenarioError::new(format!("cannot read {display}: {error}"));
        let size = std::fs::metadata(path).map_err(cannot_read)?.len();
        if size > MAX_FILE_BYTES as u64 {
            return Err(ScenarioError::new(format!(
                "{display} is {size} bytes; mapping files are limited to {MAX_FILE_BYTES} bytes"
            )));
        }
        let bytes = std::fs::read(path).map_err(cannot_read)?;
        let text = String::from_utf8(bytes).map_err(|error| {
            ScenarioError::new(format!(
                "{display} is not UTF-8 text (invalid byte at offset {})",
                error.utf8_error().valid_up_to()
            ))
        })?;
        Mapping::from_yaml(&display, &text)
    }

    /// Parses mapping text; `display_path` names it in errors and reports.
    pub fn from_yaml(display_path: &str, text: &str) -> Result<Mapping, ScenarioError> {
        if text.len() > MAX_FILE_BYTES {
            return Err(ScenarioError::new(format!(
                "{display_path} is {} bytes; mapping files are limited to {MAX_FILE_BYTES} bytes",
                text.len()
            )));
        }
        let file: Arc<str> = Arc::from(display_path);
        parse(&file, text)
            .map(|attributes| Mapping {
                name: format!("the mapping in {display_path}"),
                file: Some(display_path.to_string()),
                text: Some(text.to_string()),
                attributes,
            })
            .map_err(|error| error.with_source(text))
    }
}

fn parse(file: &Arc<str>, text: &str) -> Result<Vec<AttributeMapping>, ScenarioError> {
    let raw: Option<Spanned<Vec<Spanned<RawAttribute>>>> = parse_yaml(file, text)?;
    let empty = || {
        ScenarioError::new(format!("{file} maps no attribute"))
            .with_hint("list one entry per row of Entra's Attribute Mapping table, e.g. `- {source: userPrincipalName, target: userName, matching: true}`")
    };
    let raw = raw.ok_or_else(empty)?;
    if raw.value.is_empty() {
        return Err(empty().at(location_in(file, raw.referenced)));
    }
    let mut attributes = Vec::with_capacity(raw.value.len());
    let mut precedences: BTreeMap<u32, u32> = BTreeMap::new();
    for entry in raw.value {
        let at = |span: serde_saphyr::Location| location_in(file, span);
        let attribute = attribute(file, entry.value, at(entry.referenced))?;
        if let Some(precedence) = attribute.matching
            && let Some(line) = precedences.insert(
                precedence,
                attribute.location.as_ref().map_or(0, |l| l.line),
            )
        {
            return Err(ScenarioError::new(format!(
                "two matching attributes have precedence {precedence}"
            ))
            .at(attribute.location.clone().unwrap_or_else(|| at(entry.referenced)))
            .with_hint(format!(
                "Entra tries matching attributes one at a time in precedence order; the row at line {line} already has precedence {precedence} (`matching: true` alone means 1)"
            )));
        }
        attributes.push(attribute);
    }
    Ok(attributes)
}

fn attribute(
    file: &Arc<str>,
    raw: RawAttribute,
    location: crate::scenario::model::Location,
) -> Result<AttributeMapping, ScenarioError> {
    let at = |span: &serde_saphyr::Location| location_in(file, *span);
    let non_empty = |field: &Spanned<String>, key: &str| -> Result<String, ScenarioError> {
        let text = field.value.trim();
        if text.is_empty() {
            return Err(
                ScenarioError::new(format!("`{key}` must not be empty")).at(at(&field.referenced))
            );
        }
        Ok(text.to_string())
    };
    let target = non_empty(&raw.target, "target")?;
    let given: Vec<(&str, &Spanned<String>)> = [
        ("source", &raw.source),
        ("constant", &raw.constant),
        ("expression", &raw.expression),
    ]
    .into_iter()
    .filter_map(|(key, value)| value.as_ref().map(|value| (key, value)))
    .collect();
    let source = match given.as_slice() {
        [] => {
            return Err(ScenarioError::new(format!(
                "the mapping of `{target}` has no source value"
            ))
            .at(location)
            .with_hint("add `source:` (an Entra attribute), `constant:` or `expression:`"));
        }
        [(key, value)] => {
            let text = non_empty(value, key)?;
            match *key {
                "source" => Source::Attribute(text),
                "constant" => Source::Constant(text),
                _ => Source::Expression(text),
            }
        }
        [(first, _), (second, value), ..] => {
            return Err(ScenarioError::new(format!(
                "the mapping of `{target}` has both `{first}` and `{second}`"
            ))
            .at(at(&value.referenced))
            .with_hint("a row of Entra's mapping table has one source value: an attribute, a constant or an expression"));
        }
    };
    let matching = match (&raw.matching, &raw.precedence) {
        (Some(matching), Some(precedence)) if !matching.value => {
            return Err(ScenarioError::new(
                "`precedence` orders matching attributes; this one has `matching: false`",
            )
            .at(at(&precedence.referenced))
            .with_hint("remove `precedence`, or set `matching: true`"));
        }
        (None, Some(precedence)) => {
            return Err(ScenarioError::new(
                "`precedence` needs `matching: true` on the same entry",
            )
            .at(at(&precedence.referenced))
            .with_hint("add `matching: true`"));
        }
        (Some(matching), precedence) if matching.value => {
            let precedence = precedence.as_ref().map_or(1, |p| p.value);
            if precedence == 0 {
                let place = raw
                    .precedence
                    .as_ref()
                    .map_or(location.clone(), |p| at(&p.referenced));
                return Err(ScenarioError::new("matching precedence starts at 1")
                    .at(place)
                    .with_hint("1 is the attribute Entra tries first"));
            }
            Some(precedence)
        }
        _ => None,
    };
    if matching.is_some()
        && let Source::Constant(_) = source
    {
        let place = raw
            .matching
            .as_ref()
            .map_or(location.clone(), |m| at(&m.referenced));
        return Err(ScenarioError::new(format!(
            "`{target}` is a matching attribute with a constant value"
        ))
        .at(place)
        .with_hint("every user would have the same value, so Entra could not tell them apart; match on an attribute that differs per user, such as userName"));
    }
    let apply = match &raw.apply {
        None => Apply::Always,
        Some(word) => match word.value.as_str() {
            "always" => Apply::Always,
            "on-create" => Apply::OnCreate,
            other => {
                let suggestion = crate::scenario::error::closest(other, APPLY_VALUES)
                    .map(|close| format!("did you mean `{close}`? "))
                    .unwrap_or_default();
                return Err(ScenarioError::new(format!("unknown `apply` value `{other}`"))
                    .at(at(&word.referenced))
                    .with_hint(format!(
                        "{suggestion}`always` (the default) or `on-create` (Entra's \"Only during object creation\")"
                    )));
            }
        },
    };
    Ok(AttributeMapping {
        source,
        target,
        matching,
        apply,
        location: Some(at(&raw.target.referenced)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_format_still_loads() {
        let mapping = Mapping::from_yaml(
            "m.yaml",
            "- {source: extensionAttribute1, target: 'urn:ietf:params:scim:schemas:extension:Acme:2.0:User:costCenter'}\n- source: mail\n  target: userName\n",
        )
        .unwrap();
        assert_eq!(mapping.resolve("mail").unwrap().target, "userName");
        assert!(mapping.has_target("USERNAME"));
        assert_eq!(mapping.file.as_deref(), Some("m.yaml"));
        assert_eq!(
            mapping.attributes[1].location.as_ref().unwrap().line,
            3,
            "the `target:` line"
        );
    }

    #[test]
    fn matching_constants_expressions_and_apply() {
        let mapping = Mapping::from_yaml(
            "m.yaml",
            "- {source: userPrincipalName, target: userName, matching: true}\n\
             - {source: mail, target: 'emails[type eq \"work\"].value', matching: true, precedence: 2}\n\
             - {constant: Contoso, target: title, apply: on-create}\n\
             - {expression: 'Switch([IsSoftDeleted], , \"False\", \"True\", \"True\", \"False\")', target: active}\n",
        )
        .unwrap();
        let a = &mapping.attributes;
        assert_eq!(a[0].matching, Some(1));
        assert_eq!(a[1].matching, Some(2));
        assert_eq!(a[2].source, Source::Constant("Contoso".into()));
        assert_eq!(a[2].apply, Apply::OnCreate);
        assert!(matches!(a[3].source, Source::Expression(_)));
        assert!(mapping.resolve("IsSoftDeleted").unwrap().inverted);
    }

    fn error(text: &str) -> String {
        Mapping::from_yaml("m.yaml", text).unwrap_err().to_string()
    }

    #[test]
    fn bad_files_name_the_place_and_the_fix() {
        let unknown = error("- {source: mail, target: userName, matchng: true}\n");
        assert!(unknown.contains("unknown key `matchng`"), "{unknown}");
        assert!(unknown.contains("did you mean `matching`?"), "{unknown}");
        assert!(unknown.contains("--> m.yaml:1:"), "{unknown}");
        assert!(error("- {source: a}\n").contains("missing required key `target`"));
        assert!(error("[]").contains("maps no attribute"));
        assert!(error("- {source: '', target: b}\n").contains("`source` must not be empty"));
        assert!(error("- {target: b}\n").contains("has no source value"));
        assert!(
            error("- {source: a, constant: b, target: c}\n")
                .contains("both `source` and `constant`")
        );
        assert!(
            error("- {source: a, target: b, precedence: 1}\n").contains("needs `matching: true`")
        );
        assert!(error("- {constant: a, target: b, matching: true}\n").contains("constant value"));
        assert!(
            error("- {source: a, target: b, apply: alway}\n").contains("did you mean `always`?")
        );
        let twice = error(
            "- {source: a, target: b, matching: true}\n- {source: c, target: d, matching: true}\n",
        );
        assert!(
            twice.contains("precedence 1") && twice.contains("m.yaml:2:"),
            "{twice}"
        );
    }
}
