//! Running scenarios: the only layer that talks to a SCIM endpoint. It renders each step's request,
//! sends it as Entra would, captures variables, judges the response, compares the snapshot, and
//! undoes everything the run created. It produces a [`result::RunResult`] and never prints:
//! progress goes to a [`Listener`].

mod features;
pub mod http;
mod interrupt;
mod ledger;
mod order;
mod request;
pub mod result;
pub mod retry;
pub mod scrub;
mod selection;

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use serde_json::Value;

use crate::checks::{self, Observed};
use crate::scenario::model::{
    Assertion, Capture, CaptureSource, Expectation, Method, Scenario, Step,
};
use crate::scenario::template::Vars;
use crate::secret::SecretString;
use crate::snapshot::redact::{Redactions, exchange_document, redact};
use crate::snapshot::{SnapshotKey, SnapshotMeta, SnapshotOutcome, SnapshotStore, diff_lines};
use features::FeatureProbe;
use http::{HttpClient, TransportError, WireResponse};
pub use interrupt::Interrupt;
use ledger::Ledger;
use order::InOrder;
use request::{BuiltRequest, build_request};
pub use request::{ENTRA_CONTENT_TYPE, form_encode};
use result::{
    Exchange, Outcome, ResponseRecord, RunResult, ScenarioResult, SnapshotResult, StepResult,
    StepStatus, TargetInfo,
};
pub use selection::{Selection, glob};

/// Where the requests go and with which credentials.
#[derive(Debug, Clone)]
pub struct Target {
    /// Entra's "Tenant URL": `/Users`, `/Groups`, … are appended to it.
    pub base_url: String,
    pub token: Option<SecretString>,
    pub info: TargetInfo,
}

pub struct RunConfig {
    pub target: Target,
    pub client: HttpClient,
    /// `None`: verdicts from the checks alone (`--no-snapshots`).
    pub snapshots: Option<SnapshotStore>,
    /// `--var name=value`.
    pub extra_vars: Vars,
    /// The unique prefix of everything this run creates; each scenario extends it with its
    /// position (see `initial_vars`).
    pub run_prefix: String,
    /// The run prefix was drawn for this run (not fixed with `--var run.prefix`).
    pub prefix_drawn: bool,
    /// A GUID for the run; the feature probes look for it, so they find nothing.
    pub run_id: String,
    /// Set by Ctrl-C/SIGTERM: no further request is sent except the cleanup.
    pub interrupt: Interrupt,
    /// Which checks are judged (`--only`, `--skip`).
    pub selection: Selection,
    /// The profile the run is for; steps limited to other profiles are left out.
    pub profile: String,
    /// `--step` / `--from-step`: replay part of a scenario.
    pub steps: StepSelection,
    /// `--read-only`: send only requests that change nothing (GET).
    pub read_only: bool,
    /// `--allow-existing`: writes may target resources named by a `--var`, which this run did
    /// not create.
    pub allow_existing: bool,
    /// `--jobs`: how many scenarios run at the same time; 1 runs them one after another.
    pub jobs: usize,
}

/// Which steps of each scenario run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum StepSelection {
    #[default]
    All,
    /// Only the step with this name (`--step`).
    Only(String),
    /// The step with this name and every step after it (`--from-step`).
    From(String),
}

/// Receives progress while a run goes on; reporters implement it. Events come one scenario at
/// a time, in the suite's order, also when scenarios run at the same time.
pub trait Listener {
    fn scenario_started(&mut self, _scenario: &Scenario) {}
    fn step_finished(&mut self, _scenario: &Scenario, _step: &StepResult) {}
    fn scenario_finished(&mut self, _result: &ScenarioResult) {}
}

/// Runs the scenarios against the target, up to `config.jobs` at the same time. Each scenario
/// has its own prefix and ledger, so scenarios running at the same time never touch each other's
/// resources; the listener and the result see them in the suite's order, as in a sequential run.
pub async fn run(
    scenarios: &[Scenario],
    config: &RunConfig,
    listener: &mut dyn Listener,
) -> RunResult {
    let started = Instant::now();
    let suite = Suite {
        started,
        scenarios,
        config,
        features: FeatureProbe::default(),
        next: Cell::new(0),
        report: RefCell::new(InOrder::new(listener, scenarios)),
        results: RefCell::new(scenarios.iter().map(|_| None).collect()),
    };
    let jobs = config.jobs.clamp(1, scenarios.len().max(1));
    // All scenarios are driven from this one task: the work between requests is small, and the
    // listener and results need no locks.
    join_all((0..jobs).map(|_| suite.work())).await;
    RunResult {
        target: config.target.info.clone(),
        run_prefix: config.run_prefix.clone(),
        // Scenarios start in order and none starts after an interrupt, so those that ran are
        // the first ones, with no gap.
        scenarios: suite.results.into_inner().into_iter().flatten().collect(),
        duration: started.elapsed(),
        interrupted: config.interrupt.is_set(),
    }
}

