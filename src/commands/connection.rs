//! What `run` and `cleanup` share to reach a target: the token (from `--token`, `SCIM_TOKEN` or
//! `--token-file`), the HTTP client with its TLS and proxy settings, and a panic message that
//! cannot carry the token.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, anyhow};
use hyper_util::client::proxy::matcher::Matcher;

use super::UsageError;
use crate::cli::{CredentialArgs, TlsArgs};
use crate::run::http::{HttpClient, HttpSettings, TlsSettings, parse_pem_certificates};
use crate::secret::SecretString;
use crate::server::{self, RunningServer, ServerConfig};

pub fn read_token(credentials: &CredentialArgs) -> anyhow::Result<Option<SecretString>> {
    if let Some(path) = &credentials.token_file {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("could not read the token file {}", path.display()))?;
        let token = text.trim();
        if token.is_empty() {
            return Err(UsageError(format!("the token file {} is empty", path.display())).into());
        }
        return Ok(Some(SecretString::new(token)));
    }
    Ok(credentials
        .token
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(SecretString::new))
}

/// The client for a target. `use_proxy`: honour HTTPS_PROXY/HTTP_PROXY/NO_PROXY (not for the
/// embedded server, which is always on loopback).
pub fn http_client(timeout: u64, tls: &TlsArgs, use_proxy: bool) -> anyhow::Result<HttpClient> {
    let extra_roots = match &tls.ca_cert {
        Some(path) => {
            let pem = std::fs::read(path)
                .with_context(|| format!("could not read --ca-cert {}", path.display()))?;
            parse_pem_certificates(&pem)
                .map_err(|e| UsageError(format!("--ca-cert {}: {e}", path.display())))?
        }
        None => Vec::new(),
    };
    if tls.insecure {
        eprintln!(
            "warning: --insecure: server certificates are not verified; the token goes to whoever answers"
        );
    }
    HttpClient::new(HttpSettings {
        request_timeout: Duration::from_secs(timeout),
        tls: TlsSettings {
            extra_roots,
            insecure: tls.insecure,
        },
        proxy: use_proxy.then(|| Arc::new(Matcher::from_env())),
        ..HttpSettings::default()
    })
    .map_err(|e| anyhow!("could not set up HTTP: {e}"))
}

/// Where a command sends its requests: the given URL and token, or, without a URL, the embedded
/// reference server on a loopback port of its own with a token of its own.
pub struct Endpoint {
    pub embedded: Option<RunningServer>,
    pub base_url: String,
    pub token: Option<SecretString>,
}

pub async fn endpoint(url: Option<&str>, token: Option<SecretString>) -> anyhow::Result<Endpoint> {
    if let Some(url) = url {
        return Ok(Endpoint {
            embedded: None,
            base_url: url.to_string(),
            token,
        });
    }
    let token = SecretString::new(uuid::Uuid::new_v4().simple().to_string());
    let server = server::start(ServerConfig {
        token: Some(token.expose().to_string()),
        ..ServerConfig::default()
    })
    .await
    .context("could not start the embedded reference server")?;
    Ok(Endpoint {
        base_url: server.base_url().to_string(),
        embedded: Some(server),
        token: Some(token),
    })
}

/// From here on a panic prints its message with the token cut out (the default hook would
/// print whatever the payload holds).
pub fn redact_panics(token: Option<&SecretString>) {
    let secret = token.map(|t| t.expose().to_string());
    std::panic::set_hook(Box::new(move |info| {
        let payload = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!("{}", panic_report(&payload, &location, secret.as_deref()));
    }));
}

fn panic_report(payload: &str, location: &str, secret: Option<&str>) -> String {
    let message = match secret {
        Some(secret) if !secret.is_empty() => payload.replace(secret, "[redacted]"),
        _ => payload.to_string(),
    };
    format!(
        "internal error: scim-harness panicked at {location}: {message}\nThis is a bug; please report it."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_message_never_carries_the_token() {
        let report = panic_report(
            "bad header: Bearer s3cr3t-token",
            "src/x.rs:1",
            Some("s3cr3t-token"),
        );
        assert!(!report.contains("s3cr3t-token"), "{report}");
        assert!(report.contains("Bearer [redacted]"));
        assert!(report.contains("src/x.rs:1"));
    }
}
