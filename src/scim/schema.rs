//! Attribute definitions (RFC 7643 §2 and §7) for the User, enterprise User and Group schemas,
//! lookups by SCIM path, the `/Schemas` representation, and key canonicalisation.

use serde_json::{Map, Value, json};

use super::path::AttrPath;
use super::{SCHEMA_ENTERPRISE_USER, SCHEMA_GROUP, SCHEMA_USER};

/// RFC 7643 §2.3 data types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AttrType {
    String,
    Boolean,
    Decimal,
    Integer,
    DateTime,
    Reference,
    Complex,
    Binary,
}

impl AttrType {
    pub fn as_str(self) -> &'static str {
        match self {
            AttrType::String => "string",
            AttrType::Boolean => "boolean",
            AttrType::Decimal => "decimal",
            AttrType::Integer => "integer",
            AttrType::DateTime => "dateTime",
            AttrType::Reference => "reference",
            AttrType::Complex => "complex",
            AttrType::Binary => "binary",
        }
    }
}

/// RFC 7643 §7 `mutability`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mutability {
    ReadOnly,
    ReadWrite,
    Immutable,
    WriteOnly,
}

impl Mutability {
    pub fn as_str(self) -> &'static str {
        match self {
            Mutability::ReadOnly => "readOnly",
            Mutability::ReadWrite => "readWrite",
            Mutability::Immutable => "immutable",
            Mutability::WriteOnly => "writeOnly",
        }
    }
}

/// RFC 7643 §7 `returned`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Returned {
    Always,
    Never,
    Default,
    Request,
}

impl Returned {
    pub fn as_str(self) -> &'static str {
        match self {
            Returned::Always => "always",
            Returned::Never => "never",
            Returned::Default => "default",
            Returned::Request => "request",
        }
    }
}

/// RFC 7643 §7 `uniqueness`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Uniqueness {
    None,
    Server,
    Global,
}

impl Uniqueness {
    pub fn as_str(self) -> &'static str {
        match self {
            Uniqueness::None => "none",
            Uniqueness::Server => "server",
            Uniqueness::Global => "global",
        }
    }
}

/// One attribute (or sub-attribute) definition, RFC 7643 §7.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributeDef {
    pub name: String,
    pub kind: AttrType,
    pub multi_valued: bool,
    pub case_exact: bool,
    pub required: bool,
    pub mutability: Mutability,
    pub returned: Returned,
    pub uniqueness: Uniqueness,
    pub canonical_values: Vec<String>,
    pub reference_types: Vec<String>,
    pub sub_attributes: Vec<AttributeDef>,
    pub description: String,
}

impl AttributeDef {
    /// A single-valued, optional, readWrite, caseExact=false attribute: RFC 7643 §2.2 defaults.
    pub fn new(name: &str, kind: AttrType, description: &str) -> AttributeDef {
        AttributeDef {
            name: name.to_string(),
            kind,
            multi_valued: false,
            case_exact: false,
            required: false,
            mutability: Mutability::ReadWrite,
            returned: Returned::Default,
            uniqueness: Uniqueness::None,
            canonical_values: Vec::new(),
            reference_types: Vec::new(),
            sub_attributes: Vec::new(),
            description: description.to_string(),
        }
    }

    fn multi(mut self) -> Self {
        self.multi_valued = true;
        self
    }

    fn case_exact(mut self) -> Self {
        self.case_exact = true;
        self
    }

    fn required(mut self) -> Self {
        self.required = true;
        self
    }

    fn mutability(mut self, mutability: Mutability) -> Self {
        self.mutability = mutability;
        self
    }

    fn returned(mut self, returned: Returned) -> Self {
        self.returned = returned;
        self
    }

    fn uniqueness(mut self, uniqueness: Uniqueness) -> Self {
        self.uniqueness = uniqueness;
        self
    }

    fn canonical(mut self, values: &[&str]) -> Self {
        self.canonical_values = values.iter().map(|v| v.to_string()).collect();
        self
    }

