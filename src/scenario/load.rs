//! Loading a scenario file: YAML (serde-saphyr, with positions and budgets) into strict raw
//! structs, then validation into the [`model`](super::model). Every problem is a
//! [`ScenarioError`] at `file:line:col` with a hint; nothing here panics or does network I/O.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use serde_json::Value;
use serde_saphyr::Spanned;

use super::error::{ScenarioError, closest};
use super::model::{
    Assertion, Auth, Body, Capture, CaptureSource, Expectation, Feature, JsonType, ListAssertion,
    Location, Method, RequestSpec, Scenario, Severity, SnapshotSpec, Step, TransportCheck,
    ValueCheck, VarDef,
};
use super::raw::{
    AssertionFields, Node, RawExpectation, RawList, RawRequest, RawScenario, RawStep,
};
use super::template::{GUID, JsonPart, JsonTemplate, Template, is_variable_name};

/// Scenario files larger than this are refused before parsing.
pub const MAX_FILE_BYTES: usize = 1024 * 1024;
/// More steps than this in one scenario are refused.
pub const MAX_STEPS: usize = 500;

/// YAML nodes (after alias expansion) a scenario file may hold.
const MAX_YAML_NODES: usize = 100_000;

/// Nesting a scenario file may have. Deserializing one level of a JSON body takes tens of KiB
/// of stack in a debug build, so serde-saphyr's default (64) would overflow a 2 MiB thread first.
const MAX_YAML_DEPTH: usize = 32;

/// Variables the runner always defines.
const BUILTIN_VARS: [&str; 2] = ["run.prefix", "run.id"];

const ASSERTION_KEYS: &str =
    "status, list, filter_honoured, resource, scim_error, attributes, json, headers, transport";
const CHECK_KEYS: [&str; 8] = [
    "equals",
    "equals_ignore_case",
    "exists",
    "absent",
    "absent_or_empty",
    "contains",
    "one_of",
    "type",
];
const TYPE_NAMES: [&str; 7] = [
    "string", "boolean", "number", "integer", "object", "array", "null",
];
const SNAPSHOT_DOCUMENT_ROOTS: [&str; 4] = ["status", "headers", "body", "body_text"];

#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Variables given on the command line (`--var name=value`): defined everywhere.
    pub extra_vars: Vec<String>,
}

/// Loads a scenario file; the path is shown relative to the current folder when possible.
pub fn load_file(path: &Path, opts: &LoadOptions) -> Result<Scenario, ScenarioError> {
    let display = display_path(path);
    let too_big = |size: u64| {
        ScenarioError::new(format!(
            "{display} is {size} bytes; scenario files are limited to {MAX_FILE_BYTES} bytes"
        ))
    };
    let metadata = std::fs::metadata(path)
        .map_err(|error| ScenarioError::new(format!("cannot read {display}: {error}")))?;
    if metadata.len() > MAX_FILE_BYTES as u64 {
        return Err(too_big(metadata.len()));
    }
    let bytes = std::fs::read(path)
        .map_err(|error| ScenarioError::new(format!("cannot read {display}: {error}")))?;
    if bytes.len() > MAX_FILE_BYTES {
        return Err(too_big(bytes.len() as u64));
    }
    let text = String::from_utf8(bytes).map_err(|error| {
        ScenarioError::new(format!(
            "{display} is not UTF-8 text (invalid byte at offset {})",
            error.utf8_error().valid_up_to()
        ))
    })?;
    load_str(&display, &text, opts)
}

pub(crate) fn display_path(path: &Path) -> String {
    let relative = std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf));
    relative
        .as_deref()
        .unwrap_or(path)
        .to_string_lossy()
        .into_owned()
}

/// Parses and validates scenario text; `display_path` names it in errors and as its source.
pub fn load_str(
    display_path: &str,
    text: &str,
    opts: &LoadOptions,
) -> Result<Scenario, ScenarioError> {
    if text.len() > MAX_FILE_BYTES {
        return Err(ScenarioError::new(format!(
            "{display_path} is {} bytes; scenario files are limited to {MAX_FILE_BYTES} bytes",
            text.len()
        )));
    }
    let loader = Loader {
        file: Arc::from(display_path),
        opts,
    };
    loader.load(text).map_err(|error| error.with_source(text))
}

struct Loader<'a> {
    file: Arc<str>,
    opts: &'a LoadOptions,
}

/// A check id already used in the file: where, and by which step (`needs` may name only checks
/// of earlier steps).
struct DefinedCheck {
    location: Location,
    step: String,
}

/// The check ids a step's `needs` are validated against.
struct Checks<'a> {
    /// Checks of the steps so far; a step adds its own as it is loaded.
    earlier: &'a mut BTreeMap<String, DefinedCheck>,
    /// Every check id in the file, where it is first defined.
    every: &'a BTreeMap<String, DefinedCheck>,
}

/// The variables defined at one point of the file, in definition order.
#[derive(Clone)]
struct Scope {
    names: Vec<String>,
}

impl Scope {
    fn contains(&self, name: &str) -> bool {
        self.names.iter().any(|n| n == name)
    }

    fn define(&mut self, name: &str) {
        if !self.contains(name) {
            self.names.push(name.to_string());
        }
    }
}

