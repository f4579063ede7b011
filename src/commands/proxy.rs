//! `scim-harness proxy`: forwards a client's traffic (Entra through a tunnel, or the harness) to a
//! SCIM endpoint until Ctrl-C or SIGTERM, and records it as a scenario and a HAR archive.

use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;

use super::connection::http_client;
use super::run::{known_profiles, wait_for_signal};
use super::{UsageError, did_you_mean, runtime};
use crate::cli::ProxyArgs;
use crate::exit;
use crate::proxy::recording::RecordedExchange;
use crate::proxy::{self, ProxyConfig, ProxyObserver, ScenarioOptions, scenario_name};

pub fn proxy(args: ProxyArgs) -> anyhow::Result<u8> {
    let known = known_profiles();
    if !known.contains(&args.profile) {
        let suggestion = did_you_mean(&args.profile, known.iter().map(String::as_str));
        return Err(UsageError(format!(
            "unknown profile `{}`{suggestion}; known profiles: {}",
            args.profile,
            known.join(", ")
        ))
        .into());
    }
    let upstream_url = url::Url::parse(&args.upstream)
        .map_err(|e| UsageError(format!("--upstream {}: {e}", args.upstream)))?;
    let client = http_client(args.timeout, &args.tls, !is_loopback_url(&upstream_url))?;
    let stem = args
        .record
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let config = ProxyConfig {
        listen: args.listen,
        upstream: args.upstream.clone(),
        client,
        shutdown_grace: Duration::from_secs(args.timeout + 1),
        record: args.record.clone(),
        har: args.har.clone(),
        scenario: ScenarioOptions {
            name: scenario_name(&stem),
            profile: args.profile.clone(),
            upstream: args.upstream.trim_end_matches('/').to_string(),
            output_label: args.record.display().to_string(),
        },
        observer: Arc::new(Stderr),
    };
    if !args.listen.ip().is_loopback() {
        eprintln!(
            "warning: listening on {}, which is not a loopback address: anyone who can reach it \
             can send requests to {} through the proxy, with their own token",
            args.listen, args.upstream
        );
    }
    runtime()?.block_on(async move {
        let running = proxy::start(config).await.map_err(|e| match e {
            proxy::ProxyError::Upstream { .. } => anyhow::Error::new(UsageError(e.to_string())),
            other => anyhow::Error::new(other),
        })?;
        let mut banner = format!(
            "proxy listening at http://{}, forwarding to {}\n",
            reachable(running.local_addr()),
            args.upstream
        );
        banner.push_str(&format!("recording to {}", args.record.display()));
        if let Some(har) = &args.har {
            banner.push_str(&format!(" and {}", har.display()));
        }
        banner.push_str(" (rewritten after every exchange; secrets redacted)\n");
        banner.push_str("Press Ctrl-C to stop.\n");
        // The proxy keeps forwarding when whoever started it stops reading its output.
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(banner.as_bytes()).and_then(|()| out.flush());
        drop(out);
        wait_for_signal()
            .await
            .context("could not wait for Ctrl-C or SIGTERM")?;
        eprintln!(
            "stopping: finishing the requests in flight (press Ctrl-C again to stop at once)"
        );
        tokio::spawn(async {
            if wait_for_signal().await.is_ok() {
                eprintln!("aborted");
                std::process::exit(i32::from(exit::INTERRUPTED));
            }
        });
        let summary = running.shutdown().await;
        eprintln!(
            "recorded {} exchanges; {}",
            summary.exchanges,
            written(&summary, &args.record, args.har.as_deref())
        );
        if let Some(error) = summary.write_error {
            return Err(anyhow::anyhow!("the recording is incomplete: {error}"));
        }
        if summary.steps > 0 {
            eprintln!(
                "next: scim-harness run {} --profile {} -v",
                files(&summary.scenario_files),
                args.profile
            );
        }
        Ok(exit::SUCCESS)
    })
}

/// Progress on stderr, so stdout keeps only the banner a script may read.
struct Stderr;

impl ProxyObserver for Stderr {
    fn exchange(&self, exchange: &RecordedExchange) {
        eprintln!("{}", exchange_line(exchange));
    }

    fn write_failed(&self, message: &str) {
        eprintln!("warning: the recording is not being saved: {message}");
    }
}

/// `POST /Users → 201 12 ms`, or the reason the upstream gave no answer.
fn exchange_line(exchange: &RecordedExchange) -> String {
    let request = &exchange.request;
    let query = request
        .query
        .as_deref()
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
    let outcome = match &exchange.answered_by_proxy {
        Some(error) => format!("{} ({error})", exchange.response.status),
        None => format!(
            "{} {} ms",
            exchange.response.status,
            exchange.response.elapsed.as_millis()
        ),
    };
    format!("{} {}{query} → {outcome}", request.method, request.path)
}

fn written(summary: &proxy::RecordingSummary, record: &Path, har: Option<&Path>) -> String {
    let scenario = match summary.scenario_files.len() {
        0 => format!(
            "no scenario written to {} (nothing to replay)",
            record.display()
        ),
        1 => format!("scenario {} ({} steps)", record.display(), summary.steps),
        parts => format!(
            "scenario in {parts} parts, {} ({} steps)",
            files(&summary.scenario_files),
            summary.steps
        ),
    };
    match har {
        Some(har) => format!("{scenario}, HAR {}", har.display()),
        None => scenario,
    }
}

fn files(paths: &[std::path::PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

fn is_loopback_url(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// The address clients can use: a wildcard listen address is reached on loopback.
fn reachable(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => {
            SocketAddr::new(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), addr.port())
        }
        IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::new(IpAddr::V6(std::net::Ipv6Addr::LOCALHOST), addr.port())
        }
        _ => addr,
    }
}
