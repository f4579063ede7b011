//! `scim-harness load`: start the embedded server when no URL is given, run Entra's initial cycle
//! at scale with progress on stderr, print the report, write `--json`, pick the exit code.

use std::io::{self, IsTerminal, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};

use super::UsageError;
use super::connection::{Endpoint, endpoint, http_client, read_token, redact_panics, target_url};
use super::run::{SecondSignal, watch_signals};
use crate::cli::LoadArgs;
use crate::exit;
use crate::load::{self, CycleSize, LoadConfig, LoadReport, Pacing, Phase, Progress, StopReason};
use crate::run::Interrupt;

/// Requests in flight when neither `--concurrency` nor `--rate` is given. Entra's own
/// concurrency is undocumented; 8 keeps a small endpoint busy without swamping it.
const DEFAULT_CONCURRENCY: usize = 8;

pub fn load(args: LoadArgs) -> anyhow::Result<u8> {
    let size = CycleSize::new(args.users, args.groups, args.members)
        .map_err(|e| UsageError(e.to_string()))?;
    let token = read_token(&args.credentials)?;
    redact_panics(token.as_ref());
    if let Some(url) = &args.url {
        target_url(url)?;
    }
    let pacing = match (args.rate, args.concurrency) {
        (Some(rate), _) => Pacing::Rate(rate),
        (None, concurrency) => Pacing::Concurrency(concurrency.unwrap_or(DEFAULT_CONCURRENCY)),
    };
    let client = http_client(args.timeout, &args.tls, args.url.is_some())?;

    single_thread_runtime()?.block_on(async {
        let Endpoint {
            embedded,
            base_url,
            token,
        } = endpoint(args.url.as_deref(), token).await?;
        let run_prefix = format!("scimh-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
        let interrupt = Interrupt::default();
        watch_signals(interrupt.clone(), run_prefix.clone(), SecondSignal::Exit);

        let mut out = io::stdout().lock();
        let size_text = load::summary::size_text(size.users, size.groups, size.members);
        writeln!(
            out,
            "{}\nrun prefix: {run_prefix}",
            load::summary::header(&base_url, embedded.is_some(), pacing, &size_text)
        )
        .context("could not write the report")?;
        out.flush().context("could not write the report")?;

        let progress: Arc<dyn Progress> = if io::stderr().is_terminal() {
            Arc::new(BarProgress::default())
        } else {
            Arc::new(LineProgress::default())
        };
        let config = LoadConfig {
            base_url,
            embedded: embedded.is_some(),
            token,
            client,
            size,
            pacing,
            dialect: args.dialect,
            time_limit: Duration::from_secs(args.time_limit),
            run_prefix,
            interrupt,
        };
        let report = load::run(config, progress).await?;
        if let Some(server) = embedded {
            server.shutdown().await;
        }

        if let Some(path) = &args.json {
            let text = serde_json::to_string_pretty(&report)
                .context("could not render the JSON report")?;
            std::fs::write(path, text).with_context(|| {
                format!("could not write the JSON report to {}", path.display())
            })?;
        }
        let written = writeln!(out, "\n{}", load::summary::render(&report));
        if let Err(error) = written
            && error.kind() != io::ErrorKind::BrokenPipe
        {
            return Err(anyhow::Error::new(error).context("could not write the report"));
        }
        Ok(exit_code(&report))
    })
}

/// The load generator runs on one thread: without cross-thread wake-ups it spends markedly less
/// CPU per request than on a work-stealing pool (bench/load.sh), which leaves the other cores to
/// the server under test, and one core still drives over 10,000 requests/s, hundreds of times
/// the 25 requests/s Entra's gallery asks an endpoint to sustain.
fn single_thread_runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("could not start the async runtime")
}

fn exit_code(report: &LoadReport) -> u8 {
    if report.stopped == Some(StopReason::Interrupted) {
        exit::INTERRUPTED
    } else if !report.got_responses() {
        exit::COULD_NOT_RUN
    } else if !report.is_clean() {
        exit::FINDINGS
    } else {
        exit::SUCCESS
    }
}

/// A bar per phase on a terminal.
#[derive(Default)]
struct BarProgress {
    bar: Mutex<Option<ProgressBar>>,
}

impl Progress for BarProgress {
    fn phase_started(&self, phase: Phase, total: u64) {
        let bar = ProgressBar::new(total);
        let style = ProgressStyle::with_template(
            "{prefix:>24} [{bar:30}] {pos}/{len} {elapsed_precise} (eta {eta})",
        )
        .map(|style| style.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.set_prefix(phase.label());
        *self.bar.lock().unwrap_or_else(PoisonError::into_inner) = Some(bar);
    }

    fn advanced(&self, _phase: Phase) {
        if let Some(bar) = &*self.bar.lock().unwrap_or_else(PoisonError::into_inner) {
            bar.inc(1);
        }
    }

    fn phase_finished(&self, _phase: Phase) {
        if let Some(bar) = self
            .bar
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        {
            bar.finish();
        }
    }
}

/// Plain lines on stderr when it is not a terminal (CI logs): one per tenth of a phase.
#[derive(Default)]
struct LineProgress {
    total: AtomicU64,
    done: AtomicU64,
    started: Mutex<Option<Instant>>,
}

impl Progress for LineProgress {
    fn phase_started(&self, phase: Phase, total: u64) {
        self.total.store(total, Ordering::SeqCst);
        self.done.store(0, Ordering::SeqCst);
        *self.started.lock().unwrap_or_else(PoisonError::into_inner) = Some(Instant::now());
        eprintln!("{}: {total} to do", phase.label());
    }

    fn advanced(&self, phase: Phase) {
        let total = self.total.load(Ordering::SeqCst);
        let done = self.done.fetch_add(1, Ordering::SeqCst) + 1;
        if total >= 10 && done < total && done * 10 / total != (done - 1) * 10 / total {
            eprintln!("{}: {done}/{total}", phase.label());
        }
    }

    fn phase_finished(&self, phase: Phase) {
        let elapsed = self
            .started
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .map_or(0.0, |started| started.elapsed().as_secs_f64());
        eprintln!(
            "{}: {}/{} in {elapsed:.2} s",
            phase.label(),
            self.done.load(Ordering::SeqCst),
            self.total.load(Ordering::SeqCst)
        );
    }
}