/// What the concurrently running scenarios share.
struct Suite<'a> {
    started: Instant,
    scenarios: &'a [Scenario],
    config: &'a RunConfig,
    features: FeatureProbe,
    /// The position of the next scenario to start.
    next: Cell<usize>,
    report: RefCell<InOrder<'a>>,
    /// By position; `None` for scenarios an interrupt kept from starting.
    results: RefCell<Vec<Option<ScenarioResult>>>,
}

impl Suite<'_> {
    /// One job: takes the next scenario that has not started until none is left.
    async fn work(&self) {
        let config = self.config;
        while let Some(scenario) = self.scenarios.get(self.next.get()) {
            if config.interrupt.is_set() {
                break;
            }
            let index = self.next.get();
            self.next.set(index + 1);
            self.report.borrow_mut().started(index);
            let started_after = self.started.elapsed();
            let mut result = match self.features.missing(&scenario.requires, config).await {
                Ok(()) => {
                    let vars = initial_vars(config, index, self.scenarios.len());
                    let on_step = |step: &StepResult| {
                        self.report.borrow_mut().step_finished(index, step);
                    };
                    run_scenario(scenario, config, vars, &on_step).await
                }
                Err(reason) => ScenarioResult::skipped(scenario, reason),
            };
            result.started_after = started_after;
            self.report.borrow_mut().finished(index, &result);
            self.results.borrow_mut()[index] = Some(result);
        }
    }
}

async fn run_scenario(
    scenario: &Scenario,
    config: &RunConfig,
    mut vars: Vars,
    on_step: &dyn Fn(&StepResult),
) -> ScenarioResult {
    let started = Instant::now();
    // The scenario's own variables, in order. The loader has checked that each uses only defined
    // names, so a render can only fail on a capture that is missing, and then the steps that
    // need the variable are skipped with the reason.
    // A `--var` of the same name wins: it is how a user points a replay at other values.
    for var in &scenario.vars {
        if config.extra_vars.contains_key(&var.name) {
            continue;
        }
        if let Ok(value) = var.value.render(&vars) {
            vars.insert(var.name.clone(), value);
        }
    }
    let captured_by: HashMap<&str, &str> = scenario
        .steps
        .iter()
        .flat_map(|s| {
            s.captures
                .iter()
                .map(move |c| (c.var.as_str(), s.name.as_str()))
        })
        .collect();

    let first_selected = match &config.steps {
        StepSelection::All => 0,
        StepSelection::Only(name) | StepSelection::From(name) => scenario
            .steps
            .iter()
            .position(|s| &s.name == name)
            .unwrap_or(scenario.steps.len()),
    };
    let held_back_write = scenario
        .steps
        .iter()
        .enumerate()
        .find(|(_, s)| s.request.method != Method::Get)
        .map(|(position, s)| HeldBackWrite {
            position,
            name: s.name.as_str(),
        });
    let mut ledger = Ledger::new(
        &config.run_prefix,
        &config.target.base_url,
        config.prefix_drawn,
    );
    let mut bookkeeping = Bookkeeping::default();
    let mut steps = Vec::with_capacity(scenario.steps.len());
    for (position, step) in scenario.steps.iter().enumerate() {
        if config.interrupt.is_set() {
            break;
        }
        if !step.profiles.is_empty() && !step.profiles.contains(&config.profile) {
            continue;
        }
        let selected = match &config.steps {
            StepSelection::All => true,
            StepSelection::Only(name) => &step.name == name,
            StepSelection::From(_) => position >= first_selected,
        };
        if !selected {
            continue;
        }
        let context = StepContext {
            scenario,
            index: position + 1,
            captured_by: &captured_by,
            first_run_step: first_selected,
            held_back_write,
        };
        let result = run_step(
            &context,
            step,
            config,
            &mut vars,
            &mut ledger,
            &mut bookkeeping,
        )
        .await;
        if matches!(
            result.status,
            StepStatus::Skipped { .. } | StepStatus::Error { .. }
        ) {
            bookkeeping.judged.unanswered(step);
        }
        on_step(&result);
        steps.push(result);
    }
    let cleanup = ledger
        .unwind(
            &config.client,
            config.target.token.as_ref(),
            &config.interrupt,
        )
        .await;
    ScenarioResult {
        name: scenario.name.clone(),
        title: scenario.title.clone(),
        source: scenario.source.to_string(),
        skipped: None,
        steps,
        cleanup,
        started_after: Duration::ZERO,
        duration: started.elapsed(),
    }
}

