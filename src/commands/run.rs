//! `scim-harness run`: load, start the embedded server when no URL is given, replay, report.

use std::io::{self, Write};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context;

use super::connection::{Endpoint, endpoint, http_client, read_token, redact_panics, target_url};
use super::{UsageError, did_you_mean, emit, runtime};
use crate::checks::BUILT_IN_IDS;
use crate::cli::{DEFAULT_JOBS, OutputFormat, RunArgs};
use crate::exit;
use crate::gate::{Expectations, Verdict};
use crate::mapping::scenario::SCENARIO_NAME;
use crate::mapping::{self, Dialect, Mapping};
use crate::report::terminal::TerminalReporter;
use crate::report::{github, har, html, json, junit};
use crate::run::result::{RunResult, TargetInfo};
use crate::run::{Interrupt, RunConfig, Selection, StepSelection, Target};
use crate::scenario::builtin::builtin_scenarios;
use crate::scenario::load::LoadOptions;
use crate::scenario::model::Scenario;
use crate::scenario::{self, template::Vars};
use crate::snapshot::SnapshotStore;

/// The baseline set of the embedded reference server.
pub const REFERENCE_TARGET: &str = "reference";

/// Insite LMS's SCIM endpoint (the Tenant URL of the Insite LMS gallery app).
const INSITE_LMS_URL: &str = "https://api.insitelms.net/scim";

pub fn run(mut args: RunArgs) -> anyhow::Result<u8> {
    let token = read_token(&args.credentials)?;
    redact_panics(token.as_ref());
    if args.url.is_none() && args.profile == "insite-lms" {
        if token.is_none() {
            return Err(UsageError(format!(
                "the insite-lms profile tests {INSITE_LMS_URL} unless --url says otherwise: give your Insite LMS API key with --token, --token-file or SCIM_TOKEN (it is generated under Applications → Self hosted Jobs → SCIM in the Insite LMS console). On a production tenant, start with --read-only."
            ))
            .into());
        }
        args.url = Some(INSITE_LMS_URL.to_string());
    }
    check_outputs(&args)?;
    let prefix_override = prefix_override(&args)?;
    let selection = Selection {
        only: args.only.clone(),
        skip: args.skip.clone(),
    };
    let scenarios = select_scenarios(load_scenarios(&args)?, &selection)?;
    let steps = step_selection(&args, &scenarios)?;
    let expectations = args
        .expect
        .as_deref()
        .map(Expectations::load)
        .transpose()
        .map_err(|e| UsageError(e.to_string()))?;
    if let (Some(expected), Some(file)) = (&expectations, &args.expect) {
        for key in expected.stale(&scenarios, &BUILT_IN_IDS) {
            eprintln!(
                "warning: {}: the known finding `{key}` names no step or check of that scenario (renamed or removed?); it can never occur",
                file.display()
            );
        }
    }
    let target_name = match (&args.target_name, &args.url) {
        (Some(name), _) => validate_target_name(name)?,
        (None, Some(url)) => target_name_from_url(url)?,
        (None, None) => REFERENCE_TARGET.to_string(),
    };
    let snapshots = (!args.no_snapshots)
        .then(|| SnapshotStore::new(args.snapshots.clone(), args.update.effective()));
    // The embedded server is on loopback: a proxy from the environment is never for it.
    let client = http_client(args.timeout, &args.tls, args.url.is_some())?;

    let runtime = runtime()?;
    runtime.block_on(async {
        let Endpoint {
            embedded,
            base_url,
            token,
        } = endpoint(args.url.as_deref(), token).await?;
        let run_id = uuid::Uuid::new_v4();
        let prefix_drawn = prefix_override.is_none();
        let run_prefix = prefix_override
            .unwrap_or_else(|| format!("{RUN_PREFIX_START}{}", &run_id.simple().to_string()[..8]));
        let interrupt = Interrupt::default();
        watch_signals(
            interrupt.clone(),
            run_prefix.clone(),
            SecondSignal::AbortCleanup,
        );
        let run_timeout = Duration::from_secs(args.run_timeout);
        let timed_out = Arc::new(AtomicBool::new(false));
        let watchdog = tokio::spawn(stop_after(
            run_timeout,
            interrupt.clone(),
            timed_out.clone(),
        ));
        let config = RunConfig {
            target: Target {
                base_url: base_url.clone(),
                token,
                info: TargetInfo {
                    base_url: base_url.clone(),
                    name: target_name.clone(),
                    embedded: embedded.is_some(),
                },
            },
            client,
            snapshots,
            extra_vars: args.vars.iter().cloned().collect::<Vars>(),
            run_prefix,
            prefix_drawn,
            run_id: run_id.to_string(),
            interrupt,
            selection,
            profile: args.profile.clone(),
            steps,
            read_only: args.read_only,
            allow_existing: args.allow_existing,
            jobs: jobs(&args, scenarios.len()),
        };
        let label = if embedded.is_some() {
            "embedded reference server"
        } else {
            "target"
        };
        // Not locked for the whole run: the signal and timeout handlers write to stderr from
        // other threads while the run goes on.
        let human: Box<dyn Write> = match args.format {
            OutputFormat::Human => Box::new(io::stdout()),
            OutputFormat::Json => Box::new(io::stderr()),
        };
        let mut reporter = TerminalReporter::new(human, args.verbose, &base_url);
        reporter.header(
            &config.run_prefix,
            label,
            config.snapshots.as_ref().map(|_| target_name.as_str()),
        );
        let result = crate::run::run(&scenarios, &config, &mut reporter).await;
        watchdog.abort();
        let run_timeout = timed_out.load(Ordering::SeqCst).then_some(run_timeout);
        let verdict = Verdict::of(&result, args.fail_on, expectations.as_ref(), run_timeout);
        reporter.summary(&result, &verdict, args.expect.as_deref());
        if let Some(server) = embedded {
            server.shutdown().await;
        }
        let write_error = reporter.into_error();
        write_reports(&args, &result, &verdict)?;
        if let Some(error) = write_error
            && error.kind() != io::ErrorKind::BrokenPipe
        {
            return Err(anyhow::Error::new(error).context("could not write the report"));
        }
        Ok(verdict.code)
    })
}

