//! The portal's "Download → CSV": three files joined on the change id. `ProvisioningLogs…csv`
//! holds one row per entry, `ProvisioningLogs_ProvisioningSteps…csv` and
//! `ProvisioningLogs_ModifiedProperties…csv` one row per step and per changed attribute.
//!
//! Microsoft does not document the column headers, so they are matched loosely: case, spaces,
//! underscores and punctuation are ignored (`Change ID`, `ChangeId`, `change_id`), and the names
//! of every export are accepted (`Action` or `ProvisioningAction`, `Error Code` or
//! `ResultSignature`).

use std::collections::HashMap;

use super::ImportError;
use super::entry::{Identity, LogEntry, ModifiedProperty, ProvisioningStep, Status};

/// The text of the three files; the two detail files may be missing.
#[derive(Debug, Clone, Copy)]
pub struct CsvFiles<'a> {
    pub main: &'a str,
    pub steps: Option<&'a str>,
    pub modified_properties: Option<&'a str>,
}

/// The sibling file names for the main file's name, e.g. `ProvisioningLogs (2).csv` →
/// `ProvisioningLogs_ProvisioningSteps (2).csv`. Given a sibling, the main file's name is
/// derived first, so any of the three may be named on the command line.
pub fn sibling_names(file_name: &str) -> SiblingNames {
    let main = [STEPS_SUFFIX, PROPERTIES_SUFFIX]
        .iter()
        .find_map(|suffix| {
            find_ignore_case(file_name, suffix)
                .map(|at| format!("{}{}", &file_name[..at], &file_name[at + suffix.len()..]))
        })
        .unwrap_or_else(|| file_name.to_string());
    // The suffix goes after the `ProvisioningLogs` part, before any ` (2)` or date the browser
    // or the user added; without that part, after the stem.
    let insert_at = find_ignore_case(&main, MAIN_STEM)
        .map(|at| at + MAIN_STEM.len())
        .or_else(|| main.rfind('.'))
        .unwrap_or(main.len());
    let with = |suffix: &str| format!("{}{suffix}{}", &main[..insert_at], &main[insert_at..]);
    SiblingNames {
        steps: with(STEPS_SUFFIX),
        modified_properties: with(PROPERTIES_SUFFIX),
        main,
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiblingNames {
    pub main: String,
    pub steps: String,
    pub modified_properties: String,
}

const MAIN_STEM: &str = "ProvisioningLogs";
const STEPS_SUFFIX: &str = "_ProvisioningSteps";
const PROPERTIES_SUFFIX: &str = "_ModifiedProperties";

fn find_ignore_case(haystack: &str, needle: &str) -> Option<usize> {
    haystack
        .to_ascii_lowercase()
        .find(&needle.to_ascii_lowercase())
}

pub fn parse(files: CsvFiles<'_>) -> Result<Vec<LogEntry>, ImportError> {
    let main = Table::read("the main file", files.main)?;
    let change_id = main.require("the main file", &["changeid"])?;
    let action = main.require("the main file", &["action", "provisioningaction"])?;
    let mut steps_by_change: HashMap<String, Vec<ProvisioningStep>> = HashMap::new();
    if let Some(text) = files.steps {
        let table = Table::read("the provisioning steps file", text)?;
        let change = table.require("the provisioning steps file", &["changeid"])?;
        let name = table.require(
            "the provisioning steps file",
            &["name", "stepname", "provisioningstepname"],
        )?;
        for row in &table.rows {
            let details = table.cell(row, &["details"]);
            steps_by_change
                .entry(cell(row, change))
                .or_default()
                .push(ProvisioningStep {
                    name: cell(row, name),
                    status: table.cell(row, &["status"]),
                    description: table.cell(row, &["description"]),
                    reportable_identifier: Some(table.cell(row, &["reportableidentifier"]))
                        .filter(|v| !v.is_empty())
                        .or_else(|| reportable_identifier_in(&details)),
                });
        }
    }
    let mut properties_by_change: HashMap<String, Vec<ModifiedProperty>> = HashMap::new();
    if let Some(text) = files.modified_properties {
        let table = Table::read("the modified properties file", text)?;
        let change = table.require("the modified properties file", &["changeid"])?;
        let name = table.require(
            "the modified properties file",
            &[
                "displayname",
                "name",
                "attribute",
                "attributename",
                "propertyname",
                "modifiedproperty",
            ],
        )?;
        for row in &table.rows {
            properties_by_change
                .entry(cell(row, change))
                .or_default()
                .push(ModifiedProperty {
                    name: cell(row, name),
                    old_value: Some(table.cell(row, &["oldvalue"])),
                    new_value: Some(table.cell(row, &["newvalue"])),
                });
        }
    }
    Ok(main
        .rows
        .iter()
        .map(|row| {
            let change = cell(row, change_id);
            LogEntry {
                id: main.cell(row, &["id"]),
                activity_date_time: main.cell(
                    row,
                    &[
                        "date",
                        "dateutc",
                        "activitydatetime",
                        "activitydate",
                        "timegenerated",
                    ],
                ),
                cycle_id: main.cell(row, &["cycleid"]),
                job_id: main.cell(row, &["jobid"]),
                action: cell(row, action),
                status: Status::parse(&main.cell(row, &["status", "resulttype"])),
                error_code: non_empty(main.cell(row, &["errorcode", "resultsignature"])),
                reason: non_empty(main.cell(
                    row,
                    &[
                        "reason",
                        "errorreason",
                        "statusreason",
                        "errordescription",
                        "resultdescription",
                    ],
                )),
                source: Identity {
                    id: main.cell(row, &["sourceidentityid", "sourceid"]),
                    display_name: main.cell(
                        row,
                        &[
                            "sourceidentitydisplayname",
                            "sourceidentityname",
                            "sourcedisplayname",
                        ],
                    ),
                    identity_type: main
                        .cell(row, &["sourceidentitytype", "identitytype", "sourcetype"]),
                },
                target: Identity {
                    id: main.cell(row, &["targetidentityid", "targetid"]),
                    display_name: main.cell(
                        row,
                        &[
                            "targetidentitydisplayname",
                            "targetidentityname",
                            "targetdisplayname",
                        ],
                    ),
                    identity_type: main.cell(row, &["targetidentitytype", "targettype"]),
                },
                modified_properties: properties_by_change.remove(&change).unwrap_or_default(),
                steps: steps_by_change.remove(&change).unwrap_or_default(),
                change_id: change,
            }
        })
        .collect())
}

fn non_empty(text: String) -> Option<String> {
    (!text.trim().is_empty()).then_some(text)
}

fn cell(row: &[String], column: usize) -> String {
    row.get(column).cloned().unwrap_or_default()
}

/// A step's details column may hold JSON (`{"ReportableIdentifier": "…"}`).
fn reportable_identifier_in(details: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(details).ok()?;
    let object = value.as_object()?;
    object
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case("ReportableIdentifier"))
        .and_then(|(_, v)| v.as_str())
        .map(str::to_string)
}

struct Table {
    /// Normalised header names: lower case, letters and digits only.
    columns: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    fn read(which: &str, text: &str) -> Result<Table, ImportError> {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
        let columns = reader
            .headers()
            .map_err(|e| ImportError::Csv(format!("{which}: {e}")))?
            .iter()
            .map(normalise)
            .collect();
        let rows = reader
            .records()
            .map(|record| {
                record
                    .map(|r| r.iter().map(str::to_string).collect())
                    .map_err(|e| ImportError::Csv(format!("{which}: {e}")))
            })
            .collect::<Result<Vec<Vec<String>>, _>>()?;
        Ok(Table { columns, rows })
    }

    fn column(&self, names: &[&str]) -> Option<usize> {
        names
            .iter()
            .find_map(|name| self.columns.iter().position(|c| c == name))
    }

    fn require(&self, which: &str, names: &[&str]) -> Result<usize, ImportError> {
        self.column(names).ok_or_else(|| {
            ImportError::Csv(format!(
                "{which} has no `{}` column (its columns: {})",
                names[0],
                self.columns.join(", ")
            ))
        })
    }

    fn cell(&self, row: &[String], names: &[&str]) -> String {
        self.column(names)
            .map(|column| cell(row, column))
            .unwrap_or_default()
    }
}

fn normalise(header: &str) -> String {
    header
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        // `Date (UTC)` and `Date` are the same column.
        .collect::<String>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn siblings_keep_what_the_browser_added() {
        let names = sibling_names("ProvisioningLogs (2).csv");
        assert_eq!(names.steps, "ProvisioningLogs_ProvisioningSteps (2).csv");
        assert_eq!(
            names.modified_properties,
            "ProvisioningLogs_ModifiedProperties (2).csv"
        );
        let from_sibling = sibling_names("ProvisioningLogs_ModifiedProperties (2).csv");
        assert_eq!(from_sibling.main, "ProvisioningLogs (2).csv");
        assert_eq!(from_sibling.steps, names.steps);
        let plain = sibling_names("export.csv");
        assert_eq!(plain.steps, "export_ProvisioningSteps.csv");
    }

    #[test]
    fn three_files_join_on_the_change_id() {
        let main = "\u{feff}Date (UTC),Change ID,Action,Status,Error Code,Reason,Target Identity ID,Source Identity Type\n\
                    2024-05-01T10:00:00Z,c1,Update,Failure,E1,\"StatusCode: BadRequest, Web Response: {\"\"detail\"\":\"\"x\"\"}\",t1,User\n\
                    2024-05-01T10:01:00Z,c2,Delete,Success,,,t2,User\n";
        let steps = "Change ID,Name,Type,Status,Description,Details\n\
                     c1,EntryExportUpdate,export,Failure,d,\"{\"\"ReportableIdentifier\"\":\"\"lee@contoso.example\"\"}\"\n";
        let properties =
            "Change ID,Display Name,Old Value,New Value\nc1,mail,,lee@contoso.example\n";
        let entries = parse(CsvFiles {
            main,
            steps: Some(steps),
            modified_properties: Some(properties),
        })
        .unwrap();
        assert_eq!(entries.len(), 2);
        let first = &entries[0];
        assert_eq!(first.status, Status::Failure);
        assert_eq!(
            first.reason.as_deref(),
            Some(r#"StatusCode: BadRequest, Web Response: {"detail":"x"}"#)
        );
        assert_eq!(first.source.identity_type, "User");
        assert_eq!(first.steps[0].name, "EntryExportUpdate");
        assert_eq!(first.reportable_identifier(), Some("lee@contoso.example"));
        assert_eq!(first.modified_properties[0].name, "mail");
        assert!(entries[1].modified_properties.is_empty());
        assert_eq!(entries[1].error_code, None);
    }

    #[test]
    fn a_main_file_without_change_ids_is_an_error_naming_its_columns() {
        let error = parse(CsvFiles {
            main: "a,b\n1,2\n",
            steps: None,
            modified_properties: None,
        })
        .unwrap_err();
        assert!(error.to_string().contains("its columns: a, b"), "{error}");
    }
}
