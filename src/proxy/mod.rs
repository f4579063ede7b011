//! `scim-harness proxy`: a recording reverse proxy. Every request is forwarded to the upstream
//! unchanged (method, path below the upstream's base URL, query byte for byte, headers, body) on
//! the harness's own HTTP client, and the upstream's answer goes back unchanged apart from the
//! hop-by-hop headers (RFC 9110 §7.6.1). Each exchange is recorded, secrets redacted, and the
//! recording is rewritten after every exchange as a scenario (and a HAR archive), so real
//! traffic from Entra through a tunnel can be replayed later with `scim-harness run`.

mod output;
pub mod recording;
pub mod scenario;

use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::run::http::{HttpClient, WireRequest, WireResponse};
use crate::scim::ScimError;
use crate::secret::url_without_credentials;
use recording::{RecordedExchange, RecordedRequest, RecordedResponse, TokenBook, request_secrets};
pub use scenario::{ScenarioOptions, scenario_name};

/// Request bodies larger than this are refused (413): SCIM bodies are far smaller, and the whole
/// body is held in memory to be forwarded and recorded.
const MAX_REQUEST_BODY: usize = 16 * 1024 * 1024;

/// Told what happens while the proxy runs, e.g. to print it.
pub trait ProxyObserver: Send + Sync {
    /// An exchange as it is recorded (already redacted).
    fn exchange(&self, exchange: &RecordedExchange);
    /// Writing the files failed (the disk is full, the folder went away); later writes are
    /// still tried, and a streak of failures is told once.
    fn write_failed(&self, message: &str);
}

#[derive(Clone)]
pub struct ProxyConfig {
    pub listen: SocketAddr,
    /// The upstream's base URL, e.g. `https://staging.example/scim/v2`.
    pub upstream: String,
    /// The client requests go upstream on (timeouts, TLS, environment proxies).
    pub client: HttpClient,
    /// How long `shutdown` waits for requests in flight: the client's timeout and a little.
    pub shutdown_grace: Duration,
    /// Where the scenario is written.
    pub record: PathBuf,
    /// Where the HAR archive is written, if wanted.
    pub har: Option<PathBuf>,
    pub scenario: ScenarioOptions,
    pub observer: Arc<dyn ProxyObserver>,
}

/// Why the proxy could not start.
#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    #[error("--upstream {url}: {reason}")]
    Upstream { url: String, reason: String },
    #[error("could not listen on {addr}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: io::Error,
    },
    #[error("could not read the address the proxy is listening on")]
    LocalAddr(#[source] io::Error),
    #[error("cannot write {}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// What was recorded, once the proxy has stopped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordingSummary {
    pub exchanges: usize,
    /// Steps in the scenario (0: no scenario was written).
    pub steps: usize,
    /// The scenario's files: the `--record` file, and for a long recording its parts.
    pub scenario_files: Vec<PathBuf>,
    /// The first failure to write the files, if any (later writes were still tried).
    pub write_error: Option<String>,
}

/// A proxy serving on a tokio task.
#[derive(Debug)]
pub struct RunningProxy {
    local_addr: SocketAddr,
    stop: oneshot::Sender<()>,
    server: JoinHandle<io::Result<()>>,
    finish: oneshot::Sender<()>,
    writer: JoinHandle<RecordingSummary>,
    shutdown_grace: Duration,
}

impl RunningProxy {
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops accepting connections, lets requests in flight finish (up to the grace period),
    /// writes the files a last time and says what was recorded.
    pub async fn shutdown(self) -> RecordingSummary {
        // The server task may already have ended; then there is nobody left to tell.
        let _ = self.stop.send(());
        let mut server = self.server;
        if tokio::time::timeout(self.shutdown_grace, &mut server)
            .await
            .is_err()
        {
            server.abort();
        }
        let _ = self.finish.send(());
        self.writer.await.unwrap_or_else(|e| RecordingSummary {
            write_error: Some(format!("the recorder stopped: {e}")),
            ..RecordingSummary::default()
        })
    }
}

/// Checks the upstream and the output paths, binds `config.listen`, and starts forwarding.
pub async fn start(config: ProxyConfig) -> Result<RunningProxy, ProxyError> {
    let upstream = Upstream::parse(&config.upstream)?;
    let outputs = output::Outputs {
        record: config.record.clone(),
        har: config.har.clone(),
        scenario: config.scenario.clone(),
    };
    outputs.check_writable()?;
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|source| ProxyError::Bind {
            addr: config.listen,
            source,
        })?;
    let local_addr = listener.local_addr().map_err(ProxyError::LocalAddr)?;

    let (record, recorded) = mpsc::unbounded_channel();
    let (finish, finished) = oneshot::channel();
    let writer = tokio::spawn(output::write_loop(
        recorded,
        finished,
        outputs,
        config.observer.clone(),
    ));
    let shared = Arc::new(Shared {
        upstream,
        client: config.client,
        tokens: TokenBook::default(),
        record,
        observer: config.observer,
    });
    let app = axum::Router::new().fallback(forward).with_state(shared);
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
    });
    Ok(RunningProxy {
        local_addr,
        stop,
        server,
        finish,
        writer,
        shutdown_grace: config.shutdown_grace,
    })
}