    fn references(mut self, types: &[&str]) -> Self {
        self.reference_types = types.iter().map(|v| v.to_string()).collect();
        self
    }

    fn subs(mut self, sub_attributes: Vec<AttributeDef>) -> Self {
        self.sub_attributes = sub_attributes;
        self
    }

    /// The sub-attribute called `name`, compared case-insensitively (RFC 7643 §2.1).
    pub fn sub_attribute(&self, name: &str) -> Option<&AttributeDef> {
        self.sub_attributes
            .iter()
            .find(|sub| sub.name.eq_ignore_ascii_case(name))
    }

    /// RFC 7643 §7 representation of this attribute: camelCase keys, no nulls, optional lists
    /// left out when empty.
    pub fn to_json(&self) -> Value {
        let mut out = Map::new();
        out.insert("name".into(), json!(self.name));
        out.insert("type".into(), json!(self.kind.as_str()));
        out.insert("multiValued".into(), json!(self.multi_valued));
        out.insert("description".into(), json!(self.description));
        out.insert("required".into(), json!(self.required));
        out.insert("caseExact".into(), json!(self.case_exact));
        if !self.canonical_values.is_empty() {
            out.insert("canonicalValues".into(), json!(self.canonical_values));
        }
        if !self.reference_types.is_empty() {
            out.insert("referenceTypes".into(), json!(self.reference_types));
        }
        out.insert("mutability".into(), json!(self.mutability.as_str()));
        out.insert("returned".into(), json!(self.returned.as_str()));
        out.insert("uniqueness".into(), json!(self.uniqueness.as_str()));
        if !self.sub_attributes.is_empty() {
            let subs: Vec<Value> = self
                .sub_attributes
                .iter()
                .map(AttributeDef::to_json)
                .collect();
            out.insert("subAttributes".into(), Value::Array(subs));
        }
        Value::Object(out)
    }
}

/// One schema (core or extension), RFC 7643 §7.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaDef {
    pub id: String,
    pub name: String,
    pub description: String,
    pub attributes: Vec<AttributeDef>,
}

impl SchemaDef {
    /// The attribute called `name`, compared case-insensitively.
    pub fn attribute(&self, name: &str) -> Option<&AttributeDef> {
        self.attributes
            .iter()
            .find(|def| def.name.eq_ignore_ascii_case(name))
    }

    /// The RFC 7643 §7 body served under `/Schemas/{id}`, without `schemas` and `meta`, which
    /// depend on where it is served.
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "attributes": self.attributes.iter().map(AttributeDef::to_json).collect::<Vec<_>>(),
        })
    }
}

/// A resource type (RFC 7643 §6) with its core schema and schema extensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceSchema {
    /// Resource type name, e.g. "User".
    pub name: String,
    /// Endpoint relative to the base URL, e.g. "/Users".
    pub endpoint: String,
    pub core: SchemaDef,
    pub extensions: Vec<SchemaDef>,
    /// `id`, `externalId` and `meta`: RFC 7643 §3.1 puts them in every resource but in no schema,
    /// so they are not part of `core` (and not listed by `/Schemas`), yet paths reach them.
    pub common: Vec<AttributeDef>,
}

/// Where a path leads: the attribute's definition, the sub-attribute's if the path names one,
/// and the extension (`None` for core and common attributes) whose object holds it.
#[derive(Debug, Clone, Copy)]
pub struct Located<'a> {
    pub extension: Option<&'a SchemaDef>,
    pub attribute: &'a AttributeDef,
    pub sub_attribute: Option<&'a AttributeDef>,
}

impl<'a> Located<'a> {
    /// The definition the path designates: the sub-attribute if named, else the attribute.
    pub fn def(&self) -> &'a AttributeDef {
        self.sub_attribute.unwrap_or(self.attribute)
    }
}

impl ResourceSchema {
    /// The User resource: core schema (RFC 7643 §4.1) plus the enterprise extension (§4.3).
    pub fn user() -> ResourceSchema {
        ResourceSchema {
            name: "User".into(),
            endpoint: "/Users".into(),
            core: user_schema(),
            extensions: vec![enterprise_user_schema()],
            common: common_attributes(),
        }
    }

