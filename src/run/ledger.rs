//! The cleanup ledger: every resource a scenario creates is registered with the request that
//! removes it, and whatever the scenario did not remove itself is removed at its end, newest first,
//! also when steps failed. Only requests the scenario registered are ever sent from here, so the
//! harness never touches a resource it did not create.
//!
//! A create whose id never came back (interrupted or timed out in flight, or answered without an
//! id) cannot be undone by id: at the end it is looked up by the unique name its body carried,
//! with an `eq` filter, and deleted only if the target holds exactly that name, which starts with
//! the run's prefix, the way `load` cleans up. When even that is impossible, the result says it
//! may remain and how to remove it.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::Value;

use super::http::{HttpClient, WireRequest};
use super::request::form_encode;
use super::result::CleanupResult;
use super::{Interrupt, retry, scrub};
use crate::secret::SecretString;

/// An id becomes one path segment: everything but RFC 3986's unreserved characters is escaped.
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

pub struct Ledger {
    entries: Vec<Entry>,
    /// What every resource the run creates is named with.
    run_prefix: String,
    /// The target as the user gave it, for the `cleanup` command a leftover is reported with.
    tenant_url: String,
    /// Whether the run prefix was drawn for this run, so a name carrying it can only be one of
    /// the run's own resources. A prefix fixed with `--var` may be shared: found by name is then
    /// not proof of ownership.
    prefix_drawn: bool,
}

enum Entry {
    Undo {
        request: WireRequest,
        display_url: String,
        done: bool,
    },
    Unconfirmed(UnconfirmedCreate),
}

/// A create that may have made a resource the run has no id for.
struct UnconfirmedCreate {
    /// The collection the POST went to (`https://h/scim/Users`), without its query.
    collection: String,
    /// The POST's query (a Tenant URL's `aadOptscim062020`), kept on the lookup and the delete.
    query: Option<String>,
    /// The POST's headers but `Content-Type`: the same credentials.
    headers: Vec<(String, String)>,
    /// `userName` or `displayName`.
    attribute: &'static str,
    /// The name to look the resource up by, or why there is none to trust.
    name: Result<String, String>,
    /// Why the run has no id: "got no answer", "answered 201 without an id".
    why: String,
    /// No answer came: the create may still be carried out after the lookup.
    unanswered: bool,
}

impl Ledger {
    pub fn new(run_prefix: &str, tenant_url: &str, prefix_drawn: bool) -> Self {
        Ledger {
            entries: Vec::new(),
            run_prefix: run_prefix.to_string(),
            tenant_url: tenant_url.to_string(),
            prefix_drawn,
        }
    }

    pub fn register(&mut self, undo: WireRequest, display_url: String) {
        self.entries.push(Entry::Undo {
            request: undo,
            display_url,
            done: false,
        });
    }

    /// `create` may have made a resource the run cannot delete by id: `answered` is the status
    /// that came without an id, `None` when no answer came at all. Only a POST to `/Users` or
    /// `/Groups` (`path`) creates one; other requests are left alone.
    pub fn look_up_later(&mut self, create: &WireRequest, path: &str, answered: Option<u16>) {
        let attribute = match path.trim_end_matches('/').rsplit('/').next() {
            _ if create.method != "POST" => return,
            Some("Users") => "userName",
            Some("Groups") => "displayName",
            _ => return,
        };
        let name = create
            .body
            .as_deref()
            .and_then(|body| serde_json::from_slice::<Value>(body).ok())
            .and_then(|body| body.get(attribute)?.as_str().map(str::to_string));
        let name = match name {
            Some(name) if starts_with_ignore_case(&name, &self.run_prefix) => Ok(name),
            Some(name) => Err(format!(
                "its {attribute} `{name}` does not start with the run's prefix `{}`, so the harness does not delete by it",
                self.run_prefix
            )),
            None => Err(format!("its body carries no {attribute} to look it up by")),
        };
        let (collection, query) = match create.url.split_once('?') {
            Some((collection, query)) => (collection, Some(query.to_string())),
            None => (create.url.as_str(), None),
        };
        self.entries.push(Entry::Unconfirmed(UnconfirmedCreate {
            collection: collection.trim_end_matches('/').to_string(),
            query,
            headers: create
                .headers
                .iter()
                .filter(|(name, _)| !name.eq_ignore_ascii_case("content-type"))
                .cloned()
                .collect(),
            attribute,
            name,
            why: match answered {
                Some(status) => format!("answered {status} without an id"),
                None => "got no answer".to_string(),
            },
            unanswered: answered.is_none(),
        }));
    }

