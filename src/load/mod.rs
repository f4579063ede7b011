//! `scim-harness load`: Entra's initial provisioning cycle at scale. Per user the match query and
//! the create, then group creates (empty) and membership PATCHes, then a disable pass, exactly in
//! Entra's shapes (`requests`), from a bounded pool of tokio workers at a fixed concurrency or a
//! fixed rate (`pacer`), honouring `Retry-After` on 429. It measures every request
//! (`stats`), sets the result beside Microsoft's estimate of Entra's own cycle time
//! (`estimate`), and removes everything it created, also after Ctrl-C, the time limit or errors.
//!
//! Objects are named after the run prefix (`scimh-xxxxxxxx-u000001@load.example.com`,
//! `scimh-xxxxxxxx group 00001`); the cleanup only ever deletes ids this run created, or objects
//! a lookup finds under exactly such a name.

mod estimate;
mod pacer;
mod requests;
mod stats;
pub mod summary;

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::run::Interrupt;
use crate::run::http::{HttpClient, WireRequest, WireResponse};
use crate::secret::SecretString;
pub use estimate::{EntraEstimate, MINUTES_PER_OBJECT, human_minutes};
pub use pacer::{DEFAULT_BACKOFF, MAX_THROTTLE_RETRIES, RETRY_AFTER_CAP, Throttling};
use pacer::{Pacer, RetryAfter};
use requests::{Kind, Requests};
use stats::Stats;
pub use stats::{LatencyReport, Operation, OperationReport, transport_class};

/// Bounds that keep one run's memory and the target's load within reason.
pub const MAX_USERS: usize = 1_000_000;
pub const MAX_GROUPS: usize = 100_000;
pub const MAX_CONCURRENCY: usize = 1024;
pub const MAX_RATE: f64 = 100_000.0;
/// Workers in rate mode: the most requests in flight while the clock sets the pace.
pub const RATE_MODE_WORKERS: usize = 256;
/// The `--json` layout's version; it changes only when a field is removed or changes meaning.
pub const REPORT_SCHEMA_VERSION: u32 = 1;

/// Which PATCH dialect the disable pass speaks (reference §1.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    /// Entra's default for custom apps: `{"op":"Replace","path":"active","value":"False"}`.
    Legacy,
    /// With the `aadOptscim062020` flag: `{"op":"replace","path":"active","value":false}`.
    Compliant,
}

/// How many objects the cycle provisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CycleSize {
    pub users: usize,
    pub groups: usize,
    /// Members per group, taken from the run's users.
    pub members: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SizeError {
    #[error("--users must be between 1 and {MAX_USERS}, got {0}")]
    Users(usize),
    #[error("--groups must be at most {MAX_GROUPS}, got {0}")]
    Groups(usize),
    #[error(
        "--members ({members}) cannot exceed --users ({users}): members are the run's own users"
    )]
    MoreMembersThanUsers { members: usize, users: usize },
    #[error("--members needs --groups")]
    MembersWithoutGroups,
}

impl CycleSize {
    pub fn new(users: usize, groups: usize, members: usize) -> Result<Self, SizeError> {
        if users == 0 || users > MAX_USERS {
            return Err(SizeError::Users(users));
        }
        if groups > MAX_GROUPS {
            return Err(SizeError::Groups(groups));
        }
        if members > users {
            return Err(SizeError::MoreMembersThanUsers { members, users });
        }
        if members > 0 && groups == 0 {
            return Err(SizeError::MembersWithoutGroups);
        }
        Ok(CycleSize {
            users,
            groups,
            members,
        })
    }

    pub fn memberships(&self) -> usize {
        self.groups * self.members
    }
}

/// How fast requests go out.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Pacing {
    /// This many requests in flight at most, each sent as soon as the previous one is answered.
    Concurrency(usize),
    /// This many requests started per second, up to [`RATE_MODE_WORKERS`] in flight.
    Rate(f64),
}

