//! JSON exports: Graph `GET /auditLogs/provisioning` (v1.0 `provisioningAction` /
//! `provisioningStatusInfo`, beta `action` / `statusInfo`), the portal's "Download → JSON" (a plain
//! array), and a single entry copied out of either. Keys are matched without regard to case, and
//! nested objects written as JSON strings (as Log Analytics exports them) are read too.

use serde_json::{Map, Value};

use super::ImportError;
use super::entry::{Identity, LogEntry, ModifiedProperty, ProvisioningStep, Status};

/// Which JSON export a document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonExport {
    /// `{"value": [...]}` with `provisioningAction`.
    GraphV1,
    /// `{"value": [...]}` with beta names (`action`, `statusInfo`).
    GraphBeta,
    /// The portal's download: a plain array.
    PortalArray,
    /// One entry on its own.
    SingleEntry,
}

impl JsonExport {
    pub fn describe(self) -> &'static str {
        match self {
            JsonExport::GraphV1 => "Graph v1.0 provisioningObjectSummary collection",
            JsonExport::GraphBeta => "Graph beta provisioningObjectSummary collection",
            JsonExport::PortalArray => "portal JSON download",
            JsonExport::SingleEntry => "single provisioning log entry",
        }
    }
}

pub fn parse(text: &str) -> Result<(JsonExport, Vec<LogEntry>), ImportError> {
    let document: Value = serde_json::from_str(text.trim_start_matches('\u{feff}'))
        .map_err(|e| ImportError::Json(e.to_string()))?;
    let (shape, items) = match &document {
        Value::Array(items) => (JsonExport::PortalArray, items.as_slice()),
        Value::Object(object) => match field(object, &["value"]) {
            Some(Value::Array(items)) => {
                let beta = field(object, &["@odata.context"])
                    .and_then(Value::as_str)
                    .is_some_and(|context| context.contains("/beta/"))
                    || items.iter().any(|item| {
                        item.as_object()
                            .is_some_and(|o| field(o, &["provisioningAction"]).is_none())
                    });
                let shape = if beta {
                    JsonExport::GraphBeta
                } else {
                    JsonExport::GraphV1
                };
                (shape, items.as_slice())
            }
            _ => (JsonExport::SingleEntry, std::slice::from_ref(&document)),
        },
        _ => {
            return Err(ImportError::Json(
                "expected a JSON object or array of provisioning log entries".to_string(),
            ));
        }
    };
    let entries = items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            item.as_object().map(entry).ok_or_else(|| {
                ImportError::Json(format!("entry {} is not a JSON object", index + 1))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    if entries
        .iter()
        .all(|e| e.action.is_empty() && e.change_id.is_empty())
    {
        return Err(ImportError::Json(
            "no provisioning log entries found: expected `provisioningAction` or `action`, and `changeId`"
                .to_string(),
        ));
    }
    Ok((shape, entries))
}

fn entry(object: &Map<String, Value>) -> LogEntry {
    let status_info = nested(object, &["provisioningStatusInfo", "statusInfo"]);
    let error_info = status_info
        .as_ref()
        .and_then(|s| nested(s, &["errorInformation"]));
    // v1.0 nests the error in `errorInformation`; beta's `statusDetails` has it on `statusInfo`.
    let from_status = |names: &[&str]| {
        error_info
            .as_ref()
            .and_then(|e| text(e, names))
            .or_else(|| status_info.as_ref().and_then(|s| text(s, names)))
    };
    let status = status_info
        .as_ref()
        .and_then(|s| text(s, &["status"]))
        .or_else(|| text(object, &["status", "resultType"]))
        .unwrap_or_default();
    LogEntry {
        id: text(object, &["id"]).unwrap_or_default(),
        activity_date_time: text(object, &["activityDateTime", "timeGenerated", "date"])
            .unwrap_or_default(),
        change_id: text(object, &["changeId"]).unwrap_or_default(),
        cycle_id: text(object, &["cycleId"]).unwrap_or_default(),
        job_id: text(object, &["jobId"]).unwrap_or_default(),
        action: text(object, &["provisioningAction", "action"]).unwrap_or_default(),
        status: Status::parse(&status),
        error_code: from_status(&["errorCode"]).or_else(|| text(object, &["resultSignature"])),
        reason: from_status(&["reason"]).or_else(|| text(object, &["resultDescription"])),
        source: identity(object, "sourceIdentity"),
        target: identity(object, "targetIdentity"),
        modified_properties: list(object, "modifiedProperties")
            .iter()
            .map(|p| ModifiedProperty {
                name: text(p, &["displayName", "name"]).unwrap_or_default(),
                old_value: text(p, &["oldValue"]),
                new_value: text(p, &["newValue"]),
            })
            .filter(|p| !p.name.is_empty())
            .collect(),
        steps: list(object, "provisioningSteps")
            .iter()
            .map(|s| ProvisioningStep {
                name: text(s, &["name"]).unwrap_or_default(),
                status: text(s, &["status"]).unwrap_or_default(),
                description: text(s, &["description"]).unwrap_or_default(),
                reportable_identifier: nested(s, &["details"])
                    .and_then(|d| text(&d, &["ReportableIdentifier"])),
            })
            .collect(),
    }
}

fn identity(object: &Map<String, Value>, name: &str) -> Identity {
    let Some(identity) = nested(object, &[name]) else {
        return Identity::default();
    };
    Identity {
        id: text(&identity, &["id"]).unwrap_or_default(),
        display_name: text(&identity, &["displayName", "name"]).unwrap_or_default(),
        identity_type: text(&identity, &["identityType", "type"]).unwrap_or_default(),
    }
}

/// The first of `names` present, compared without regard to case.
fn field<'a>(object: &'a Map<String, Value>, names: &[&str]) -> Option<&'a Value> {
    names.iter().find_map(|name| {
        object
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value)
    })
}