    /// A step sent the same request as a registered cleanup (the scenario deletes the user
    /// itself): once the target confirms it is gone, there is nothing left to undo; a GET of it
    /// that still succeeds later makes the cleanup owed again.
    pub fn settle(&mut self, sent: &WireRequest, status: u16) {
        for entry in &mut self.entries {
            let Entry::Undo { request, done, .. } = entry else {
                continue;
            };
            if request.url != sent.url {
                continue;
            }
            if request.method == sent.method && is_removed(status) {
                *done = true;
            } else if sent.method == "GET" && (200..300).contains(&status) {
                // A later read finds it after all (a DELETE that answered success but kept it):
                // the cleanup is owed again.
                *done = false;
            }
        }
    }

    /// Runs the outstanding cleanups, newest first.
    /// A second Ctrl-C (`interrupt.abort()`) stops it: what was not removed yet is reported as
    /// left behind, with the command that finds it.
    pub async fn unwind(
        self,
        client: &HttpClient,
        token: Option<&SecretString>,
        interrupt: &Interrupt,
    ) -> Vec<CleanupResult> {
        let mut results = Vec::new();
        for entry in self.entries.into_iter().rev() {
            let (method, url) = match &entry {
                Entry::Undo { done: true, .. } => continue,
                Entry::Undo {
                    request,
                    display_url,
                    ..
                } => (request.method.to_string(), display_url.clone()),
                Entry::Unconfirmed(create) => ("GET".to_string(), create.url(None, &[])),
            };
            let work = async {
                match entry {
                    Entry::Undo {
                        request,
                        display_url,
                        ..
                    } => vec![remove(client, token, &request, display_url).await],
                    Entry::Unconfirmed(create) => {
                        let removal = Removal {
                            client,
                            token,
                            tenant_url: &self.tenant_url,
                            run_prefix: &self.run_prefix,
                            prefix_drawn: self.prefix_drawn,
                        };
                        removal.find_and_remove(&create).await
                    }
                }
            };
            let done = tokio::select! {
                done = work => done,
                () = interrupt.aborted() => vec![aborted(method, url, &self.tenant_url, &self.run_prefix)],
            };
            results.extend(done);
        }
        results
    }
}

/// A cleanup the second Ctrl-C stopped before it was done.
fn aborted(method: String, url: String, tenant_url: &str, run_prefix: &str) -> CleanupResult {
    CleanupResult {
        method,
        url,
        removed: false,
        outcome: Err(format!(
            "not done: the cleanup was aborted by a second Ctrl-C or SIGTERM; find what remains with `scim-harness cleanup --url {} --prefix {}` (add --yes to delete it)",
            shell_word(tenant_url),
            shell_word(run_prefix)
        )),
    }
}

/// Sends one cleanup request.
async fn remove(
    client: &HttpClient,
    token: Option<&SecretString>,
    request: &WireRequest,
    display_url: String,
) -> CleanupResult {
    // A rate-limited DELETE is retried like any step: giving up early leaves data behind.
    let outcome = retry::send(client, request)
        .await
        .map(|sent| sent.response.status)
        .map_err(|e| scrub::error(&e, token));
    CleanupResult {
        method: request.method.to_string(),
        url: display_url,
        removed: matches!(outcome, Ok(status) if is_removed(status)),
        outcome,
    }
}

/// What finding an unconfirmed create needs.
struct Removal<'a> {
    client: &'a HttpClient,
    token: Option<&'a SecretString>,
    tenant_url: &'a str,
    run_prefix: &'a str,
    prefix_drawn: bool,
}