/// What every run prefix starts with, and what `cleanup` looks for by default.
const RUN_PREFIX_START: &str = "scimh-";

/// `--var run.prefix=…`: the prefix must still start like every run's, or `cleanup` could not
/// find what the run creates.
fn prefix_override(args: &RunArgs) -> Result<Option<String>, UsageError> {
    let Some((_, prefix)) = args
        .vars
        .iter()
        .rev()
        .find(|(name, _)| name == "run.prefix")
    else {
        return Ok(None);
    };
    // At least four characters of its own, so that cleaning up by it cannot sweep other runs'.
    let own = prefix.strip_prefix(RUN_PREFIX_START).unwrap_or_default();
    if own.chars().count() >= 4 {
        Ok(Some(prefix.clone()))
    } else {
        Err(UsageError(format!(
            "--var run.prefix={prefix}: a run prefix must start with `{RUN_PREFIX_START}` followed by at least four characters of its own, so that `scim-harness cleanup` finds what the run creates and nothing of other runs"
        )))
    }
}

/// The report files and the snapshot folder are checked before anything is sent, so a typo in a
/// path cannot cost a whole run (or look like a finding).
fn check_outputs(args: &RunArgs) -> Result<(), UsageError> {
    let files: Vec<(&str, &Path)> = [
        ("--json", &args.json),
        ("--junit", &args.junit),
        ("--trace", &args.trace),
        ("--html", &args.html),
    ]
    .into_iter()
    .filter_map(|(flag, path)| Some((flag, path.as_deref()?)))
    .collect();
    for (index, &(flag, path)) in files.iter().enumerate() {
        if path.is_dir() {
            return Err(UsageError(format!(
                "{flag} {}: is a folder; give a file name",
                path.display()
            )));
        }
        let folder = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        if !folder.is_dir() {
            let why = if folder.exists() {
                "is not a folder"
            } else {
                "does not exist"
            };
            return Err(UsageError(format!(
                "{flag} {}: {} {why}",
                path.display(),
                folder.display()
            )));
        }
        if let Err(error) = probe_writable(folder) {
            return Err(UsageError(format!(
                "{flag} {}: cannot write in {}: {error}",
                path.display(),
                folder.display()
            )));
        }
        if let Some((other, _)) = files[..index].iter().find(|(_, p)| same_file(p, path)) {
            return Err(UsageError(format!(
                "{other} and {flag} both write {}; give each report its own file",
                path.display()
            )));
        }
    }
    if !args.no_snapshots && args.snapshots.exists() && !args.snapshots.is_dir() {
        return Err(UsageError(format!(
            "--snapshots {}: is a file, not a folder",
            args.snapshots.display()
        )));
    }
    Ok(())
}

