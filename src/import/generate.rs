//! From log entries to a scenario file (docs/scenario-format.md) that sends what Entra sent:
//! `POST /Users` for a create, one `Replace` per changed attribute for an update, `active` false
//! for a disable, `DELETE` for a delete. The operations on users the scenario does not create
//! itself run against a stand-in user created first, so the file runs as it is against any
//! server, the embedded one included.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use super::entry::{LogEntry, Operation, Status};
use super::reason::{self, Reason};
use crate::mapping::{Dialect, Mapping, Resolved};
use crate::scenario::writer::{YamlWriter, template_literal as literal};
use crate::scim::SCHEMA_ENTERPRISE_USER as ENTERPRISE_URN;

const SCHEMA_USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const SCHEMA_PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

impl Dialect {
    fn op(self, op: &str) -> String {
        match self {
            Dialect::Legacy => op.to_string(),
            Dialect::Compliant => op.to_ascii_lowercase(),
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Dialect::Legacy => "Entra's default (legacy) PATCH dialect",
            Dialect::Compliant => "Entra's RFC-compliant PATCH dialect (aadOptscim062020)",
        }
    }
}

#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// The scenario's `name:` (`[a-z0-9-]+`).
    pub scenario_name: String,
    /// Where the log came from (its file name), for the scenario's comments.
    pub source_label: String,
    /// Where the scenario is written, for the "run it" comment.
    pub output_label: String,
    pub dialect: Dialect,
    /// Replay the operations that succeeded too.
    pub include_succeeded: bool,
}

/// The generated scenario and what went into it.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The scenario file's text.
    pub yaml: String,
    /// Log entries read.
    pub entries: usize,
    /// Operations replayed by the scenario.
    pub replayed: usize,
    /// Entries considered but not replayed, each with the reason.
    pub not_replayed: Vec<String>,
}

/// Why no scenario could be generated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GenerateError {
    #[error("the log has {entries} entries but none to replay: {why}")]
    NothingToReplay { entries: usize, why: String },
}

pub fn generate(
    entries: &[LogEntry],
    format: &str,
    mapping: &Mapping,
    options: &ImportOptions,
) -> Result<Imported, GenerateError> {
    let mut not_replayed = Vec::new();
    let mut planned: Vec<Planned<'_>> = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (position, entry) in chronological(entries) {
        let label = entry_label(position, entry);
        let wanted = entry.status == Status::Failure
            || (options.include_succeeded
                && matches!(entry.status, Status::Success | Status::Warning));
        if !wanted {
            continue;
        }
        if entry.is_group() {
            not_replayed.push(format!("{label}: group operations are not imported"));
            continue;
        }
        let operation = match entry.operation() {
            Ok(operation) => operation,
            Err(why) => {
                not_replayed.push(format!("{label}: {why}"));
                continue;
            }
        };
        // Entra logs every retry of a failed export as a new entry; one replay is enough.
        let fingerprint = fingerprint(entry, operation);
        if let Some(first) = seen.get(&fingerprint) {
            not_replayed.push(format!(
                "{label}: repeats {} (a retry)",
                planned[*first].label
            ));
            continue;
        }
        if operation == Operation::Update && mapped_changes(entry, mapping).is_empty() {
            let names: Vec<&str> = entry
                .modified_properties
                .iter()
                .map(|p| p.name.as_str())
                .collect();
            let why = if names.is_empty() {
                "an update without modified properties".to_string()
            } else {
                format!(
                    "none of its modified properties ({}) is in {}; add them with --mapping FILE",
                    names.join(", "),
                    mapping.name
                )
            };
            not_replayed.push(format!("{label}: {why}"));
            continue;
        }
        seen.insert(fingerprint, planned.len());
        planned.push(Planned {
            entry,
            operation,
            label,
        });
    }
    if planned.is_empty() {
        let failed = entries
            .iter()
            .filter(|e| e.status == Status::Failure)
            .count();
        let why = if failed == 0 && !options.include_succeeded {
            "no operation failed (--all replays the successful ones too)".to_string()
        } else if not_replayed.is_empty() {
            "no entry records an operation Entra sent".to_string()
        } else {
            not_replayed.join("; ")
        };
        return Err(GenerateError::NothingToReplay {
            entries: entries.len(),
            why,
        });
    }

    let mut scenario = ScenarioText::new(mapping, options.dialect);
    scenario.header(entries.len(), format, &planned, &not_replayed, options);
    for (index, plan) in planned.iter().enumerate() {
        scenario.operation(index + 1, plan);
    }
    Ok(Imported {
        yaml: scenario.writer.finish(),
        entries: entries.len(),
        replayed: planned.len(),
        not_replayed,
    })
}