    /// The Group resource (RFC 7643 §4.2).
    pub fn group() -> ResourceSchema {
        ResourceSchema {
            name: "Group".into(),
            endpoint: "/Groups".into(),
            core: group_schema(),
            extensions: Vec::new(),
            common: common_attributes(),
        }
    }

    /// This resource reduced to the listed attribute paths (`"emails"`, `"name.givenName"`,
    /// `"urn:…:enterprise:2.0:User:department"`); `id`, `externalId` and `meta` always stay.
    /// Extensions left without attributes are dropped. Paths that do not parse or name nothing
    /// here are ignored.
    pub fn restricted(&self, paths: &[&str]) -> ResourceSchema {
        let wanted: Vec<AttrPath> = paths
            .iter()
            .filter_map(|p| AttrPath::parse(p).ok())
            .collect();
        let keep = |schema: &SchemaDef, is_core: bool| -> SchemaDef {
            let attributes = schema
                .attributes
                .iter()
                .filter_map(|def| {
                    let hits: Vec<&AttrPath> = wanted
                        .iter()
                        .filter(|p| p.name.eq_ignore_ascii_case(&def.name))
                        .filter(|p| match &p.urn {
                            Some(urn) => urn.eq_ignore_ascii_case(&schema.id),
                            None => is_core || self.core.attribute(&def.name).is_none(),
                        })
                        .collect();
                    if hits.is_empty() {
                        return None;
                    }
                    if hits.iter().any(|p| p.sub_attr.is_none()) {
                        return Some(def.clone());
                    }
                    let mut narrowed = def.clone();
                    narrowed.sub_attributes.retain(|sub| {
                        hits.iter().any(|p| {
                            p.sub_attr
                                .as_deref()
                                .is_some_and(|s| s.eq_ignore_ascii_case(&sub.name))
                        })
                    });
                    Some(narrowed)
                })
                .collect();
            SchemaDef {
                attributes,
                ..schema.clone()
            }
        };
        ResourceSchema {
            name: self.name.clone(),
            endpoint: self.endpoint.clone(),
            core: keep(&self.core, true),
            extensions: self
                .extensions
                .iter()
                .map(|extension| keep(extension, false))
                .filter(|extension| !extension.attributes.is_empty())
                .collect(),
            common: self.common.clone(),
        }
    }

    /// The extension whose URN is `urn`, compared case-insensitively.
    pub fn extension(&self, urn: &str) -> Option<&SchemaDef> {
        self.extensions
            .iter()
            .find(|extension| extension.id.eq_ignore_ascii_case(urn))
    }

    /// Where `path` leads, or `None` when this resource defines no such attribute. Names are
    /// case-insensitive; an unqualified name is looked up in the common attributes, the core
    /// schema, then each extension.
    pub fn locate(&self, path: &AttrPath) -> Option<Located<'_>> {
        let (extension, attribute) = match &path.urn {
            Some(urn) if urn.eq_ignore_ascii_case(&self.core.id) => {
                (None, self.core_attribute(&path.name)?)
            }
            Some(urn) => {
                let extension = self.extension(urn)?;
                (Some(extension), extension.attribute(&path.name)?)
            }
            None => match self.core_attribute(&path.name) {
                Some(attribute) => (None, attribute),
                None => self.extensions.iter().find_map(|extension| {
                    extension
                        .attribute(&path.name)
                        .map(|attribute| (Some(extension), attribute))
                })?,
            },
        };
        let sub_attribute = match &path.sub_attr {
            Some(sub) => Some(attribute.sub_attribute(sub)?),
            None => None,
        };
        Some(Located {
            extension,
            attribute,
            sub_attribute,
        })
    }

    /// The definition `path` designates (the sub-attribute's when it names one).
    pub fn find(&self, path: &AttrPath) -> Option<&AttributeDef> {
        self.locate(path).map(|located| located.def())
    }

    fn core_attribute(&self, name: &str) -> Option<&AttributeDef> {
        self.common
            .iter()
            .find(|def| def.name.eq_ignore_ascii_case(name))
            .or_else(|| self.core.attribute(name))
    }

    /// Renames keys to this schema's spelling (`"UserName"` -> `"userName"`, extension URNs and
    /// sub-attributes included) and, with `string_booleans`, turns `"True"`/`"false"` (any case)
    /// into JSON booleans where the schema says Boolean. Unknown keys and values stay as sent.
    pub fn canonicalize(&self, resource: &mut Value, string_booleans: bool) {
        let Value::Object(object) = resource else {
            return;
        };
        let taken = std::mem::take(object);
        for (key, mut value) in taken {
            let canonical = if key.eq_ignore_ascii_case("schemas") {
                "schemas".to_string()
            } else if let Some(extension) = self.extension(&key) {
                canonicalize_object(&mut value, &extension.attributes, string_booleans);
                extension.id.clone()
            } else if let Some(def) = self.core_attribute(&key) {
                canonicalize_value(&mut value, def, string_booleans);
                def.name.clone()
            } else {
                key
            };
            object.insert(canonical, value);
        }
    }
}

