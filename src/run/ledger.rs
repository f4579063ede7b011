//! The cleanup ledger: every resource a scenario creates is registered with the request that
//! removes it, and whatever the scenario did not remove itself is removed at its end, newest first,
//! also when steps failed. Only requests the scenario registered are ever sent from here, so the
//! harness never touches a resource it did not create.

use super::http::{HttpClient, WireRequest};
use super::result::CleanupResult;
use super::{retry, scrub};
use crate::secret::SecretString;

#[derive(Default)]
pub struct Ledger {
    entries: Vec<Entry>,
}

struct Entry {
    undo: WireRequest,
    display_url: String,
    done: bool,
}

impl Ledger {
    pub fn register(&mut self, undo: WireRequest, display_url: String) {
        self.entries.push(Entry {
            undo,
            display_url,
            done: false,
        });
    }

    /// A step sent the same request as a registered cleanup (the scenario deletes the user
    /// itself): once the target confirms it is gone, there is nothing left to undo.
    pub fn settle(&mut self, sent: &WireRequest, status: u16) {
        if !is_removed(status) {
            return;
        }
        for entry in &mut self.entries {
            if entry.undo.method == sent.method && entry.undo.url == sent.url {
                entry.done = true;
            }
        }
    }

    /// Runs the outstanding cleanups, newest first.
    pub async fn unwind(
        self,
        client: &HttpClient,
        token: Option<&SecretString>,
    ) -> Vec<CleanupResult> {
        let mut results = Vec::new();
        for entry in self.entries.into_iter().rev().filter(|e| !e.done) {
            // A rate-limited DELETE is retried like any step: giving up early leaves data behind.
            let outcome = retry::send(client, &entry.undo)
                .await
                .map(|sent| sent.response.status)
                .map_err(|e| scrub::error(&e, token));
            results.push(CleanupResult {
                method: entry.undo.method.to_string(),
                url: entry.display_url,
                removed: matches!(outcome, Ok(status) if is_removed(status)),
                outcome,
            });
        }
        results
    }
}

/// 2xx: removed now; 404: already gone.
fn is_removed(status: u16) -> bool {
    (200..300).contains(&status) || status == 404
}
