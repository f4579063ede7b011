//! Attribute mappings: which SCIM attribute each Entra attribute is written to. Logs name a
//! modified property by either side, so both are looked up.

use serde::Deserialize;

use super::ImportError;

pub const ENTERPRISE_URN: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// One mapped attribute: the Entra source and the SCIM target path.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttributeMapping {
    pub source: String,
    pub target: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    /// What the mapping is, for the scenario's comments (`entra default`, `insite-lms`, a file).
    pub name: String,
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

impl Mapping {
    /// Entra's default attribute mapping for a custom (non-gallery) SCIM app.
    pub fn entra_default() -> Mapping {
        let enterprise = |attribute: &str| format!("{ENTERPRISE_URN}:{attribute}");
        Mapping {
            name: "Entra's default mapping for custom SCIM apps".to_string(),
            attributes: pairs(&[
                ("userPrincipalName", "userName"),
                ("mailNickname", "externalId"),
                ("accountEnabled", "active"),
                (SOFT_DELETED, "active"),
                ("displayName", "displayName"),
                ("mail", r#"emails[type eq "work"].value"#),
                ("givenName", "name.givenName"),
                ("surname", "name.familyName"),
                ("jobTitle", "title"),
                ("telephoneNumber", r#"phoneNumbers[type eq "work"].value"#),
                ("mobile", r#"phoneNumbers[type eq "mobile"].value"#),
                ("department", &enterprise("department")),
                ("employeeId", &enterprise("employeeNumber")),
                ("manager", &enterprise("manager")),
            ]),
        }
    }

    /// The Insite LMS gallery app's mapping: the six attributes it provisions.
    pub fn insite_lms() -> Mapping {
        Mapping {
            name: "the Insite LMS gallery app's mapping".to_string(),
            attributes: pairs(&[
                ("userPrincipalName", "userName"),
                ("mail", r#"emails[type eq "work"].value"#),
                (SOFT_DELETED, "active"),
                ("givenName", "name.givenName"),
                ("surname", "name.familyName"),
                ("telephoneNumber", r#"phoneNumbers[type eq "work"].value"#),
            ]),
        }
    }

    /// A `--mapping` file: a YAML (or JSON) list of `{source, target}`.
    pub fn from_yaml(name: &str, text: &str) -> Result<Mapping, ImportError> {
        let attributes: Vec<AttributeMapping> =
            serde_saphyr::from_str(text).map_err(|e| ImportError::Mapping {
                file: name.to_string(),
                message: e.to_string(),
            })?;
        if let Some(empty) = attributes
            .iter()
            .find(|a| a.source.trim().is_empty() || a.target.trim().is_empty())
        {
            return Err(ImportError::Mapping {
                file: name.to_string(),
                message: format!(
                    "every entry needs a source and a target (found source `{}`, target `{}`)",
                    empty.source, empty.target
                ),
            });
        }
        if attributes.is_empty() {
            return Err(ImportError::Mapping {
                file: name.to_string(),
                message: "the mapping is empty".to_string(),
            });
        }
        Ok(Mapping {
            name: format!("the mapping in {name}"),
            attributes,
        })
    }

    /// The target for a property named by its Entra source or its SCIM target.
    pub fn resolve(&self, property: &str) -> Option<Resolved<'_>> {
        let property = property.trim();
        let by_source = self
            .attributes
            .iter()
            .find(|a| a.source.eq_ignore_ascii_case(property));
        if let Some(attribute) = by_source {
            return Some(Resolved {
                target: &attribute.target,
                inverted: attribute.source.eq_ignore_ascii_case(SOFT_DELETED)
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

fn pairs(list: &[(&str, &str)]) -> Vec<AttributeMapping> {
    list.iter()
        .map(|(source, target)| AttributeMapping {
            source: source.to_string(),
            target: target.to_string(),
        })
        .collect()
}

/// SCIM paths compare without case and whitespace, and with `\"` read as `"` (logs written
/// through a JSON encoder twice keep the backslashes).
fn canonical_path(path: &str) -> String {
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
            format!("{ENTERPRISE_URN}:employeeNumber")
        );
        assert_eq!(mapping.resolve("extensionAttribute1"), None);
    }

    #[test]
    fn soft_deleted_flips_active() {
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

    #[test]
    fn mapping_files() {
        let mapping = Mapping::from_yaml(
            "m.yaml",
            "- {source: extensionAttribute1, target: 'urn:ietf:params:scim:schemas:extension:Acme:2.0:User:costCenter'}\n- source: mail\n  target: userName\n",
        )
        .unwrap();
        assert_eq!(mapping.resolve("mail").unwrap().target, "userName");
        assert!(mapping.has_target("USERNAME"));
        assert!(Mapping::from_yaml("m.yaml", "- {source: a}\n").is_err());
        assert!(Mapping::from_yaml("m.yaml", "- {source: a, target: b, extra: c}\n").is_err());
        assert!(Mapping::from_yaml("m.yaml", "[]").is_err());
        assert!(Mapping::from_yaml("m.yaml", "- {source: '', target: b}\n").is_err());
    }
}
