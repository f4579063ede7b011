//! The wire. Requests go out exactly as Entra's provisioning service sends them: no `Accept`, no
//! `User-Agent`, no compression, nothing the scenario did not ask for.
//!
//! Built on hyper rather than reqwest because reqwest always adds `Accept: */*` and offers no way
//! to remove it (seanmonstar/reqwest#2279), while Entra sends GETs with no `Accept` at all and a
//! server that content-negotiates on it is exactly what the harness must catch.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// What goes on the wire.
#[derive(Debug, Clone)]
pub struct WireRequest {
    pub method: &'static str,
    pub url: String,
    /// In sending order. `Host` and `Content-Length` are added by the HTTP layer.
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
}

/// What came back.
#[derive(Debug, Clone)]
pub struct WireResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub elapsed: Duration,
}

impl WireResponse {
    /// The first header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Why no response came back.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    #[error("could not connect: {0}")]
    Connect(String),
    #[error("TLS failed: {0}")]
    Tls(String),
    #[error("no complete answer within {0:?}")]
    Timeout(Duration),
    #[error("the response body is larger than the {limit}-byte cap")]
    BodyTooLarge { limit: usize },
    #[error("the connection failed mid-exchange: {0}")]
    Protocol(String),
}

impl TransportError {
    /// Connection-level failures: the target did not answer at all.
    pub fn is_unreachable(&self) -> bool {
        matches!(
            self,
            TransportError::Connect(_) | TransportError::Tls(_) | TransportError::Timeout(_)
        )
    }
}

#[derive(Debug, Clone)]
pub struct HttpSettings {
    pub connect_timeout: Duration,
    /// From sending the request to the last byte of the body.
    pub request_timeout: Duration,
    pub max_body_bytes: usize,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            max_body_bytes: 4 * 1024 * 1024,
        }
    }
}

#[derive(Clone)]
pub struct HttpClient {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    settings: HttpSettings,
}

impl HttpClient {
    pub fn new(settings: HttpSettings) -> Result<Self, TransportError> {
        let mut roots = rustls::RootCertStore::empty();
        // A machine without a CA bundle can still test plain-http and loopback targets; an https
        // target then fails with a certificate error that names the problem.
        for cert in rustls_native_certs::load_native_certs().certs {
            let _ = roots.add(cert);
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| TransportError::Tls(e.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(settings.connect_timeout));
        http.set_nodelay(true);
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        // Entra's .NET client writes header names in title case (`Authorization`, `Content-Type`).
        let client = Client::builder(TokioExecutor::new())
            .http1_title_case_headers(true)
            .pool_idle_timeout(Duration::from_secs(30))
            .build(connector);
        Ok(HttpClient { client, settings })
    }

    pub async fn send(&self, request: &WireRequest) -> Result<WireResponse, TransportError> {
        let mut builder = http::Request::builder()
            .method(request.method)
            .uri(request.url.as_str());
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let body = Full::new(Bytes::from(request.body.clone().unwrap_or_default()));
        let http_request = builder
            .body(body)
            .map_err(|e| TransportError::InvalidRequest(e.to_string()))?;

        let started = Instant::now();
        let limit = self.settings.max_body_bytes;
        let exchange = async {
            let response = self
                .client
                .request(http_request)
                .await
                .map_err(classify_client_error)?;
            let status = response.status().as_u16();
            let headers = response
                .headers()
                .iter()
                .map(|(n, v)| {
                    (
                        n.as_str().to_string(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect();
            let body = Limited::new(response.into_body(), limit)
                .collect()
                .await
                .map_err(|e| {
                    if e.is::<http_body_util::LengthLimitError>() {
                        TransportError::BodyTooLarge { limit }
                    } else {
                        TransportError::Protocol(e.to_string())
                    }
                })?
                .to_bytes()
                .to_vec();
            Ok(WireResponse {
                status,
                headers,
                body,
                elapsed: started.elapsed(),
            })
        };
        match tokio::time::timeout(self.settings.request_timeout, exchange).await {
            Ok(result) => result,
            Err(_) => Err(TransportError::Timeout(self.settings.request_timeout)),
        }
    }
}

/// Turns hyper's nested error into the reason a person needs: refused, DNS, TLS, timeout.
fn classify_client_error(error: hyper_util::client::legacy::Error) -> TransportError {
    let mut chain = Vec::new();
    let mut source: Option<&dyn std::error::Error> = Some(&error);
    while let Some(e) = source {
        let text = e.to_string();
        if !chain.contains(&text) {
            chain.push(text);
        }
        source = e.source();
    }
    let message = chain.join(": ");
    let lower = message.to_ascii_lowercase();
    if lower.contains("certificate") || lower.contains("tls") || lower.contains("handshake") {
        TransportError::Tls(message)
    } else if error.is_connect() {
        TransportError::Connect(message)
    } else {
        TransportError::Protocol(message)
    }
}
