//! The validated, in-memory form of a scenario file. The loader builds it; the runner reads it.
//! Nothing here does I/O.

use std::fmt;
use std::sync::Arc;

use serde_json::Value;

use super::template::{JsonTemplate, Template};

/// A place in a scenario file, for error messages and reports (`file:line:col`, 1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The path as the user should see it: relative to the current folder for user files,
    /// `scenarios/<name>.yaml` for built-in ones.
    pub file: Arc<str>,
    pub line: u32,
    pub column: u32,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

#[derive(Debug, Clone)]
pub struct Scenario {
    /// Stable name, `[a-z0-9-]+`; the `name:` key or the file stem. Used in snapshot file names.
    pub name: String,
    /// One line saying what the scenario replays.
    pub title: String,
    pub description: Option<String>,
    /// Where the scenario was loaded from (display form, see [`Location::file`]).
    pub source: Arc<str>,
    /// Requirement ids the scenario covers, e.g. `R8` from the Entra checklist.
    pub requirements: Vec<String>,
    /// Profiles whose default suite includes this scenario; empty means "only when named".
    pub profiles: Vec<String>,
    /// Optional SCIM features the scenario needs; where the target lacks one, the scenario is
    /// skipped with the reason, never failed.
    pub requires: Vec<Feature>,
    /// Scenario variables, in file order; each may use built-ins and earlier variables.
    pub vars: Vec<VarDef>,
    pub steps: Vec<Step>,
}

/// An optional SCIM feature, probed once per run on the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Feature {
    /// A `/Groups` endpoint (Entra provisions groups only where one exists).
    Groups,
    /// PATCH, as `/ServiceProviderConfig` advertises it.
    Patch,
    /// The enterprise extension's `manager`, as `/Schemas` advertises it.
    Manager,
    /// An `https://` target: the transport checks (TLS version, certificate) need one.
    Https,
}

impl Feature {
    pub const ALL: [Feature; 4] = [
        Feature::Groups,
        Feature::Patch,
        Feature::Manager,
        Feature::Https,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Feature::Groups => "groups",
            Feature::Patch => "patch",
            Feature::Manager => "manager",
            Feature::Https => "https",
        }
    }

    pub fn from_name(name: &str) -> Option<Feature> {
        Feature::ALL.into_iter().find(|f| f.name() == name)
    }
}

#[derive(Debug, Clone)]
pub struct VarDef {
    pub name: String,
    pub value: Template,
}

#[derive(Debug, Clone)]
pub struct Step {
    /// Stable name, `[a-z0-9-]+`, unique within the scenario. Used in snapshot file names.
    pub name: String,
    /// What the step does, in Entra's terms.
    pub title: String,
    /// Only under these profiles (e.g. the legacy-dialect steps); empty means under every profile.
    pub profiles: Vec<String>,
    pub location: Location,
    pub auth: Auth,
    pub request: RequestSpec,
    pub expect: Vec<Expectation>,
    pub captures: Vec<Capture>,
    /// The request that undoes what this step created; registered in the cleanup ledger once the
    /// step's captures succeeded, run at the end of the scenario (also when a step fails).
    pub cleanup: Option<RequestSpec>,
    pub snapshot: SnapshotSpec,
}

/// Which `Authorization` header a step sends.
#[derive(Debug, Clone, PartialEq)]
pub enum Auth {
    /// `Authorization: Bearer <the run's token>` (the default; omitted when the run has no token).
    Token,
    /// No `Authorization` header at all.
    None,
    /// `Authorization: Bearer <rendered template>`, e.g. a wrong token for the 401 probe.
    Bearer(Template),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone)]
pub struct RequestSpec {
    pub method: Method,
    /// Appended to the base URL, e.g. `/Users/{{user_id}}`.
    pub path: Template,
    /// Sent form-encoded in this order (`filter=userName+eq+%22…%22`), as Entra does.
    pub query: Vec<(String, Template)>,
    /// Extra headers; a header named here replaces the harness's default of the same name.
    pub headers: Vec<(String, Template)>,
    pub body: Option<Body>,
    pub location: Location,
}

#[derive(Debug, Clone)]
pub enum Body {
    /// A JSON document (YAML mapping or pasted JSON); serialised compactly in file key order.
    Json(JsonTemplate),
    /// Sent byte for byte after variable substitution (`body_raw:`), for malformed-input probes.
    Raw(Template),
}