/// Creates and removes an empty file in `folder`: the only sure test that reports can be
/// written there (permissions, read-only mounts, immutable folders).
fn probe_writable(folder: &Path) -> io::Result<()> {
    let probe = folder.join(format!(".scim-harness-write-test-{}", std::process::id()));
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)?;
    std::fs::remove_file(&probe)
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (std::path::absolute(a), std::path::absolute(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// The machine-readable reports, written after the run from the same result. Each is written
/// even when another could not be; the failures are then reported together (exit 2: a path the
/// user gave).
fn write_reports(args: &RunArgs, result: &RunResult, verdict: &Verdict) -> anyhow::Result<()> {
    let mut failures: Vec<String> = Vec::new();
    let mut write = |what: &str, path: &Path, contents: &[u8]| {
        if let Err(error) = std::fs::write(path, contents) {
            failures.push(format!(
                "could not write the {what} to {}: {error}",
                path.display()
            ));
        }
    };
    if let Some(path) = &args.junit {
        let xml = junit::render(result).context("could not render the JUnit report")?;
        write("JUnit report", path, xml.as_bytes());
    }
    if let Some(path) = &args.trace {
        let trace = har::render(result, std::time::SystemTime::now())
            .context("could not render the HAR trace")?;
        write("HAR trace", path, trace.as_bytes());
    }
    if let Some(path) = &args.html {
        write(
            "HTML report",
            path,
            html::render(result, verdict).as_bytes(),
        );
    }
    let needs_json = args.json.is_some() || args.format == OutputFormat::Json;
    if needs_json {
        let text = json::render(
            result,
            verdict.code,
            &verdict.findings,
            verdict.comparison.as_ref(),
        )
        .context("could not render the JSON report")?;
        if let Some(path) = &args.json {
            write("JSON report", path, text.as_bytes());
        }
        if args.format == OutputFormat::Json {
            emit(&format!("{text}\n"))?;
        }
    }
    if std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true") {
        github_actions(args, result, verdict)?;
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(UsageError(failures.join("\n")).into())
    }
}

/// Annotations on the scenario lines of each finding, and the job summary.
fn github_actions(args: &RunArgs, result: &RunResult, verdict: &Verdict) -> anyhow::Result<()> {
    let annotations = github::annotations(result);
    match args.format {
        OutputFormat::Human => emit(&annotations)?,
        // stdout carries the JSON report; the runner reads workflow commands from stderr too.
        OutputFormat::Json => eprint!("{annotations}"),
    }
    if let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY") {
        let outcome = match verdict.code {
            exit::SUCCESS => "passed",
            exit::COULD_NOT_RUN => "could not run",
            exit::INTERRUPTED => "interrupted",
            _ => "findings",
        };
        let markdown = github::summary(result, &format!("{outcome} (exit {})", verdict.code));
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .with_context(|| {
                format!(
                    "could not open $GITHUB_STEP_SUMMARY ({})",
                    path.to_string_lossy()
                )
            })?;
        file.write_all(markdown.as_bytes())
            .context("could not write the GitHub step summary")?;
    }
    Ok(())
}

/// `--run-timeout`: once the whole run has taken that long, stop it like a first Ctrl-C, so what
/// it created is still removed.
async fn stop_after(limit: Duration, interrupt: Interrupt, timed_out: Arc<AtomicBool>) {
    tokio::time::sleep(limit).await;
    timed_out.store(true, Ordering::SeqCst);
    eprintln!(
        "\nthe run exceeded --run-timeout {} s: stopping and removing what it created",
        limit.as_secs()
    );
    interrupt.trigger();
}

/// What a second Ctrl-C or SIGTERM does.
#[derive(Clone, Copy)]
pub(super) enum SecondSignal {
    /// Stop the cleanup and let the command finish with what it knows (its reports included);
    /// a third signal exits at once.
    AbortCleanup,
    /// Exit at once.
    Exit,
}

