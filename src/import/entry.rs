//! One provisioning log entry, whatever export it came from: the fields a reproduction needs,
//! with the export's naming differences (v1.0, beta, portal, CSV) already resolved.

/// What Entra did to one object in one cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    pub id: String,
    /// As the export wrote it (ISO 8601 in Graph and JSON exports).
    pub activity_date_time: String,
    pub change_id: String,
    pub cycle_id: String,
    pub job_id: String,
    /// The action as the export named it (`create`, `Update`, `EntryExportUpdateSoftDelete`, …).
    pub action: String,
    pub status: Status,
    pub error_code: Option<String>,
    /// Entra's explanation; for SCIM failures it embeds the server's answer (see `reason`).
    pub reason: Option<String>,
    pub source: Identity,
    /// `id` is the object's id in the SCIM server (empty before a create succeeded).
    pub target: Identity,
    pub modified_properties: Vec<ModifiedProperty>,
    pub steps: Vec<ProvisioningStep>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    pub id: String,
    pub display_name: String,
    /// `User` or `Group`.
    pub identity_type: String,
}

/// An attribute Entra changed, named by its Entra source attribute (`mail`) or by its SCIM
/// target (`emails[type eq "work"].value`), depending on the export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModifiedProperty {
    pub name: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvisioningStep {
    /// `EntryExportAdd`, `EntryExportUpdate`, `EntryExportUpdateSoftDelete`, …
    pub name: String,
    pub status: String,
    pub description: String,
    /// `ReportableIdentifier` from the step's details, usually the user principal name.
    pub reportable_identifier: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    Success,
    Warning,
    Failure,
    Skipped,
    Other(String),
}

impl Status {
    pub fn parse(text: &str) -> Status {
        match text.trim().to_ascii_lowercase().as_str() {
            "success" => Status::Success,
            "warning" => Status::Warning,
            "failure" | "failed" => Status::Failure,
            "skipped" => Status::Skipped,
            _ => Status::Other(text.trim().to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Status::Success => "success",
            Status::Warning => "warning",
            Status::Failure => "failure",
            Status::Skipped => "skipped",
            Status::Other(text) => text,
        }
    }
}

/// The SCIM request an entry stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// `POST /Users`.
    Create,
    /// `PATCH /Users/{id}`, one operation per changed attribute.
    Update,
    /// `PATCH /Users/{id}` setting `active` to false (Entra's soft delete).
    Disable,
    /// `DELETE /Users/{id}`.
    Delete,
}

impl Operation {
    pub fn name(self) -> &'static str {
        match self {
            Operation::Create => "create",
            Operation::Update => "update",
            Operation::Disable => "disable",
            Operation::Delete => "delete",
        }
    }
}

impl LogEntry {
    /// The SCIM operation this entry records, or why it records none. The export step's name
    /// (`EntryExportUpdateSoftDelete`) is more precise than the action (`update`), so it wins.
    pub fn operation(&self) -> Result<Operation, String> {
        let from_step = self
            .steps
            .iter()
            .find_map(|step| operation_named(&step.name));
        match from_step.or_else(|| operation_named(&self.action)) {
            Some(operation) => Ok(operation),
            None if self.action.trim().is_empty() => Err("the entry names no action".to_string()),
            None => Err(format!(
                "action `{}` sends nothing to the SCIM server",
                self.action.trim()
            )),
        }
    }

    pub fn is_group(&self) -> bool {
        self.source.identity_type.eq_ignore_ascii_case("group")
            || self.target.identity_type.eq_ignore_ascii_case("group")
    }

    /// The user principal name when the export carries it.
    pub fn reportable_identifier(&self) -> Option<&str> {
        self.steps
            .iter()
            .find_map(|step| step.reportable_identifier.as_deref())
    }
}

/// Action names from Graph v1.0 (`disable`), beta and the portal (`Disable`), and the event names
/// of the export steps (`EntryExportUpdateSoftDelete`). `stagedDelete` is Entra's soft delete,
/// which it sends to SCIM apps as a disable.
fn operation_named(name: &str) -> Option<Operation> {
    match name.trim().to_ascii_lowercase().as_str() {
        "create" | "add" | "entryexportadd" => Some(Operation::Create),
        "update" | "entryexportupdate" => Some(Operation::Update),
        "disable" | "stageddelete" | "softdelete" | "entryexportupdatesoftdelete" => {
            Some(Operation::Disable)
        }
        "delete" | "entryexportdelete" => Some(Operation::Delete),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(action: &str, step: Option<&str>) -> LogEntry {
        LogEntry {
            id: String::new(),
            activity_date_time: String::new(),
            change_id: String::new(),
            cycle_id: String::new(),
            job_id: String::new(),
            action: action.to_string(),
            status: Status::Failure,
            error_code: None,
            reason: None,
            source: Identity::default(),
            target: Identity::default(),
            modified_properties: Vec::new(),
            steps: step
                .map(|name| ProvisioningStep {
                    name: name.to_string(),
                    status: "failure".to_string(),
                    description: String::new(),
                    reportable_identifier: None,
                })
                .into_iter()
                .collect(),
        }
    }

    #[test]
    fn actions_of_every_export_name_the_operation() {
        assert_eq!(entry("create", None).operation(), Ok(Operation::Create));
        assert_eq!(entry("Create", None).operation(), Ok(Operation::Create));
        assert_eq!(
            entry("EntryExportUpdate", None).operation(),
            Ok(Operation::Update)
        );
        assert_eq!(
            entry("stagedDelete", None).operation(),
            Ok(Operation::Disable)
        );
        assert_eq!(entry("Delete", None).operation(), Ok(Operation::Delete));
        assert!(entry("other", None).operation().is_err());
        assert!(entry("", None).operation().is_err());
    }

    #[test]
    fn the_export_step_is_more_precise_than_the_action() {
        assert_eq!(
            entry("update", Some("EntryExportUpdateSoftDelete")).operation(),
            Ok(Operation::Disable)
        );
        assert_eq!(
            entry("update", Some("EntryImport")).operation(),
            Ok(Operation::Update)
        );
    }

    #[test]
    fn statuses_ignore_case() {
        assert_eq!(Status::parse("Failure"), Status::Failure);
        assert_eq!(Status::parse(" success "), Status::Success);
        assert_eq!(Status::parse("weird"), Status::Other("weird".to_string()));
    }
}
