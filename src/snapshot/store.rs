//! The snapshot store: compares an exchange document with its baseline `.snap` file and writes
//! `.snap.new` (or `.snap`) in insta's file format, so `cargo insta review` and our own
//! `pending/accept/reject` both work. It never panics and never prints; insta's macros are not
//! used because they do both (see shared/style.md §3).

use std::ffi::OsString;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::SnapshotError;

/// When baselines and pending files are written (`--update`), as insta's `INSTA_UPDATE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum UpdateMode {
    /// `new` on a workstation, `no` in CI.
    Auto,
    /// Write differences and new snapshots as `.snap.new` for review.
    New,
    /// Overwrite baselines in place (a difference is not a finding).
    Always,
    /// Write nothing; a missing baseline is a finding.
    No,
}

impl UpdateMode {
    /// `Auto` becomes `No` in CI, by insta's rule: `CI` set to anything but "", "0" or "false",
    /// or `TF_BUILD` set. Every other mode, and `Auto` outside CI, is returned unchanged.
    pub fn effective(self) -> UpdateMode {
        self.effective_with(|name| std::env::var_os(name))
    }

    /// [`UpdateMode::effective`] with the environment given as a lookup function.
    pub fn effective_with(self, env: impl Fn(&str) -> Option<OsString>) -> UpdateMode {
        if self != UpdateMode::Auto {
            return self;
        }
        let ci = env("CI").is_some_and(|value| !matches!(value.to_str(), Some("" | "0" | "false")));
        if ci || env("TF_BUILD").is_some() {
            UpdateMode::No
        } else {
            UpdateMode::Auto
        }
    }
}

/// Names one baseline: `{scenario}__{index:02}_{step}@{target}.snap`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotKey {
    pub scenario: String,
    /// 1-based step number, so files sort in step order.
    pub index: usize,
    pub step: String,
    /// Which server the baselines belong to (`reference`, a host name, …).
    pub target: String,
}

impl SnapshotKey {
    pub fn file_name(&self) -> String {
        format!(
            "{}__{:02}_{}@{}.snap",
            file_safe(&self.scenario),
            self.index,
            file_safe(&self.step),
            file_safe(&self.target)
        )
    }
}

/// Keeps names inside the snapshot folder: anything but `[A-Za-z0-9._-]` becomes `-`.
fn file_safe(name: &str) -> String {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect();
    if safe.is_empty() || safe.chars().all(|c| c == '.') {
        safe.replace('.', "-") + "-"
    } else {
        safe
    }
}