/// First Ctrl-C or SIGTERM: stop and clean up. Second: see [`SecondSignal`]; either way the
/// prefix to clean up by is printed.
pub(super) fn watch_signals(interrupt: Interrupt, run_prefix: String, second: SecondSignal) {
    tokio::spawn(async move {
        loop {
            if wait_for_signal().await.is_err() {
                return;
            }
            if interrupt.is_aborted() {
                std::process::exit(i32::from(exit::INTERRUPTED));
            }
            if interrupt.is_set() {
                eprintln!(
                    "\ninterrupted again: aborting the cleanup. Resources this run created carry the prefix `{run_prefix}` in their userName, externalId or displayName."
                );
                match second {
                    SecondSignal::AbortCleanup => interrupt.abort(),
                    SecondSignal::Exit => std::process::exit(i32::from(exit::INTERRUPTED)),
                }
                continue;
            }
            eprintln!(
                "\ninterrupted: removing what this run created (press Ctrl-C again to abort)"
            );
            interrupt.trigger();
        }
    });
}

pub(super) async fn wait_for_signal() -> io::Result<()> {
    #[cfg(unix)]
    {
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            result = tokio::signal::ctrl_c() => result,
            _ = terminate.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await
    }
}

/// `--jobs`, or by default every scenario at once (at most [`DEFAULT_JOBS`]). A `--var` that
/// fixes `run.prefix` or `run.id` gives every scenario the same value, so by default they then
/// run one after another, as they could otherwise find each other's resources.
fn jobs(args: &RunArgs, scenarios: usize) -> usize {
    let shared_values = args
        .vars
        .iter()
        .any(|(name, _)| name == "run.prefix" || name == "run.id");
    match args.jobs {
        Some(jobs) => usize::from(jobs),
        None if shared_values => 1,
        None => scenarios.min(DEFAULT_JOBS),
    }
}

/// `--step` / `--from-step`: one scenario, and a step it has.
fn step_selection(args: &RunArgs, scenarios: &[Scenario]) -> anyhow::Result<StepSelection> {
    let (name, selection) = match (&args.step, &args.from_step) {
        (Some(name), _) => (name, StepSelection::Only(name.clone())),
        (None, Some(name)) => (name, StepSelection::From(name.clone())),
        (None, None) => return Ok(StepSelection::All),
    };
    let [scenario] = scenarios else {
        return Err(UsageError(format!(
            "--step/--from-step replay one scenario; name it, e.g. `scim-harness run entra-core --step {name}`"
        ))
        .into());
    };
    if scenario.steps.iter().any(|s| &s.name == name) {
        return Ok(selection);
    }
    let names: Vec<&str> = scenario.steps.iter().map(|s| s.name.as_str()).collect();
    let suggestion = did_you_mean(name, names.iter().copied());
    Err(UsageError(format!(
        "scenario `{}` has no step `{name}`{suggestion}; its steps: {}",
        scenario.name,
        names.join(", ")
    ))
    .into())
}

/// `--only` / `--skip` over whole scenarios; an empty selection is a usage error, not a green run.
fn select_scenarios(
    scenarios: Vec<Scenario>,
    selection: &Selection,
) -> anyhow::Result<Vec<Scenario>> {
    let kept: Vec<Scenario> = scenarios
        .into_iter()
        .filter(|scenario| {
            let ids: Vec<&str> = scenario
                .steps
                .iter()
                .flat_map(|s| s.expect.iter().map(|e| e.id.as_str()))
                .chain(BUILT_IN_IDS)
                .collect();
            selection.keeps_scenario(&scenario.name, &ids)
        })
        .collect();
    if kept.is_empty() {
        return Err(UsageError(
            "--only/--skip leave no scenario to run; `scim-harness list` shows the names and check ids".to_string(),
        )
        .into());
    }
    Ok(kept)
}