impl Loader<'_> {
    fn load(&self, text: &str) -> Result<Scenario, ScenarioError> {
        let raw: Option<RawScenario> = parse_yaml(&self.file, text)?;
        let raw = raw.ok_or_else(|| {
            ScenarioError::new(format!("{} is empty", self.file))
                .with_hint("a scenario needs at least `title:` and `steps:`")
        })?;
        self.scenario(raw)
    }

    fn loc(&self, location: serde_saphyr::Location) -> Location {
        location_in(&self.file, location)
    }

    fn at<T>(&self, spanned: &Spanned<T>) -> Location {
        self.loc(spanned.referenced)
    }

    fn error(&self, location: Location, message: impl Into<String>) -> ScenarioError {
        ScenarioError::new(message).at(location)
    }

    fn scenario(&self, raw: RawScenario) -> Result<Scenario, ScenarioError> {
        let name = match &raw.name {
            Some(name) => {
                check_name(&name.value).map_err(|hint| {
                    self.error(
                        self.at(name),
                        format!("invalid scenario name `{}`", name.value),
                    )
                    .with_hint(hint)
                })?;
                name.value.clone()
            }
            None => {
                let stem = Path::new(&*self.file)
                    .file_stem()
                    .map(|stem| stem.to_string_lossy().into_owned())
                    .unwrap_or_default();
                check_name(&stem).map_err(|_| {
                    ScenarioError::new(format!(
                        "the file name `{stem}` cannot name the scenario: names are [a-z0-9-]+"
                    ))
                    .with_hint("add `name: my-scenario` at the top of the file")
                })?;
                stem
            }
        };
        let title = self.required_text(&raw.title, "title")?;

        let mut scope = Scope {
            names: BUILTIN_VARS.iter().map(|n| n.to_string()).collect(),
        };
        for extra in &self.opts.extra_vars {
            scope.define(extra);
        }
        let mut vars = Vec::with_capacity(raw.vars.0.len());
        for (key, value) in raw.vars.0 {
            self.check_new_variable(&key)?;
            let template = self.template(&value, &scope)?;
            scope.define(&key.value);
            vars.push(VarDef {
                name: key.value,
                value: template,
            });
        }

        if raw.steps.value.len() > MAX_STEPS {
            return Err(self
                .error(
                    self.at(&raw.steps),
                    format!(
                        "{} steps; a scenario may have at most {MAX_STEPS}",
                        raw.steps.value.len()
                    ),
                )
                .with_hint("split the scenario into several files"));
        }
        if raw.steps.value.is_empty() {
            return Err(self.error(self.at(&raw.steps), "the scenario has no steps"));
        }
        let mut steps: Vec<Step> = Vec::with_capacity(raw.steps.value.len());
        let mut expectation_ids: BTreeMap<String, DefinedCheck> = BTreeMap::new();
        // Every check id in the file, so that `needs` can tell a later step's check from a typo.
        let mut every_check: BTreeMap<String, DefinedCheck> = BTreeMap::new();
        for raw_step in &raw.steps.value {
            for raw_expectation in &raw_step.value.expect {
                let id = &raw_expectation.value.id;
                every_check
                    .entry(id.value.clone())
                    .or_insert_with(|| DefinedCheck {
                        location: self.at(id),
                        step: raw_step.value.name.value.clone(),
                    });
            }
        }
        for raw_step in raw.steps.value {
            let name = &raw_step.value.name;
            if let Some(first) = steps.iter().find(|step| step.name == name.value) {
                return Err(self
                    .error(self.at(name), format!("duplicate step name `{}`", name.value))
                    .with_hint(format!(
                        "step names name the snapshot files and must be unique; `{}` is already used at line {}",
                        name.value, first.location.line
                    )));
            }
            let location = self.at(&raw_step);
            let checks = Checks {
                earlier: &mut expectation_ids,
                every: &every_check,
            };
            steps.push(self.step(raw_step.value, location, &mut scope, checks)?);
        }

        let mut requires = Vec::with_capacity(raw.requires.len());
        for feature in &raw.requires {
            let Some(known) = Feature::from_name(&feature.value) else {
                let names: Vec<&str> = Feature::ALL.iter().map(|f| f.name()).collect();
                return Err(self
                    .error(
                        self.at(feature),
                        format!("unknown feature `{}` in `requires`", feature.value),
                    )
                    .with_hint(format!("known features: {}", names.join(", "))));
            };
            requires.push(known);
        }

        Ok(Scenario {
            name,
            title,
            description: raw.description,
            source: self.file.clone(),
            requirements: raw.requirements,
            profiles: raw.profiles.into_iter().map(|p| p.value).collect(),
            requires,
            vars,
            steps,
        })
    }

    fn required_text(&self, text: &Spanned<String>, key: &str) -> Result<String, ScenarioError> {
        if text.value.trim().is_empty() {
            return Err(self.error(self.at(text), format!("`{key}` must not be empty")));
        }
        Ok(text.value.clone())
    }

    fn check_new_variable(&self, key: &Spanned<String>) -> Result<(), ScenarioError> {
        let name = &key.value;
        if name == GUID || BUILTIN_VARS.contains(&name.as_str()) {
            return Err(self
                .error(
                    self.at(key),
                    format!("`{name}` is built in and cannot be redefined"),
                )
                .with_hint("choose another name"));
        }
        if !is_variable_name(name) || name.contains('.') {
            return Err(self
                .error(self.at(key), format!("invalid variable name `{name}`"))
                .with_hint("variable names are ASCII letters, digits and `_`"));
        }
        Ok(())
    }

    fn step(
        &self,
        raw: RawStep,
        location: Location,
        scope: &mut Scope,
        checks: Checks<'_>,
    ) -> Result<Step, ScenarioError> {
        let expectation_ids = checks.earlier;
        check_name(&raw.name.value).map_err(|hint| {
            self.error(
                self.at(&raw.name),
                format!("invalid step name `{}`", raw.name.value),
            )
            .with_hint(hint)
        })?;
        if raw.title.trim().is_empty() {
            return Err(self.error(location, "the step's `title` must not be empty"));
        }
        let auth = match &raw.auth {
            None => Auth::Token,
            Some(node) => self.auth(node, scope)?,
        };
        let request = self.request(&raw.request, scope)?;
        let mut captures = Vec::with_capacity(raw.capture.0.len());
        for (key, value) in &raw.capture.0 {
            captures.push(self.capture(key, value)?);
        }
        let mut expect = Vec::with_capacity(raw.expect.len());
        for raw_expectation in &raw.expect {
            let expectation = self.expectation(raw_expectation, scope)?;
            if let Some(first) = expectation_ids.get(&expectation.id) {
                let hint = format!(
                    "check ids are stable names for CI filters; `{}` is already used at line {}",
                    expectation.id, first.location.line
                );
                let message = format!("duplicate check id `{}`", expectation.id);
                return Err(self
                    .error(self.at(&raw_expectation.value.id), message)
                    .with_hint(hint));
            }
            for needed in &raw_expectation.value.needs {
                self.check_need(needed, &raw.name.value, expectation_ids, checks.every)?;
            }
            expectation_ids.insert(
                expectation.id.clone(),
                DefinedCheck {
                    location: expectation.location.clone(),
                    step: raw.name.value.clone(),
                },
            );
            expect.push(expectation);
        }
        for capture in &captures {
            scope.define(&capture.var);
        }
        // The cleanup runs after the step, so it may use the step's own captures.
        let cleanup = match &raw.cleanup {
            Some(cleanup) => Some(self.request(cleanup, scope)?),
            None => None,
        };
        let snapshot = match &raw.snapshot {
            None => SnapshotSpec {
                enabled: true,
                redact: Vec::new(),
            },
            Some(node) => self.snapshot(node)?,
        };
        Ok(Step {
            name: raw.name.value,
            title: raw.title,
            profiles: raw.profiles.into_iter().map(|p| p.value).collect(),
            location,
            auth,
            request,
            expect,
            captures,
            cleanup,
            snapshot,
        })
    }

    /// A `needs` entry must name a check of an earlier step: the runner judges steps in order,
    /// so a check of the same or a later step has no verdict yet.
    fn check_need(
        &self,
        needed: &Spanned<String>,
        step: &str,
        defined: &BTreeMap<String, DefinedCheck>,
        every: &BTreeMap<String, DefinedCheck>,
    ) -> Result<(), ScenarioError> {
        let id = &needed.value;
        if defined.get(id).is_some_and(|check| check.step != step) {
            return Ok(());
        }
        let error = |message: String, hint: String| {
            Err(self.error(self.at(needed), message).with_hint(hint))
        };
        match every.get(id) {
            Some(check) if check.step == step => error(
                format!("`needs` names `{id}`, a check of the same step"),
                "`needs` names checks of earlier steps; the checks of one step judge the same response, each on its own".to_string(),
            ),
            Some(check) => error(
                format!(
                    "`needs` names `{id}`, a check of a later step (line {})",
                    check.location.line
                ),
                "steps run in file order, so a check can need only checks of earlier steps"
                    .to_string(),
            ),
            None => {
                let earlier = defined
                    .iter()
                    .filter(|(_, check)| check.step != step)
                    .map(|(id, _)| id.as_str());
                let mut hint = match closest(id, earlier) {
                    Some(close) => format!("did you mean `{close}`? "),
                    None => String::new(),
                };
                hint.push_str("`needs` names checks of earlier steps in this file");
                error(
                    format!("`needs` names `{id}`, which no earlier step checks"),
                    hint,
                )
            }
        }
    }

    fn auth(&self, node: &Spanned<Node>, scope: &Scope) -> Result<Auth, ScenarioError> {
        let hint =
            "write `auth: token` (the default), `auth: none` or `auth: {bearer: \"<token>\"}`";
        match &node.value {
            Node::String(word) if word == "token" => Ok(Auth::Token),
            Node::String(word) if word == "none" => Ok(Auth::None),
            Node::Map(entries) if entries.len() == 1 && entries[0].0.value == "bearer" => {
                let value = &entries[0].1;
                match &value.value {
                    Node::String(text) => Ok(Auth::Bearer(self.template_at(
                        text,
                        self.at(value),
                        scope,
                    )?)),
                    other => Err(self
                        .error(
                            self.at(value),
                            format!("`bearer` must be a string, found {}", other.kind()),
                        )
                        .with_hint(hint)),
                }
            }
            Node::Map(entries) => match entries.iter().find(|(key, _)| key.value != "bearer") {
                Some((key, _)) => Err(self
                    .error(
                        self.at(key),
                        format!("unknown key `{}` in `auth`", key.value),
                    )
                    .with_hint(did_you_mean(&key.value, &["bearer"], "the only key is"))),
                None => Err(self
                    .error(self.at(node), "`auth` as a mapping needs `bearer`")
                    .with_hint(hint)),
            },
            Node::String(word) => Err(self
                .error(self.at(node), format!("unknown auth `{word}`"))
                .with_hint(match closest(word, ["token", "none"]) {
                    Some(close) => format!("did you mean `{close}`? {hint}"),
                    None => hint.to_string(),
                })),
            other => Err(self
                .error(self.at(node), format!("`auth` cannot be {}", other.kind()))
                .with_hint(hint)),
        }
    }

    fn request(
        &self,
        raw: &Spanned<RawRequest>,
        scope: &Scope,
    ) -> Result<RequestSpec, ScenarioError> {
        let location = self.at(raw);
        let raw = &raw.value;
        let method = match raw.method.value.to_ascii_uppercase().as_str() {
            "GET" => Method::Get,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "PATCH" => Method::Patch,
            "DELETE" => Method::Delete,
            _ => {
                return Err(self
                    .error(
                        self.at(&raw.method),
                        format!("unknown method `{}`", raw.method.value),
                    )
                    .with_hint("methods are GET, POST, PUT, PATCH and DELETE"));
            }
        };
        if !raw.path.value.starts_with('/') {
            return Err(self
                .error(
                    self.at(&raw.path),
                    format!("the path `{}` must start with `/`", raw.path.value),
                )
                .with_hint("the path is appended to the base URL, e.g. `/Users/{{user_id}}`"));
        }
        let path = self.template(&raw.path, scope)?;
        let mut query = Vec::with_capacity(raw.query.0.len());
        for (key, value) in &raw.query.0 {
            if key.value.is_empty() {
                return Err(self.error(self.at(key), "empty query parameter name"));
            }
            query.push((key.value.clone(), self.template(value, scope)?));
        }
        let mut headers = Vec::with_capacity(raw.headers.0.len());
        for (key, value) in &raw.headers.0 {
            self.check_header_name(key)?;
            headers.push((key.value.clone(), self.template(value, scope)?));
        }
        let body = match (&raw.body, &raw.body_raw) {
            (Some(_), Some(body_raw)) => {
                return Err(self
                    .error(
                        self.at(body_raw),
                        "a request has either `body` or `body_raw`, not both",
                    )
                    .with_hint("`body` is JSON; `body_raw` is a string sent byte for byte"));
            }
            (Some(body), None) => Some(Body::Json(self.json_template(body, scope)?)),
            (None, Some(body_raw)) => Some(Body::Raw(self.template(body_raw, scope)?)),
            (None, None) => None,
        };
        Ok(RequestSpec {
            method,
            path,
            query,
            headers,
            body,
            location,
        })
    }

    fn check_header_name(&self, key: &Spanned<String>) -> Result<(), ScenarioError> {
        if !is_header_name(&key.value) {
            return Err(self
                .error(self.at(key), format!("invalid header name `{}`", key.value))
                .with_hint("header names are ASCII letters, digits and `-` (RFC 9110 tokens)"));
        }
        Ok(())
    }

    fn capture(
        &self,
        key: &Spanned<String>,
        value: &Spanned<String>,
    ) -> Result<Capture, ScenarioError> {
        self.check_new_variable(key)?;
        let text = value.value.trim();
        let hint = "capture from the body with an RFC 6901 pointer such as `/id` or \
                    `/Resources/0/id`, or from a header with `header:Location`";
        let source = if let Some(name) = text.strip_prefix("header:") {
            let name = name.trim();
            if !is_header_name(name) {
                return Err(self
                    .error(self.at(value), format!("`{text}` does not name a header"))
                    .with_hint(hint));
            }
            CaptureSource::Header(name.to_string())
        } else if text.starts_with('/') {
            check_pointer(text).map_err(|problem| {
                self.error(
                    self.at(value),
                    format!("invalid JSON pointer `{text}`: {problem}"),
                )
                .with_hint(hint)
            })?;
            CaptureSource::Body(text.to_string())
        } else {
            let message = if text.to_ascii_lowercase().starts_with("header") {
                format!("`{text}` is not the header capture syntax")
            } else {
                format!("`{text}` is neither a JSON pointer nor a header")
            };
            return Err(self.error(self.at(value), message).with_hint(hint));
        };
        Ok(Capture {
            var: key.value.clone(),
            source,
            location: self.at(key),
        })
    }

    fn snapshot(&self, node: &Spanned<Node>) -> Result<SnapshotSpec, ScenarioError> {
        let hint = "write `snapshot: true`, `snapshot: false` or `snapshot: {redact: [/body/x]}`";
        match &node.value {
            Node::Bool(enabled) => Ok(SnapshotSpec {
                enabled: *enabled,
                redact: Vec::new(),
            }),
            Node::Map(entries) => {
                let mut redact = Vec::new();
                for (key, value) in entries {
                    if key.value != "redact" {
                        return Err(self
                            .error(
                                self.at(key),
                                format!("unknown key `{}` in `snapshot`", key.value),
                            )
                            .with_hint(did_you_mean(&key.value, &["redact"], "the only key is")));
                    }
                    let Node::Seq(items) = &value.value else {
                        return Err(self
                            .error(
                                self.at(value),
                                format!("`redact` must be a list, found {}", value.value.kind()),
                            )
                            .with_hint(hint));
                    };
                    for item in items {
                        redact.push(self.redaction_pointer(item)?);
                    }
                }
                Ok(SnapshotSpec {
                    enabled: true,
                    redact,
                })
            }
            other => Err(self
                .error(
                    self.at(node),
                    format!("`snapshot` cannot be {}", other.kind()),
                )
                .with_hint(hint)),
        }
    }

    fn redaction_pointer(&self, item: &Spanned<Node>) -> Result<String, ScenarioError> {
        let hint = "pointers start at the snapshot document: `/body/...`, `/headers/<lower-case name>`, `/status`";
        let Node::String(pointer) = &item.value else {
            return Err(self
                .error(
                    self.at(item),
                    format!(
                        "a redaction is a JSON pointer string, found {}",
                        item.value.kind()
                    ),
                )
                .with_hint(hint));
        };
        check_pointer(pointer).map_err(|problem| {
            self.error(
                self.at(item),
                format!("invalid JSON pointer `{pointer}`: {problem}"),
            )
            .with_hint(hint)
        })?;
        let root = pointer.split('/').nth(1).unwrap_or_default();
        if !SNAPSHOT_DOCUMENT_ROOTS.contains(&root) {
            return Err(self
                .error(
                    self.at(item),
                    format!("`{pointer}` is outside the snapshot document"),
                )
                .with_hint(hint));
        }
        Ok(pointer.clone())
    }

    fn expectation(
        &self,
        raw: &Spanned<RawExpectation>,
        scope: &Scope,
    ) -> Result<Expectation, ScenarioError> {
        let location = self.at(raw);
        let raw = &raw.value;
        let id = &raw.id.value;
        if id.is_empty()
            || !id.chars().all(|c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '.' | '_')
            })
        {
            return Err(self
                .error(self.at(&raw.id), format!("invalid check id `{id}`"))
                .with_hint("check ids are lower-case letters, digits, `-`, `_` and `.`, e.g. `create.created`"));
        }
        for (key, text) in [("title", &raw.title), ("requirement", &raw.requirement)] {
            if text.trim().is_empty() {
                return Err(self.error(
                    location.clone(),
                    format!("the check's `{key}` must not be empty"),
                ));
            }
        }
        let severity = match &raw.severity {
            None => Severity::Fail,
            Some(word) => match word.value.as_str() {
                "fail" => Severity::Fail,
                "warn" => Severity::Warn,
                other => {
                    return Err(self
                        .error(self.at(word), format!("unknown severity `{other}`"))
                        .with_hint(did_you_mean(other, &["fail", "warn"], "severities are")));
                }
            },
        };
        let assertions = self.assertions(&raw.assertion_fields(), scope)?;
        if assertions.is_empty() {
            return Err(self
                .error(location, format!("the check `{id}` asserts nothing"))
                .with_hint(format!("add at least one of: {ASSERTION_KEYS}")));
        }
        let warn_if = match &raw.warn_if {
            None => Vec::new(),
            Some(tolerated) => {
                if severity == Severity::Warn {
                    return Err(self
                        .error(self.at(tolerated), "`warn_if` on a check that only warns")
                        .with_hint("`warn_if` turns a failing check into a warning; drop it, or drop `severity: warn`"));
                }
                let assertions = self.assertions(&tolerated.value.assertion_fields(), scope)?;
                if assertions.is_empty() {
                    return Err(self
                        .error(self.at(tolerated), "`warn_if` asserts nothing")
                        .with_hint(format!("add at least one of: {ASSERTION_KEYS}")));
                }
                assertions
            }
        };
        Ok(Expectation {
            id: id.clone(),
            title: raw.title.clone(),
            requirement: raw.requirement.clone(),
            severity,
            impact: raw.impact.clone(),
            hint: raw.hint.clone(),
            needs: raw.needs.iter().map(|id| id.value.clone()).collect(),
            assertions,
            warn_if,
            location,
        })
    }

    fn assertions(
        &self,
        fields: &AssertionFields<'_>,
        scope: &Scope,
    ) -> Result<Vec<Assertion>, ScenarioError> {
        let mut assertions = Vec::new();
        if let Some(status) = &fields.status {
            assertions.push(Assertion::Status(self.status(status)?));
        }
        if let Some(list) = &fields.list {
            assertions.push(Assertion::List(self.list(list, scope)?));
        }
        for (key, flag, assertion) in [
            (
                "filter_honoured",
                &fields.filter_honoured,
                Assertion::FilterHonoured,
            ),
            ("resource", &fields.resource, Assertion::Resource),
            ("scim_error", &fields.scim_error, Assertion::ScimError),
        ] {
            if let Some(flag) = flag {
                if !flag.value {
                    return Err(self
                        .error(self.at(flag), format!("`{key}: false` checks nothing"))
                        .with_hint(format!("write `{key}: true` or remove the key")));
                }
                assertions.push(assertion);
            }
        }
        if let Some(attributes) = &fields.attributes {
            for (path, check) in &attributes.0 {
                if path.value.trim().is_empty() {
                    return Err(self.error(self.at(path), "empty SCIM attribute path"));
                }
                assertions.push(Assertion::Attribute {
                    path: self.template(path, scope)?,
                    check: self.value_check(check, scope)?,
                });
            }
        }
        if let Some(json) = &fields.json {
            for (pointer, check) in &json.0 {
                check_pointer(&pointer.value).map_err(|problem| {
                    self.error(
                        self.at(pointer),
                        format!("invalid JSON pointer `{}`: {problem}", pointer.value),
                    )
                    .with_hint(
                        "`json` keys are RFC 6901 pointers into the body, e.g. `/totalResults`",
                    )
                })?;
                assertions.push(Assertion::Json {
                    pointer: pointer.value.clone(),
                    check: self.value_check(check, scope)?,
                });
            }
        }
        if let Some(headers) = &fields.headers {
            for (name, check) in &headers.0 {
                self.check_header_name(name)?;
                assertions.push(Assertion::Header {
                    name: name.value.clone(),
                    check: self.value_check(check, scope)?,
                });
            }
        }
        if let Some(word) = &fields.transport {
            let Some(check) = TransportCheck::ALL
                .into_iter()
                .find(|check| check.name() == word.value)
            else {
                let names: Vec<&str> = TransportCheck::ALL.iter().map(|c| c.name()).collect();
                return Err(self
                    .error(
                        self.at(word),
                        format!("unknown transport check `{}`", word.value),
                    )
                    .with_hint(did_you_mean(&word.value, &names, "transport checks are")));
            };
            assertions.push(Assertion::Transport(check));
        }
        Ok(assertions)
    }

    fn status(&self, node: &Spanned<Node>) -> Result<Vec<u16>, ScenarioError> {
        let one = |item: &Spanned<Node>| -> Result<u16, ScenarioError> {
            match &item.value {
                Node::Number(number) => number
                    .as_u64()
                    .filter(|code| (100..=599).contains(code))
                    .and_then(|code| u16::try_from(code).ok())
                    .ok_or_else(|| {
                        self.error(
                            self.at(item),
                            format!("`{number}` is not an HTTP status (100-599)"),
                        )
                    }),
                other => Err(self
                    .error(
                        self.at(item),
                        format!("a status is a number, found {}", other.kind()),
                    )
                    .with_hint("write `status: 200` or `status: [200, 204]`")),
            }
        };
        match &node.value {
            Node::Seq(items) if !items.is_empty() => items.iter().map(one).collect(),
            Node::Seq(_) => Err(self
                .error(self.at(node), "`status` lists no status")
                .with_hint("write `status: 200` or `status: [200, 204]`")),
            _ => Ok(vec![one(node)?]),
        }
    }

    fn list(&self, raw: &Spanned<RawList>, scope: &Scope) -> Result<ListAssertion, ScenarioError> {
        // `list: {}` still checks something: that the body is a well-formed ListResponse.
        let list = &raw.value;
        let templates = |items: &[Spanned<String>]| -> Result<Vec<Template>, ScenarioError> {
            items
                .iter()
                .map(|item| self.template(item, scope))
                .collect()
        };
        Ok(ListAssertion {
            total: list.total.as_ref().map(|total| total.value),
            contains: templates(&list.contains)?,
            excludes: templates(&list.excludes)?,
        })
    }

    fn value_check(
        &self,
        node: &Spanned<Node>,
        scope: &Scope,
    ) -> Result<ValueCheck, ScenarioError> {
        let forms = format!("a scalar (equals) or one of: {}", CHECK_KEYS.join(", "));
        let entries = match &node.value {
            Node::Map(entries) => entries,
            Node::Seq(_) => {
                return Err(self
                    .error(self.at(node), "a bare list is ambiguous here")
                    .with_hint("write `{equals: [...]}` or `{one_of: [...]}`"));
            }
            _ => return Ok(ValueCheck::Equals(self.json_template(node, scope)?)),
        };
        let [(key, value)] = entries.as_slice() else {
            let message = if entries.is_empty() {
                "an empty mapping checks nothing".to_string()
            } else {
                format!("one check per entry, found {} keys", entries.len())
            };
            return Err(self.error(self.at(node), message).with_hint(forms));
        };
        let must_be_true = |check: ValueCheck| -> Result<ValueCheck, ScenarioError> {
            match value.value {
                Node::Bool(true) => Ok(check),
                _ => Err(self
                    .error(self.at(value), format!("`{}` takes `true`", key.value))
                    .with_hint(format!("write `{{{}: true}}`", key.value))),
            }
        };
        let string = |what: &str| -> Result<Template, ScenarioError> {
            match &value.value {
                Node::String(text) => self.template_at(text, self.at(value), scope),
                other => Err(self.error(
                    self.at(value),
                    format!("`{what}` takes a string, found {}", other.kind()),
                )),
            }
        };
        match key.value.as_str() {
            "equals" => Ok(ValueCheck::Equals(self.json_template(value, scope)?)),
            "equals_ignore_case" => Ok(ValueCheck::EqualsIgnoreCase(string("equals_ignore_case")?)),
            "contains" => Ok(ValueCheck::Contains(string("contains")?)),
            "exists" => must_be_true(ValueCheck::Exists),
            "absent" => must_be_true(ValueCheck::Absent),
            "absent_or_empty" => must_be_true(ValueCheck::AbsentOrEmpty),
            "one_of" => {
                let Node::Seq(items) = &value.value else {
                    return Err(self.error(
                        self.at(value),
                        format!("`one_of` takes a list, found {}", value.value.kind()),
                    ));
                };
                items
                    .iter()
                    .map(|item| self.plain_value(item))
                    .collect::<Result<_, _>>()
                    .map(ValueCheck::OneOf)
            }
            "type" => {
                let Node::String(name) = &value.value else {
                    return Err(self.error(
                        self.at(value),
                        format!("`type` takes a type name, found {}", value.value.kind()),
                    ));
                };
                let json_type = match name.as_str() {
                    "string" => JsonType::String,
                    "boolean" => JsonType::Boolean,
                    "number" => JsonType::Number,
                    "integer" => JsonType::Integer,
                    "object" => JsonType::Object,
                    "array" => JsonType::Array,
                    "null" => JsonType::Null,
                    other => {
                        return Err(self
                            .error(self.at(value), format!("unknown type `{other}`"))
                            .with_hint(did_you_mean(other, &TYPE_NAMES, "types are")));
                    }
                };
                Ok(ValueCheck::IsType(json_type))
            }
            other => Err(self
                .error(self.at(key), format!("unknown check `{other}`"))
                .with_hint(did_you_mean(other, &CHECK_KEYS, "checks are"))),
        }
    }

    /// A JSON value without templates (`one_of` members are compared as written).
    fn plain_value(&self, node: &Spanned<Node>) -> Result<Value, ScenarioError> {
        Ok(match &node.value {
            Node::Null => Value::Null,
            Node::Bool(b) => Value::Bool(*b),
            Node::Number(n) => Value::Number(n.clone()),
            Node::String(s) => {
                if s.contains("{{") {
                    return Err(self
                        .error(self.at(node), "`one_of` values are compared as written; templates are not rendered here")
                        .with_hint("use `equals` for a value with variables"));
                }
                Value::String(s.clone())
            }
            Node::Seq(items) => Value::Array(
                items
                    .iter()
                    .map(|i| self.plain_value(i))
                    .collect::<Result<_, _>>()?,
            ),
            Node::Map(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| Ok((k.value.clone(), self.plain_value(v)?)))
                    .collect::<Result<_, ScenarioError>>()?,
            ),
        })
    }

    fn json_template(
        &self,
        node: &Spanned<Node>,
        scope: &Scope,
    ) -> Result<JsonTemplate, ScenarioError> {
        Ok(JsonTemplate::from_part(
            self.json_part(node, scope)?,
            self.at(node),
        ))
    }

    fn json_part(&self, node: &Spanned<Node>, scope: &Scope) -> Result<JsonPart, ScenarioError> {
        Ok(match &node.value {
            Node::Null => JsonPart::Scalar(Value::Null),
            Node::Bool(b) => JsonPart::Scalar(Value::Bool(*b)),
            Node::Number(n) => JsonPart::Scalar(Value::Number(n.clone())),
            Node::String(text) => JsonPart::Text(self.template_at(text, self.at(node), scope)?),
            Node::Seq(items) => JsonPart::Array(
                items
                    .iter()
                    .map(|item| self.json_part(item, scope))
                    .collect::<Result<_, _>>()?,
            ),
            Node::Map(entries) => JsonPart::Object(
                entries
                    .iter()
                    .map(|(key, value)| Ok((key.value.clone(), self.json_part(value, scope)?)))
                    .collect::<Result<_, ScenarioError>>()?,
            ),
        })
    }

    fn template(&self, text: &Spanned<String>, scope: &Scope) -> Result<Template, ScenarioError> {
        self.template_at(&text.value, self.at(text), scope)
    }

    /// Parses a template and checks that every variable it reads is defined at this point.
    fn template_at(
        &self,
        text: &str,
        location: Location,
        scope: &Scope,
    ) -> Result<Template, ScenarioError> {
        let template = Template::parse(text, location)?;
        if let Some(name) = template.variables().find(|name| !scope.contains(name)) {
            let defined: Vec<&str> = scope.names.iter().map(String::as_str).collect();
            let mut hint = match closest(name, defined.iter().copied()) {
                Some(close) => format!("did you mean `{close}`? "),
                None => String::new(),
            };
            hint.push_str(&format!(
                "defined here: {}, and the `guid` generator; a capture is usable in later steps and in its own step's `cleanup`",
                defined.join(", ")
            ));
            return Err(self
                .error(
                    template.location().clone(),
                    format!("undefined variable `{name}`"),
                )
                .with_hint(hint));
        }
        Ok(template)
    }
}