/// The built-in variables of the scenario at `index` of `count`, then `--var`. Its `run.prefix`
/// extends the run's prefix with the scenario's position, padded to one width so that no
/// scenario's prefix starts another's (`-1` would start `-10`): scenarios running at the same
/// time never see each other's resources, not even through a `sw` filter. Its `run.id` is its
/// own GUID for the same reason.
fn initial_vars(config: &RunConfig, index: usize, count: usize) -> Vars {
    let width = count.to_string().len();
    let mut vars = Vars::new();
    vars.insert(
        "run.prefix".to_string(),
        format!("{}-{:0width$}", config.run_prefix, index + 1),
    );
    vars.insert("run.id".to_string(), uuid::Uuid::new_v4().to_string());
    vars.extend(config.extra_vars.clone());
    vars
}

/// Why a write step is held back: it would change or delete a resource the run did not create,
/// one its path names literally (a recording of traffic to existing users) or by a value given
/// with `--var` (directly or through a scenario variable) that no capture of this run replaced.
fn foreign_write(step: &Step, config: &RunConfig, vars: &Vars) -> Option<String> {
    if matches!(step.request.method, Method::Get | Method::Post) || config.allow_existing {
        return None;
    }
    let path = step.request.path.render(vars).ok()?;
    let id = resource_id(&path)?;
    let method = step.request.method;
    if resource_id(step.request.path.source()) == Some(id) {
        return Some(format!(
            "not sent: this {method} would change {path}, which this run did not create (the id is written in the scenario); pass --allow-existing to send it"
        ));
    }
    let (name, _) = config.extra_vars.iter().find(|(name, given)| {
        !given.is_empty()
            && !matches!(name.as_str(), "run.prefix" | "run.id")
            && vars.get(*name) == Some(given)
            && id.contains(given.as_str())
    })?;
    Some(format!(
        "not sent: this {method} would change a resource this run did not create (`{name}` came from --var); pass --allow-existing to send it"
    ))
}

/// The id in a path that names one user or group (`/Users/{id}`, `/Groups/{id}`).
fn resource_id(path: &str) -> Option<&str> {
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let mut segments = path.trim_matches('/').rsplit('/');
    let id = segments.next().filter(|id| !id.is_empty())?;
    let kind = segments.next()?;
    (kind.eq_ignore_ascii_case("Users") || kind.eq_ignore_ascii_case("Groups")).then_some(id)
}

struct StepContext<'a> {
    scenario: &'a Scenario,
    index: usize,
    /// Which step captures each variable, to explain skips.
    captured_by: &'a HashMap<&'a str, &'a str>,
    /// Position of the first step this run sends (0 unless `--step`/`--from-step`).
    first_run_step: usize,
    /// With `--read-only`: the first step that would change the target. It and every step after
    /// it rely on state the run does not create, so none of them is sent; the reads before it
    /// (Test Connection, the token probes, the first match) are.
    held_back_write: Option<HeldBackWrite<'a>>,
}

#[derive(Clone, Copy)]
struct HeldBackWrite<'a> {
    /// 0-based position in the scenario's steps.
    position: usize,
    name: &'a str,
}

