//! `scim-harness cleanup`: finds what earlier runs left behind (a run killed hard, a cleanup the
//! target refused) by the prefix every harness resource carries, shows it, and deletes it only
//! with `--yes`. A resource is deleted only when its own userName or displayName, as the target
//! returned it, starts with the prefix: a server that ignores the filter cannot widen the sweep.

use std::collections::HashSet;
use std::io::{self, Write};

use anyhow::{Context, anyhow};
use serde_json::Value;

use super::connection::{http_client, read_token, redact_panics, target_url};
use super::{UsageError, runtime};
use crate::checks::excerpt;
use crate::cli::CleanupArgs;
use crate::exit;
use crate::run::http::{HttpClient, WireRequest};
use crate::run::{retry, scrub};
use crate::secret::SecretString;

/// Shorter prefixes could match ordinary accounts (`a`, `jo`).
const MIN_PREFIX_CHARS: usize = 4;
/// Page size and a bound on pages, so a server that ignores paging cannot loop the sweep.
const PAGE_SIZE: usize = 100;
const MAX_PAGES: usize = 100;

/// A resource type and the attribute its prefix is matched on.
struct Kind {
    endpoint: &'static str,
    singular: &'static str,
    attribute: &'static str,
}

// Groups first: they refer to users.
const KINDS: [Kind; 2] = [
    Kind {
        endpoint: "/Groups",
        singular: "Group",
        attribute: "displayName",
    },
    Kind {
        endpoint: "/Users",
        singular: "User",
        attribute: "userName",
    },
];

struct Leftover {
    kind: &'static Kind,
    id: String,
    name: String,
}

pub fn cleanup(args: CleanupArgs) -> anyhow::Result<u8> {
    let prefix = validate_prefix(&args.prefix)?;
    target_url(&args.url)?;
    let token = read_token(&args.credentials)?;
    redact_panics(token.as_ref());
    let client = http_client(args.timeout, &args.tls, true)?;
    let target = Target {
        base: args.url.clone(),
        token,
        client,
    };
    let mut out = io::stdout().lock();
    runtime()?.block_on(async {
        writeln!(
            out,
            "Looking for resources whose userName or displayName starts with `{prefix}` at {}",
            target.base
        )?;
        let mut leftovers = Vec::new();
        for kind in &KINDS {
            let found = target.find(kind, prefix).await?;
            if let Some(note) = &found.note {
                writeln!(out, "{note}")?;
            }
            leftovers.extend(found.leftovers);
        }
        for leftover in &leftovers {
            writeln!(
                out,
                "  {} {}  {}",
                leftover.kind.singular, leftover.id, leftover.name
            )?;
        }
        if leftovers.is_empty() {
            writeln!(out, "Nothing to clean up.")?;
            return Ok(exit::SUCCESS);
        }
        if !args.yes {
            writeln!(
                out,
                "Dry run: nothing was deleted. Run again with --yes to delete these {} resources.",
                leftovers.len()
            )?;
            return Ok(exit::SUCCESS);
        }
        let mut failed = 0;
        for leftover in &leftovers {
            match target.delete(leftover).await {
                Ok(()) => writeln!(
                    out,
                    "deleted {} {}  {}",
                    leftover.kind.singular, leftover.id, leftover.name
                )?,
                Err(reason) => {
                    failed += 1;
                    writeln!(
                        out,
                        "could not delete {} {}  {}: {reason}",
                        leftover.kind.singular, leftover.id, leftover.name
                    )?;
                }
            }
        }
        writeln!(
            out,
            "Deleted {} of {} resources.",
            leftovers.len() - failed,
            leftovers.len()
        )?;
        Ok(if failed == 0 {
            exit::SUCCESS
        } else {
            exit::FINDINGS
        })
    })
}

fn validate_prefix(prefix: &str) -> anyhow::Result<&str> {
    if prefix.chars().count() < MIN_PREFIX_CHARS || prefix.trim() != prefix {
        return Err(UsageError(format!(
            "--prefix `{prefix}` is too broad: it needs at least {MIN_PREFIX_CHARS} characters and no surrounding spaces"
        ))
        .into());
    }
    if prefix.contains(['"', '\\']) || prefix.chars().any(char::is_control) {
        return Err(UsageError(format!(
            "--prefix `{prefix}` may not contain quotes, backslashes or control characters"
        ))
        .into());
    }
    Ok(prefix)
}

struct Target {
    base: String,
    token: Option<SecretString>,
    client: HttpClient,
}

struct Found {
    leftovers: Vec<Leftover>,
    /// Something the user should know about this kind (no endpoint, resources ignored).
    note: Option<String>,
}

