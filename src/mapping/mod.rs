//! Attribute mappings: the table an admin sees under Attribute Mapping in Entra (target attribute,
//! source value, matching attribute with its precedence). `import-log` reads them to turn a log's
//! modified properties into SCIM paths; `run --mapping` generates from it the traffic Entra would
//! send for one user ([`self::scenario`]). The file format is in [`self::file`] and
//! docs/mapping-format.md. Pure: no I/O beyond reading the mapping file.

pub mod file;
pub mod scenario;

use crate::scenario::model::Location;
use crate::scim::SCHEMA_ENTERPRISE_USER;

/// How Entra writes PATCH requests (entra-reference §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// The default for custom apps: `"op": "Replace"`, `active` as the string `"False"`.
    Legacy,
    /// With the `aadOptscim062020` flag: `"op": "replace"`, `active` as the boolean `false`.
    Compliant,
}

/// Where a mapped attribute's value comes from, as the Attribute Mapping table shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// An Entra attribute, e.g. `userPrincipalName`.
    Attribute(String),
    /// A constant Entra sends as it is, e.g. `Contoso`.
    Constant(String),
    /// An expression, as text, e.g. `Switch([IsSoftDeleted], , "False", "True", "True", "False")`.
    Expression(String),
}

impl Source {
    /// Whether this source is, or its expression reads, the Entra attribute `name`.
    fn reads(&self, name: &str) -> bool {
        match self {
            Source::Attribute(attribute) => attribute.eq_ignore_ascii_case(name),
            Source::Expression(expression) => expression
                .to_lowercase()
                .contains(&format!("[{}]", name.to_lowercase())),
            Source::Constant(_) => false,
        }
    }

    /// The text shown in the Attribute Mapping table.
    pub fn describe(&self) -> &str {
        match self {
            Source::Attribute(text) | Source::Constant(text) | Source::Expression(text) => text,
        }
    }
}

/// When Entra applies a mapping ("Apply this mapping" in the mapping editor).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Apply {
    Always,
    /// Only during object creation: sent in the POST, never updated.
    OnCreate,
}

/// One row of the Attribute Mapping table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributeMapping {
    pub source: Source,
    /// The SCIM attribute path, e.g. `emails[type eq "work"].value`.
    pub target: String,
    /// `Some(precedence)` for a matching attribute: Entra looks users up by the one with
    /// precedence 1 and tries the next only when that finds nothing.
    pub matching: Option<u32>,
    pub apply: Apply,
    /// The entry's `target` in the mapping file, for error messages and reports; `None` for
    /// built-ins.
    pub location: Option<Location>,
}

impl AttributeMapping {
    fn new(source: Source, target: &str) -> AttributeMapping {
        AttributeMapping {
            source,
            target: target.to_string(),
            matching: None,
            apply: Apply::Always,
            location: None,
        }
    }

    fn matching(mut self, precedence: u32) -> AttributeMapping {
        self.matching = Some(precedence);
        self
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    /// What the mapping is, for scenario titles and comments (`Entra's default mapping…`,
    /// `the mapping in my-app.yaml`).
    pub name: String,
    /// The mapping file as the user should see it; `None` for built-ins.
    pub file: Option<String>,
    /// The file's text, so that errors found later (generating the scenario) show the line.
    pub text: Option<String>,
    pub attributes: Vec<AttributeMapping>,
}

/// Where a modified property goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resolved<'a> {
    pub target: &'a str,
    /// Entra's default maps `IsSoftDeleted` to `active` through `Switch([IsSoftDeleted], , "False",
    /// "True", "True", "False")`: the boolean flips.
    pub inverted: bool,
}

const SOFT_DELETED: &str = "IsSoftDeleted";
/// The expression Entra's mappings use to write `active` from `IsSoftDeleted`.
const SOFT_DELETED_SWITCH: &str = r#"Switch([IsSoftDeleted], , "False", "True", "True", "False")"#;