struct Planned<'a> {
    entry: &'a LogEntry,
    operation: Operation,
    /// `entry 3 (change 4e1f…)`: how messages name the entry.
    label: String,
}

/// Entries oldest first when every entry has an ISO 8601 time (exports list the newest first);
/// otherwise in file order.
fn chronological(entries: &[LogEntry]) -> Vec<(usize, &LogEntry)> {
    let mut ordered: Vec<(usize, &LogEntry)> = entries.iter().enumerate().collect();
    let iso = |text: &str| {
        let bytes = text.as_bytes();
        bytes.len() >= 19
            && bytes[..4].iter().all(u8::is_ascii_digit)
            && bytes[4] == b'-'
            && bytes[10] == b'T'
    };
    if entries.iter().all(|e| iso(&e.activity_date_time)) {
        ordered.sort_by(|a, b| a.1.activity_date_time.cmp(&b.1.activity_date_time));
    }
    ordered
}

fn entry_label(position: usize, entry: &LogEntry) -> String {
    if entry.change_id.is_empty() {
        format!("entry {}", position + 1)
    } else {
        format!("entry {} (change {})", position + 1, entry.change_id)
    }
}

fn fingerprint(entry: &LogEntry, operation: Operation) -> String {
    let mut changes: Vec<String> = entry
        .modified_properties
        .iter()
        .map(|p| format!("{}={}", p.name, p.new_value.as_deref().unwrap_or_default()))
        .collect();
    changes.sort();
    format!(
        "{}|{}|{}|{}",
        user_key(entry),
        operation.name(),
        entry.error_code.as_deref().unwrap_or_default(),
        changes.join("\u{1f}")
    )
}

/// Which user an entry is about: its SCIM id, else its Entra object id.
fn user_key(entry: &LogEntry) -> String {
    if !entry.target.id.is_empty() {
        format!("target:{}", entry.target.id)
    } else if !entry.source.id.is_empty() {
        format!("source:{}", entry.source.id)
    } else {
        format!("change:{}", entry.change_id)
    }
}

/// A modified property on its way into a request.
struct Change<'a> {
    target: &'a str,
    inverted: bool,
    old_value: Option<&'a str>,
    new_value: &'a str,
}

fn mapped_changes<'a>(entry: &'a LogEntry, mapping: &'a Mapping) -> Vec<Change<'a>> {
    entry
        .modified_properties
        .iter()
        .filter_map(|p| {
            let Resolved { target, inverted } = mapping.resolve(&p.name)?;
            Some(Change {
                target,
                inverted,
                old_value: p.old_value.as_deref().filter(|v| !v.is_empty()),
                new_value: p.new_value.as_deref().unwrap_or_default(),
            })
        })
        .collect()
}

fn unmapped_names<'a>(entry: &'a LogEntry, mapping: &Mapping) -> Vec<&'a str> {
    entry
        .modified_properties
        .iter()
        .filter(|p| mapping.resolve(&p.name).is_none())
        .map(|p| p.name.as_str())
        .collect()
}