impl Pacing {
    fn workers(self) -> usize {
        match self {
            Pacing::Concurrency(workers) => workers.max(1),
            Pacing::Rate(_) => RATE_MODE_WORKERS,
        }
    }

    fn rate(self) -> Option<f64> {
        match self {
            Pacing::Concurrency(_) => None,
            Pacing::Rate(rate) => Some(rate),
        }
    }
}

pub struct LoadConfig {
    /// Entra's Tenant URL.
    pub base_url: String,
    /// Whether the target is the embedded reference server (reported, nothing else).
    pub embedded: bool,
    pub token: Option<SecretString>,
    pub client: HttpClient,
    pub size: CycleSize,
    pub pacing: Pacing,
    pub dialect: Dialect,
    /// After this the cycle stops starting objects; the cleanup still runs to the end.
    pub time_limit: Duration,
    /// The prefix of every name the run creates.
    pub run_prefix: String,
    /// Ctrl-C/SIGTERM: the cycle stops, the cleanup runs.
    pub interrupt: Interrupt,
}

/// The stretches of a run, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    Users,
    Groups,
    Memberships,
    Disable,
    Cleanup,
}

impl Phase {
    pub fn label(self) -> &'static str {
        match self {
            Phase::Users => "users: match and create",
            Phase::Groups => "groups: match and create",
            Phase::Memberships => "memberships",
            Phase::Disable => "disable",
            Phase::Cleanup => "cleanup",
        }
    }
}

/// Receives progress from the workers (hence `Sync`): a progress bar, plain lines, or nothing.
pub trait Progress: Send + Sync {
    fn phase_started(&self, phase: Phase, total: u64);
    fn advanced(&self, phase: Phase);
    fn phase_finished(&self, phase: Phase);
}

/// Why the cycle ended before every object was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StopReason {
    Interrupted,
    TimeLimit,
}

/// Everything a load run measured; `--json` writes it as is (docs/load-report.md).
#[derive(Debug, Clone, Serialize)]
pub struct LoadReport {
    pub schema_version: u32,
    pub base_url: String,
    pub embedded: bool,
    pub run_prefix: String,
    pub dialect: Dialect,
    pub pacing: Pacing,
    pub requested: CycleSize,
    pub done: Done,
    /// `None` when every object of the cycle was attempted.
    pub stopped: Option<StopReason>,
    pub cycle: CycleTotals,
    pub operations: Vec<OperationReport>,
    /// `operation: class` -> operations of the cycle that failed that way.
    pub errors: BTreeMap<String, u64>,
    pub throttling: Throttling,
    pub entra_estimate: EntraEstimate,
    pub cleanup: CleanupReport,
}

impl LoadReport {
    /// Every cycle operation succeeded and nothing was left behind.
    pub fn is_clean(&self) -> bool {
        self.errors.is_empty() && self.cleanup.left.is_empty()
    }

