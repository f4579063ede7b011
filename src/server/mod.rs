//! The embedded reference SCIM 2.0 server: the default target of `scim-harness run`, the server
//! behind `scim-harness serve`, and, with quirks switched on, a faithful imitation of the broken
//! servers Entra meets in the field.
//!
//! axum on tokio, everything in memory behind one lock. Requests are routed by a small parser
//! (`routes`) rather than axum's path router, so any base path works, every unmatched request
//! gets a SCIM 404, and a wrong method gets a SCIM 405 with `Allow` (axum's own rejections are
//! plain text). The SCIM semantics (schemas, filters, PATCH) come from [`crate::scim`]; this
//! module adds HTTP, storage, ids and `meta`, uniqueness, memberships and the quirks.
//!
//! Decisions worth knowing:
//! - Group `members` must reference existing Users or Groups: an unknown id makes the whole
//!   request fail with 400 `invalidValue` (Entra only adds members once they exist, so an unknown
//!   id is a client bug worth showing). Duplicate member values are stored once. Deleting a user
//!   removes it from every group.
//! - `schemas` in a response lists the core URN plus the extensions present, not what the client
//!   sent, so Entra's extra `…/ADSCIM/2.0/Group` URN is accepted and not echoed.
//! - Client-sent `id`, `meta` and other read-only attributes are ignored; explicit nulls are
//!   dropped; a bare-string enterprise `manager` is stored as `{"value": id}`.
//! - PATCH and PUT answer 200 with the resource; `If-Match` is honoured (412), `If-None-Match` on
//!   GET answers 304.

mod auth;
mod config;
mod discovery;
mod input;
mod query;
mod reply;
mod resources;
mod routes;
mod store;

use std::collections::HashSet;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use config::{Quirk, ServerConfig, ServerProfile};

use crate::scim::patch::PatchOptions;
use crate::scim::schema::ResourceSchema;
use input::InputRules;
use store::{Kind, Store, UniquenessRules};

/// The attributes of Insite LMS's Entra gallery mapping (shared/seeds, tutorial step 10).
const INSITE_LMS_USER_ATTRIBUTES: &[&str] = &[
    "userName",
    "emails",
    "active",
    "name.givenName",
    "name.familyName",
    "phoneNumbers",
];

/// How long `shutdown` waits for open connections to finish before dropping them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("invalid base path {path:?}: {reason}")]
    InvalidBasePath { path: String, reason: &'static str },
    #[error("could not listen on {addr}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: io::Error,
    },
    #[error("could not read the address the server is listening on")]
    LocalAddr(#[source] io::Error),
}

/// A server running on a tokio task. Dropping it stops the server too (without waiting).
#[derive(Debug)]
pub struct RunningServer {
    base_url: String,
    local_addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<io::Result<()>>>,
}

impl RunningServer {
    /// Absolute base URL, e.g. `http://127.0.0.1:41234/scim/v2`: what Entra calls the Tenant URL.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops accepting connections, lets requests in flight finish (up to a few seconds), and
    /// returns once the server is gone.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            // The server task may already have ended; then there is nobody left to tell.
            let _ = stop.send(());
        }
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(SHUTDOWN_GRACE, &mut task)
                .await
                .is_err()
        {
            task.abort();
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Binds `config.host:config.port`, starts serving on a tokio task and returns at once.
pub async fn start(config: ServerConfig) -> Result<RunningServer, ServerError> {
    let base_path =
        normalize_base_path(&config.base_path).map_err(|reason| ServerError::InvalidBasePath {
            path: config.base_path.clone(),
            reason,
        })?;
    let addr = SocketAddr::new(config.host, config.port);
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| ServerError::Bind { addr, source })?;
    let local_addr = listener.local_addr().map_err(ServerError::LocalAddr)?;
    let origin = format!("http://{}", reachable(local_addr));
    let base_url = format!("{origin}{base_path}");
    let app = routes::build(App::new(config, Some(origin)));
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                // Either an explicit stop or the handle being dropped ends the server.
                let _ = stopped.await;
            })
            .await
    });
    Ok(RunningServer {
        base_url,
        local_addr,
        stop: Some(stop),
        task: Some(task),
    })
}

/// The whole server as an axum router, for in-process use (`tower::ServiceExt::oneshot`) or a
/// caller's own listener. `meta.location` URLs are built from the request's `Host` header. A base
/// path that `start` would reject (one containing `?`, `#` or whitespace) matches no request, so
/// every request answers 404.
pub fn router(config: ServerConfig) -> axum::Router {
    routes::build(App::new(config, None))
}