fn parse_bool(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

fn is_active(target: &str) -> bool {
    target.eq_ignore_ascii_case("active")
}

fn is_manager(target: &str) -> bool {
    target.eq_ignore_ascii_case(&format!("{ENTERPRISE_URN}:manager"))
        || target.eq_ignore_ascii_case("manager")
}

/// `active` as a boolean (flipped for `IsSoftDeleted`); `None` when the log's value is not one.
fn active_value(change: &Change<'_>, raw: &str) -> Option<bool> {
    parse_bool(raw).map(|b| b != change.inverted)
}

/// Sets a SCIM attribute path (`name.givenName`, `emails[type eq "work"].value`,
/// `urn:…:enterprise:2.0:User:department`) in a resource body.
fn set_attribute(body: &mut Map<String, Value>, path: &str, value: Value) {
    if path.to_ascii_lowercase().starts_with("urn:")
        && let Some(split) = path.rfind(':')
    {
        let (urn, attribute) = (&path[..split], &path[split + 1..]);
        let extension = body
            .entry(urn.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(extension) = extension {
            set_attribute(extension, attribute, value);
        }
        return;
    }
    if let Some((name, filter, sub)) = value_path(path) {
        let list = body
            .entry(name.to_string())
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(list) = list {
            let (filter_attribute, filter_value) = filter;
            let position = list.iter().position(|element| {
                element.get(filter_attribute).and_then(Value::as_str) == Some(filter_value)
            });
            let position = position.unwrap_or_else(|| {
                let mut element = Map::new();
                // Entra marks the work email as the primary one.
                if name.eq_ignore_ascii_case("emails") && filter_value == "work" {
                    element.insert("primary".to_string(), Value::Bool(true));
                }
                element.insert(
                    filter_attribute.to_string(),
                    Value::String(filter_value.to_string()),
                );
                list.push(Value::Object(element));
                list.len() - 1
            });
            if let Some(Value::Object(element)) = list.get_mut(position) {
                element.insert(sub.unwrap_or("value").to_string(), value);
            }
        }
        return;
    }
    match path.split_once('.') {
        Some((parent, child)) => {
            let parent = body
                .entry(parent.to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(parent) = parent {
                parent.insert(child.to_string(), value);
            }
        }
        None => {
            body.insert(path.to_string(), value);
        }
    }
}

/// `emails[type eq "work"].value` → (`emails`, (`type`, `work`), Some(`value`)).
type ValuePath<'a> = (&'a str, (&'a str, &'a str), Option<&'a str>);

fn value_path(path: &str) -> Option<ValuePath<'_>> {
    let open = path.find('[')?;
    let close = path.rfind(']').filter(|&close| close > open)?;
    let name = &path[..open];
    let filter = &path[open + 1..close];
    let sub = path[close + 1..].strip_prefix('.');
    let mut words = filter.splitn(3, char::is_whitespace);
    let attribute = words.next()?;
    let op = words.next()?;
    let value = words.next()?.trim().trim_matches('"');
    op.eq_ignore_ascii_case("eq")
        .then_some((name, (attribute, value), sub))
}

struct ScenarioText<'m> {
    writer: YamlWriter,
    mapping: &'m Mapping,
    dialect: Dialect,
    /// The variable that holds each user's id in this run, by [`user_key`].
    user_vars: HashMap<String, String>,
    users: usize,
}

impl<'m> ScenarioText<'m> {
    fn new(mapping: &'m Mapping, dialect: Dialect) -> Self {
        ScenarioText {
            writer: YamlWriter::default(),
            mapping,
            dialect,
            user_vars: HashMap::new(),
            users: 0,
        }
    }

    fn header(
        &mut self,
        entries: usize,
        format: &str,
        planned: &[Planned<'_>],
        not_replayed: &[String],
        options: &ImportOptions,
    ) {
        let what = if options.include_succeeded {
            "operations"
        } else {
            "failed operations"
        };
        let w = &mut self.writer;
        w.comment(
            0,
            &format!(
                "Generated by `scim-harness import-log` from {} ({format}).",
                options.source_label
            ),
        );
        w.comment(
            0,
            &format!(
                "{} {what} of {entries} log entries, replayed as Entra sent them: {}, {}.",
                planned.len(),
                self.dialect.describe(),
                self.mapping.name
            ),
        );
        let file = &options.output_label;
        w.comment(
            0,
            &format!("Run it against the embedded reference server: scim-harness run {file} -v"),
        );
        w.comment(
            0,
            &format!(
                "or against the customer's (staging) endpoint: scim-harness run {file} --url URL --token-file FILE"
            ),
        );
        if !not_replayed.is_empty() {
            w.comment(0, "Not replayed:");
            for line in not_replayed {
                w.comment(0, &format!("  - {line}"));
            }
        }
        w.entry(0, "name", &Value::String(options.scenario_name.clone()));
        w.entry(
            0,
            "title",
            &Value::String(format!(
                "Replay of {} {what} from {}",
                planned.len(),
                options.source_label
            )),
        );
        let mut description = format!(
            "Sends the requests behind the {what} in {} as Entra sent them ({}; attributes through {}).\n",
            options.source_label,
            self.dialect.describe(),
            self.mapping.name
        );
        description.push_str(
            "Users the log's updates, disables and deletes act on are created first as stand-ins \
             and removed afterwards; the comment above each step keeps Entra's error code and the \
             server's answer from the log.",
        );
        w.entry(0, "description", &Value::String(description));
        w.blank();
        w.line(0, "steps:");
    }

    fn operation(&mut self, number: usize, plan: &Planned<'_>) {
        let entry = plan.entry;
        let reason = entry
            .reason
            .as_deref()
            .map(reason::parse)
            .unwrap_or_default();
        self.writer.blank();
        self.comments(number, plan, &reason);
        let key = user_key(entry);
        match plan.operation {
            Operation::Create => {
                self.users += 1;
                let var = format!("user_{}_id", self.users);
                self.user_vars.insert(key, var.clone());
                let step = self.create_step(number, entry, &var, &reason);
                self.writer.item(2, &step);
            }
            Operation::Update | Operation::Disable | Operation::Delete => {
                let var = match self.user_vars.get(&key) {
                    Some(var) => var.clone(),
                    None => {
                        self.users += 1;
                        let var = format!("user_{}_id", self.users);
                        self.user_vars.insert(key, var.clone());
                        let stand_in = self.stand_in_step(number, entry, &var);
                        self.writer.item(2, &stand_in);
                        var
                    }
                };
                if !entry.target.id.is_empty() {
                    self.writer.comment(
                        2,
                        &format!(
                            "The customer's id for this user is {}: `--step {}-{number} --var {var}={}` sends this step to it.",
                            entry.target.id,
                            plan.operation.name(),
                            entry.target.id
                        ),
                    );
                }
                for step in self.steps_on_existing_user(number, plan, &var, &reason) {
                    self.writer.item(2, &step);
                }
            }
        }
    }

    fn comments(&mut self, number: usize, plan: &Planned<'_>, reason: &Reason) {
        let entry = plan.entry;
        let who = who(entry);
        let w = &mut self.writer;
        w.comment(
            2,
            &format!(
                "── {number}. {} of {who} · {} · {}",
                plan.operation.name(),
                if entry.activity_date_time.is_empty() {
                    "no time"
                } else {
                    &entry.activity_date_time
                },
                plan.label
            ),
        );
        let mut status = format!("Entra: {}", entry.status.as_str());
        if let Some(code) = &entry.error_code {
            status.push_str(&format!(", errorCode {code}"));
        }
        w.comment(2, &status);
        if let Some(step) = entry
            .steps
            .iter()
            .find(|s| s.status.eq_ignore_ascii_case("failure") && !s.description.is_empty())
        {
            w.comment(2, &format!("{}: {}", step.name, step.description));
        }
        let ids: Vec<String> = [
            ("log entry", &entry.id),
            ("job", &entry.job_id),
            ("cycle", &entry.cycle_id),
        ]
        .iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(name, value)| format!("{name} {value}"))
        .collect();
        if !ids.is_empty() {
            w.comment(2, &ids.join(" · "));
        }
        match (&reason.web_response, &reason.status_name) {
            (Some(body), status) => {
                let status = match (reason.status_code, status) {
                    (Some(code), Some(name)) if name != &code.to_string() => {
                        format!("{code} {name}")
                    }
                    (_, Some(name)) => name.clone(),
                    _ => "with".to_string(),
                };
                w.comment(2, &format!("The server answered {status}:"));
                let indented: Vec<String> = body.lines().map(|l| format!("    {l}")).collect();
                w.comment(2, &indented.join("\n"));
            }
            (None, _) => {
                if let Some(text) = &entry.reason {
                    w.comment(2, &format!("Reason: {text}"));
                }
            }
        }
        if let Some(retries) = reason.retries {
            let retried = match retries {
                0 => "Entra had not retried it yet".to_string(),
                1 => "Entra retried it once".to_string(),
                n => format!("Entra retried it {n} times"),
            };
            let next = reason
                .next_retry
                .as_deref()
                .map(|d| format!("; next retry {d}"))
                .unwrap_or_default();
            w.comment(2, &format!("{retried}{next}."));
        }
        let unmapped = unmapped_names(entry, self.mapping);
        if !unmapped.is_empty() && plan.operation != Operation::Delete {
            w.comment(
                2,
                &format!(
                    "Not sent: {} (not in {}; add it with --mapping FILE).",
                    unmapped.join(", "),
                    self.mapping.name
                ),
            );
        }
    }

    fn create_step(&self, number: usize, entry: &LogEntry, var: &str, reason: &Reason) -> Value {
        let mut body = Map::new();
        body.insert("schemas".to_string(), json!([SCHEMA_USER, ENTERPRISE_URN]));
        for change in mapped_changes(entry, self.mapping) {
            // Entra sets the manager in a later reference pass, never in the POST.
            if is_manager(change.target) || change.new_value.is_empty() {
                continue;
            }
            let value = if is_active(change.target) {
                active_value(&change, change.new_value)
                    .map(Value::Bool)
                    .unwrap_or_else(|| Value::String(literal(change.new_value)))
            } else {
                Value::String(literal(change.new_value))
            };
            set_attribute(&mut body, change.target, value);
        }
        if !body.contains_key("userName") {
            let user_name = entry
                .reportable_identifier()
                .map(literal)
                .unwrap_or_else(|| {
                    let handle = var.trim_end_matches("_id").replace('_', "-");
                    format!("{{{{run.prefix}}}}.{handle}@contoso.example")
                });
            body.insert("userName".to_string(), Value::String(user_name));
        }
        if !body.contains_key("active") && self.mapping.has_target("active") {
            body.insert("active".to_string(), Value::Bool(true));
        }
        body.insert("meta".to_string(), json!({"resourceType": "User"}));
        json!({
            "name": format!("create-{number}"),
            "title": format!("Entra creates {}", who(entry)),
            "request": {"method": "POST", "path": "/Users", "body": body},
            "capture": {var: "/id"},
            "cleanup": {"method": "DELETE", "path": format!("/Users/{{{{{var}}}}}")},
            "snapshot": false,
            "expect": [{
                "id": format!("create-{number}.created"),
                "title": "POST /Users answers 201 with the new user and its id",
                "requirement": "R3, R15, RFC 7644 §3.3",
                "impact": impact(entry, "create", "the user never reaches the app and Entra retries the create in later cycles"),
                "hint": hint(entry, reason).unwrap_or("Answer 201 Created with the stored user, including a server-assigned string `id`."),
                "status": 201,
                "resource": true
            }]
        })
    }

    /// A user for the operations on users the log did not create: the attributes Entra saw
    /// before the change (the log's old values), with a run-prefixed userName so it never
    /// collides with a real user.
    fn stand_in_step(&self, number: usize, entry: &LogEntry, var: &str) -> Value {
        let mut body = Map::new();
        body.insert("schemas".to_string(), json!([SCHEMA_USER, ENTERPRISE_URN]));
        let handle = var.trim_end_matches("_id").replace('_', "-");
        body.insert(
            "userName".to_string(),
            Value::String(format!("{{{{run.prefix}}}}.{handle}@contoso.example")),
        );
        if self.mapping.has_target("externalId") {
            body.insert(
                "externalId".to_string(),
                Value::String(format!("{{{{run.prefix}}}}.{handle}")),
            );
        }
        if self.mapping.has_target("active") {
            body.insert("active".to_string(), Value::Bool(true));
        }
        if self.mapping.has_target("displayName") && !entry.source.display_name.is_empty() {
            body.insert(
                "displayName".to_string(),
                Value::String(literal(&entry.source.display_name)),
            );
        }
        for change in mapped_changes(entry, self.mapping) {
            let identifying = ["userName", "externalId", "active", "displayName"]
                .iter()
                .any(|t| change.target.eq_ignore_ascii_case(t));
            if identifying || is_manager(change.target) {
                continue;
            }
            if let Some(old) = change.old_value {
                set_attribute(&mut body, change.target, Value::String(literal(old)));
            }
        }
        body.insert("meta".to_string(), json!({"resourceType": "User"}));
        let customer_id = if entry.target.id.is_empty() {
            String::new()
        } else {
            format!("; the customer's user is {}", entry.target.id)
        };
        json!({
            "name": format!("prepare-{number}"),
            "title": format!("A stand-in for {}{customer_id}", who(entry)),
            "request": {"method": "POST", "path": "/Users", "body": body},
            "capture": {var: "/id"},
            "cleanup": {"method": "DELETE", "path": format!("/Users/{{{{{var}}}}}")},
            "snapshot": false,
            "expect": [{
                "id": format!("prepare-{number}.created"),
                "title": "The stand-in user is created",
                "requirement": "R3, RFC 7644 §3.3",
                "impact": "Without the user, the replayed operation cannot reach the server's handling of it.",
                "hint": "Answer 201 Created with the stored user and its `id`.",
                "status": 201,
                "resource": true
            }]
        })
    }

    fn steps_on_existing_user(
        &self,
        number: usize,
        plan: &Planned<'_>,
        var: &str,
        reason: &Reason,
    ) -> Vec<Value> {
        let entry = plan.entry;
        let path = format!("/Users/{{{{{var}}}}}");
        let who = who(entry);
        let hint = hint(entry, reason);
        match plan.operation {
            Operation::Delete => vec![json!({
                "name": format!("delete-{number}"),
                "title": format!("Entra deletes {who}"),
                "request": {"method": "DELETE", "path": path},
                "snapshot": false,
                "expect": [{
                    "id": format!("delete-{number}.accepted"),
                    "title": "DELETE answers 204 No Content",
                    "requirement": "R14, RFC 7644 §3.6",
                    "impact": impact(entry, "delete", "the user stays in the app and Entra retries the delete"),
                    "hint": hint.unwrap_or("Answer 204 with no body."),
                    "status": [200, 204]
                }]
            })],
            Operation::Disable => {
                let value = match self.dialect {
                    Dialect::Legacy => Value::String("False".to_string()),
                    Dialect::Compliant => Value::Bool(false),
                };
                vec![
                    json!({
                        "name": format!("disable-{number}"),
                        "title": format!("Entra deprovisions {who}: PATCH active false"),
                        "request": {"method": "PATCH", "path": path, "body": {
                            "schemas": [SCHEMA_PATCH_OP],
                            "Operations": [{"op": self.dialect.op("Replace"), "path": "active", "value": value}]
                        }},
                        "snapshot": false,
                        "expect": [{
                            "id": format!("disable-{number}.accepted"),
                            "title": "The disable PATCH is accepted",
                            "requirement": "R11, R13, RFC 7644 §3.5.2",
                            "impact": impact(entry, "deprovisioning", "the user keeps access to the app"),
                            "hint": hint.unwrap_or("Match `op` case-insensitively and accept \"False\" as the boolean false."),
                            "status": [200, 204]
                        }]
                    }),
                    json!({
                        "name": format!("get-after-disable-{number}"),
                        "title": format!("{who} is still there, with active false"),
                        "request": {"method": "GET", "path": path},
                        "snapshot": false,
                        "expect": [{
                            "id": format!("disable-{number}.applied"),
                            "title": "After the disable, GET shows the boolean active false",
                            "requirement": "R13, RFC 7643 §4.1.1",
                            "impact": "The user keeps access and Entra sends the disable again every cycle.",
                            "hint": "Store active as a JSON boolean; a disabled user must stay retrievable.",
                            "status": 200,
                            "attributes": {"active": false}
                        }]
                    }),
                ]
            }
            Operation::Update => {
                let changes = mapped_changes(entry, self.mapping);
                let operations: Vec<Value> = changes
                    .iter()
                    .map(|change| {
                        json!({
                            "op": self.dialect.op("Replace"),
                            "path": change.target,
                            "value": self.patch_value(change),
                        })
                    })
                    .collect();
                let mut applied = Map::new();
                for change in &changes {
                    if is_manager(change.target) {
                        continue;
                    }
                    let check = if change.new_value.is_empty() {
                        json!({"absent_or_empty": true})
                    } else if is_active(change.target) {
                        active_value(change, change.new_value)
                            .map(Value::Bool)
                            .unwrap_or_else(|| Value::String(literal(change.new_value)))
                    } else {
                        Value::String(literal(change.new_value))
                    };
                    applied.insert(change.target.to_string(), check);
                }
                let mut steps = vec![json!({
                    "name": format!("update-{number}"),
                    "title": format!("Entra updates {who}, one Replace per attribute"),
                    "request": {"method": "PATCH", "path": path, "body": {
                        "schemas": [SCHEMA_PATCH_OP],
                        "Operations": operations
                    }},
                    "snapshot": false,
                    "expect": [{
                        "id": format!("update-{number}.accepted"),
                        "title": "The update PATCH is accepted",
                        "requirement": "R11, R12, RFC 7644 §3.5.2",
                        "impact": impact(entry, "update", "the change never reaches the app and Entra retries it in later cycles"),
                        "hint": hint.unwrap_or("Accept Entra's PATCH: capitalised ops, value paths such as `emails[type eq \"work\"].value`, full-URN extension paths."),
                        "status": [200, 204]
                    }]
                })];
                if !applied.is_empty() {
                    steps.push(json!({
                        "name": format!("get-after-update-{number}"),
                        "title": format!("{who} shows the new values"),
                        "request": {"method": "GET", "path": path},
                        "snapshot": false,
                        "expect": [{
                            "id": format!("update-{number}.applied"),
                            "title": "GET returns every updated attribute as sent",
                            "requirement": "R12, R16, RFC 7644 §3.5.2",
                            "impact": "Entra reads the old values on its next cycle and sends the PATCH again, every cycle.",
                            "hint": "Apply each operation of the PATCH and store values exactly as sent.",
                            "status": 200,
                            "attributes": applied
                        }]
                    }));
                }
                steps
            }
            Operation::Create => Vec::new(),
        }
    }

    fn patch_value(&self, change: &Change<'_>) -> Value {
        if is_active(change.target)
            && let Some(active) = active_value(change, change.new_value)
        {
            return match self.dialect {
                // The legacy dialect sends the mapping expression's string.
                Dialect::Legacy => Value::String(if active { "True" } else { "False" }.to_string()),
                Dialect::Compliant => Value::Bool(active),
            };
        }
        if is_manager(change.target) && self.dialect == Dialect::Compliant {
            return json!({"value": literal(change.new_value)});
        }
        Value::String(literal(change.new_value))
    }
}

fn who(entry: &LogEntry) -> String {
    let name = entry.source.display_name.trim();
    match (name.is_empty(), entry.reportable_identifier()) {
        (false, Some(upn)) if upn != name => format!("{name} ({upn})"),
        (false, _) => name.to_string(),
        (true, Some(upn)) => upn.to_string(),
        (true, None) if !entry.source.id.is_empty() => format!("Entra user {}", entry.source.id),
        (true, None) => "the user".to_string(),
    }
}

fn impact(entry: &LogEntry, what: &str, consequence: &str) -> String {
    match &entry.error_code {
        Some(code) => format!("Entra logged this {what} as failed ({code}): {consequence}."),
        None => format!("Entra needs this {what} to succeed; otherwise {consequence}."),
    }
}

/// Advice for the failures SCIM servers cause most often; `None` leaves the operation's own hint.
fn hint(entry: &LogEntry, reason: &Reason) -> Option<&'static str> {
    let code = entry.error_code.as_deref().unwrap_or_default();
    let status = reason.status_code.unwrap_or_default();
    if code.ends_with("ServiceIncompatibleFiltering") || status == 409 {
        return Some(
            "Entra answers a 409 by giving up on the object until a later cycle. On a create it means Entra's match query (GET /Users?filter=userName eq \"…\") missed an existing user: make userName filters case-insensitive and return existing users.",
        );
    }
    if code.ends_with("CredentialValidationFailure") || status == 401 || status == 403 {
        return Some(
            "The token Entra sends was refused: check the Secret Token in the provisioning settings (paste the token without `Bearer`).",
        );
    }
    if status >= 500 {
        return Some(
            "The server failed on Entra's request: its own log for this request says why. Entra retries it in later cycles.",
        );
    }
    if code.ends_with("ServiceIncompatible") && !(400..500).contains(&status) {
        return Some(
            "Entra could not read the answer: reply with Content-Type application/scim+json and a SCIM resource or SCIM error body.",
        );
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::entry::{Identity, ModifiedProperty, ProvisioningStep};
    use crate::scenario::load::{LoadOptions, load_str};
    use crate::scenario::model::{Body, Scenario};

    fn entry(change: &str, action: &str, target: &str, props: &[(&str, &str)]) -> LogEntry {
        LogEntry {
            id: format!("id-{change}"),
            activity_date_time: String::new(),
            change_id: change.to_string(),
            cycle_id: String::new(),
            job_id: String::new(),
            action: action.to_string(),
            status: Status::Failure,
            error_code: Some("BadRequest".to_string()),
            reason: Some("StatusCode: BadRequest Web Response: {\"detail\":\"no\"}. This operation was retried 2 times.".to_string()),
            source: Identity {
                id: format!("source-{target}"),
                display_name: "Lee Learner".to_string(),
                identity_type: "User".to_string(),
            },
            target: Identity {
                id: target.to_string(),
                display_name: String::new(),
                identity_type: "User".to_string(),
            },
            modified_properties: props
                .iter()
                .map(|(name, new)| ModifiedProperty {
                    name: name.to_string(),
                    old_value: None,
                    new_value: Some(new.to_string()),
                })
                .collect(),
            steps: vec![ProvisioningStep {
                name: "EntryExport".to_string(),
                status: "failure".to_string(),
                description: String::new(),
                reportable_identifier: Some("lee@contoso.example".to_string()),
            }],
        }
    }

    fn options(dialect: Dialect) -> ImportOptions {
        ImportOptions {
            scenario_name: "repro".to_string(),
            source_label: "log.json".to_string(),
            output_label: "repro.yaml".to_string(),
            dialect,
            include_succeeded: false,
        }
    }

    fn load(imported: &Imported) -> Scenario {
        load_str("repro.yaml", &imported.yaml, &LoadOptions::default())
            .unwrap_or_else(|e| panic!("{e}\n{}", imported.yaml))
    }

    fn body(scenario: &Scenario, step: &str) -> Value {
        let step = scenario.steps.iter().find(|s| s.name == step).unwrap();
        match &step.request.body {
            Some(Body::Json(template)) => template.render(&Default::default()).unwrap(),
            other => panic!("no JSON body: {other:?}"),
        }
    }

    #[test]
    fn the_compliant_dialect_sends_lowercase_ops_and_booleans() {
        let entries = [entry(
            "c1",
            "update",
            "t1",
            &[("accountEnabled", "False"), ("mail", "x@y.example")],
        )];
        for (dialect, op, active) in [
            (Dialect::Legacy, "Replace", json!("False")),
            (Dialect::Compliant, "replace", json!(false)),
        ] {
            let imported = generate(
                &entries,
                "test",
                &Mapping::entra_default(),
                &options(dialect),
            )
            .unwrap();
            let scenario = load(&imported);
            let patch = body(&scenario, "update-1");
            assert_eq!(
                patch["Operations"][0],
                json!({"op": op, "path": "active", "value": active})
            );
            assert_eq!(
                patch["Operations"][1]["path"],
                r#"emails[type eq "work"].value"#
            );
        }
    }

    #[test]
    fn log_text_never_becomes_a_template() {
        let entries = [entry(
            "c1",
            "create",
            "",
            &[
                ("userPrincipalName", "{{run.prefix}}@x.example"),
                ("displayName", "a }} b {{"),
            ],
        )];
        let imported = generate(
            &entries,
            "test",
            &Mapping::entra_default(),
            &options(Dialect::Legacy),
        )
        .unwrap();
        let post = body(&load(&imported), "create-1");
        assert_eq!(post["userName"], "{{run.prefix}}@x.example");
        assert_eq!(post["displayName"], "a }} b {{");
    }

    #[test]
    fn retries_are_replayed_once_and_users_are_shared() {
        let disable = entry("c2", "disable", "t1", &[("IsSoftDeleted", "True")]);
        let mut retry = disable.clone();
        retry.change_id = "c3".to_string();
        let update = entry("c1", "update", "t1", &[("jobTitle", "Boss")]);
        let imported = generate(
            &[update, disable, retry],
            "test",
            &Mapping::entra_default(),
            &options(Dialect::Legacy),
        )
        .unwrap();
        assert_eq!(imported.replayed, 2);
        assert_eq!(
            imported.not_replayed.len(),
            1,
            "{:?}",
            imported.not_replayed
        );
        assert!(imported.not_replayed[0].contains("a retry"));
        let scenario = load(&imported);
        let names: Vec<&str> = scenario.steps.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "prepare-1",
                "update-1",
                "get-after-update-1",
                "disable-2",
                "get-after-disable-2"
            ],
            "one stand-in serves both operations on the same user"
        );
    }

    #[test]
    fn a_log_without_failures_says_how_to_replay_it_anyway() {
        let mut succeeded = entry("c1", "create", "", &[("userPrincipalName", "a@b.example")]);
        succeeded.status = Status::Success;
        let error = generate(
            std::slice::from_ref(&succeeded),
            "test",
            &Mapping::entra_default(),
            &options(Dialect::Legacy),
        )
        .unwrap_err();
        assert!(error.to_string().contains("--all"), "{error}");
        let mut all = options(Dialect::Legacy);
        all.include_succeeded = true;
        let imported = generate(&[succeeded], "test", &Mapping::entra_default(), &all).unwrap();
        assert_eq!(
            body(&load(&imported), "create-1")["userName"],
            "a@b.example"
        );
    }

    #[test]
    fn updates_nothing_maps_are_explained() {
        let entries = [entry("c1", "update", "t1", &[("extensionAttribute9", "x")])];
        let error = generate(
            &entries,
            "test",
            &Mapping::insite_lms(),
            &options(Dialect::Legacy),
        )
        .unwrap_err();
        assert!(error.to_string().contains("extensionAttribute9"), "{error}");
        assert!(error.to_string().contains("--mapping"), "{error}");
    }

    #[test]
    fn value_paths_and_extensions_build_nested_bodies() {
        let mut body = Map::new();
        set_attribute(
            &mut body,
            r#"emails[type eq "work"].value"#,
            json!("a@b.example"),
        );
        set_attribute(
            &mut body,
            r#"phoneNumbers[type eq "work"].value"#,
            json!("1"),
        );
        set_attribute(
            &mut body,
            r#"phoneNumbers[type eq "mobile"].value"#,
            json!("2"),
        );
        set_attribute(&mut body, "name.givenName", json!("Lee"));
        set_attribute(
            &mut body,
            &format!("{ENTERPRISE_URN}:department"),
            json!("Ops"),
        );
        assert_eq!(
            Value::Object(body),
            json!({
                "emails": [{"primary": true, "type": "work", "value": "a@b.example"}],
                "phoneNumbers": [{"type": "work", "value": "1"}, {"type": "mobile", "value": "2"}],
                "name": {"givenName": "Lee"},
                ENTERPRISE_URN: {"department": "Ops"}
            })
        );
    }
}