/// RFC 3339 time, for comments and HAR.
pub(crate) fn timestamp(at: SystemTime) -> String {
    OffsetDateTime::from(at)
        .format(&Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_string())
}

#[derive(Debug, Clone)]
struct Upstream {
    /// Scheme, authority and path without the trailing `/`.
    base: String,
    /// The base URL's path without the trailing `/` (empty at the root).
    base_path: String,
}

impl Upstream {
    fn parse(text: &str) -> Result<Upstream, ProxyError> {
        let invalid = |reason: &str| ProxyError::Upstream {
            url: url_without_credentials(text),
            reason: reason.to_string(),
        };
        let url = url::Url::parse(text).map_err(|e| invalid(&e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(invalid("the upstream must be an http:// or https:// URL"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid(
                "credentials in the URL would be written into the recording; the client's \
                 Authorization header is forwarded as it is",
            ));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(invalid(
                "the upstream cannot carry a query or fragment; the client's query is forwarded as it is",
            ));
        }
        let base_path = url.path().trim_end_matches('/').to_string();
        let base = url.as_str().trim_end_matches('/').to_string();
        Ok(Upstream { base, base_path })
    }

    /// The path below the base: clients may call the proxy at its root (`/Users`) or at the
    /// upstream's own base path (`/scim/v2/Users`), and both reach `<base>/Users`.
    fn relative<'a>(&self, path: &'a str) -> &'a str {
        if self.base_path.is_empty() {
            return path;
        }
        match path.strip_prefix(self.base_path.as_str()) {
            Some(rest) if rest.is_empty() || rest.starts_with('/') => rest,
            _ => path,
        }
    }
}

struct Shared {
    upstream: Upstream,
    client: HttpClient,
    tokens: TokenBook,
    record: mpsc::UnboundedSender<RecordedExchange>,
    observer: Arc<dyn ProxyObserver>,
}

/// Headers that concern one connection only (RFC 9110 §7.6.1), never forwarded either way.
const HOP_BY_HOP: [&str; 9] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "proxy-authenticate",
    "proxy-authorization",
];

/// Removes the hop-by-hop headers and those the `Connection` header names.
fn strip_hop_by_hop(headers: &mut HeaderMap) {
    let listed: Vec<String> = headers
        .get_all(http::header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|name| name.trim().to_ascii_lowercase())
        .collect();
    for name in HOP_BY_HOP
        .iter()
        .copied()
        .chain(listed.iter().map(String::as_str))
    {
        headers.remove(name);
    }
}