#[derive(Debug, Clone)]
pub struct Capture {
    pub var: String,
    pub source: CaptureSource,
    pub location: Location,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CaptureSource {
    /// RFC 6901 JSON Pointer into the response body, e.g. `/id`, `/Resources/0/id`.
    Body(String),
    /// A response header, by case-insensitive name.
    Header(String),
}

#[derive(Debug, Clone, Default)]
pub struct SnapshotSpec {
    pub enabled: bool,
    /// Extra RFC 6901 pointers into the snapshot document (`/body/...`, `/headers/...`) whose values
    /// are replaced by `[redacted]`.
    pub redact: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warn,
    Fail,
}

/// One named check of a step: all its assertions must hold.
#[derive(Debug, Clone)]
pub struct Expectation {
    /// Stable check id, e.g. `test-connection.empty-list`; CI filters and expectation files use it.
    pub id: String,
    /// What is checked, in one line.
    pub title: String,
    /// The requirement behind it: Entra checklist id and/or RFC section.
    pub requirement: String,
    pub severity: Severity,
    /// What Entra does when this check fails.
    pub impact: Option<String>,
    /// How to fix it.
    pub hint: Option<String>,
    /// `needs`: ids of checks of earlier steps whose assertions must have held for this one to be
    /// judged; otherwise it is not judged, since its verdict would only repeat theirs.
    pub needs: Vec<String>,
    pub assertions: Vec<Assertion>,
    /// `warn_if`: when the assertions break but the response meets all of these, the check is a
    /// warning, not a failure (an RFC-mandated answer Entra copes with). Empty: none.
    pub warn_if: Vec<Assertion>,
    pub location: Location,
}

#[derive(Debug, Clone)]
pub enum Assertion {
    /// The response status is one of these.
    Status(Vec<u16>),
    /// The body is a SCIM ListResponse (RFC 7644 §3.4.2) with these properties.
    List(ListAssertion),
    /// Every resource in the ListResponse matches the request's `filter` query parameter.
    FilterHonoured,
    /// The body is a SCIM resource: a JSON object with a non-empty string `id` (R15).
    Resource,
    /// The body is a SCIM Error (RFC 7644 §3.12): Error schema, `status` equal to the HTTP status.
    ScimError,
    /// A SCIM attribute path (`active`, `name.givenName`, `emails[type eq "work"].value`,
    /// `urn:…:enterprise:2.0:User:manager.value`) evaluated on the body resource; it may use
    /// variables, e.g. `members[value eq "{{user_id}}"].value`.
    Attribute { path: Template, check: ValueCheck },
    /// An RFC 6901 pointer into the body.
    Json { pointer: String, check: ValueCheck },
    /// A response header, by case-insensitive name.
    Header { name: String, check: ValueCheck },
    /// A property of the https connection itself, probed before the step's request (R1).
    Transport(TransportCheck),
}

/// What `transport:` checks on an https target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportCheck {
    /// A handshake restricted to TLS 1.2 succeeds: Entra connects with TLS 1.2 only.
    Tls12,
    /// The certificate verifies for the host (system roots and `--ca-cert`); not verified under
    /// `--insecure`, which is a warning.
    Certificate,
}

impl TransportCheck {
    pub const ALL: [TransportCheck; 2] = [TransportCheck::Tls12, TransportCheck::Certificate];

    pub fn name(self) -> &'static str {
        match self {
            TransportCheck::Tls12 => "tls12",
            TransportCheck::Certificate => "certificate",
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct ListAssertion {
    /// `totalResults` must equal this.
    pub total: Option<u64>,
    /// Each rendered id must be among `Resources[*].id`.
    pub contains: Vec<Template>,
    /// None of these ids may be among `Resources[*].id`.
    pub excludes: Vec<Template>,
}

#[derive(Debug, Clone)]
pub enum ValueCheck {
    /// Equal as JSON (strings compared exactly).
    Equals(JsonTemplate),
    /// A string equal ignoring ASCII/Unicode case.
    EqualsIgnoreCase(Template),
    Exists,
    Absent,
    /// Absent, `null`, `""` or `[]` (a cleared value).
    AbsentOrEmpty,
    /// A string containing this.
    Contains(Template),
    OneOf(Vec<Value>),
    IsType(JsonType),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonType {
    String,
    Boolean,
    Number,
    Integer,
    Object,
    Array,
    Null,
}