/// The header of a snapshot file.
#[derive(Debug, Clone)]
pub struct SnapshotMeta {
    /// The scenario file's path (insta's review tool shows it).
    pub source: String,
    /// One line: what the step does.
    pub description: String,
    /// Free-form context (request line, step location), written as JSON flow YAML.
    pub info: Value,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnapshotOutcome {
    Matched,
    /// The baseline differs; `pending` is the `.snap.new` written (None when nothing is written).
    Changed {
        baseline: String,
        actual: String,
        pending: Option<PathBuf>,
    },
    /// No baseline yet; `pending` None means the baseline is required (no writes allowed).
    New {
        actual: String,
        pending: Option<PathBuf>,
    },
    /// `Always` mode created or rewrote the baseline.
    Written {
        path: PathBuf,
    },
}

#[derive(Debug, Clone)]
pub struct SnapshotStore {
    root: PathBuf,
    update: UpdateMode,
}

impl SnapshotStore {
    /// `update` is resolved with [`UpdateMode::effective`] here, once.
    pub fn new(root: PathBuf, update: UpdateMode) -> SnapshotStore {
        SnapshotStore {
            root,
            update: update.effective(),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The update mode in force (`Auto` already resolved against CI).
    pub fn update_mode(&self) -> UpdateMode {
        self.update
    }

    /// The baseline's path.
    pub fn path_of(&self, key: &SnapshotKey) -> PathBuf {
        self.root.join(key.file_name())
    }

    pub fn check(
        &self,
        key: &SnapshotKey,
        doc: &Value,
        meta: &SnapshotMeta,
    ) -> Result<SnapshotOutcome, SnapshotError> {
        let path = self.path_of(key);
        let pending = pending_path(&path);
        let actual = render_document(doc)?;
        let baseline = read_baseline(&path)?;
        let writes_pending = matches!(self.update, UpdateMode::Auto | UpdateMode::New);
        match baseline {
            Some(baseline) if normalize(&baseline) == normalize(&actual) => {
                remove_if_exists(&pending)?;
                Ok(SnapshotOutcome::Matched)
            }
            Some(_) | None if self.update == UpdateMode::Always => {
                write_snapshot(&path, meta, &actual)?;
                remove_if_exists(&pending)?;
                Ok(SnapshotOutcome::Written { path })
            }
            Some(baseline) => {
                let pending = if writes_pending {
                    write_snapshot(&pending, meta, &actual)?;
                    Some(pending)
                } else {
                    None
                };
                Ok(SnapshotOutcome::Changed {
                    baseline: normalize(&baseline),
                    actual,
                    pending,
                })
            }
            None => {
                let pending = if writes_pending {
                    write_snapshot(&pending, meta, &actual)?;
                    Some(pending)
                } else {
                    None
                };
                Ok(SnapshotOutcome::New { actual, pending })
            }
        }
    }
}

/// `x.snap` -> `x.snap.new`.
pub(crate) fn pending_path(baseline: &Path) -> PathBuf {
    let mut name = baseline.as_os_str().to_owned();
    name.push(".new");
    PathBuf::from(name)
}

/// Canonical text of a document: object keys sorted at every level, pretty-printed.
pub fn render_document(doc: &Value) -> Result<String, SnapshotError> {
    serde_json::to_string_pretty(&canonical(doc)).map_err(|error| SnapshotError::Render {
        message: error.to_string(),
    })
}

/// Sorts object keys recursively; serde_json's `preserve_order` would keep insertion order.
fn canonical(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            let mut sorted = Map::with_capacity(entries.len());
            for (key, item) in entries {
                sorted.insert(key.clone(), canonical(item));
            }
            Value::Object(sorted)
        }
        Value::Array(items) => Value::Array(items.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

/// insta's comparison rule: trailing whitespace ignored, CRLF equals LF.
fn normalize(text: &str) -> String {
    text.trim_end().replace("\r\n", "\n")
}

fn read_baseline(path: &Path) -> Result<Option<String>, SnapshotError> {
    // insta's reader prints a warning for files without a `---` header; check that first.
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(error) => {
            return Err(SnapshotError::Io {
                path: path.to_path_buf(),
                action: "read",
                source: error,
            });
        }
    };
    if text.lines().next().map(str::trim_end) != Some("---") {
        return Err(SnapshotError::Parse {
            path: path.to_path_buf(),
            message: "not an insta snapshot: the file does not start with a `---` header".into(),
        });
    }
    let snapshot = insta::Snapshot::from_file(path).map_err(|error| SnapshotError::Parse {
        path: path.to_path_buf(),
        message: error.to_string(),
    })?;
    match snapshot.contents().as_text() {
        Some(contents) => Ok(Some(contents.to_string())),
        None => Err(SnapshotError::Parse {
            path: path.to_path_buf(),
            message: "a binary snapshot, not a text one".into(),
        }),
    }
}

fn remove_if_exists(path: &Path) -> Result<(), SnapshotError> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(SnapshotError::Io {
            path: path.to_path_buf(),
            action: "remove",
            source: error,
        }),
    }
}

fn write_snapshot(path: &Path, meta: &SnapshotMeta, body: &str) -> Result<(), SnapshotError> {
    let io_error = |action: &'static str| {
        move |source: io::Error| SnapshotError::Io {
            path: path.to_path_buf(),
            action,
            source,
        }
    };
    if let Some(folder) = path.parent() {
        fs::create_dir_all(folder).map_err(io_error("create the folder for"))?;
    }
    fs::write(path, snapshot_file_text(meta, body)).map_err(io_error("write"))
}

/// insta's file layout: a YAML header between `---` lines, then the body and a newline.
pub(crate) fn snapshot_file_text(meta: &SnapshotMeta, body: &str) -> String {
    let mut text = String::from("---\n");
    text.push_str(&format!("source: {}\n", yaml_string(&meta.source)));
    if !meta.description.is_empty() {
        text.push_str(&format!(
            "description: {}\n",
            yaml_string(&meta.description)
        ));
    }
    if !meta.info.is_null() {
        // JSON is YAML flow syntax; insta parses it and its review tool shows it.
        let info = serde_json::to_string(&canonical(&meta.info)).unwrap_or_else(|_| "~".into());
        text.push_str(&format!("info: {info}\n"));
    }
    text.push_str("---\n");
    text.push_str(body.trim_end());
    text.push('\n');
    text
}

/// A YAML scalar exactly as insta's emitter writes it: bare unless it needs quotes.
fn yaml_string(value: &str) -> String {
    if needs_quotes(value) {
        quote(value)
    } else {
        value.to_string()
    }
}

/// Mirrors `need_quotes` in insta's vendored YAML emitter, so files we write are byte-identical
/// to the ones `cargo insta accept` rewrites.
fn needs_quotes(value: &str) -> bool {
    const KEYWORDS: [&str; 22] = [
        "yes", "Yes", "YES", "no", "No", "NO", "True", "TRUE", "true", "False", "FALSE", "false",
        "on", "On", "ON", "off", "Off", "OFF", "null", "Null", "NULL", "~",
    ];
    value.is_empty()
        || value.starts_with(' ')
        || value.ends_with(' ')
        || value.starts_with(['&', '*', '?', '|', '-', '<', '>', '=', '!', '%', '@'])
        || value.contains(|c: char| {
            matches!(
                c,
                ':' | '{' | '}' | '[' | ']' | ',' | '#' | '`' | '"' | '\'' | '\\'
                    | '\0'..='\x06' | '\t' | '\n' | '\r' | '\x0e'..='\x1a' | '\x1c'..='\x1f'
            )
        })
        || KEYWORDS.contains(&value)
        || value.starts_with('.')
        || value.starts_with("0x")
        || value.parse::<i64>().is_ok()
        || value.parse::<f64>().is_ok()
}

/// Double-quoted YAML, escaping as insta's emitter does.
fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\x08' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\x0c' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if c < '\x20' || c == '\x7f' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