impl Removal<'_> {
    /// Looks the resource up by its name and deletes what carries exactly that name; says what
    /// may remain when it cannot tell.
    async fn find_and_remove(&self, create: &UnconfirmedCreate) -> Vec<CleanupResult> {
        let name = match &create.name {
            Ok(name) => name,
            Err(why) => {
                let url = create.url(None, &[]);
                return vec![self.may_remain(create, "POST", url, why)];
            }
        };
        let lookup = create.lookup(name);
        let url = lookup.url.clone();
        let response = match retry::send(self.client, &lookup).await {
            Ok(sent) => sent.response,
            Err(error) => {
                let why = format!(
                    "the lookup by name failed: {}",
                    scrub::error(&error, self.token)
                );
                return vec![self.may_remain(create, "GET", url, &why)];
            }
        };
        if response.status != 200 {
            let why = format!("the lookup by name answered {}", response.status);
            return vec![self.may_remain(create, "GET", url, &why)];
        }
        let Some((resources, total)) = list_response(&response.body) else {
            let why = "the lookup by name answered no ListResponse";
            return vec![self.may_remain(create, "GET", url, why)];
        };
        // Only resources that carry exactly this name: a target that ignores the filter answers
        // with everything it holds.
        let named: Vec<&Value> = resources
            .iter()
            .filter(|r| {
                r.get(create.attribute)
                    .and_then(Value::as_str)
                    .is_some_and(|n| n.eq_ignore_ascii_case(name))
            })
            .collect();
        if named.is_empty() {
            if total > resources.len() as u64 {
                let why = format!(
                    "the lookup by name answered {total} resources without filtering and not all on one page"
                );
                return vec![self.may_remain(create, "GET", url, &why)];
            }
            if create.unanswered {
                let why = "nothing carries that name yet, but a create still in progress on the target would";
                return vec![self.may_remain(create, "GET", url, why)];
            }
            // Nothing by that name after an answer: the create did not happen.
            return vec![CleanupResult {
                method: "GET".to_string(),
                url,
                outcome: Ok(response.status),
                removed: true,
            }];
        }
        if !self.prefix_drawn {
            let why = "the run prefix was given with --var, so a resource of that name may belong to another run";
            return vec![self.may_remain(create, "GET", url, why)];
        }
        let mut results = Vec::new();
        for resource in named {
            match resource
                .get("id")
                .and_then(Value::as_str)
                .filter(|id| !id.is_empty())
            {
                Some(id) => {
                    let delete = create.delete(id);
                    let display_url = delete.url.clone();
                    results.push(remove(self.client, self.token, &delete, display_url).await);
                }
                None => {
                    let why = "the target lists it without an id to delete it by";
                    results.push(self.may_remain(create, "GET", url.clone(), why));
                }
            }
        }
        results
    }

    /// A result that says the resource may still be on the target, and how to remove it.
    fn may_remain(
        &self,
        create: &UnconfirmedCreate,
        method: &str,
        url: String,
        why: &str,
    ) -> CleanupResult {
        let (what, prefix) = match &create.name {
            Ok(name) => (format!("`{name}`"), name.as_str()),
            Err(_) => ("what it created".to_string(), self.run_prefix),
        };
        CleanupResult {
            method: method.to_string(),
            url,
            outcome: Err(format!(
                "the create {}, and {why}: {what} may remain on the target; find it with `scim-harness cleanup --url {} --prefix {}` (add --yes to delete it)",
                create.why,
                shell_word(self.tenant_url),
                shell_word(prefix)
            )),
            removed: false,
        }
    }
}

impl UnconfirmedCreate {
    /// `path` below the collection (`/{id}`) and `query` after the POST's own.
    fn url(&self, path: Option<&str>, query: &[(String, String)]) -> String {
        let mut url = self.collection.clone();
        if let Some(path) = path {
            url.push_str(path);
        }
        let added = form_encode(query);
        let query = [self.query.as_deref().unwrap_or(""), added.as_str()]
            .into_iter()
            .filter(|q| !q.is_empty())
            .collect::<Vec<_>>()
            .join("&");
        if !query.is_empty() {
            url.push('?');
            url.push_str(&query);
        }
        url
    }

    /// Entra's match query for the name (the group's leaves its members out).
    fn lookup(&self, name: &str) -> WireRequest {
        let quoted = serde_json::to_string(name).unwrap_or_default();
        let mut query = Vec::new();
        if self.attribute == "displayName" {
            query.push(("excludedAttributes".to_string(), "members".to_string()));
        }
        query.push((
            "filter".to_string(),
            format!("{} eq {quoted}", self.attribute),
        ));
        self.request("GET", self.url(None, &query))
    }

    fn delete(&self, id: &str) -> WireRequest {
        let segment = format!("/{}", utf8_percent_encode(id, PATH_SEGMENT));
        self.request("DELETE", self.url(Some(&segment), &[]))
    }

    fn request(&self, method: &'static str, url: String) -> WireRequest {
        WireRequest {
            method,
            url,
            headers: self.headers.clone(),
            body: None,
        }
    }
}

/// The `Resources` and `totalResults` of a ListResponse.
fn list_response(body: &[u8]) -> Option<(Vec<Value>, u64)> {
    let mut list: Value = serde_json::from_slice(body).ok()?;
    let total = list.get("totalResults")?.as_u64()?;
    let resources = match list.get_mut("Resources").map(Value::take) {
        Some(Value::Array(resources)) => resources,
        None | Some(Value::Null) => Vec::new(),
        Some(_) => return None,
    };
    Some((resources, total))
}

/// 2xx: removed now; 404: already gone.
fn is_removed(status: u16) -> bool {
    (200..300).contains(&status) || status == 404
}

fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    text.len() >= prefix.len()
        && text.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

