//! The wire. Requests go out exactly as Entra's provisioning service sends them: no `Accept`, no
//! `User-Agent`, no compression, nothing the scenario did not ask for.
//!
//! Built on hyper rather than reqwest because reqwest always adds `Accept: */*` and offers no way
//! to remove it (seanmonstar/reqwest#2279), while Entra sends GETs with no `Accept` at all and a
//! server that content-negotiates on it is exactly what the harness must catch.
//!
//! Whatever the server does, `send` ends with a response or a [`TransportError`] that says what
//! went wrong and shows what arrived: bounded by the timeouts and the body cap, never following a
//! redirect. TLS is verified unless `--insecure`; proxies come from the environment (CONNECT
//! tunnels for https, absolute-form requests for http).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::client::proxy::matcher::{Intercept, Matcher};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::DigitallySignedStruct;
use rustls::SignatureScheme;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use tokio::net::TcpStream;
use tower_service::Service;

use crate::checks::{Probed, TransportFacts, excerpt};

/// Why a probe handshake did not complete.
enum HandshakeError {
    /// No TCP connection (or tunnel): nothing can be said about TLS.
    Connect(String),
    /// The TLS layer refused; `certificate` when the refusal is about the certificate.
    Tls { reason: String, certificate: bool },
}

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
    #[error("no complete answer within {} s (--timeout)", .0.as_secs_f64())]
    Timeout(Duration),
    #[error("{}", body_too_large(*limit, *declared, *received))]
    BodyTooLarge {
        limit: usize,
        /// The `Content-Length` the server announced, if any.
        declared: Option<u64>,
        /// How many bytes had arrived when the harness stopped reading.
        received: usize,
    },
    #[error("the server closed the connection without answering: {0}")]
    Closed(String),
    #[error("the response body broke off after {received} bytes ({reason}); it began: {excerpt}")]
    Truncated {
        received: usize,
        reason: String,
        excerpt: String,
    },
    #[error("the connection failed mid-exchange: {0}")]
    Protocol(String),
}

impl TransportError {
    /// Connection-level failures: the target did not answer at all.
    pub fn is_unreachable(&self) -> bool {
        matches!(
            self,
            TransportError::Connect(_)
                | TransportError::Tls(_)
                | TransportError::Timeout(_)
                | TransportError::Closed(_)
        )
    }
}

fn body_too_large(limit: usize, declared: Option<u64>, received: usize) -> String {
    let size = match declared {
        Some(length) => format!("its Content-Length is {length} bytes"),
        None => format!("more than {received} bytes arrived"),
    };
    format!("the response body is larger than the {limit}-byte cap: {size}")
}

/// How the server's certificate is checked.
#[derive(Debug, Clone, Default)]
pub struct TlsSettings {
    /// Trusted in addition to the system's roots (`--ca-cert`), for private CAs.
    pub extra_roots: Vec<CertificateDer<'static>>,
    /// Accept any certificate (`--insecure`): only when the user asks for it.
    pub insecure: bool,
}

/// The certificates in a PEM file's text; an error when it holds none.
pub fn parse_pem_certificates(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, TransportError> {
    let certificates = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TransportError::Tls(format!("not a PEM certificate file: {e}")))?;
    if certificates.is_empty() {
        return Err(TransportError::Tls(
            "the file holds no PEM certificate (-----BEGIN CERTIFICATE-----)".to_string(),
        ));
    }
    Ok(certificates)
}

#[derive(Debug, Clone)]
pub struct HttpSettings {
    pub connect_timeout: Duration,
    /// From sending the request to the last byte of the body.
    pub request_timeout: Duration,
    pub max_body_bytes: usize,
    pub tls: TlsSettings,
    /// Which destinations go through an HTTP(S) proxy; `None`: always direct.
    pub proxy: Option<Arc<Matcher>>,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            max_body_bytes: 4 * 1024 * 1024,
            tls: TlsSettings::default(),
            proxy: None,
        }
    }
}

