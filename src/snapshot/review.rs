//! Reviewing pending snapshots without cargo: list, accept (rename `.snap.new` to `.snap`) and
//! reject (delete `.snap.new`). Works in any folder; users' suites are not cargo projects.

use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::SnapshotError;

/// A `.snap.new` file waiting for review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingSnapshot {
    /// The `.snap.new` file.
    pub path: PathBuf,
    /// The `.snap` file it would replace.
    pub baseline: PathBuf,
    /// Whether that baseline exists (a change) or not (a new snapshot).
    pub has_baseline: bool,
}

impl PendingSnapshot {
    /// The file stem shared by the pending file and its baseline, e.g. `entra-core__01_x@reference`.
    pub fn name(&self) -> String {
        self.baseline
            .file_stem()
            .map(|stem| stem.to_string_lossy().into_owned())
            .unwrap_or_default()
    }
}

impl fmt::Display for PendingSnapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())
    }
}

/// Which pending snapshots an `accept` or `reject` applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    All,
    /// A file stem (with or without `.snap` / `.snap.new`) or a unique prefix of one.
    Name(String),
}

/// Every `.snap.new` directly in `root`, sorted; a missing folder has none.
pub fn pending(root: &Path) -> Result<Vec<PendingSnapshot>, SnapshotError> {
    let entries = match fs::read_dir(root) {
        Ok(entries) => entries,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(list_error(root, error)),
    };
    let mut found = Vec::new();
    for entry in entries {
        let path = entry.map_err(|error| list_error(root, error))?.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let Some(baseline_name) = name.strip_suffix(".new") else {
            continue;
        };
        if !baseline_name.ends_with(".snap") || !path.is_file() {
            continue;
        }
        let baseline = path.with_file_name(baseline_name);
        let has_baseline = baseline.is_file();
        found.push(PendingSnapshot {
            path,
            baseline,
            has_baseline,
        });
    }
    found.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(found)
}

fn list_error(root: &Path, source: io::Error) -> SnapshotError {
    SnapshotError::Io {
        path: root.to_path_buf(),
        action: "list",
        source,
    }
}

/// Makes the selected pending snapshots the baselines; returns the baselines written.
pub fn accept(root: &Path, which: &Selection) -> Result<Vec<PathBuf>, SnapshotError> {
    let mut accepted = Vec::new();
    for item in select(root, which)? {
        fs::rename(&item.path, &item.baseline).map_err(|source| SnapshotError::Io {
            path: item.path.clone(),
            action: "rename",
            source,
        })?;
        accepted.push(item.baseline);
    }
    Ok(accepted)
}

/// Deletes the selected pending snapshots; returns the files deleted.
pub fn reject(root: &Path, which: &Selection) -> Result<Vec<PathBuf>, SnapshotError> {
    let mut rejected = Vec::new();
    for item in select(root, which)? {
        fs::remove_file(&item.path).map_err(|source| SnapshotError::Io {
            path: item.path.clone(),
            action: "remove",
            source,
        })?;
        rejected.push(item.path);
    }
    Ok(rejected)
}

fn select(root: &Path, which: &Selection) -> Result<Vec<PendingSnapshot>, SnapshotError> {
    let all = pending(root)?;
    let wanted = match which {
        Selection::All => return Ok(all),
        Selection::Name(name) => name,
    };
    let stem = wanted
        .strip_suffix(".snap.new")
        .or_else(|| wanted.strip_suffix(".snap"))
        .unwrap_or(wanted);
    // A path such as `snapshots/x.snap.new` selects by its file name.
    let stem = Path::new(stem)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if let Some(exact) = all.iter().find(|item| item.name() == stem) {
        return Ok(vec![exact.clone()]);
    }
    let matches: Vec<PendingSnapshot> = all
        .iter()
        .filter(|item| !stem.is_empty() && item.name().starts_with(&stem))
        .cloned()
        .collect();
    match matches.len() {
        1 => Ok(matches),
        0 => Err(SnapshotError::NoSuchPending {
            name: wanted.clone(),
            root: root.to_path_buf(),
            candidates: all.iter().map(PendingSnapshot::name).collect(),
        }),
        _ => Err(SnapshotError::Ambiguous {
            name: wanted.clone(),
            candidates: matches.iter().map(PendingSnapshot::name).collect(),
        }),
    }
}
