//! SCIM error responses (RFC 7644 §3.12): the status, the optional `scimType` and a detail text.

use serde_json::{Map, Value, json};

use super::SCHEMA_ERROR;

/// The `scimType` keywords of RFC 7644 §3.12, Table 9.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScimType {
    InvalidFilter,
    TooMany,
    Uniqueness,
    Mutability,
    InvalidSyntax,
    InvalidPath,
    NoTarget,
    InvalidValue,
    InvalidVers,
    Sensitive,
}

impl ScimType {
    /// The keyword as it appears in a SCIM Error body.
    pub fn as_str(self) -> &'static str {
        match self {
            ScimType::InvalidFilter => "invalidFilter",
            ScimType::TooMany => "tooMany",
            ScimType::Uniqueness => "uniqueness",
            ScimType::Mutability => "mutability",
            ScimType::InvalidSyntax => "invalidSyntax",
            ScimType::InvalidPath => "invalidPath",
            ScimType::NoTarget => "noTarget",
            ScimType::InvalidValue => "invalidValue",
            ScimType::InvalidVers => "invalidVers",
            ScimType::Sensitive => "sensitive",
        }
    }

    /// The keyword for `text`, compared case-insensitively; `None` for anything RFC 7644 does not define.
    pub fn parse(text: &str) -> Option<ScimType> {
        [
            ScimType::InvalidFilter,
            ScimType::TooMany,
            ScimType::Uniqueness,
            ScimType::Mutability,
            ScimType::InvalidSyntax,
            ScimType::InvalidPath,
            ScimType::NoTarget,
            ScimType::InvalidValue,
            ScimType::InvalidVers,
            ScimType::Sensitive,
        ]
        .into_iter()
        .find(|kind| kind.as_str().eq_ignore_ascii_case(text))
    }
}

impl std::fmt::Display for ScimType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A failed SCIM request: what the server answers and what a check expects.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status}{}: {detail}", scim_type.map(|t| format!(" {t}")).unwrap_or_default())]
pub struct ScimError {
    pub status: u16,
    pub scim_type: Option<ScimType>,
    pub detail: String,
}

impl ScimError {
    pub fn new(status: u16, scim_type: Option<ScimType>, detail: impl Into<String>) -> ScimError {
        ScimError {
            status,
            scim_type,
            detail: detail.into(),
        }
    }

    fn bad_request(scim_type: ScimType, detail: impl Into<String>) -> ScimError {
        ScimError::new(400, Some(scim_type), detail)
    }

    pub fn invalid_filter(detail: impl Into<String>) -> ScimError {
        ScimError::bad_request(ScimType::InvalidFilter, detail)
    }

    pub fn too_many(detail: impl Into<String>) -> ScimError {
        ScimError::bad_request(ScimType::TooMany, detail)
    }

    pub fn invalid_syntax(detail: impl Into<String>) -> ScimError {
        ScimError::bad_request(ScimType::InvalidSyntax, detail)
    }

    pub fn invalid_path(detail: impl Into<String>) -> ScimError {
        ScimError::bad_request(ScimType::InvalidPath, detail)
    }

    pub fn no_target(detail: impl Into<String>) -> ScimError {
        ScimError::bad_request(ScimType::NoTarget, detail)
    }

    pub fn invalid_value(detail: impl Into<String>) -> ScimError {
        ScimError::bad_request(ScimType::InvalidValue, detail)
    }

    pub fn mutability(detail: impl Into<String>) -> ScimError {
        ScimError::bad_request(ScimType::Mutability, detail)
    }

    pub fn invalid_vers(detail: impl Into<String>) -> ScimError {
        ScimError::bad_request(ScimType::InvalidVers, detail)
    }

    /// 409 with `scimType: uniqueness` (RFC 7644 §3.3).
    pub fn uniqueness(detail: impl Into<String>) -> ScimError {
        ScimError::new(409, Some(ScimType::Uniqueness), detail)
    }

    pub fn not_found(detail: impl Into<String>) -> ScimError {
        ScimError::new(404, None, detail)
    }

    pub fn unauthorized(detail: impl Into<String>) -> ScimError {
        ScimError::new(401, None, detail)
    }

    /// The RFC 7644 §3.12 body; `status` is a string there, not a number.
    pub fn to_json(&self) -> Value {
        let mut body = Map::new();
        body.insert("schemas".into(), json!([SCHEMA_ERROR]));
        body.insert("status".into(), json!(self.status.to_string()));
        if let Some(scim_type) = self.scim_type {
            body.insert("scimType".into(), json!(scim_type.as_str()));
        }
        body.insert("detail".into(), json!(self.detail));
        Value::Object(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_carries_status_as_string_and_scim_type() {
        let body = ScimError::invalid_filter("bad").to_json();
        assert_eq!(
            body,
            json!({"schemas": [SCHEMA_ERROR], "status": "400", "scimType": "invalidFilter", "detail": "bad"})
        );
    }

    #[test]
    fn body_omits_scim_type_when_absent() {
        let body = ScimError::not_found("gone").to_json();
        assert_eq!(
            body,
            json!({"schemas": [SCHEMA_ERROR], "status": "404", "detail": "gone"})
        );
    }

    #[test]
    fn scim_type_keywords_round_trip() {
        for kind in [
            ScimType::InvalidFilter,
            ScimType::NoTarget,
            ScimType::Sensitive,
        ] {
            assert_eq!(ScimType::parse(&kind.as_str().to_uppercase()), Some(kind));
        }
        assert_eq!(ScimType::parse("nope"), None);
    }
}