#[derive(Clone)]
pub struct HttpClient {
    client: Client<HttpsConnector<ProxyConnector>, Full<Bytes>>,
    settings: HttpSettings,
    /// The TCP leg, also for the transport probe's own handshakes.
    connector: ProxyConnector,
    provider: Arc<CryptoProvider>,
    /// The verifying TLS configuration every request uses; `None` under `--insecure`.
    verified: Option<Arc<rustls::ClientConfig>>,
}

impl HttpClient {
    pub fn new(settings: HttpSettings) -> Result<Self, TransportError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| TransportError::Tls(e.to_string()))?;
        let tls = if settings.tls.insecure {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(provider.clone())))
                .with_no_client_auth()
        } else {
            let mut roots = rustls::RootCertStore::empty();
            // A machine without a CA bundle can still test plain-http and loopback targets; an
            // https target then fails with a certificate error that names the problem.
            for cert in rustls_native_certs::load_native_certs().certs {
                let _ = roots.add(cert);
            }
            for cert in &settings.tls.extra_roots {
                roots.add(cert.clone()).map_err(|e| {
                    TransportError::Tls(format!("the CA certificate is not usable: {e}"))
                })?;
            }
            builder.with_root_certificates(roots).with_no_client_auth()
        };
        let verified = (!settings.tls.insecure).then(|| Arc::new(tls.clone()));
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(settings.connect_timeout));
        http.set_nodelay(true);
        let connector = ProxyConnector {
            http,
            proxy: settings.proxy.clone(),
        };
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(connector.clone());
        // Entra's .NET client writes header names in title case (`Authorization`, `Content-Type`).
        let client = Client::builder(TokioExecutor::new())
            .http1_title_case_headers(true)
            .pool_idle_timeout(Duration::from_secs(30))
            .build(https);
        Ok(HttpClient {
            client,
            settings,
            connector,
            provider,
            verified,
        })
    }

    /// R1 for an https target: whether a handshake restricted to TLS 1.2 succeeds (any
    /// certificate accepted, so only the version is judged), and whether the certificate passes
    /// the run's normal verification (system roots and `--ca-cert`, whatever version the server
    /// prefers). Each is its own connection, through the proxy like every request.
    pub async fn probe_tls(&self, base_url: &str) -> TransportFacts {
        let target = match url::Url::parse(base_url) {
            Ok(url) if url.scheme() == "https" => url,
            _ => {
                return TransportFacts::not_https(&format!(
                    "the target is not https ({base_url}); Entra calls only https endpoints"
                ));
            }
        };
        let host = target
            .host_str()
            .unwrap_or_default()
            .trim_matches(|c| c == '[' || c == ']')
            .to_string();
        let port = target.port_or_known_default().unwrap_or(443);
        let (Ok(server_name), Ok(uri)) = (
            ServerName::try_from(host.clone()),
            format!("https://{}:{port}/", target.host_str().unwrap_or_default())
                .parse::<http::Uri>(),
        ) else {
            return TransportFacts::not_https(&format!(
                "`{host}` is not a host name TLS can verify"
            ));
        };
        let tls12_only = rustls::ClientConfig::builder_with_provider(self.provider.clone())
            .with_protocol_versions(&[&rustls::version::TLS12])
            .map(|builder| {
                builder
                    .dangerous()
                    .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(
                        self.provider.clone(),
                    )))
                    .with_no_client_auth()
            });
        let tls12 = match tls12_only {
            Err(error) => Probed::Unknown(format!("TLS 1.2 is not available here: {error}")),
            Ok(config) => match self.handshake(&uri, &server_name, Arc::new(config)).await {
                Ok(()) => Probed::Holds,
                Err(HandshakeError::Connect(reason)) => Probed::Unknown(reason),
                Err(HandshakeError::Tls { reason, .. }) => Probed::Broken(reason),
            },
        };
        let certificate = match &self.verified {
            None => Probed::NotVerified(
                "--insecure: the certificate was not verified; Entra refuses one that is not valid for the host or does not chain to a public root".to_string(),
            ),
            Some(config) => match self.handshake(&uri, &server_name, config.clone()).await {
                Ok(()) => Probed::Holds,
                Err(HandshakeError::Connect(reason)) => Probed::Unknown(reason),
                Err(HandshakeError::Tls {
                    reason,
                    certificate: true,
                }) => Probed::Broken(reason),
                Err(HandshakeError::Tls { reason, .. }) => Probed::Unknown(format!(
                    "the handshake failed before the certificate could be judged: {reason}"
                )),
            },
        };
        TransportFacts { tls12, certificate }
    }

    /// One TLS handshake with `config` to the host of `uri`, then the connection is dropped.
    async fn handshake(
        &self,
        uri: &http::Uri,
        server_name: &ServerName<'static>,
        config: Arc<rustls::ClientConfig>,
    ) -> Result<(), HandshakeError> {
        let limit = self.settings.connect_timeout;
        let attempt = async {
            let stream = self
                .connector
                .clone()
                .call(uri.clone())
                .await
                .map_err(|e| HandshakeError::Connect(format!("could not connect: {e}")))?;
            tokio_rustls::TlsConnector::from(config)
                .connect(server_name.clone(), stream.stream.into_inner())
                .await
                .map(drop)
                .map_err(|error| {
                    let tls_error = error
                        .get_ref()
                        .and_then(|inner| inner.downcast_ref::<rustls::Error>());
                    HandshakeError::Tls {
                        certificate: matches!(
                            tls_error,
                            Some(
                                rustls::Error::InvalidCertificate(_)
                                    | rustls::Error::NoCertificatesPresented
                            )
                        ),
                        reason: tls_error.map_or_else(|| error.to_string(), ToString::to_string),
                    }
                })
        };
        match tokio::time::timeout(limit, attempt).await {
            Ok(result) => result,
            Err(_) => Err(HandshakeError::Connect(format!(
                "no TLS handshake within {} s",
                limit.as_secs_f64()
            ))),
        }
    }

    /// Sends the request once. Redirects are answers like any other: nothing is followed, so the
    /// `Authorization` header only ever goes to the URL the request names.
    pub async fn send(&self, request: &WireRequest) -> Result<WireResponse, TransportError> {
        let mut builder = http::Request::builder()
            .method(request.method)
            .uri(request.url.as_str());
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let body = Full::new(Bytes::from(request.body.clone().unwrap_or_default()));
        let mut http_request = builder
            .body(body)
            .map_err(|e| TransportError::InvalidRequest(e.to_string()))?;
        // A plain-http request through a forward proxy carries the proxy's credentials itself; an
        // https one gets them in the CONNECT (see `ProxyConnector`).
        if let Some(intercept) = self.forward_proxy(http_request.uri())
            && let Some(auth) = intercept.basic_auth()
        {
            http_request
                .headers_mut()
                .insert(http::header::PROXY_AUTHORIZATION, auth.clone());
        }

        let started = Instant::now();
        let limit = self.settings.max_body_bytes;
        let exchange = async {
            let response = self
                .client
                .request(http_request)
                .await
                .map_err(|e| classify_client_error(e, self.settings.connect_timeout))?;
            let status = response.status().as_u16();
            let headers: Vec<(String, String)> = response
                .headers()
                .iter()
                .map(|(n, v)| {
                    (
                        n.as_str().to_string(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect();
            let declared = response
                .headers()
                .get(http::header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok());
            if declared.is_some_and(|length| length > limit as u64) {
                return Err(TransportError::BodyTooLarge {
                    limit,
                    declared,
                    received: 0,
                });
            }
            let body = read_body(response.into_body(), limit, declared).await?;
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

    fn forward_proxy(&self, uri: &http::Uri) -> Option<Intercept> {
        let proxy = self.settings.proxy.as_ref()?;
        (uri.scheme_str() == Some("http"))
            .then(|| proxy.intercept(uri))
            .flatten()
    }
}

/// Reads the body up to the cap, keeping what arrived when the connection breaks off so the
/// report can show it.
async fn read_body(
    mut incoming: hyper::body::Incoming,
    limit: usize,
    declared: Option<u64>,
) -> Result<Vec<u8>, TransportError> {
    let mut body = Vec::new();
    while let Some(frame) = incoming.frame().await {
        let frame = frame.map_err(|e| TransportError::Truncated {
            received: body.len(),
            reason: error_chain(&e),
            excerpt: excerpt(&String::from_utf8_lossy(&body), 120),
        })?;
        if let Ok(data) = frame.into_data() {
            if body.len() + data.len() > limit {
                return Err(TransportError::BodyTooLarge {
                    limit,
                    declared,
                    received: body.len() + data.len(),
                });
            }
            body.extend_from_slice(&data);
        }
    }
    Ok(body)
}

/// Every message in an error's source chain, without repeats.
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut chain: Vec<String> = Vec::new();
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        let text = e.to_string();
        if !chain.contains(&text) {
            chain.push(text);
        }
        source = e.source();
    }
    chain.join(": ")
}

/// Turns hyper's nested error into the reason a person needs: refused, DNS, TLS, closed.
fn classify_client_error(
    error: hyper_util::client::legacy::Error,
    connect_timeout: Duration,
) -> TransportError {
    let message = error_chain(&error);
    let lower = message.to_ascii_lowercase();
    let (mut closed, mut timed_out) = (false, false);
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&error);
    while let Some(e) = source {
        if let Some(hyper_error) = e.downcast_ref::<hyper::Error>() {
            closed |= hyper_error.is_incomplete_message() || hyper_error.is_canceled();
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            closed |= matches!(
                io.kind(),
                std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::UnexpectedEof
            );
            timed_out |= io.kind() == std::io::ErrorKind::TimedOut;
        }
        source = e.source();
    }
    if lower.contains("certificate") || lower.contains("tls") || lower.contains("handshake") {
        TransportError::Tls(message)
    } else if error.is_connect() && timed_out {
        TransportError::Connect(format!(
            "no connection within {} s ({message})",
            connect_timeout.as_secs_f64()
        ))
    } else if error.is_connect() {
        TransportError::Connect(message)
    } else if closed {
        TransportError::Closed(message)
    } else {
        TransportError::Protocol(message)
    }
}

/// `--insecure`: any certificate is accepted, but the handshake signatures are still checked
/// so the connection is at least encrypted to whoever holds the presented key.
#[derive(Debug)]
struct AcceptAnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// The TCP leg under TLS: direct, through a CONNECT tunnel (https via a proxy), or to a forward
/// proxy that gets the request in absolute form (plain http via a proxy).
#[derive(Clone)]
struct ProxyConnector {
    http: HttpConnector,
    proxy: Option<Arc<Matcher>>,
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl Service<http::Uri> for ProxyConnector {
    type Response = ProxiedStream;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<ProxiedStream, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.http.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, destination: http::Uri) -> Self::Future {
        let mut http = self.http.clone();
        let intercept = self
            .proxy
            .as_ref()
            .and_then(|proxy| proxy.intercept(&destination));
        Box::pin(async move {
            match intercept {
                None => Ok(ProxiedStream {
                    stream: http.call(destination).await?,
                    forward_proxy: false,
                }),
                Some(intercept) if destination.scheme_str() == Some("https") => {
                    let mut tunnel = Tunnel::new(intercept.uri().clone(), http);
                    if let Some(auth) = intercept.basic_auth() {
                        tunnel = tunnel.with_auth(auth.clone());
                    }
                    let stream = tunnel.call(destination).await.map_err(|e| {
                        format!("through the proxy {}: {}", intercept.uri(), error_chain(&e))
                    })?;
                    Ok(ProxiedStream {
                        stream,
                        forward_proxy: false,
                    })
                }
                Some(intercept) => Ok(ProxiedStream {
                    stream: http.call(intercept.uri().clone()).await?,
                    forward_proxy: true,
                }),
            }
        })
    }
}

/// A TCP stream that tells hyper whether it leads to a forward proxy.
struct ProxiedStream {
    stream: TokioIo<TcpStream>,
    forward_proxy: bool,
}

impl Connection for ProxiedStream {
    fn connected(&self) -> Connected {
        self.stream.connected().proxy(self.forward_proxy)
    }
}

impl hyper::rt::Read for ProxiedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl hyper::rt::Write for ProxiedStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}
