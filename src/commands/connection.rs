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
use crate::secret::{SecretString, url_without_credentials};
use crate::server::{self, RunningServer, ServerConfig};

pub fn read_token(credentials: &CredentialArgs) -> anyhow::Result<Option<SecretString>> {
    if let Some(path) = &credentials.token_file {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("could not read the token file {}", path.display()))?;
        let token = text.trim();
        if token.is_empty() {
            return Err(UsageError(format!("the token file {} is empty", path.display())).into());
        }
        check_token(token, &format!("the token file {}", path.display()))?;
        return Ok(Some(SecretString::new(token)));
    }
    let token = credentials
        .token
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty());
    if let Some(token) = token {
        check_token(token, "the token (--token or SCIM_TOKEN)")?;
    }
    Ok(token.map(SecretString::new))
}

/// A token that cannot go into an `Authorization` header is the user's mistake, not the
/// target's: said before anything is sent, without showing the token.
fn check_token(token: &str, source: &str) -> Result<(), UsageError> {
    match token.chars().position(|c| !c.is_ascii_graphic()) {
        None => Ok(()),
        Some(position) => Err(UsageError(format!(
            "{source} has a character a bearer token cannot carry at position {} (only visible ASCII: \
             RFC 6750 §2.1); check for a line break, a space or a non-ASCII character",
            position + 1
        ))),
    }
}

/// `--url` as every command checks it: http or https, with a host, and no credentials (Entra
/// sends only a bearer token, and a password in the URL would end up in every report).
pub fn target_url(text: &str) -> Result<url::Url, UsageError> {
    let shown = url_without_credentials(text);
    let url = url::Url::parse(text)
        .map_err(|e| UsageError(format!("--url `{shown}` is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(UsageError(format!(
            "--url `{shown}` must be an http or https URL"
        )));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(UsageError(format!("--url `{shown}` has no host")));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(UsageError(format!(
            "--url `{shown}` carries credentials; pass the bearer token with --token, --token-file \
             or SCIM_TOKEN instead (Entra sends only a bearer token)"
        )));
    }
    Ok(url)
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

    #[test]
    fn urls_with_credentials_are_refused_without_showing_them() {
        let error = target_url("https://admin:PassW0rd@host.example/scim").unwrap_err();
        assert!(!error.0.contains("PassW0rd"), "{}", error.0);
        assert!(
            error.0.contains("https://***@host.example/scim"),
            "{}",
            error.0
        );
        let unparsable = target_url("https://admin:PassW0rd@ho st/scim").unwrap_err();
        assert!(!unparsable.0.contains("PassW0rd"), "{}", unparsable.0);
        assert!(target_url("ftp://host/scim").is_err());
        assert!(target_url("not a url").is_err());
        assert!(target_url("http://127.0.0.1:8080/scim/v2?aadOptscim062020").is_ok());
    }

    #[test]
    fn tokens_a_header_cannot_carry_are_refused_without_showing_them() {
        let error = check_token("abc\ndef-secret", "the token").unwrap_err();
        assert!(error.0.contains("position 4"), "{}", error.0);
        assert!(!error.0.contains("secret"), "{}", error.0);
        assert!(check_token("q8Zk+7fQ2mX/9vLp3w==", "the token").is_ok());
        assert!(check_token("with space", "the token").is_err());
        assert!(check_token("nul\0", "the token").is_err());
    }
}