impl Mapping {
    /// Entra's default attribute mapping for a custom (non-gallery) SCIM app.
    pub fn entra_default() -> Mapping {
        let enterprise = |attribute: &str| format!("{SCHEMA_ENTERPRISE_USER}:{attribute}");
        let attribute = |source: &str, target: &str| {
            AttributeMapping::new(Source::Attribute(source.to_string()), target)
        };
        Mapping {
            name: "Entra's default mapping for custom SCIM apps".to_string(),
            file: None,
            text: None,
            attributes: vec![
                attribute("userPrincipalName", "userName").matching(1),
                attribute("mailNickname", "externalId"),
                attribute("accountEnabled", "active"),
                AttributeMapping::new(
                    Source::Expression(SOFT_DELETED_SWITCH.to_string()),
                    "active",
                ),
                attribute("displayName", "displayName"),
                attribute("mail", r#"emails[type eq "work"].value"#),
                attribute("givenName", "name.givenName"),
                attribute("surname", "name.familyName"),
                attribute("jobTitle", "title"),
                attribute("telephoneNumber", r#"phoneNumbers[type eq "work"].value"#),
                attribute("mobile", r#"phoneNumbers[type eq "mobile"].value"#),
                attribute("department", &enterprise("department")),
                attribute("employeeId", &enterprise("employeeNumber")),
                attribute("manager", &enterprise("manager")),
            ],
        }
    }

    /// The Insite LMS gallery app's mapping: the six attributes it provisions.
    pub fn insite_lms() -> Mapping {
        let attribute = |source: &str, target: &str| {
            AttributeMapping::new(Source::Attribute(source.to_string()), target)
        };
        Mapping {
            name: "the Insite LMS gallery app's mapping".to_string(),
            file: None,
            text: None,
            attributes: vec![
                attribute("userPrincipalName", "userName").matching(1),
                attribute("mail", r#"emails[type eq "work"].value"#),
                AttributeMapping::new(
                    Source::Expression(SOFT_DELETED_SWITCH.to_string()),
                    "active",
                ),
                attribute("givenName", "name.givenName"),
                attribute("surname", "name.familyName"),
                attribute("telephoneNumber", r#"phoneNumbers[type eq "work"].value"#),
            ],
        }
    }

    /// The target for a property named by its Entra source or its SCIM target.
    pub fn resolve(&self, property: &str) -> Option<Resolved<'_>> {
        let property = property.trim();
        let by_source = self.attributes.iter().find(|a| a.source.reads(property));
        if let Some(attribute) = by_source {
            return Some(Resolved {
                target: &attribute.target,
                inverted: property.eq_ignore_ascii_case(SOFT_DELETED)
                    && attribute.target.eq_ignore_ascii_case("active"),
            });
        }
        let wanted = canonical_path(property);
        self.attributes
            .iter()
            .find(|a| canonical_path(&a.target) == wanted)
            .map(|attribute| Resolved {
                target: &attribute.target,
                inverted: false,
            })
    }

    /// Whether any mapped attribute is written to this SCIM attribute.
    pub fn has_target(&self, target: &str) -> bool {
        let wanted = canonical_path(target);
        self.attributes
            .iter()
            .any(|a| canonical_path(&a.target) == wanted)
    }
}

/// SCIM paths compare without case and whitespace, and with `\"` read as `"` (logs written
/// through a JSON encoder twice keep the backslashes).
pub(crate) fn canonical_path(path: &str) -> String {
    path.replace("\\\"", "\"")
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_resolve_by_source_or_target() {
        let mapping = Mapping::entra_default();
        assert_eq!(
            mapping.resolve("mail").unwrap().target,
            r#"emails[type eq "work"].value"#
        );
        assert_eq!(
            mapping
                .resolve(r#"emails[type eq "work"].value"#)
                .unwrap()
                .target,
            r#"emails[type eq "work"].value"#
        );
        assert_eq!(
            mapping
                .resolve(r#"emails[type eq \"work\"].value"#)
                .unwrap()
                .target,
            r#"emails[type eq "work"].value"#
        );
        assert_eq!(
            mapping.resolve("UserPrincipalName").unwrap().target,
            "userName"
        );
        assert_eq!(
            mapping.resolve("employeeId").unwrap().target,
            format!("{SCHEMA_ENTERPRISE_USER}:employeeNumber")
        );
        assert_eq!(mapping.resolve("extensionAttribute1"), None);
    }

    #[test]
    fn soft_deleted_flips_active_through_the_switch_expression() {
        let mapping = Mapping::insite_lms();
        assert!(mapping.resolve("IsSoftDeleted").unwrap().inverted);
        assert!(
            !Mapping::entra_default()
                .resolve("accountEnabled")
                .unwrap()
                .inverted
        );
        assert!(!mapping.resolve("active").unwrap().inverted);
        assert_eq!(
            mapping.resolve("jobTitle"),
            None,
            "not in the Insite LMS mapping"
        );
    }
}