async fn run_step(
    context: &StepContext<'_>,
    step: &Step,
    config: &RunConfig,
    vars: &mut Vars,
    ledger: &mut Ledger,
    bookkeeping: &mut Bookkeeping,
) -> StepResult {
    let mut result = StepResult {
        index: context.index,
        name: step.name.clone(),
        title: step.title.clone(),
        location: step.location.clone(),
        status: StepStatus::Completed,
        exchange: None,
        checks: Vec::new(),
        snapshot: None,
    };
    let held_back = context
        .held_back_write
        .filter(|write| config.read_only && context.index > write.position);
    if let Some(HeldBackWrite { name: write, .. }) = held_back {
        result.status = StepStatus::NotRun {
            reason: if write == step.name {
                format!(
                    "not sent: --read-only sends no {} (it would change the target)",
                    step.request.method
                )
            } else {
                format!(
                    "not sent: --read-only sends nothing after the scenario's first write (`{write}`), as later steps may rely on what it would have done"
                )
            },
        };
        return result;
    }
    if let Some(write) = bookkeeping.held_back_foreign.as_deref() {
        result.status = StepStatus::NotRun {
            reason: format!(
                "not sent: it relies on step `{write}`, which was not sent (it would change a resource this run did not create)"
            ),
        };
        return result;
    }
    if let Some(reason) = foreign_write(step, config, vars) {
        bookkeeping.held_back_foreign = Some(step.name.clone());
        result.status = StepStatus::NotRun { reason };
        return result;
    }
    let built = match build_request(&step.request, &step.auth, &config.target, vars) {
        Ok(built) => built,
        Err(missing) => {
            result.status = StepStatus::Skipped {
                reason: skip_reason(&missing, context, &bookkeeping.missed),
            };
            return result;
        }
    };
    // The transport is probed before the request, so a refused certificate is still reported
    // as the finding it is when the request then fails.
    let needs_transport = step.expect.iter().any(|e| {
        e.assertions
            .iter()
            .any(|a| matches!(a, Assertion::Transport(_)))
    });
    let transport = match needs_transport {
        true => Some(config.client.probe_tls(&config.target.base_url).await),
        false => None,
    };
    let mut retried = Vec::new();
    let response = tokio::select! {
        response = retry::send_recording(&config.client, &built.wire, &mut retried) => response,
        () = config.interrupt.triggered() => {
            ledger.look_up_later(&built.wire, &built.path, None);
            result.exchange = Some(exchange_record(&built, None, retried, config.target.token.as_ref()));
            result.status = StepStatus::Error {
                message: "interrupted before the answer came".to_string(),
                unreachable: false,
            };
            return result;
        }
    };
    let token = config.target.token.as_ref();
    let (response, rate_limited) = match response {
        Ok(sent) => (scrub::response(sent.response, token), sent.rate_limited),
        Err(error) => {
            // Unless it never left, the request may have been carried out.
            if !matches!(
                error,
                TransportError::InvalidRequest(_)
                    | TransportError::Connect(_)
                    | TransportError::Tls(_)
            ) {
                ledger.look_up_later(&built.wire, &built.path, None);
            }
            result.exchange = Some(exchange_record(&built, None, retried, token));
            result.status = StepStatus::Error {
                message: format!(
                    "{} {}: {}",
                    built.wire.method,
                    built.display_url,
                    scrub::error(&error, token)
                ),
                unreachable: error.is_unreachable(),
            };
            if let Some(facts) = &transport {
                result.checks = transport_checks(step, &built, facts, vars);
                result
                    .checks
                    .iter()
                    .for_each(|check| bookkeeping.judged.record(check));
                let scenario_name = &context.scenario.name;
                result
                    .checks
                    .retain(|c| config.selection.keeps_check(scenario_name, &c.id));
            }
            return result;
        }
    };
    let body_text = String::from_utf8_lossy(&response.body).into_owned();
    let body: Option<Value> = checks::parse_body(&response.body);
    ledger.settle(&built.wire, response.status);

    let observed = Observed {
        method: built.wire.method,
        path: &built.path,
        query: &built.query,
        status: response.status,
        headers: &response.headers,
        body_text: &body_text,
        body: body.as_ref(),
        transport: transport.as_ref(),
    };
    for capture in &step.captures {
        match capture_value(capture, &response, body.as_ref()) {
            Some(value) => {
                vars.insert(capture.var.clone(), value);
            }
            None => {
                let from = match &capture.source {
                    CaptureSource::Body(pointer) => format!("no value at `{pointer}`"),
                    CaptureSource::Header(name) => format!("no `{name}` header"),
                };
                bookkeeping.missed.insert(
                    capture.var.clone(),
                    format!("{from} in its {} response", response.status),
                );
            }
        }
    }
    match step
        .cleanup
        .as_ref()
        .and_then(|cleanup| build_request(cleanup, &step.auth, &config.target, vars).ok())
    {
        Some(undo) => ledger.register(undo.wire, undo.display_url),
        // Created without an id to undo it by, or perhaps created behind a failing gateway.
        None if (200..300).contains(&response.status) || response.status >= 500 => {
            ledger.look_up_later(&built.wire, &built.path, Some(response.status));
        }
        None => {}
    }
    for expectation in &step.expect {
        let check = match bookkeeping.judged.unmet_need(expectation) {
            Some(detail) => not_judged(expectation, detail),
            None => checks::evaluate(expectation, &observed, vars),
        };
        bookkeeping.judged.record(&check);
        result.checks.push(check);
    }
    result.checks.extend(checks::built_in_checks(&observed));
    if !rate_limited.is_empty() {
        result.checks.push(checks::rate_limited(&rate_limited));
    }
    let scenario_name = &context.scenario.name;
    result
        .checks
        .retain(|c| config.selection.keeps_check(scenario_name, &c.id));

    if step.snapshot.enabled
        && let Some(store) = &config.snapshots
    {
        result.snapshot = Some(compare_snapshot(
            store,
            context,
            step,
            config,
            vars,
            &response,
            body.as_ref(),
            &body_text,
            &built,
        ));
    }
    result.exchange = Some(exchange_record(
        &built,
        Some((&response, body_text)),
        retried,
        token,
    ));
    result
}