/// `text` as one shell word, quoted when it needs to be.
fn shell_word(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"@%+=:,./_-".contains(&b));
    match plain {
        true => text.to_string(),
        false => format!("'{}'", text.replace('\'', r"'\''")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(url: &str, body: &str) -> WireRequest {
        WireRequest {
            method: "POST",
            url: url.to_string(),
            headers: vec![
                ("Authorization".to_string(), "Bearer t".to_string()),
                (
                    "Content-Type".to_string(),
                    "application/scim+json".to_string(),
                ),
            ],
            body: Some(body.as_bytes().to_vec()),
        }
    }

    fn unconfirmed(ledger: &Ledger) -> Vec<&UnconfirmedCreate> {
        ledger
            .entries
            .iter()
            .filter_map(|entry| match entry {
                Entry::Unconfirmed(create) => Some(create),
                Entry::Undo { .. } => None,
            })
            .collect()
    }

    #[test]
    fn only_creates_of_users_and_groups_are_looked_up() {
        let mut ledger = Ledger::new("scimh-ab12", "https://h/scim", true);
        let body = r#"{"userName":"scimh-ab12-1.alice@x"}"#;
        let mut get = post("https://h/scim/Users", body);
        get.method = "GET";
        ledger.look_up_later(&get, "/Users", None);
        ledger.look_up_later(
            &post("https://h/scim/Users/.search", body),
            "/Users/.search",
            None,
        );
        ledger.look_up_later(&post("https://h/scim/Bulk", body), "/Bulk", Some(200));
        assert!(unconfirmed(&ledger).is_empty());

        ledger.look_up_later(&post("https://h/scim/Users", body), "/Users", None);
        ledger.look_up_later(
            &post(
                "https://h/scim/Groups",
                r#"{"displayName":"SCIMH-AB12-1 Sales"}"#,
            ),
            "/Groups",
            Some(502),
        );
        let found = unconfirmed(&ledger);
        assert_eq!(found[0].name, Ok("scimh-ab12-1.alice@x".to_string()));
        assert_eq!(found[0].why, "got no answer");
        assert_eq!(found[1].name, Ok("SCIMH-AB12-1 Sales".to_string()));
        assert_eq!(found[1].why, "answered 502 without an id");
    }

    #[test]
    fn a_name_without_the_run_prefix_is_never_deleted_by() {
        let mut ledger = Ledger::new("scimh-ab12", "https://h/scim", true);
        ledger.look_up_later(
            &post(
                "https://h/scim/Users",
                r#"{"userName":"ceo@contoso.example"}"#,
            ),
            "/Users",
            None,
        );
        ledger.look_up_later(&post("https://h/scim/Users", "not json"), "/Users", None);
        let found = unconfirmed(&ledger);
        assert!(
            matches!(&found[0].name, Err(why) if why.contains("does not start with the run's prefix `scimh-ab12`"))
        );
        assert_eq!(
            found[1].name,
            Err("its body carries no userName to look it up by".to_string())
        );
    }

    #[test]
    fn the_lookup_and_the_delete_keep_the_tenant_query_and_the_credentials() {
        let mut ledger = Ledger::new("scimh-ab12", "https://h/scim?aadOptscim062020", true);
        ledger.look_up_later(
            &post(
                "https://h/scim/Groups?aadOptscim062020",
                r#"{"displayName":"scimh-ab12-1 \"Sales\""}"#,
            ),
            "/Groups",
            None,
        );
        let create = unconfirmed(&ledger)[0];
        let lookup = create.lookup("scimh-ab12-1 \"Sales\"");
        assert_eq!(lookup.method, "GET");
        assert_eq!(
            lookup.url,
            "https://h/scim/Groups?aadOptscim062020&excludedAttributes=members&filter=displayName+eq+%22scimh-ab12-1+%5C%22Sales%5C%22%22"
        );
        assert_eq!(
            lookup.headers,
            [("Authorization".to_string(), "Bearer t".to_string())]
        );
        assert!(lookup.body.is_none());
        let delete = create.delete("g/1 ?");
        assert_eq!(delete.method, "DELETE");
        assert_eq!(
            delete.url,
            "https://h/scim/Groups/g%2F1%20%3F?aadOptscim062020"
        );
    }

    #[test]
    fn words_of_the_cleanup_command_are_quoted_only_when_needed() {
        assert_eq!(shell_word("scimh-ab12-1.alice@x"), "scimh-ab12-1.alice@x");
        assert_eq!(shell_word("https://h/scim"), "https://h/scim");
        assert_eq!(
            shell_word("https://h/scim?aadOptscim062020"),
            "'https://h/scim?aadOptscim062020'"
        );
        assert_eq!(shell_word("it's"), r"'it'\''s'");
    }
}