/// A text field; numbers and booleans as written, `null` as absent.
fn text(object: &Map<String, Value>, names: &[&str]) -> Option<String> {
    match field(object, names)? {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// An object field, also when it was written as a JSON string.
fn nested(object: &Map<String, Value>, names: &[&str]) -> Option<Map<String, Value>> {
    match field(object, names)? {
        Value::Object(inner) => Some(inner.clone()),
        Value::String(s) => match serde_json::from_str(s) {
            Ok(Value::Object(inner)) => Some(inner),
            _ => None,
        },
        _ => None,
    }
}

/// An array of objects, also when it was written as a JSON string.
fn list(object: &Map<String, Value>, name: &str) -> Vec<Map<String, Value>> {
    let items = match field(object, &[name]) {
        Some(Value::Array(items)) => items.clone(),
        Some(Value::String(s)) => match serde_json::from_str(s) {
            Ok(Value::Array(items)) => items,
            _ => Vec::new(),
        },
        _ => Vec::new(),
    };
    items
        .into_iter()
        .filter_map(|item| match item {
            Value::Object(o) => Some(o),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::entry::Operation;

    #[test]
    fn graph_v1_collection() {
        let text = r#"{
          "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#auditLogs/provisioning",
          "value": [{
            "id": "75b5b0a0", "activityDateTime": "2024-05-01T10:00:00Z", "changeId": "c1",
            "cycleId": "y1", "jobId": "scim.1.2", "provisioningAction": "update",
            "sourceIdentity": {"id": "s1", "displayName": "Lee", "identityType": "User", "details": {}},
            "targetIdentity": {"id": "t1", "displayName": "", "identityType": "User", "details": {}},
            "provisioningStatusInfo": {"status": "failure",
              "errorInformation": {"errorCode": "E1", "reason": "StatusCode: BadRequest"}},
            "provisioningSteps": [{"name": "EntryExportUpdateSoftDelete", "provisioningStepType": "export",
              "status": "failure", "description": "d", "details": {"ReportableIdentifier": "lee@contoso.example"}}],
            "modifiedProperties": [{"displayName": "accountEnabled", "oldValue": "True", "newValue": "False"},
                                   {"displayName": "mail", "oldValue": null, "newValue": null}]
          }]}"#;
        let (shape, entries) = parse(text).unwrap();
        assert_eq!(shape, JsonExport::GraphV1);
        let e = &entries[0];
        assert_eq!(e.status, Status::Failure);
        assert_eq!(e.error_code.as_deref(), Some("E1"));
        assert_eq!(e.target.id, "t1");
        assert_eq!(e.operation(), Ok(Operation::Disable));
        assert_eq!(e.reportable_identifier(), Some("lee@contoso.example"));
        assert_eq!(e.modified_properties[0].new_value.as_deref(), Some("False"));
        assert_eq!(e.modified_properties[1].new_value, None);
    }

    #[test]
    fn beta_names_and_status_details() {
        let text = r##"{"value": [{"changeId": "c1", "action": "Create",
            "statusInfo": {"@odata.type": "#microsoft.graph.statusDetails", "status": "failure",
                           "errorCode": "E2", "reason": "r"}}]}"##;
        let (shape, entries) = parse(text).unwrap();
        assert_eq!(shape, JsonExport::GraphBeta);
        assert_eq!(entries[0].action, "Create");
        assert_eq!(entries[0].error_code.as_deref(), Some("E2"));
        assert_eq!(entries[0].reason.as_deref(), Some("r"));
    }

    #[test]
    fn portal_array_and_stringified_columns() {
        let text = r#"[{"ChangeId": "c1", "ProvisioningAction": "Delete", "ResultType": "Failure",
            "ResultSignature": "E3",
            "TargetIdentity": "{\"id\":\"t9\",\"identityType\":\"User\"}",
            "ModifiedProperties": "[]"}]"#;
        let (shape, entries) = parse(text).unwrap();
        assert_eq!(shape, JsonExport::PortalArray);
        assert_eq!(entries[0].status, Status::Failure);
        assert_eq!(entries[0].error_code.as_deref(), Some("E3"));
        assert_eq!(entries[0].target.id, "t9");
    }

    #[test]
    fn documents_that_are_not_logs_are_errors() {
        assert!(parse("not json").is_err());
        assert!(parse("42").is_err());
        assert!(parse(r#"{"hello": "world"}"#).is_err());
        assert!(parse(r#"[1, 2]"#).is_err());
    }
}