/// What a scenario remembers from step to step, besides its variables and its ledger.
#[derive(Default)]
struct Bookkeeping {
    /// Captures that found nothing, and why: the steps that need them are skipped with the reason.
    missed: HashMap<String, String>,
    /// A write held back by `foreign_write`: the steps after it rely on it and are not sent.
    held_back_foreign: Option<String>,
    judged: Judged,
}

/// The outcome of every check judged so far in a scenario, for `needs`. Recorded before
/// `--only`/`--skip` filter the results, so a check held back by a needed one says so even when
/// the needed one is not reported. Checks of steps this run does not send (another profile's,
/// `--step`, `--read-only`) are not recorded and hold nothing back: there is no verdict to repeat.
#[derive(Default)]
struct Judged {
    outcomes: HashMap<String, Outcome>,
}

impl Judged {
    fn record(&mut self, check: &result::CheckResult) {
        self.outcomes.insert(check.id.clone(), check.outcome);
    }

    /// A step that was not sent, or got no answer: none of its checks was judged.
    fn unanswered(&mut self, step: &Step) {
        for expectation in &step.expect {
            self.outcomes
                .entry(expectation.id.clone())
                .or_insert(Outcome::Skip);
        }
    }

    /// Why the expectation is not judged: the first check it needs whose assertions did not
    /// hold. A warning holds it back too: a needed check warns when its assertions broke (a
    /// tolerated answer such as 400 noTarget), so the state it set up is missing all the same.
    fn unmet_need(&self, expectation: &Expectation) -> Option<String> {
        expectation.needs.iter().find_map(|id| {
            let why = match self.outcomes.get(id)? {
                Outcome::Pass => return None,
                Outcome::Fail => "failed",
                Outcome::Warn => "warned",
                Outcome::Skip => "was not judged",
            };
            Some(format!("not judged: it needs {id}, which {why}"))
        })
    }
}

/// The verdict of a check held back by `needs`: judging it would only repeat that failure.
fn not_judged(expectation: &Expectation, detail: String) -> result::CheckResult {
    result::CheckResult {
        id: expectation.id.clone(),
        title: expectation.title.clone(),
        requirement: expectation.requirement.clone(),
        severity: expectation.severity,
        outcome: Outcome::Skip,
        details: vec![detail],
        impact: expectation.impact.clone(),
        hint: expectation.hint.clone(),
        defined_at: expectation.location.to_string(),
    }
}

/// The step's checks that judge only the transport, for a request that got no answer.
fn transport_checks(
    step: &Step,
    built: &BuiltRequest,
    facts: &checks::TransportFacts,
    vars: &Vars,
) -> Vec<result::CheckResult> {
    let observed = Observed {
        method: built.wire.method,
        path: &built.path,
        query: &built.query,
        status: 0,
        headers: &[],
        body_text: "",
        body: None,
        transport: Some(facts),
    };
    step.expect
        .iter()
        .filter(|e| {
            e.assertions
                .iter()
                .all(|a| matches!(a, Assertion::Transport(_)))
        })
        .map(|e| checks::evaluate(e, &observed, vars))
        .collect()
}