fn canonicalize_object(value: &mut Value, defs: &[AttributeDef], string_booleans: bool) {
    let Value::Object(object) = value else {
        return;
    };
    let taken = std::mem::take(object);
    for (key, mut value) in taken {
        match defs.iter().find(|def| def.name.eq_ignore_ascii_case(&key)) {
            Some(def) => {
                canonicalize_value(&mut value, def, string_booleans);
                object.insert(def.name.clone(), value);
            }
            None => {
                object.insert(key, value);
            }
        }
    }
}

fn canonicalize_value(value: &mut Value, def: &AttributeDef, string_booleans: bool) {
    match value {
        Value::Array(elements) => {
            for element in elements {
                canonicalize_single(element, def, string_booleans);
            }
        }
        single => canonicalize_single(single, def, string_booleans),
    }
}

fn canonicalize_single(value: &mut Value, def: &AttributeDef, string_booleans: bool) {
    match def.kind {
        AttrType::Complex => canonicalize_object(value, &def.sub_attributes, string_booleans),
        AttrType::Boolean if string_booleans => {
            if let Some(flag) = value.as_str().and_then(parse_string_boolean) {
                *value = Value::Bool(flag);
            }
        }
        _ => {}
    }
}

/// `"true"`/`"false"` in any case, as Entra's legacy mapping sends (`"True"`, `"False"`).
pub fn parse_string_boolean(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

fn string(name: &str, description: &str) -> AttributeDef {
    AttributeDef::new(name, AttrType::String, description)
}

fn boolean(name: &str, description: &str) -> AttributeDef {
    AttributeDef::new(name, AttrType::Boolean, description)
}

fn complex(name: &str, description: &str, subs: Vec<AttributeDef>) -> AttributeDef {
    AttributeDef::new(name, AttrType::Complex, description).subs(subs)
}

fn reference(name: &str, description: &str, types: &[&str]) -> AttributeDef {
    AttributeDef::new(name, AttrType::Reference, description).references(types)
}

/// `value`, `display`, `type`, `primary`: the shape RFC 7643 §2.4 gives most multi-valued attributes.
fn multi_valued_subs(value: AttributeDef, type_values: &[&str]) -> Vec<AttributeDef> {
    vec![
        value,
        string(
            "display",
            "A human-readable name, primarily used for display purposes.",
        )
        .mutability(Mutability::ReadWrite),
        string("type", "A label indicating the attribute's function.").canonical(type_values),
        boolean(
            "primary",
            "A Boolean value indicating the 'primary' or preferred attribute value for this attribute.",
        ),
    ]
}

/// `id`, `externalId`, `meta` (RFC 7643 §3.1).
pub fn common_attributes() -> Vec<AttributeDef> {
    let read_only = |def: AttributeDef| def.mutability(Mutability::ReadOnly);
    vec![
        read_only(string(
            "id",
            "Unique identifier for the SCIM resource as defined by the service provider.",
        ))
        .case_exact()
        .returned(Returned::Always)
        .uniqueness(Uniqueness::Server),
        string(
            "externalId",
            "Identifier of the resource as defined by the provisioning client.",
        )
        .case_exact(),
        read_only(complex(
            "meta",
            "Resource metadata.",
            vec![
                read_only(
                    string(
                        "resourceType",
                        "The name of the resource type of the resource.",
                    )
                    .case_exact(),
                ),
                read_only(AttributeDef::new(
                    "created",
                    AttrType::DateTime,
                    "The date and time the resource was added to the service provider.",
                )),
                read_only(AttributeDef::new(
                    "lastModified",
                    AttrType::DateTime,
                    "The most recent date and time that the details of this resource were updated.",
                )),
                read_only(
                    reference(
                        "location",
                        "The URI of the resource being returned.",
                        &["uri"],
                    )
                    .case_exact(),
                ),
                read_only(
                    string("version", "The version of the resource being returned.").case_exact(),
                ),
            ],
        )),
    ]
}

fn user_schema() -> SchemaDef {
    let read_only = |def: AttributeDef| def.mutability(Mutability::ReadOnly);
    SchemaDef {
        id: SCHEMA_USER.into(),
        name: "User".into(),
        description: "User Account".into(),
        attributes: vec![
            string(
                "userName",
                "Unique identifier for the User, typically used by the user to directly authenticate to the service provider.",
            )
            .required()
            .uniqueness(Uniqueness::Server),
            complex(
                "name",
                "The components of the user's real name.",
                vec![
                    string("formatted", "The full name, including all middle names, titles, and suffixes, formatted for display."),
                    string("familyName", "The family name of the User, or last name."),
                    string("givenName", "The given name of the User, or first name."),
                    string("middleName", "The middle name(s) of the User."),
                    string("honorificPrefix", "The honorific prefix(es) of the User, or title."),
                    string("honorificSuffix", "The honorific suffix(es) of the User."),
                ],
            ),
            string("displayName", "The name of the User, suitable for display to end-users."),
            string("nickName", "The casual way to address the user in real life."),
            reference("profileUrl", "A fully qualified URL pointing to a page representing the User's online profile.", &["external"]),
            string("title", "The user's title, such as \"Vice President.\""),
            string("userType", "Used to identify the relationship between the organization and the user."),
            string("preferredLanguage", "Indicates the User's preferred written or spoken language."),
            string("locale", "Used to indicate the User's default location for purposes of localizing items."),
            string("timezone", "The User's time zone in the 'Olson' time zone database format."),
            boolean("active", "A Boolean value indicating the User's administrative status."),
            string("password", "The User's cleartext password.")
                .mutability(Mutability::WriteOnly)
                .returned(Returned::Never),
            complex(
                "emails",
                "Email addresses for the user.",
                multi_valued_subs(string("value", "Email addresses for the user."), &["work", "home", "other"]),
            )
            .multi(),
            complex(
                "phoneNumbers",
                "Phone numbers for the User.",
                multi_valued_subs(
                    string("value", "Phone number of the User."),
                    &["work", "home", "mobile", "fax", "pager", "other"],
                ),
            )
            .multi(),
            complex(
                "ims",
                "Instant messaging addresses for the User.",
                multi_valued_subs(
                    string("value", "Instant messaging address for the User."),
                    &["aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"],
                ),
            )
            .multi(),
            complex(
                "photos",
                "URLs of photos of the User.",
                multi_valued_subs(
                    reference("value", "URL of a photo of the User.", &["external"]),
                    &["photo", "thumbnail"],
                ),
            )
            .multi(),
            complex(
                "addresses",
                "A physical mailing address for this User.",
                vec![
                    string("formatted", "The full mailing address, formatted for display or use with a mailing label."),
                    string("streetAddress", "The full street address component."),
                    string("locality", "The city or locality component."),
                    string("region", "The state or region component."),
                    string("postalCode", "The zip code or postal code component."),
                    string("country", "The country name component."),
                    string("type", "A label indicating the attribute's function.").canonical(&["work", "home", "other"]),
                    boolean("primary", "A Boolean value indicating the 'primary' or preferred address."),
                ],
            )
            .multi(),
            read_only(complex(
                "groups",
                "A list of groups to which the user belongs.",
                vec![
                    read_only(string("value", "The identifier of the User's group.")),
                    read_only(reference("$ref", "The URI of the corresponding 'Group' resource.", &["User", "Group"])),
                    read_only(string("display", "A human-readable name, primarily used for display purposes.")),
                    read_only(string("type", "A label indicating the attribute's function.").canonical(&["direct", "indirect"])),
                ],
            ))
            .multi(),
            complex(
                "entitlements",
                "A list of entitlements for the User.",
                multi_valued_subs(string("value", "The value of an entitlement."), &[]),
            )
            .multi(),
            complex(
                "roles",
                "A list of roles for the User.",
                multi_valued_subs(string("value", "The value of a role."), &[]),
            )
            .multi(),
            complex(
                "x509Certificates",
                "A list of certificates issued to the User.",
                multi_valued_subs(
                    AttributeDef::new("value", AttrType::Binary, "The value of an X.509 certificate."),
                    &[],
                ),
            )
            .multi(),
        ],
    }
}

fn enterprise_user_schema() -> SchemaDef {
    SchemaDef {
        id: SCHEMA_ENTERPRISE_USER.into(),
        name: "EnterpriseUser".into(),
        description: "Enterprise User".into(),
        attributes: vec![
            string(
                "employeeNumber",
                "Numeric or alphanumeric identifier assigned to a person.",
            ),
            string("costCenter", "Identifies the name of a cost center."),
            string("organization", "Identifies the name of an organization."),
            string("division", "Identifies the name of a division."),
            string("department", "Identifies the name of a department."),
            complex(
                "manager",
                "The User's manager.",
                vec![
                    string(
                        "value",
                        "The id of the SCIM resource representing the User's manager.",
                    ),
                    reference(
                        "$ref",
                        "The URI of the SCIM resource representing the User's manager.",
                        &["User"],
                    ),
                    string("displayName", "The displayName of the User's manager.")
                        .mutability(Mutability::ReadOnly),
                ],
            ),
        ],
    }
}

fn group_schema() -> SchemaDef {
    SchemaDef {
        id: SCHEMA_GROUP.into(),
        name: "Group".into(),
        description: "Group".into(),
        attributes: vec![
            string("displayName", "A human-readable name for the Group.").required(),
            complex(
                "members",
                "A list of members of the Group.",
                vec![
                    string("value", "Identifier of the member of this Group.")
                        .mutability(Mutability::Immutable),
                    reference(
                        "$ref",
                        "The URI corresponding to a SCIM resource that is a member of this Group.",
                        &["User", "Group"],
                    )
                    .mutability(Mutability::Immutable),
                    string("display", "A human-readable name for the member.")
                        .mutability(Mutability::ReadOnly),
                    string(
                        "type",
                        "A label indicating the type of resource, e.g., 'User' or 'Group'.",
                    )
                    .canonical(&["User", "Group"])
                    .mutability(Mutability::Immutable),
                ],
            )
            .multi(),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(text: &str) -> AttrPath {
        AttrPath::parse(text).expect("test path parses")
    }

    #[test]
    fn find_resolves_names_case_insensitively_with_or_without_urn() {
        let user = ResourceSchema::user();
        let cases = [
            ("userName", "userName"),
            ("USERNAME", "userName"),
            (
                "urn:ietf:params:scim:schemas:core:2.0:User:userName",
                "userName",
            ),
            ("name.familyName", "familyName"),
            ("emails.value", "value"),
            (
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
                "employeeNumber",
            ),
            (
                "URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER:manager.value",
                "value",
            ),
            ("manager", "manager"),
            ("meta.lastModified", "lastModified"),
            ("externalId", "externalId"),
        ];
        for (text, expected) in cases {
            let def = user
                .find(&path(text))
                .unwrap_or_else(|| panic!("{text} not found"));
            assert_eq!(def.name, expected, "{text}");
        }
        for missing in [
            "nope",
            "name.nope",
            "urn:x:y:User:userName",
            "urn:ietf:params:scim:schemas:core:2.0:User:employeeNumber",
        ] {
            assert!(user.find(&path(missing)).is_none(), "{missing}");
        }
    }

    #[test]
    fn case_exact_follows_rfc_7643() {
        let user = ResourceSchema::user();
        let exact = |p: &str| user.find(&path(p)).map(|d| d.case_exact);
        assert_eq!(exact("userName"), Some(false));
        assert_eq!(exact("emails.value"), Some(false));
        assert_eq!(exact("id"), Some(true));
        assert_eq!(exact("externalId"), Some(true));
    }

    #[test]
    fn restricted_keeps_listed_paths_and_common_attributes() {
        let lms = ResourceSchema::user().restricted(&[
            "userName",
            "emails",
            "active",
            "name.givenName",
            "name.familyName",
            "phoneNumbers",
        ]);
        let names: Vec<&str> = lms
            .core
            .attributes
            .iter()
            .map(|d| d.name.as_str())
            .collect();
        assert_eq!(
            names,
            ["userName", "name", "active", "emails", "phoneNumbers"]
        );
        let name = lms.core.attribute("name").expect("name kept");
        let subs: Vec<&str> = name
            .sub_attributes
            .iter()
            .map(|d| d.name.as_str())
            .collect();
        assert_eq!(subs, ["familyName", "givenName"]);
        assert!(lms.extensions.is_empty());
        assert!(lms.find(&path("externalId")).is_some());
        assert!(lms.find(&path("id")).is_some());
        assert!(lms.find(&path("title")).is_none());
    }

    #[test]
    fn restricted_keeps_extension_attributes_named_by_urn() {
        let user = ResourceSchema::user().restricted(&[
            "userName",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
        ]);
        assert_eq!(user.extensions.len(), 1);
        assert_eq!(user.extensions[0].attributes.len(), 1);
        assert!(user.find(&path("department")).is_some());
    }

    #[test]
    fn schema_json_uses_rfc_keys_without_nulls() {
        let json = ResourceSchema::user().extensions[0].to_json();
        assert_eq!(json["id"], SCHEMA_ENTERPRISE_USER);
        let manager = &json["attributes"][5];
        assert_eq!(manager["name"], "manager");
        assert_eq!(manager["type"], "complex");
        assert_eq!(manager["multiValued"], false);
        let subs = manager["subAttributes"].as_array().expect("sub-attributes");
        assert_eq!(subs[1]["name"], "$ref");
        assert_eq!(subs[1]["referenceTypes"], json!(["User"]));
        fn has_null(v: &Value) -> bool {
            match v {
                Value::Null => true,
                Value::Array(a) => a.iter().any(has_null),
                Value::Object(o) => o.values().any(has_null),
                _ => false,
            }
        }
        assert!(!has_null(&ResourceSchema::user().core.to_json()));
    }

    #[test]
    fn canonicalize_renames_keys_and_converts_string_booleans() {
        let user = ResourceSchema::user();
        let mut resource = json!({
            "Schemas": [SCHEMA_USER],
            "UserName": "a@b",
            "ACTIVE": "False",
            "Emails": [{"VALUE": "a@b", "Primary": "true", "Type": "work"}],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user": {"Manager": {"Value": "m"}},
            "custom": "x"
        });
        user.canonicalize(&mut resource, true);
        assert_eq!(
            resource,
            json!({
                "schemas": [SCHEMA_USER],
                "userName": "a@b",
                "active": false,
                "emails": [{"value": "a@b", "primary": true, "type": "work"}],
                SCHEMA_ENTERPRISE_USER: {"manager": {"value": "m"}},
                "custom": "x"
            })
        );
        let mut strict = json!({"active": "True"});
        user.canonicalize(&mut strict, false);
        assert_eq!(strict, json!({"active": "True"}));
    }
}