/// Parses YAML text (a scenario, a mapping file) into strict serde structs under the loader's
/// budgets; every problem, unknown keys with a "did you mean" included, is a [`ScenarioError`]
/// at `file:line:col`. `None` for an empty document.
pub(crate) fn parse_yaml<T: serde::de::DeserializeOwned>(
    file: &Arc<str>,
    text: &str,
) -> Result<Option<T>, ScenarioError> {
    // Far above any real scenario (500 steps of large bodies stay under 100k nodes), and low
    // enough that an alias bomb fails in milliseconds instead of seconds.
    let mut budget = serde_saphyr::Budget::default();
    budget.max_nodes = MAX_YAML_NODES;
    budget.max_depth = MAX_YAML_DEPTH;
    let mut alias_limits = serde_saphyr::options::AliasLimits::default();
    alias_limits.max_total_replayed_events = MAX_YAML_NODES;
    let options = serde_saphyr::options! {
        budget: Some(budget),
        alias_limits: alias_limits,
        strict_booleans: true,
        with_snippet: false,
    };
    serde_saphyr::from_str_with_options(text, options).map_err(|error| yaml_error(file, &error))
}

/// A serde-saphyr position in `file`, 1-based.
pub(crate) fn location_in(file: &Arc<str>, location: serde_saphyr::Location) -> Location {
    Location {
        file: file.clone(),
        line: u32::try_from(location.line()).unwrap_or(u32::MAX),
        column: u32::try_from(location.column()).unwrap_or(u32::MAX),
    }
}