fn skip_reason(
    missing: &str,
    context: &StepContext<'_>,
    missed: &HashMap<String, String>,
) -> String {
    let not_run = |step: &str| {
        context
            .scenario
            .steps
            .iter()
            .position(|s| s.name == step)
            .is_some_and(|p| p < context.first_run_step)
    };
    match context.captured_by.get(missing) {
        Some(step) if not_run(step) => format!(
            "needs `{missing}`, which step `{step}` captures but this replay does not run: pass --var {missing}=<value>"
        ),
        Some(step) => match missed.get(missing) {
            Some(why) => format!("needs `{missing}`, which step `{step}` did not capture: {why}"),
            None => format!("needs `{missing}`, which step `{step}` did not capture"),
        },
        None => format!("needs `{missing}`, which has no value"),
    }
}

fn capture_value(
    capture: &Capture,
    response: &WireResponse,
    body: Option<&Value>,
) -> Option<String> {
    match &capture.source {
        CaptureSource::Header(name) => response.header(name).map(str::to_string),
        CaptureSource::Body(pointer) => match checks::pointer(body?, pointer)? {
            Value::String(s) if !s.is_empty() => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        },
    }
}

#[allow(clippy::too_many_arguments)]
fn compare_snapshot(
    store: &SnapshotStore,
    context: &StepContext<'_>,
    step: &Step,
    config: &RunConfig,
    vars: &Vars,
    response: &WireResponse,
    body: Option<&Value>,
    body_text: &str,
    built: &BuiltRequest,
) -> SnapshotResult {
    let mut document = exchange_document(
        response.status,
        &response.headers,
        body,
        body.is_none().then_some(body_text),
    );
    let mut known: Vec<(String, String)> = vars
        .iter()
        .map(|(name, value)| (value.clone(), format!("[{name}]")))
        .collect();
    known.push((config.target.base_url.clone(), "[base_url]".to_string()));
    redact(
        &mut document,
        &Redactions {
            known,
            pointers: step.snapshot.redact.clone(),
        },
    );
    let key = SnapshotKey {
        scenario: context.scenario.name.clone(),
        index: context.index,
        step: step.name.clone(),
        target: config.target.info.name.clone(),
    };
    let file = store.path_of(&key).display().to_string();
    let meta = SnapshotMeta {
        source: context.scenario.source.to_string(),
        description: step.title.clone(),
        info: serde_json::json!({
            "request": format!("{} {}", built.wire.method, built.path_and_query),
            "step": step.location.to_string(),
        }),
    };
    match store.check(&key, &document, &meta) {
        Ok(SnapshotOutcome::Matched) => SnapshotResult::Matched { file },
        Ok(SnapshotOutcome::Changed {
            baseline,
            actual,
            pending,
        }) => SnapshotResult::Changed {
            file,
            diff: diff_lines(&baseline, &actual),
            pending: pending.map(|p| p.display().to_string()),
        },
        Ok(SnapshotOutcome::New { pending, .. }) => SnapshotResult::New {
            file,
            required: pending.is_none(),
            pending: pending.map(|p| p.display().to_string()),
        },
        Ok(SnapshotOutcome::Written { path }) => SnapshotResult::Written {
            file: path.display().to_string(),
        },
        Err(error) => SnapshotResult::Error {
            message: error.to_string(),
        },
    }
}

/// The exchange for the report; `retried`: the answers it was sent again after (429s).
fn exchange_record(
    built: &BuiltRequest,
    response: Option<(&WireResponse, String)>,
    retried: Vec<retry::Retried>,
    token: Option<&SecretString>,
) -> Exchange {
    Exchange {
        method: built.wire.method.to_string(),
        url: built.display_url.clone(),
        request_headers: built.display_headers.clone(),
        request_body: built
            .wire
            .body
            .as_ref()
            .map(|b| String::from_utf8_lossy(b).into_owned()),
        response: response.map(|(r, body)| ResponseRecord {
            status: r.status,
            headers: r.headers.clone(),
            body,
            elapsed: r.elapsed,
        }),
        earlier_attempts: retried
            .into_iter()
            .map(|attempt| attempt.into_attempt(token))
            .collect(),
    }
}
