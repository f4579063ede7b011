//! `import-log`: turns an Entra provisioning log export into a scenario that replays the
//! operations that failed, as Entra sent them, so a support engineer can reproduce a customer's
//! failure in minutes. Pure: the command reads the files, this module parses and generates.
//!
//! Exports read (entra-reference §6): Graph `provisioningObjectSummary` JSON (v1.0 and beta
//! names), the portal's JSON download (a plain array) and its three-file CSV download. Modified
//! properties are mapped to SCIM attributes through the profile's attribute mapping or a
//! `--mapping` file ([`crate::mapping`]).

mod csv;
mod entry;
mod generate;
mod json;
mod reason;

pub use crate::mapping::{AttributeMapping, Dialect, Mapping};
pub use csv::{CsvFiles, SiblingNames, sibling_names};
pub use entry::{Identity, LogEntry, ModifiedProperty, Operation, ProvisioningStep, Status};
pub use generate::{GenerateError, ImportOptions, Imported};

/// Why a log could not be imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("not a provisioning log export in JSON: {0}")]
    Json(String),
    #[error("not a provisioning log export in CSV: {0}")]
    Csv(String),
    #[error(transparent)]
    Generate(#[from] GenerateError),
}

/// The profiles `import-log` knows, with their mapping and dialect.
pub const PROFILES: [&str; 4] = ["entra", "entra-legacy", "entra-compliant", "insite-lms"];

/// The attribute mapping and PATCH dialect of a profile.
pub fn profile(name: &str) -> Option<(Mapping, Dialect)> {
    match name {
        "entra" | "entra-legacy" => Some((Mapping::entra_default(), Dialect::Legacy)),
        "entra-compliant" => Some((Mapping::entra_default(), Dialect::Compliant)),
        "insite-lms" => Some((Mapping::insite_lms(), Dialect::Legacy)),
        _ => None,
    }
}

/// A log export, read.
#[derive(Debug, Clone)]
pub struct ParsedLog {
    /// Which export it was, e.g. `Graph v1.0 provisioningObjectSummary collection`.
    pub format: String,
    pub entries: Vec<LogEntry>,
}

pub fn parse_json(text: &str) -> Result<ParsedLog, ImportError> {
    let (shape, entries) = json::parse(text)?;
    Ok(ParsedLog {
        format: shape.describe().to_string(),
        entries,
    })
}

pub fn parse_csv(files: CsvFiles<'_>) -> Result<ParsedLog, ImportError> {
    let entries = csv::parse(files)?;
    let joined = match (files.steps.is_some(), files.modified_properties.is_some()) {
        (true, true) => "portal CSV download (three files)",
        (false, true) => "portal CSV download, without the provisioning steps file",
        (true, false) => "portal CSV download, without the modified properties file",
        (false, false) => "portal CSV download, main file only",
    };
    Ok(ParsedLog {
        format: joined.to_string(),
        entries,
    })
}

/// The scenario file that replays the log's failed operations.
pub fn generate(
    log: &ParsedLog,
    mapping: &Mapping,
    options: &ImportOptions,
) -> Result<Imported, ImportError> {
    Ok(generate::generate(
        &log.entries,
        &log.format,
        mapping,
        options,
    )?)
}