fn yaml_error(file: &Arc<str>, error: &serde_saphyr::Error) -> ScenarioError {
    use serde_saphyr::Error as E;
    let location = error
        .location()
        .filter(|location| location.line() > 0)
        .map(|location| location_in(file, location));
    // Errors met through an alias are wrapped; classify by the original one.
    let mut original = error;
    while let E::AliasError { error, .. } | E::WithSnippet { error, .. } = original {
        original = error;
    }
    let base = match original {
        E::SerdeUnknownField {
            field, expected, ..
        } => ScenarioError::new(format!("unknown key `{field}`")).with_hint(did_you_mean(
            field,
            expected,
            "valid keys here",
        )),
        E::SerdeMissingField { field, .. } => {
            ScenarioError::new(format!("missing required key `{field}`"))
                .with_hint(format!("add `{field}:` to this mapping"))
        }
        E::SerdeInvalidType {
            unexpected,
            expected,
            ..
        } => ScenarioError::new(format!(
            "wrong type: expected {expected}, found {unexpected}"
        )),
        E::Budget { .. }
        | E::AliasReplayLimitExceeded { .. }
        | E::AliasExpansionLimitExceeded { .. }
        | E::AliasReplayStackDepthExceeded { .. } => ScenarioError::new(format!(
            "the YAML expands too much or nests too deeply ({})",
            strip_location(&original.to_string(), original.location())
        ))
        .with_hint("aliases and nesting are limited so that a hostile file cannot exhaust memory"),
        E::DuplicateMappingKey { key, .. } => ScenarioError::new(match key {
            Some(key) => format!("duplicate key `{key}`"),
            None => "duplicate key".to_string(),
        })
        .with_hint("each key may appear once in a mapping"),
        E::MultipleDocuments { .. } => {
            ScenarioError::new("the file holds several YAML documents; a scenario is one")
                .with_hint("remove the `---` line, or split the file")
        }
        _ => {
            let message = strip_location(&original.to_string(), original.location());
            ScenarioError::new(match type_mismatch(&message) {
                Some(expected) => format!("wrong type: expected {expected}"),
                None => format!("invalid YAML: {message}"),
            })
        }
    };
    match location {
        Some(location) => base.at(location),
        None => base,
    }
}