fn load_scenarios(args: &RunArgs) -> anyhow::Result<Vec<Scenario>> {
    if args.scenarios.is_empty() || args.mapping.is_some() {
        check_profile(&args.profile)?;
    }
    let options = LoadOptions {
        extra_vars: args.vars.iter().map(|(name, _)| name.clone()).collect(),
    };
    let Some(path) = &args.mapping else {
        let scenarios = scenario::resolve(&args.scenarios, &args.profile, &options)?;
        if scenarios.is_empty() {
            return Err(UsageError(format!("profile `{}` has no scenarios", args.profile)).into());
        }
        return Ok(scenarios);
    };
    let mapping = Mapping::load_file(path)?;
    let generated = mapping::scenario::generate(&mapping, &dialects(&args.profile), &options)?;
    for line in &generated.not_exercised {
        eprintln!("note: {line}");
    }
    let mut scenarios = vec![generated.scenario];
    if !args.scenarios.is_empty() {
        let named = scenario::resolve(&args.scenarios, &args.profile, &options)?;
        if let Some(clash) = named.iter().find(|s| s.name == SCENARIO_NAME) {
            return Err(UsageError(format!(
                "{} is named `{SCENARIO_NAME}`, the name of the scenario --mapping generates; give it another `name:`",
                clash.source
            ))
            .into());
        }
        scenarios.extend(named);
    }
    Ok(scenarios)
}

/// The PATCH dialects Entra uses under a profile, for the scenario --mapping generates.
fn dialects(profile: &str) -> Vec<Dialect> {
    match profile {
        "entra-legacy" | "insite-lms" => vec![Dialect::Legacy],
        "entra-compliant" => vec![Dialect::Compliant],
        _ => vec![Dialect::Legacy, Dialect::Compliant],
    }
}

/// A profile is known when a built-in scenario belongs to it.
pub fn known_profiles() -> Vec<String> {
    let mut profiles: Vec<String> = Vec::new();
    for builtin in builtin_scenarios() {
        if let Ok(scenario) =
            scenario::load::load_str(builtin.path, builtin.text, &LoadOptions::default())
        {
            for profile in scenario.profiles {
                if !profiles.contains(&profile) {
                    profiles.push(profile);
                }
            }
        }
    }
    profiles.sort();
    profiles
}

fn check_profile(profile: &str) -> anyhow::Result<()> {
    let known = known_profiles();
    if known.iter().any(|p| p == profile) {
        return Ok(());
    }
    let suggestion = did_you_mean(profile, known.iter().map(String::as_str));
    Err(UsageError(format!(
        "unknown profile `{profile}`{suggestion}; known profiles: {}",
        known.join(", ")
    ))
    .into())
}

fn target_name_from_url(url: &str) -> anyhow::Result<String> {
    let parsed = target_url(url)?;
    let host = parsed.host_str().unwrap_or_default();
    Ok(host
        .trim_matches(|c| c == '[' || c == ']')
        .to_ascii_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect())
}

fn validate_target_name(name: &str) -> anyhow::Result<String> {
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_');
    if valid {
        Ok(name.to_string())
    } else {
        Err(UsageError(format!(
            "--target-name `{name}` may only contain letters, digits, `.`, `-` and `_` (it becomes part of snapshot file names)"
        ))
        .into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_name_is_the_host_without_port() {
        assert_eq!(
            target_name_from_url("https://api.insitelms.net/scim").unwrap(),
            "api.insitelms.net"
        );
        assert_eq!(
            target_name_from_url("http://127.0.0.1:8080/scim/v2?aadOptscim062020").unwrap(),
            "127.0.0.1"
        );
        assert!(target_name_from_url("ftp://x").is_err());
        assert!(target_name_from_url("not a url").is_err());
    }

    #[test]
    fn jobs_default_to_every_scenario_but_one_at_a_time_when_run_values_are_fixed() {
        use clap::Parser;
        let run_args = |extra: &[&str]| {
            let argv = [&["scim-harness", "run"][..], extra].concat();
            let crate::cli::Command::Run(args) = crate::cli::Cli::parse_from(argv).command else {
                panic!("not a run command");
            };
            args
        };
        assert_eq!(jobs(&run_args(&[]), 7), 7);
        assert_eq!(jobs(&run_args(&[]), 20), DEFAULT_JOBS);
        assert_eq!(jobs(&run_args(&["-j", "3"]), 7), 3);
        assert_eq!(jobs(&run_args(&["--var", "run.prefix=mine"]), 7), 1);
        assert_eq!(jobs(&run_args(&["--var", "run.id=x", "--jobs", "2"]), 7), 2);
    }

    #[test]
    fn target_names_must_be_file_name_safe() {
        assert!(validate_target_name("staging-1").is_ok());
        assert!(validate_target_name("../etc").is_err());
        assert!(validate_target_name("").is_err());
    }
}
