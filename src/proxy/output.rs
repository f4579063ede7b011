//! The recorder: collects the exchanges in the order they were recorded and rewrites the scenario
//! and the HAR archive after each one (under load, every quarter second with all that arrived),
//! each file replaced atomically, so whatever stops the proxy, the files on disk are complete and
//! loadable.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::{mpsc, oneshot};

use super::recording::RecordedExchange;
use super::scenario::{self, ScenarioOptions};
use super::{ProxyError, ProxyObserver, RecordingSummary};
use crate::report::har::{self, TimedExchange};
use crate::run::result::{Exchange, ResponseRecord};

#[derive(Debug, Clone)]
pub struct Outputs {
    pub record: PathBuf,
    pub har: Option<PathBuf>,
    pub scenario: ScenarioOptions,
}

impl Outputs {
    /// Fails at start rather than after an hour of traffic: each file's folder must take a file.
    pub fn check_writable(&self) -> Result<(), ProxyError> {
        for path in std::iter::once(&self.record).chain(self.har.as_ref()) {
            let probe = partial_path(path);
            std::fs::write(&probe, b"")
                .and_then(|()| std::fs::remove_file(&probe))
                .map_err(|source| ProxyError::Write {
                    path: path.clone(),
                    source,
                })?;
        }
        Ok(())
    }
}

/// Writes the files and tells the observer when writing starts failing.
struct Writer {
    outputs: Outputs,
    observer: Arc<dyn ProxyObserver>,
    /// Whether the last write failed: a streak of failures is told once.
    failing: bool,
}

impl Writer {
    /// Writes both files for the exchanges so far; the scenario once it has a step.
    fn write(&mut self, exchanges: &[RecordedExchange], summary: &mut RecordingSummary) {
        let outputs = &self.outputs;
        summary.exchanges = exchanges.len();
        let parts = scenario::render(exchanges, &outputs.scenario);
        summary.steps = parts.iter().map(|p| p.steps).sum();
        summary.scenario_files = parts
            .iter()
            .map(|p| scenario::part_path(&outputs.record, p.part))
            .collect();
        let mut failures = Vec::new();
        for part in parts {
            let path = scenario::part_path(&outputs.record, part.part);
            failures.extend(replace(&path, part.yaml.as_bytes()).err());
        }
        if let Some(path) = &outputs.har {
            let timed: Vec<TimedExchange> = exchanges.iter().map(timed).collect();
            let title = format!(
                "Traffic through scim-harness proxy to {}",
                outputs.scenario.upstream
            );
            let written = har::render_recording(&timed, &title, SystemTime::now())
                .map_err(|e| format!("cannot encode {}: {e}", path.display()))
                .and_then(|text| replace(path, text.as_bytes()));
            failures.extend(written.err());
        }
        if !failures.is_empty() {
            let message = failures.join("; ");
            if !self.failing {
                self.observer.write_failed(&message);
            }
            summary.write_error.get_or_insert(message);
        }
        self.failing = !failures.is_empty();
    }
}

/// Under load the files are rewritten at most this often (each rewrite renders everything
/// recorded so far); a lone exchange is on disk at once.
const MIN_WRITE_INTERVAL: Duration = Duration::from_millis(250);

/// Receives exchanges until told to finish, then writes a last time and reports.
pub async fn write_loop(
    mut recorded: mpsc::UnboundedReceiver<RecordedExchange>,
    mut finish: oneshot::Receiver<()>,
    outputs: Outputs,
    observer: Arc<dyn ProxyObserver>,
) -> RecordingSummary {
    let mut exchanges = Vec::new();
    let mut summary = RecordingSummary::default();
    let mut writer = Writer {
        outputs,
        observer,
        failing: false,
    };
    // An empty archive from the start: the HAR file exists as soon as the proxy listens.
    writer.write(&exchanges, &mut summary);
    let mut last_write = Instant::now();
    let mut finished = false;
    while !finished {
        tokio::select! {
            biased;
            next = recorded.recv() => match next {
                Some(exchange) => exchanges.push(exchange),
                None => break,
            },
            _ = &mut finish => break,
        }
        let wait = MIN_WRITE_INTERVAL.saturating_sub(last_write.elapsed());
        if !wait.is_zero() {
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                _ = &mut finish => finished = true,
            }
        }
        while let Ok(exchange) = recorded.try_recv() {
            exchanges.push(exchange);
        }
        writer.write(&exchanges, &mut summary);
        last_write = Instant::now();
    }
    let before = exchanges.len();
    while let Ok(exchange) = recorded.try_recv() {
        exchanges.push(exchange);
    }
    if exchanges.len() != before || summary.exchanges != exchanges.len() {
        writer.write(&exchanges, &mut summary);
    }
    summary
}

fn timed(recorded: &RecordedExchange) -> TimedExchange {
    let request = &recorded.request;
    let response = &recorded.response;
    let comment = match &recorded.answered_by_proxy {
        Some(error) => format!("answered by the proxy: {error}"),
        None => "forwarded by scim-harness proxy".to_string(),
    };
    TimedExchange {
        started: recorded.started,
        exchange: Exchange {
            method: request.method.clone(),
            url: recorded.upstream_url.clone(),
            request_headers: request.headers.clone(),
            request_body: (!request.body.is_empty())
                .then(|| String::from_utf8_lossy(&request.body).into_owned()),
            response: Some(ResponseRecord {
                status: response.status,
                headers: response.headers.clone(),
                body: String::from_utf8_lossy(&response.body).into_owned(),
                elapsed: response.elapsed,
            }),
            earlier_attempts: Vec::new(),
        },
        comment,
    }
}

/// `FILE.partial` next to the file: the same folder, so the rename cannot cross file systems.
fn partial_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    path.with_file_name(name)
}

/// Writes the file through a sibling and a rename, so readers never see half of it.
fn replace(path: &Path, contents: &[u8]) -> Result<(), String> {
    let partial = partial_path(path);
    std::fs::write(&partial, contents)
        .and_then(|()| std::fs::rename(&partial, path))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}