/// `[a-z0-9-]+`: names of scenarios and steps, which name snapshot files.
fn check_name(name: &str) -> Result<(), String> {
    if !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        Ok(())
    } else {
        Err(format!(
            "names are lower-case letters, digits and `-` (they name snapshot files), e.g. `{}`",
            suggest_name(name)
        ))
    }
}

fn suggest_name(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let trimmed = out.trim_matches('-');
    if trimmed.is_empty() {
        "my-step".to_string()
    } else {
        trimmed.to_string()
    }
}

fn is_header_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c))
}

/// RFC 6901: empty, or `/`-separated tokens where `~` is followed by `0` or `1`.
pub(crate) fn check_pointer(pointer: &str) -> Result<(), String> {
    if pointer.is_empty() {
        return Ok(());
    }
    if !pointer.starts_with('/') {
        return Err("a pointer starts with `/`".to_string());
    }
    let mut chars = pointer.chars();
    while let Some(c) = chars.next() {
        if c == '~' && !matches!(chars.next(), Some('0' | '1')) {
            return Err("`~` must be followed by `0` (for `~`) or `1` (for `/`)".to_string());
        }
    }
    Ok(())
}

/// "did you mean `x`? <label>: a, b, c".
fn did_you_mean(wanted: &str, valid: &[&str], label: &str) -> String {
    let list = valid
        .iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ");
    match closest(wanted, valid.iter().copied()) {
        Some(close) => format!("did you mean `{close}`? {label}: {list}"),
        None => format!("{label}: {list}"),
    }
}

/// Plain words for serde-saphyr's "expected …" messages, which are type mismatches.
fn type_mismatch(message: &str) -> Option<&'static str> {
    Some(match message {
        "expected sequence start" => "a list",
        "expected mapping start" => "a mapping",
        "expected string scalar" => "a string",
        "invalid u64" | "invalid u16" => "a non-negative integer",
        "invalid boolean (strict mode expects true/false)" => "`true` or `false`",
        _ => return None,
    })
}

/// serde-saphyr appends " at line L, column C" to its messages; the location is shown separately.
fn strip_location(message: &str, location: Option<serde_saphyr::Location>) -> String {
    match location {
        Some(location) => {
            let suffix = format!(" at line {}, column {}", location.line(), location.column());
            message.strip_suffix(&suffix).unwrap_or(message).to_string()
        }
        None => message.to_string(),
    }
}