impl Target {
    /// A Tenant URL may carry its own query (`?aadOptscim062020`); it is kept, as Entra does.
    fn request(&self, method: &'static str, path: &str, query: &str) -> WireRequest {
        let (base, base_query) = match self.base.split_once('?') {
            Some((base, q)) => (base.trim_end_matches('/'), q),
            None => (self.base.trim_end_matches('/'), ""),
        };
        let query = [base_query, query]
            .into_iter()
            .filter(|q| !q.is_empty())
            .collect::<Vec<_>>()
            .join("&");
        let url = if query.is_empty() {
            format!("{base}{path}")
        } else {
            format!("{base}{path}?{query}")
        };
        let headers = self
            .token
            .iter()
            .map(|t| {
                (
                    "Authorization".to_string(),
                    format!("Bearer {}", t.expose()),
                )
            })
            .collect();
        WireRequest {
            method,
            url,
            headers,
            body: None,
        }
    }

    /// Pages through `<attribute> sw "<prefix>"` and keeps what really carries the prefix.
    async fn find(&self, kind: &'static Kind, prefix: &str) -> anyhow::Result<Found> {
        let filter = format!("{} sw \"{prefix}\"", kind.attribute);
        let mut leftovers: Vec<Leftover> = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        let mut ignored = 0;
        let mut start_index = 1;
        for _ in 0..MAX_PAGES {
            let query = form_urlencoded::Serializer::new(String::new())
                .append_pair("filter", &filter)
                .append_pair("startIndex", &start_index.to_string())
                .append_pair("count", &PAGE_SIZE.to_string())
                .finish();
            let request = self.request("GET", kind.endpoint, &query);
            let response = retry::send(&self.client, &request)
                .await
                .map_err(|e| {
                    anyhow!(
                        "GET {}: {}",
                        kind.endpoint,
                        scrub::error(&e, self.token.as_ref())
                    )
                })?
                .response;
            let response = scrub::response(response, self.token.as_ref());
            if kind.endpoint == "/Groups" && matches!(response.status, 404 | 501) {
                return Ok(Found {
                    leftovers,
                    note: Some(format!(
                        "GET /Groups answered {}: the target has no groups to clean up",
                        response.status
                    )),
                });
            }
            if response.status != 200 {
                return Err(anyhow!(
                    "GET {} answered {}: {}",
                    kind.endpoint,
                    response.status,
                    excerpt(&String::from_utf8_lossy(&response.body), 200)
                ));
            }
            let body: Value = serde_json::from_slice(&response.body).with_context(|| {
                format!(
                    "GET {} did not answer JSON: {}",
                    kind.endpoint,
                    excerpt(&String::from_utf8_lossy(&response.body), 200)
                )
            })?;
            let resources = body
                .get("Resources")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let mut new_on_page = 0;
            for resource in &resources {
                let id = match resource.get("id") {
                    Some(Value::String(id)) if !id.is_empty() => id.clone(),
                    Some(Value::Number(n)) => n.to_string(),
                    _ => continue,
                };
                if !seen.insert(id.clone()) {
                    continue;
                }
                new_on_page += 1;
                match resource.get(kind.attribute).and_then(Value::as_str) {
                    Some(name) if name.starts_with(prefix) => leftovers.push(Leftover {
                        kind,
                        id,
                        name: name.to_string(),
                    }),
                    _ => ignored += 1,
                }
            }
            let total = body
                .get("totalResults")
                .and_then(Value::as_u64)
                .unwrap_or(0);
            start_index += resources.len();
            if resources.is_empty() || new_on_page == 0 || seen.len() as u64 >= total {
                break;
            }
        }
        let note = (ignored > 0).then(|| {
            format!(
                "ignored {ignored} {} resources the target returned whose {} does not start with `{prefix}` (it may not support `sw` filters)",
                kind.singular, kind.attribute
            )
        });
        Ok(Found { leftovers, note })
    }

    async fn delete(&self, leftover: &Leftover) -> Result<(), String> {
        let id: String =
            percent_encoding::utf8_percent_encode(&leftover.id, percent_encoding::NON_ALPHANUMERIC)
                .collect();
        let request = self.request("DELETE", &format!("{}/{id}", leftover.kind.endpoint), "");
        let sent = retry::send(&self.client, &request).await;
        match sent.map(|s| scrub::response(s.response, self.token.as_ref())) {
            Ok(response) if (200..300).contains(&response.status) || response.status == 404 => {
                Ok(())
            }
            Ok(response) => Err(format!(
                "answered {}: {}",
                response.status,
                excerpt(&String::from_utf8_lossy(&response.body), 120)
            )),
            Err(error) => Err(scrub::error(&error, self.token.as_ref())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_that_could_match_ordinary_accounts_are_refused() {
        assert!(validate_prefix("scimh-").is_ok());
        assert!(validate_prefix("abc").is_err());
        assert!(validate_prefix(" scimh").is_err());
        assert!(validate_prefix("scimh\"or\"").is_err());
    }
}
