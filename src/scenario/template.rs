//! `{{ name }}` templates: the strings of a scenario that are filled in at run time.
//!
//! A template is parsed once at load time (so syntax errors and undefined variables are scenario
//! errors with a location) and rendered for every request. Forms: `{{ name }}`,
//! `{{ name | upper }}`, `{{ name | lower }}`, `{{guid}}` (a fresh v4 GUID per rendering) and the
//! literal `{{"{{"}}`.

use std::collections::BTreeMap;

use serde_json::Value;

use super::error::ScenarioError;
use super::model::Location;

/// Variable values for rendering, by name (`run.prefix`, `user_id`, …).
pub type Vars = BTreeMap<String, String>;

/// The name of the generator that renders a fresh GUID each time.
pub const GUID: &str = "guid";

/// Filters that can follow a name: `{{ name | upper }}`.
const FILTERS: [&str; 2] = ["upper", "lower"];

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("{location}: variable `{name}` has no value")]
    Undefined { name: String, location: Location },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Case {
    AsIs,
    Upper,
    Lower,
}

impl Case {
    fn apply(self, value: &str) -> String {
        match self {
            Case::AsIs => value.to_string(),
            Case::Upper => value.to_uppercase(),
            Case::Lower => value.to_lowercase(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Text(String),
    Variable { name: String, case: Case },
    Guid(Case),
}

/// A string with `{{ … }}` placeholders, parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    source: String,
    location: Location,
    parts: Vec<Part>,
}

impl Template {
    pub fn parse(source: &str, location: Location) -> Result<Template, ScenarioError> {
        let parts = parse_parts(source).map_err(|(message, hint)| {
            let error = ScenarioError::new(message).at(location.clone());
            match hint {
                Some(hint) => error.with_hint(hint),
                None => error,
            }
        })?;
        Ok(Template {
            source: source.to_string(),
            location,
            parts,
        })
    }

    /// A template without placeholders, rendered as the text itself (`{{` included).
    pub fn literal(text: &str) -> Template {
        Template {
            source: text.to_string(),
            location: Location {
                file: "<literal>".into(),
                line: 0,
                column: 0,
            },
            parts: vec![Part::Text(text.to_string())],
        }
    }

    /// The text as written in the scenario file.
    pub fn source(&self) -> &str {
        &self.source
    }

    pub fn location(&self) -> &Location {
        &self.location
    }

    /// The variable names the template reads, in order (the `guid` generator is not a variable).
    pub fn variables(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|part| match part {
            Part::Variable { name, .. } => Some(name.as_str()),
            Part::Text(_) | Part::Guid(_) => None,
        })
    }

    pub fn render(&self, vars: &Vars) -> Result<String, RenderError> {
        let mut out = String::with_capacity(self.source.len());
        for part in &self.parts {
            match part {
                Part::Text(text) => out.push_str(text),
                Part::Variable { name, case } => match vars.get(name) {
                    Some(value) => out.push_str(&case.apply(value)),
                    None => {
                        return Err(RenderError::Undefined {
                            name: name.clone(),
                            location: self.location.clone(),
                        });
                    }
                },
                Part::Guid(case) => out.push_str(&case.apply(&uuid::Uuid::new_v4().to_string())),
            }
        }
        Ok(out)
    }
}

/// Splits a template source into parts; errors are `(message, hint)`.
fn parse_parts(source: &str) -> Result<Vec<Part>, (String, Option<String>)> {
    let mut parts = Vec::new();
    let mut text = String::new();
    let mut rest = source;
    while let Some(start) = rest.find("{{") {
        text.push_str(&rest[..start]);
        let after_open = &rest[start + 2..];
        let Some(end) = after_open.find("}}") else {
            return Err((
                format!("`{{{{` is never closed in `{source}`"),
                Some("close it with `}}`, or write a literal `{{` as `{{\"{{\"}}`".to_string()),
            ));
        };
        let inner = after_open[..end].trim();
        rest = &after_open[end + 2..];
        if inner == "\"{{\"" {
            text.push_str("{{");
            continue;
        }
        if !text.is_empty() {
            parts.push(Part::Text(std::mem::take(&mut text)));
        }
        parts.push(parse_placeholder(inner)?);
    }
    text.push_str(rest);
    if !text.is_empty() {
        parts.push(Part::Text(text));
    }
    Ok(parts)
}

fn parse_placeholder(inner: &str) -> Result<Part, (String, Option<String>)> {
    let (name, filter) = match inner.split_once('|') {
        Some((name, filter)) => (name.trim(), Some(filter.trim())),
        None => (inner, None),
    };
    if !is_variable_name(name) {
        return Err((
            format!("`{{{{{inner}}}}}` does not name a variable"),
            Some(
                "write `{{ name }}`, `{{ name | upper }}`, `{{ name | lower }}` or `{{guid}}`; \
                 names are letters, digits, `_` and `.`"
                    .to_string(),
            ),
        ));
    }
    let case = match filter {
        None => Case::AsIs,
        Some("upper") => Case::Upper,
        Some("lower") => Case::Lower,
        Some(other) => {
            let hint = match super::error::closest(other, FILTERS) {
                Some(close) => {
                    format!("did you mean `{close}`? the filters are `upper` and `lower`")
                }
                None => "the filters are `upper` and `lower`".to_string(),
            };
            return Err((
                format!("unknown filter `{other}` in `{{{{{inner}}}}}`"),
                Some(hint),
            ));
        }
    };
    if name == GUID {
        Ok(Part::Guid(case))
    } else {
        Ok(Part::Variable {
            name: name.to_string(),
            case,
        })
    }
}

/// Variable names: dot-separated segments of ASCII letters, digits and `_`, e.g. `run.prefix`.
pub(crate) fn is_variable_name(name: &str) -> bool {
    !name.is_empty()
        && name.split('.').all(|segment| {
            !segment.is_empty()
                && segment
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
}

/// A JSON document whose string values are templates (object keys are literal).
#[derive(Debug, Clone, PartialEq)]
pub struct JsonTemplate {
    root: JsonPart,
    location: Location,
}

/// One node of a [`JsonTemplate`]; the loader builds these with each string's own location.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum JsonPart {
    /// `null`, a boolean or a number: rendered as is.
    Scalar(Value),
    Text(Template),
    Array(Vec<JsonPart>),
    Object(Vec<(String, JsonPart)>),
}

impl JsonTemplate {
    /// Parses every string value of `value` as a template located at `location`.
    pub fn new(value: Value, location: Location) -> Result<JsonTemplate, ScenarioError> {
        let root = part_of(value, &location)?;
        Ok(JsonTemplate { root, location })
    }

    pub(crate) fn from_part(root: JsonPart, location: Location) -> JsonTemplate {
        JsonTemplate { root, location }
    }

    pub fn location(&self) -> &Location {
        &self.location
    }

    pub fn variables(&self) -> impl Iterator<Item = &str> {
        let mut names = Vec::new();
        collect_variables(&self.root, &mut names);
        names.into_iter()
    }

    pub fn render(&self, vars: &Vars) -> Result<Value, RenderError> {
        render_part(&self.root, vars)
    }
}

fn part_of(value: Value, location: &Location) -> Result<JsonPart, ScenarioError> {
    Ok(match value {
        Value::String(text) => JsonPart::Text(Template::parse(&text, location.clone())?),
        Value::Array(items) => JsonPart::Array(
            items
                .into_iter()
                .map(|item| part_of(item, location))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => JsonPart::Object(
            map.into_iter()
                .map(|(key, item)| Ok((key, part_of(item, location)?)))
                .collect::<Result<_, ScenarioError>>()?,
        ),
        scalar => JsonPart::Scalar(scalar),
    })
}

fn collect_variables<'a>(part: &'a JsonPart, names: &mut Vec<&'a str>) {
    match part {
        JsonPart::Scalar(_) => {}
        JsonPart::Text(template) => names.extend(template.variables()),
        JsonPart::Array(items) => items.iter().for_each(|item| collect_variables(item, names)),
        JsonPart::Object(fields) => fields
            .iter()
            .for_each(|(_, item)| collect_variables(item, names)),
    }
}

fn render_part(part: &JsonPart, vars: &Vars) -> Result<Value, RenderError> {
    Ok(match part {
        JsonPart::Scalar(value) => value.clone(),
        JsonPart::Text(template) => Value::String(template.render(vars)?),
        JsonPart::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| render_part(item, vars))
                .collect::<Result<_, _>>()?,
        ),
        JsonPart::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(key, item)| Ok((key.clone(), render_part(item, vars)?)))
                .collect::<Result<_, RenderError>>()?,
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn here() -> Location {
        Location {
            file: "t.yaml".into(),
            line: 3,
            column: 9,
        }
    }

    fn vars(pairs: &[(&str, &str)]) -> Vars {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn renders_names_filters_and_literal_braces() {
        let t = Template::parse(
            "{{ user_name }}/{{user_name|upper}}/{{ user_name | lower }}/{{\"{{\"}}x}}/{{run.prefix}}",
            here(),
        )
        .unwrap();
        let out = t
            .render(&vars(&[("user_name", "Alice"), ("run.prefix", "scimh-1")]))
            .unwrap();
        assert_eq!(out, "Alice/ALICE/alice/{{x}}/scimh-1");
        assert_eq!(
            t.variables().collect::<Vec<_>>(),
            ["user_name", "user_name", "user_name", "run.prefix"]
        );
    }

    #[test]
    fn guid_is_fresh_each_time_and_not_a_variable() {
        let t = Template::parse("{{guid}}", here()).unwrap();
        let a = t.render(&Vars::new()).unwrap();
        let b = t.render(&Vars::new()).unwrap();
        assert_ne!(a, b);
        assert!(uuid::Uuid::parse_str(&a).is_ok());
        assert_eq!(t.variables().count(), 0);
        let upper = Template::parse("{{ guid | upper }}", here()).unwrap();
        let value = upper.render(&Vars::new()).unwrap();
        assert_eq!(value, value.to_uppercase());
    }

    #[test]
    fn undefined_variable_names_it_and_the_location() {
        let t = Template::parse("/Users/{{user_id}}", here()).unwrap();
        let RenderError::Undefined { name, location } = t.render(&Vars::new()).unwrap_err();
        assert_eq!(name, "user_id");
        assert_eq!(location, here());
    }

    #[test]
    fn literal_keeps_braces() {
        let t = Template::literal("{{not a template}}");
        assert_eq!(t.render(&Vars::new()).unwrap(), "{{not a template}}");
        assert_eq!(t.source(), "{{not a template}}");
    }

    #[test]
    fn syntax_errors_are_scenario_errors_with_hints() {
        let unclosed = Template::parse("a {{ b", here()).unwrap_err();
        assert!(unclosed.to_string().contains("never closed"), "{unclosed}");
        assert!(unclosed.to_string().contains("t.yaml:3:9"), "{unclosed}");
        let filter = Template::parse("{{ b | uper }}", here()).unwrap_err();
        assert!(
            filter.to_string().contains("did you mean `upper`?"),
            "{filter}"
        );
        let empty = Template::parse("{{ }}", here()).unwrap_err();
        assert!(
            empty.to_string().contains("does not name a variable"),
            "{empty}"
        );
        let spaces = Template::parse("{{ a b }}", here()).unwrap_err();
        assert!(
            spaces.to_string().contains("does not name a variable"),
            "{spaces}"
        );
    }

    #[test]
    fn json_template_renders_strings_and_keeps_types() {
        let t = JsonTemplate::new(
            json!({"userName": "{{u}}", "active": true, "n": 3, "list": ["{{u|upper}}", null], "{{k}}": 1}),
            here(),
        )
        .unwrap();
        let out = t.render(&vars(&[("u", "bob")])).unwrap();
        assert_eq!(
            out,
            json!({"userName": "bob", "active": true, "n": 3, "list": ["BOB", null], "{{k}}": 1})
        );
        assert_eq!(t.variables().collect::<Vec<_>>(), ["u", "u"]);
        assert_eq!(t.location(), &here());
    }

    #[test]
    fn json_template_keeps_key_order() {
        let t = JsonTemplate::new(json!({"z": 1, "a": 2}), here()).unwrap();
        let out = serde_json::to_string(&t.render(&Vars::new()).unwrap()).unwrap();
        assert_eq!(out, r#"{"z":1,"a":2}"#);
    }
}