    /// The target answered at least once.
    pub fn got_responses(&self) -> bool {
        self.operations
            .iter()
            .any(|op| op.statuses.values().sum::<u64>() > 0)
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Done {
    pub users_created: u64,
    pub groups_created: u64,
    pub memberships_added: u64,
    pub users_disabled: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct CycleTotals {
    pub seconds: f64,
    /// Every request of the cycle, retries included (not the cleanup's).
    pub requests: u64,
    pub requests_per_second: f64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct CleanupReport {
    pub seconds: f64,
    pub users_removed: u64,
    pub groups_removed: u64,
    /// What the run created and could not remove (empty when everything is gone).
    pub left: Vec<Leftover>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Leftover {
    /// `user` or `group`.
    pub kind: &'static str,
    /// The userName or displayName the run gave it.
    pub name: String,
    /// `None` when the create's answer named no id and the lookup failed too.
    pub id: Option<String>,
    pub reason: String,
}

/// Why the run could not start.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("could not set up the latency histograms: {0}")]
    Histogram(#[from] hdrhistogram::CreationError),
}

/// Runs the cycle, then the cleanup, and reports.
pub async fn run(config: LoadConfig, progress: Arc<dyn Progress>) -> Result<LoadReport, LoadError> {
    let size = config.size;
    let engine = Arc::new(Engine {
        requests: Requests::new(
            &config.base_url,
            config.token.as_ref(),
            config.dialect,
            &config.run_prefix,
        ),
        client: config.client,
        pacer: Pacer::new(config.pacing.rate()),
        stats: Stats::new()?,
        throttling: Mutex::new(Throttling::default()),
        deadline: Instant::now() + config.time_limit,
        stopped: Mutex::new(None),
        interrupt: config.interrupt,
        users: (0..size.users).map(|_| OnceLock::new()).collect(),
        groups: (0..size.groups).map(|_| OnceLock::new()).collect(),
        unconfirmed: Mutex::new(Vec::new()),
        memberships_added: AtomicU64::new(0),
        users_disabled: AtomicU64::new(0),
        users_removed: AtomicU64::new(0),
        groups_removed: AtomicU64::new(0),
        left: Mutex::new(Vec::new()),
        size,
        workers: config.pacing.workers(),
        progress,
        setup: Setup {
            base_url: config.base_url,
            embedded: config.embedded,
            run_prefix: config.run_prefix,
            dialect: config.dialect,
            pacing: config.pacing,
        },
    });

    let cycle_started = Instant::now();
    engine
        .phase(Phase::Users, size.users, true, |e, i| async move {
            e.match_and_create(Kind::User, i).await;
        })
        .await;
    engine
        .phase(Phase::Groups, size.groups, true, |e, j| async move {
            e.match_and_create(Kind::Group, j).await;
        })
        .await;
    if size.members > 0 {
        engine
            .phase(Phase::Memberships, size.groups, true, |e, j| async move {
                e.add_members(j).await;
            })
            .await;
    }
    engine
        .phase(Phase::Disable, size.users, true, |e, i| async move {
            e.disable(i).await;
        })
        .await;
    let cycle_seconds = cycle_started.elapsed().as_secs_f64();

    let cleanup_started = Instant::now();
    engine.clean_up().await;
    let cleanup_seconds = cleanup_started.elapsed().as_secs_f64();

    Ok(engine.report(cycle_seconds, cleanup_seconds))
}

/// What the report repeats from the configuration.
struct Setup {
    base_url: String,
    embedded: bool,
    run_prefix: String,
    dialect: Dialect,
    pacing: Pacing,
}

/// State shared by every worker.
struct Engine {
    client: HttpClient,
    requests: Requests,
    pacer: Pacer,
    stats: Stats,
    throttling: Mutex<Throttling>,
    interrupt: Interrupt,
    deadline: Instant,
    stopped: Mutex<Option<StopReason>>,
    /// Server ids by object index, set once the create is answered with one.
    users: Vec<OnceLock<String>>,
    groups: Vec<OnceLock<String>>,
    /// Creates that got no id back (no answer, an error, a body without `id`): the target may
    /// hold the object anyway, so the cleanup looks each one up by name.
    unconfirmed: Mutex<Vec<(Kind, usize)>>,
    memberships_added: AtomicU64,
    users_disabled: AtomicU64,
    users_removed: AtomicU64,
    groups_removed: AtomicU64,
    left: Mutex<Vec<Leftover>>,
    size: CycleSize,
    workers: usize,
    progress: Arc<dyn Progress>,
    setup: Setup,
}

/// What became of one request.
enum Sent {
    Answered(WireResponse),
    /// No response; counted as failed with its transport class.
    NoAnswer,
    /// The cycle stopped before the request could go.
    Stopped,
}

impl Engine {
    /// Runs `job(0..total)` on the worker pool. Cycle phases stop taking new objects once the
    /// run is interrupted or out of time; the cleanup always finishes.
    async fn phase<F, Fut>(self: &Arc<Self>, phase: Phase, total: usize, in_cycle: bool, job: F)
    where
        F: Fn(Arc<Engine>, usize) -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.progress.phase_started(phase, total as u64);
        let next = Arc::new(AtomicUsize::new(0));
        let mut workers = JoinSet::new();
        for _ in 0..self.workers.min(total) {
            let engine = Arc::clone(self);
            let next = Arc::clone(&next);
            let job = job.clone();
            workers.spawn(async move {
                loop {
                    if in_cycle && engine.should_stop() {
                        break;
                    }
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    if index >= total {
                        break;
                    }
                    job(Arc::clone(&engine), index).await;
                    engine.progress.advanced(phase);
                }
            });
        }
        // A worker that panicked has already lost its object; the others finish theirs.
        while workers.join_next().await.is_some() {}
        self.progress.phase_finished(phase);
    }

    fn should_stop(&self) -> bool {
        let reason = if self.interrupt.is_set() {
            StopReason::Interrupted
        } else if Instant::now() >= self.deadline {
            StopReason::TimeLimit
        } else {
            return false;
        };
        self.stopped
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get_or_insert(reason);
        true
    }

    fn ids(&self, kind: Kind) -> &[OnceLock<String>] {
        match kind {
            Kind::User => &self.users,
            Kind::Group => &self.groups,
        }
    }

    fn name(&self, kind: Kind, index: usize) -> String {
        match kind {
            Kind::User => self.requests.user_name(index),
            Kind::Group => self.requests.group_name(index),
        }
    }

    /// Sends one request, waiting out 429s as `Retry-After` asks (up to the cap and retry
    /// limit). Every attempt's latency and status is recorded under `operation`.
    async fn send(&self, operation: Operation, request: &WireRequest, in_cycle: bool) -> Sent {
        let cancel = in_cycle.then_some(&self.interrupt);
        let mut throttled: Option<(RetryAfter, Instant)> = None;
        let mut retries = 0;
        loop {
            if self.pacer.ready(cancel).await.is_err() {
                if throttled.is_some() {
                    self.throttling().gave_up += 1;
                    self.stats
                        .failed(operation, "HTTP 429 (stopped while waiting)".to_string());
                }
                return Sent::Stopped;
            }
            if let Some((retry_after, arrived)) = throttled.take() {
                self.throttling().retried(retry_after, arrived.elapsed());
            }
            let response = match self.client.send(request).await {
                Ok(response) => response,
                Err(error) => {
                    self.stats.transport_error(operation, &error);
                    self.stats
                        .failed(operation, transport_class(&error).to_string());
                    return Sent::NoAnswer;
                }
            };
            self.stats
                .response(operation, response.status, response.elapsed);
            if response.status != 429 {
                return Sent::Answered(response);
            }
            let retry_after = RetryAfter::parse(
                response.header("retry-after"),
                time::OffsetDateTime::now_utc(),
            );
            self.throttling().throttled(retry_after);
            if retries == MAX_THROTTLE_RETRIES {
                self.throttling().gave_up += 1;
                return Sent::Answered(response);
            }
            retries += 1;
            self.pacer.pause(retry_after.wait());
            throttled = Some((retry_after, Instant::now()));
        }
    }

    fn throttling(&self) -> std::sync::MutexGuard<'_, Throttling> {
        self.throttling
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The response if its status is one `accepted` allows; otherwise the failure is counted.
    fn expect<'r>(
        &self,
        operation: Operation,
        sent: &'r Sent,
        accepted: fn(u16) -> bool,
    ) -> Option<&'r WireResponse> {
        match sent {
            Sent::Answered(response) if accepted(response.status) => Some(response),
            Sent::Answered(response) => {
                self.stats
                    .failed(operation, format!("HTTP {}", response.status));
                None
            }
            Sent::NoAnswer | Sent::Stopped => None,
        }
    }

    /// Entra's per-object pattern: look the object up by its matching attribute; only when the
    /// target has none, create it.
    async fn match_and_create(&self, kind: Kind, index: usize) {
        let (find_op, create_op) = match kind {
            Kind::User => (Operation::UserFilter, Operation::UserCreate),
            Kind::Group => (Operation::GroupFilter, Operation::GroupCreate),
        };
        let name = self.name(kind, index);
        let sent = self
            .send(find_op, &self.requests.find(kind, &name), true)
            .await;
        let Some(response) = self.expect(find_op, &sent, |s| s == 200) else {
            return;
        };
        match serde_json::from_slice::<ListResponse>(&response.body) {
            Ok(list) if list.total_results == 0 => self.stats.succeeded(find_op),
            // The name is new to this run: a hit means the filter was not applied, and Entra
            // would update (or report duplicates) instead of creating.
            Ok(list) => {
                self.stats.failed(
                    find_op,
                    format!("a name new to this run matched {}", list.total_results),
                );
                return;
            }
            Err(_) => {
                self.stats
                    .failed(find_op, "answer is not a ListResponse".to_string());
                return;
            }
        }
        if self.should_stop() {
            return;
        }
        let create = match kind {
            Kind::User => self.requests.create_user(index, &name),
            Kind::Group => self.requests.create_group(index, &name),
        };
        let sent = self.send(create_op, &create, true).await;
        let id = match &sent {
            Sent::Stopped => return,
            Sent::NoAnswer => None,
            Sent::Answered(_) => self
                .expect(create_op, &sent, |s| (200..300).contains(&s))
                .and_then(|response| {
                    let id = created_id(&response.body);
                    if id.is_none() {
                        self.stats
                            .failed(create_op, "answer has no string id".to_string());
                    }
                    id
                }),
        };
        match id {
            Some(id) => {
                // Each index is created by one worker only, so the slot is always empty here.
                let _ = self.ids(kind)[index].set(id);
                self.stats.succeeded(create_op);
            }
            None => self
                .unconfirmed
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push((kind, index)),
        }
    }

    /// Group `j` gets users `j·K … j·K+K-1` (wrapping), the ones that exist, in one PATCH.
    async fn add_members(&self, group: usize) {
        let Some(group_id) = self.groups[group].get() else {
            return;
        };
        let members: Vec<&str> = (0..self.size.members)
            .filter_map(|m| self.users[(group * self.size.members + m) % self.size.users].get())
            .map(String::as_str)
            .collect();
        if members.is_empty() {
            return;
        }
        let operation = Operation::GroupAddMembers;
        let sent = self
            .send(
                operation,
                &self.requests.add_members(group_id, &members),
                true,
            )
            .await;
        if self.expect(operation, &sent, patch_accepted).is_some() {
            self.stats.succeeded(operation);
            self.memberships_added
                .fetch_add(members.len() as u64, Ordering::Relaxed);
        }
    }

    async fn disable(&self, user: usize) {
        let Some(user_id) = self.users[user].get() else {
            return;
        };
        let operation = Operation::UserDisable;
        let sent = self
            .send(operation, &self.requests.disable_user(user_id), true)
            .await;
        if self.expect(operation, &sent, patch_accepted).is_some() {
            self.stats.succeeded(operation);
            self.users_disabled.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Groups first (so the target need not strip members from them one user at a time), then
    /// users, then whatever unconfirmed creates a lookup by name still finds.
    async fn clean_up(self: &Arc<Self>) {
        let mut created: Vec<(Kind, usize)> = Vec::new();
        for kind in [Kind::Group, Kind::User] {
            created.extend(
                self.ids(kind)
                    .iter()
                    .enumerate()
                    .filter(|(_, id)| id.get().is_some())
                    .map(|(index, _)| (kind, index)),
            );
        }
        let unconfirmed = std::mem::take(
            &mut *self
                .unconfirmed
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        let created = Arc::new(created);
        let unconfirmed = Arc::new(unconfirmed);
        let total = created.len() + unconfirmed.len();
        self.phase(Phase::Cleanup, total, false, move |e, i| {
            let created = Arc::clone(&created);
            let unconfirmed = Arc::clone(&unconfirmed);
            async move {
                match created.get(i) {
                    Some(&(kind, index)) => {
                        if let Some(id) = e.ids(kind)[index].get() {
                            e.delete(kind, &e.name(kind, index), id).await;
                        }
                    }
                    None => {
                        if let Some(&(kind, index)) = unconfirmed.get(i - created.len()) {
                            e.find_and_delete(kind, index).await;
                        }
                    }
                }
            }
        })
        .await;
    }

    async fn delete(&self, kind: Kind, name: &str, id: &str) {
        let operation = match kind {
            Kind::User => Operation::UserDelete,
            Kind::Group => Operation::GroupDelete,
        };
        let sent = self
            .send(operation, &self.requests.delete(kind, id), false)
            .await;
        // 404: already gone, which is what the cleanup wants.
        let reason = match &sent {
            Sent::Answered(response)
                if (200..300).contains(&response.status) || response.status == 404 =>
            {
                self.stats.succeeded(operation);
                let removed = match kind {
                    Kind::User => &self.users_removed,
                    Kind::Group => &self.groups_removed,
                };
                removed.fetch_add(1, Ordering::Relaxed);
                return;
            }
            Sent::Answered(response) => {
                self.stats
                    .failed(operation, format!("HTTP {}", response.status));
                format!("DELETE answered HTTP {}", response.status)
            }
            Sent::NoAnswer | Sent::Stopped => "DELETE got no answer".to_string(),
        };
        self.leave(kind, name.to_string(), Some(id.to_string()), reason);
    }

    /// A create without a confirmed id: find the object by exactly its name and delete it.
    async fn find_and_delete(&self, kind: Kind, index: usize) {
        let operation = Operation::CleanupLookup;
        let name = self.name(kind, index);
        let sent = self
            .send(operation, &self.requests.find(kind, &name), false)
            .await;
        let reason = match &sent {
            Sent::Answered(response) if response.status == 200 => {
                match serde_json::from_slice::<ListResponse>(&response.body) {
                    Ok(list) => {
                        self.stats.succeeded(operation);
                        // Only resources that carry exactly this run's name: a target that ignores
                        // the filter answers with everything it holds.
                        for resource in list.resources.iter().filter(|r| r.is_named(kind, &name)) {
                            if let Some(id) = resource.id.as_ref().and_then(Value::as_str) {
                                self.delete(kind, &name, id).await;
                            }
                        }
                        return;
                    }
                    Err(_) => "the lookup's answer is not a ListResponse".to_string(),
                }
            }
            Sent::Answered(response) => {
                self.stats
                    .failed(operation, format!("HTTP {}", response.status));
                format!("the lookup answered HTTP {}", response.status)
            }
            Sent::NoAnswer | Sent::Stopped => "the lookup got no answer".to_string(),
        };
        self.leave(
            kind,
            name,
            None,
            format!("the create got no id back and {reason}"),
        );
    }

    fn leave(&self, kind: Kind, name: String, id: Option<String>, reason: String) {
        self.left
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Leftover {
                kind: match kind {
                    Kind::User => "user",
                    Kind::Group => "group",
                },
                name,
                id,
                reason,
            });
    }

    fn report(&self, cycle_seconds: f64, cleanup_seconds: f64) -> LoadReport {
        let setup = &self.setup;
        let operations = self.stats.reports();
        let cycle_requests: u64 = operations
            .iter()
            .filter(|op| op.in_cycle)
            .map(|op| op.requests)
            .sum();
        let errors = operations
            .iter()
            .filter(|op| op.in_cycle)
            .flat_map(|op| {
                op.failures
                    .iter()
                    .map(move |(class, count)| (format!("{}: {class}", op.name), *count))
            })
            .collect();
        let count = |ids: &[OnceLock<String>]| ids.iter().filter(|id| id.get().is_some()).count();
        let mut left =
            std::mem::take(&mut *self.left.lock().unwrap_or_else(PoisonError::into_inner));
        left.sort_by(|a, b| (a.kind, &a.name).cmp(&(b.kind, &b.name)));
        LoadReport {
            schema_version: REPORT_SCHEMA_VERSION,
            base_url: setup.base_url.clone(),
            embedded: setup.embedded,
            run_prefix: setup.run_prefix.clone(),
            dialect: setup.dialect,
            pacing: setup.pacing,
            requested: self.size,
            done: Done {
                users_created: count(&self.users) as u64,
                groups_created: count(&self.groups) as u64,
                memberships_added: self.memberships_added.load(Ordering::Relaxed),
                users_disabled: self.users_disabled.load(Ordering::Relaxed),
            },
            stopped: *self.stopped.lock().unwrap_or_else(PoisonError::into_inner),
            cycle: CycleTotals {
                seconds: cycle_seconds,
                requests: cycle_requests,
                requests_per_second: if cycle_seconds > 0.0 {
                    cycle_requests as f64 / cycle_seconds
                } else {
                    0.0
                },
            },
            operations,
            errors,
            throttling: self.throttling().clone(),
            entra_estimate: EntraEstimate::for_objects(
                self.size.users as u64,
                self.size.groups as u64,
                self.size.memberships() as u64,
            ),
            cleanup: CleanupReport {
                seconds: cleanup_seconds,
                users_removed: self.users_removed.load(Ordering::Relaxed),
                groups_removed: self.groups_removed.load(Ordering::Relaxed),
                left,
            },
        }
    }
}

fn patch_accepted(status: u16) -> bool {
    status == 200 || status == 204
}

/// The part of a ListResponse the run reads.
#[derive(Deserialize)]
struct ListResponse {
    #[serde(rename = "totalResults")]
    total_results: u64,
    #[serde(rename = "Resources", default)]
    resources: Vec<Resource>,
}

#[derive(Deserialize)]
struct Resource {
    id: Option<Value>,
    #[serde(rename = "userName")]
    user_name: Option<Value>,
    #[serde(rename = "displayName")]
    display_name: Option<Value>,
}

impl Resource {
    fn is_named(&self, kind: Kind, name: &str) -> bool {
        let attribute = match kind {
            Kind::User => &self.user_name,
            Kind::Group => &self.display_name,
        };
        attribute
            .as_ref()
            .and_then(Value::as_str)
            .is_some_and(|value| value.eq_ignore_ascii_case(name))
    }
}

/// The `id` of a create's answer; Entra needs a string (RFC 7643 §3.1).
fn created_id(body: &[u8]) -> Option<String> {
    let resource: Resource = serde_json::from_slice(body).ok()?;
    match resource.id? {
        Value::String(id) if !id.is_empty() => Some(id),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_bounded_and_members_come_from_the_users() {
        assert!(CycleSize::new(20, 2, 5).is_ok());
        assert_eq!(CycleSize::new(0, 0, 0), Err(SizeError::Users(0)));
        assert_eq!(
            CycleSize::new(3, 1, 4),
            Err(SizeError::MoreMembersThanUsers {
                members: 4,
                users: 3
            })
        );
        assert_eq!(
            CycleSize::new(3, 0, 2),
            Err(SizeError::MembersWithoutGroups)
        );
        assert_eq!(CycleSize::new(10, 4, 3).map(|s| s.memberships()), Ok(12));
    }

    #[test]
    fn only_a_non_empty_string_id_counts() {
        assert_eq!(
            created_id(br#"{"id":"42","userName":"x"}"#).as_deref(),
            Some("42")
        );
        assert_eq!(created_id(br#"{"id":42}"#), None);
        assert_eq!(created_id(br#"{"id":""}"#), None);
        assert_eq!(created_id(b"<html>"), None);
    }

    #[test]
    fn cleanup_lookups_only_trust_the_exact_name() {
        let list: ListResponse = serde_json::from_str(
            r#"{"totalResults":2,"Resources":[{"id":"1","userName":"SCIMH-A-U1@x"},{"id":"2","userName":"someone@else"}]}"#,
        )
        .unwrap();
        let named: Vec<_> = list
            .resources
            .iter()
            .filter(|r| r.is_named(Kind::User, "scimh-a-u1@x"))
            .collect();
        assert_eq!(named.len(), 1);
    }
}