fn pairs(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_string(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect()
}

/// The method as `WireRequest` carries it; scenario files and SCIM use no others.
fn wire_method(method: &Method) -> Option<&'static str> {
    [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
        Method::HEAD,
        Method::OPTIONS,
    ]
    .into_iter()
    .zip(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
    .find(|(known, _)| known == method)
    .map(|(_, name)| name)
}

async fn forward(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let started = SystemTime::now();
    let clock = Instant::now();
    let (parts, body) = request.into_parts();
    let path = shared.upstream.relative(parts.uri.path()).to_string();
    let query = parts.uri.query().map(str::to_string);
    // The HTTP layer writes `Host` and `Content-Length` for the upstream; the body is already read.
    let mut forwarded = parts.headers.clone();
    strip_hop_by_hop(&mut forwarded);
    for written_by_client in ["host", "content-length", "expect"] {
        forwarded.remove(written_by_client);
    }
    let headers = pairs(&forwarded);
    let authorization = parts
        .headers
        .get(http::header::AUTHORIZATION)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let credential = shared.tokens.credential(authorization.as_deref());
    let url = match &query {
        Some(query) => format!("{}{path}?{query}", shared.upstream.base),
        None => format!("{}{path}", shared.upstream.base),
    };

    let (body, outcome) = match axum::body::to_bytes(body, MAX_REQUEST_BODY).await {
        Ok(body) => {
            let body = body.to_vec();
            let outcome = send_upstream(&shared.client, &parts.method, url, &headers, &body).await;
            (body, outcome)
        }
        Err(e) => (
            Vec::new(),
            Err((
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "the request body could not be read (at most {MAX_REQUEST_BODY} bytes): {e}"
                ),
            )),
        ),
    };

    let scrubber = shared
        .tokens
        .scrubber(request_secrets(&headers, query.as_deref(), &body));
    let (response, recorded_response, answered_by_proxy) = match outcome {
        Ok(wire) => {
            let recorded = RecordedResponse {
                status: wire.status,
                headers: scrubber.redact_headers(&wire.headers),
                body: scrubber.redact_body(&wire.body),
                elapsed: wire.elapsed,
            };
            (relay(wire.status, &wire.headers, wire.body), recorded, None)
        }
        Err((status, message)) => {
            let message = scrubber.scrub_text(&message);
            let body =
                serde_json::to_vec(&ScimError::new(status.as_u16(), None, &message).to_json())
                    .unwrap_or_default();
            let headers = vec![(
                "content-type".to_string(),
                "application/scim+json".to_string(),
            )];
            let recorded = RecordedResponse {
                status: status.as_u16(),
                headers: headers.clone(),
                body: body.clone(),
                elapsed: clock.elapsed(),
            };
            (
                relay(status.as_u16(), &headers, body),
                recorded,
                Some(message),
            )
        }
    };
    let redacted_query = query.as_deref().map(|q| scrubber.redact_query(q));
    let exchange = RecordedExchange {
        started,
        upstream_url: match &redacted_query {
            Some(q) => format!("{}{path}?{q}", shared.upstream.base),
            None => format!("{}{path}", shared.upstream.base),
        },
        request: RecordedRequest {
            method: parts.method.as_str().to_string(),
            path,
            query: redacted_query,
            headers: scrubber.redact_headers(&headers),
            body: scrubber.redact_body(&body),
            credential,
        },
        response: recorded_response,
        answered_by_proxy,
    };
    shared.observer.exchange(&exchange);
    // Recorded before the client sees the answer, so a request that depends on this one (a
    // PATCH of the id just created) is always recorded after it. The recorder is gone only
    // while the proxy shuts down.
    let _ = shared.record.send(exchange);
    response
}

/// The upstream's answer, or the status and reason the proxy answers with itself.
async fn send_upstream(
    client: &HttpClient,
    method: &Method,
    url: String,
    headers: &[(String, String)],
    body: &[u8],
) -> Result<WireResponse, (StatusCode, String)> {
    let Some(wire_method) = wire_method(method) else {
        return Err((
            StatusCode::NOT_IMPLEMENTED,
            format!("the proxy does not forward {method} requests"),
        ));
    };
    let request = WireRequest {
        method: wire_method,
        url,
        headers: headers.to_vec(),
        body: (!body.is_empty()).then(|| body.to_vec()),
    };
    client.send(&request).await.map_err(|e| {
        (
            StatusCode::BAD_GATEWAY,
            format!("no usable answer from the upstream: {e}"),
        )
    })
}

/// The client's response: the status, the end-to-end headers and the body.
fn relay(status: u16, headers: &[(String, String)], body: Vec<u8>) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    let map = response.headers_mut();
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            map.append(name, value);
        }
    }
    strip_hop_by_hop(map);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_upstream_base_path_is_optional_in_client_paths() {
        let upstream = Upstream::parse("http://127.0.0.1:1/scim/v2/").unwrap();
        assert_eq!(upstream.base, "http://127.0.0.1:1/scim/v2");
        assert_eq!(upstream.relative("/Users"), "/Users");
        assert_eq!(upstream.relative("/scim/v2/Users"), "/Users");
        assert_eq!(upstream.relative("/scim/v2"), "");
        assert_eq!(upstream.relative("/scim/v2x/Users"), "/scim/v2x/Users");
        let root = Upstream::parse("https://scim.example").unwrap();
        assert_eq!(root.base, "https://scim.example");
        assert_eq!(root.relative("/Users"), "/Users");
    }

    #[test]
    fn upstreams_that_would_leak_or_be_ambiguous_are_refused() {
        for url in [
            "ftp://x/",
            "http://user:pass@x/scim",
            "http://x/scim?aadOptscim062020",
            "not a url",
        ] {
            assert!(Upstream::parse(url).is_err(), "{url}");
        }
    }

    #[test]
    fn hop_by_hop_headers_and_those_connection_names_stay_behind() {
        let mut headers = HeaderMap::new();
        headers.insert("connection", HeaderValue::from_static("close, x-trace"));
        headers.insert("x-trace", HeaderValue::from_static("1"));
        headers.insert("transfer-encoding", HeaderValue::from_static("chunked"));
        headers.insert("authorization", HeaderValue::from_static("Bearer t"));
        headers.insert("host", HeaderValue::from_static("proxy"));
        strip_hop_by_hop(&mut headers);
        let mut kept = pairs(&headers);
        kept.sort();
        assert_eq!(
            kept,
            vec![
                ("authorization".to_string(), "Bearer t".to_string()),
                ("host".to_string(), "proxy".to_string())
            ]
        );
    }
}
