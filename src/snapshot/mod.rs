//! Snapshots of whole exchanges, stored in insta's `.snap` format under the suite's `snapshots/`
//! folder: the store compares and writes them, [`redact`] makes them stable, [`diff_lines`]
//! explains a difference, and the review functions accept or reject pending files.

mod diff;
pub mod redact;
mod review;
mod store;

use std::path::PathBuf;

pub use diff::{DiffKind, DiffLine, diff_lines};
pub use review::{PendingSnapshot, Selection, accept, pending, reject};
pub use store::{
    SnapshotKey, SnapshotMeta, SnapshotOutcome, SnapshotStore, UpdateMode, render_document,
};

#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        path: PathBuf,
        action: &'static str,
        #[source]
        source: std::io::Error,
    },
    /// A baseline that exists but cannot be read as a snapshot (a merge conflict, for example).
    #[error("{} is not a valid snapshot file: {message}", path.display())]
    Parse { path: PathBuf, message: String },
    #[error("cannot render the snapshot document: {message}")]
    Render { message: String },
    #[error("no pending snapshot named `{name}` in {}{}", root.display(), list_candidates(candidates, "pending"))]
    NoSuchPending {
        name: String,
        root: PathBuf,
        candidates: Vec<String>,
    },
    #[error(
        "`{name}` matches several pending snapshots{}",
        list_candidates(candidates, "matches")
    )]
    Ambiguous {
        name: String,
        candidates: Vec<String>,
    },
}

fn list_candidates(candidates: &[String], label: &str) -> String {
    if candidates.is_empty() {
        String::new()
    } else {
        format!("; {label}: {}", candidates.join(", "))
    }
}