/// `/scim/v2/` -> `/scim/v2`, `scim` -> `/scim`, `/` -> `` (endpoints at the root).
fn normalize_base_path(raw: &str) -> Result<String, &'static str> {
    let trimmed = raw.trim().trim_end_matches('/');
    if trimmed
        .chars()
        .any(|c| c == '?' || c == '#' || c.is_whitespace() || c.is_control())
    {
        return Err("a base path cannot contain '?', '#', whitespace or control characters");
    }
    if trimmed.is_empty() || trimmed.starts_with('/') {
        Ok(trimmed.to_string())
    } else {
        Ok(format!("/{trimmed}"))
    }
}

/// The address a client on this machine can use: a wildcard bind is reached through loopback.
fn reachable(addr: SocketAddr) -> SocketAddr {
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, addr.port())
}

/// Shared state of one server.
struct App {
    token: Option<String>,
    /// Normalised, e.g. `/scim/v2`, or empty for the root.
    base_path: String,
    /// `http://127.0.0.1:PORT` when started by [`start`]: used when a request has no usable `Host`.
    bound_origin: Option<String>,
    quirks: HashSet<Quirk>,
    profile: ServerProfile,
    users: ResourceSchema,
    /// `None` when the profile hosts no groups.
    groups: Option<ResourceSchema>,
    store: RwLock<Store>,
    latency: Duration,
}

impl App {
    fn new(config: ServerConfig, bound_origin: Option<String>) -> App {
        let quirks: HashSet<Quirk> = config.quirks.iter().copied().collect();
        let mut users = match config.profile {
            ServerProfile::Entra => ResourceSchema::user(),
            ServerProfile::InsiteLms => {
                ResourceSchema::user().restricted(INSITE_LMS_USER_ATTRIBUTES)
            }
        };
        if quirks.contains(&Quirk::CaseSensitiveUsername) {
            // The filter evaluator honours caseExact, so flipping it is exactly the defect.
            for attribute in &mut users.core.attributes {
                if attribute.name.eq_ignore_ascii_case("userName") {
                    attribute.case_exact = true;
                }
            }
        }
        let groups = match config.profile {
            ServerProfile::Entra => Some(ResourceSchema::group()),
            ServerProfile::InsiteLms => None,
        };
        let store = Store::new(UniquenessRules {
            case_sensitive_user_names: quirks.contains(&Quirk::CaseSensitiveUsername),
            allow_duplicates: quirks.contains(&Quirk::AllowDuplicates),
        });
        App {
            token: config.token,
            base_path: normalize_base_path(&config.base_path)
                .unwrap_or_else(|_| config.base_path.clone()),
            bound_origin,
            quirks,
            profile: config.profile,
            users,
            groups,
            store: RwLock::new(store),
            latency: config.latency,
        }
    }

    fn has(&self, quirk: Quirk) -> bool {
        self.quirks.contains(&quirk)
    }

    fn schema(&self, kind: Kind) -> Option<&ResourceSchema> {
        match kind {
            Kind::User => Some(&self.users),
            Kind::Group => self.groups.as_ref(),
        }
    }

    /// The resource types this profile hosts.
    fn kinds(&self) -> impl Iterator<Item = Kind> + '_ {
        [Kind::User, Kind::Group]
            .into_iter()
            .filter(|&kind| self.schema(kind).is_some())
    }

    fn resource_schemas(&self) -> impl Iterator<Item = &ResourceSchema> {
        self.kinds().filter_map(|kind| self.schema(kind))
    }

    fn input_rules<'a>(&self, schema: &'a ResourceSchema) -> InputRules<'a> {
        InputRules {
            schema,
            string_booleans: !self.has(Quirk::RejectStringBooleans),
            only_schema_attributes: self.profile == ServerProfile::InsiteLms,
        }
    }

    fn patch_options(&self) -> PatchOptions {
        PatchOptions {
            case_insensitive_ops: !self.has(Quirk::RejectCapitalisedOps),
            string_booleans: !self.has(Quirk::RejectStringBooleans),
            value_paths: !self.has(Quirk::NoValuePaths),
            upsert_value_paths: !self.has(Quirk::NoValuePathUpsert),
            legacy_member_remove_all: self.has(Quirk::LegacyRemoveClearsMembers),
        }
    }

    // A panic while holding the lock cannot leave the maps half-updated in a way that matters
    // more than refusing service forever, so a poisoned lock is used as is.
    fn read_store(&self) -> RwLockReadGuard<'_, Store> {
        self.store.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write_store(&self) -> RwLockWriteGuard<'_, Store> {
        self.store.write().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_paths_are_normalised() {
        assert_eq!(normalize_base_path("/scim/v2/"), Ok("/scim/v2".to_string()));
        assert_eq!(normalize_base_path("scim"), Ok("/scim".to_string()));
        assert_eq!(normalize_base_path("/"), Ok(String::new()));
        assert!(normalize_base_path("/scim?x").is_err());
    }

    #[test]
    fn wildcard_binds_are_reached_through_loopback() {
        let addr = SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 8080);
        assert_eq!(reachable(addr).to_string(), "127.0.0.1:8080");
    }
}
