//! Request handling in the order a real SCIM service applies it: firewall, authentication,
//! routing, method, content negotiation, body, then the endpoint.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{ACCEPT, ALLOW, CONTENT_TYPE, HOST, USER_AGENT};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use percent_encoding::percent_decode_str;
use serde_json::Value;

use super::query::QueryParams;
use super::reply::{Failure, RenderStyle, Reply, error_with_status, list_response};
use super::store::Kind;
use super::{App, Quirk, auth, discovery, resources};
use crate::scim::ScimError;

/// Largest accepted request body; Entra's bodies are a few kilobytes.
const MAX_BODY_BYTES: usize = 1024 * 1024;

pub(super) fn build(app: App) -> Router {
    Router::new().fallback(handle).with_state(Arc::new(app))
}

async fn handle(State(app): State<Arc<App>>, request: Request) -> Response {
    if !app.latency.is_zero() {
        // Each request waits on its own, as behind a long network path: concurrent requests
        // overlap their waits instead of queueing behind each other.
        tokio::time::sleep(app.latency).await;
    }
    let style = RenderStyle {
        non_scim_errors: app.has(Quirk::NonScimErrors),
        html_content_type: app.has(Quirk::HtmlContentType),
    };
    style.render(respond(&app, request).await)
}

async fn respond(app: &App, request: Request) -> Result<Reply, Failure> {
    let (parts, body) = request.into_parts();
    let headers = &parts.headers;
    if app.has(Quirk::RequireUserAgent) && header_text(headers, USER_AGENT).is_none() {
        return Err(Failure::from_firewall(error_with_status(
            StatusCode::FORBIDDEN,
            "Request blocked: a User-Agent header is required",
        )));
    }
    if !app.has(Quirk::NoAuth) {
        auth::authorize(headers, app.token.as_deref())?;
    }
    let endpoint = Endpoint::parse(app, parts.uri.path())?;
    let method = &parts.method;
    if !endpoint.methods().contains(method) {
        return Err(method_not_allowed(method, &endpoint));
    }
    if app.has(Quirk::RequireAcceptHeader) && !accepts_scim_json(headers) {
        return Err(Failure::from(error_with_status(
            StatusCode::NOT_ACCEPTABLE,
            "send Accept: application/scim+json",
        )));
    }
    let params = QueryParams::parse(parts.uri.query());
    let base_url = format!("{}{}", origin(app, headers), app.base_path);
    let body = if [Method::POST, Method::PUT, Method::PATCH].contains(method) {
        read_json(app, headers, body).await?
    } else {
        Value::Null
    };
    match endpoint {
        Endpoint::Collection(kind) if method == Method::GET => resources::list(app, kind, &params),
        Endpoint::Collection(kind) => resources::create(app, kind, &params, body, &base_url),
        Endpoint::Resource(kind, id) => {
            let request = resources::ResourceRequest {
                kind,
                id: &id,
                params: &params,
                headers,
            };
            match *method {
                Method::GET => resources::get(app, &request),
                Method::PUT => resources::replace(app, &request, body),
                Method::PATCH => resources::patch(app, &request, body),
                _ => resources::delete(app, &request),
            }
        }
        discovery_endpoint => {
            // RFC 7644 §4: discovery endpoints do not filter, and SHOULD say so with 403.
            if params.get("filter").is_some() {
                return Err(Failure::from(error_with_status(
                    StatusCode::FORBIDDEN,
                    "discovery endpoints do not support filtering",
                )));
            }
            discover(app, discovery_endpoint, &base_url)
        }
    }
}

fn discover(app: &App, endpoint: Endpoint, base_url: &str) -> Result<Reply, Failure> {
    let body = match endpoint {
        Endpoint::ServiceProviderConfig => discovery::service_provider_config(base_url),
        Endpoint::Schemas => {
            let schemas = discovery::schemas(app, base_url);
            list_response(schemas.len(), 1, schemas)
        }
        Endpoint::Schema(urn) => discovery::schema(app, base_url, &urn)?,
        Endpoint::ResourceTypes => {
            let types = discovery::resource_types(app, base_url);
            list_response(types.len(), 1, types)
        }
        Endpoint::ResourceType(name) => discovery::resource_type(app, base_url, &name)?,
        Endpoint::Collection(_) | Endpoint::Resource(..) => {
            return Err(Failure::from(ScimError::not_found(
                "not a discovery endpoint",
            )));
        }
    };
    Ok(Reply::ok(body))
}

/// What a request path names, after the base path.
#[derive(Debug, PartialEq, Eq)]
enum Endpoint {
    Collection(Kind),
    Resource(Kind, String),
    ServiceProviderConfig,
    Schemas,
    Schema(String),
    ResourceTypes,
    ResourceType(String),
}

impl Endpoint {
    /// Endpoint names match case-insensitively (some clients send `/users`); a trailing slash is
    /// ignored; ids and URNs are percent-decoded.
    fn parse(app: &App, path: &str) -> Result<Endpoint, ScimError> {
        let not_found = || ScimError::not_found(format!("no SCIM endpoint at {path}"));
        let rest = path
            .strip_prefix(app.base_path.as_str())
            .ok_or_else(not_found)?;
        if !(rest.is_empty() || rest.starts_with('/')) {
            return Err(not_found());
        }
        let segments: Vec<String> = rest
            .split('/')
            .filter(|segment| !segment.is_empty())
            .map(|segment| {
                percent_decode_str(segment)
                    .decode_utf8()
                    .map(|s| s.into_owned())
            })
            .collect::<Result<_, _>>()
            .map_err(|_| not_found())?;
        let Some((first, rest)) = segments.split_first() else {
            return Err(not_found());
        };
        let kind = [Kind::User, Kind::Group]
            .into_iter()
            .find(|kind| kind.endpoint().eq_ignore_ascii_case(first));
        if let Some(kind) = kind {
            if app.schema(kind).is_none() {
                return Err(ScimError::not_found(format!(
                    "this server's profile does not host {}",
                    kind.endpoint()
                )));
            }
            return match rest {
                [] => Ok(Endpoint::Collection(kind)),
                [id] => Ok(Endpoint::Resource(kind, id.clone())),
                _ => Err(not_found()),
            };
        }
        let name = first.to_ascii_lowercase();
        match (name.as_str(), rest) {
            ("serviceproviderconfig", []) => Ok(Endpoint::ServiceProviderConfig),
            ("schemas", []) => Ok(Endpoint::Schemas),
            ("schemas", [urn]) => Ok(Endpoint::Schema(urn.clone())),
            ("resourcetypes", []) => Ok(Endpoint::ResourceTypes),
            ("resourcetypes", [name]) => Ok(Endpoint::ResourceType(name.clone())),
            _ => Err(not_found()),
        }
    }

    fn methods(&self) -> &'static [Method] {
        match self {
            Endpoint::Collection(_) => &[Method::GET, Method::POST],
            Endpoint::Resource(..) => &[Method::GET, Method::PUT, Method::PATCH, Method::DELETE],
            _ => &[Method::GET],
        }
    }
}

fn method_not_allowed(method: &Method, endpoint: &Endpoint) -> Failure {
    let allowed: Vec<&str> = endpoint.methods().iter().map(Method::as_str).collect();
    let allowed = allowed.join(", ");
    Failure::from(error_with_status(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("{method} is not supported here; use {allowed}"),
    ))
    .with_header(ALLOW, &allowed)
}

/// Reads and parses a JSON body. Both SCIM's and plain JSON media types are accepted, with any
/// parameters (`; charset=utf-8`), and so is a body without Content-Type.
async fn read_json(app: &App, headers: &HeaderMap, body: Body) -> Result<Value, Failure> {
    if let Some(content_type) = header_text(headers, CONTENT_TYPE) {
        let media_type = content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        if app.has(Quirk::RejectScimJson) && media_type == "application/scim+json" {
            return Err(unsupported_media_type("only application/json is supported"));
        }
        if !(media_type == "application/json" || media_type.ends_with("+json")) {
            return Err(unsupported_media_type(
                "send the body as application/scim+json or application/json",
            ));
        }
    }
    let bytes = axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| {
            Failure::from(error_with_status(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("could not read a request body of at most {MAX_BODY_BYTES} bytes"),
            ))
        })?;
    serde_json::from_slice(&bytes).map_err(|e| {
        Failure::from(ScimError::invalid_syntax(format!(
            "the request body is not valid JSON: {e}"
        )))
    })
}

fn unsupported_media_type(detail: &str) -> Failure {
    Failure::from(error_with_status(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        detail,
    ))
}

fn accepts_scim_json(headers: &HeaderMap) -> bool {
    headers
        .get_all(ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|media| {
            let media = media.split(';').next().unwrap_or_default().trim();
            media.eq_ignore_ascii_case("application/scim+json")
                || media.eq_ignore_ascii_case("application/json")
        })
}

/// `http://<Host>` when the Host header is a plausible authority, else the bound address, else
/// nothing (then `meta.location` is a path).
fn origin(app: &App, headers: &HeaderMap) -> String {
    let from_host = header_text(headers, HOST).filter(|host| {
        host.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
    });
    match (from_host, &app.bound_origin) {
        (Some(host), _) => format!("http://{host}"),
        (None, Some(bound)) => bound.clone(),
        (None, None) => String::new(),
    }
}

fn header_text(headers: &HeaderMap, name: axum::http::HeaderName) -> Option<&str> {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .map(str::trim)
        .filter(|value| !value.is_empty())
}

#[cfg(test)]
mod tests {
    use super::super::{ServerConfig, ServerProfile};
    use super::*;

    fn app(profile: ServerProfile) -> App {
        App::new(
            ServerConfig {
                profile,
                ..ServerConfig::default()
            },
            None,
        )
    }

    #[test]
    fn parses_endpoints_under_the_base_path() {
        let app = app(ServerProfile::Entra);
        let parse = |path: &str| Endpoint::parse(&app, path).ok();
        assert_eq!(
            parse("/scim/v2/Users"),
            Some(Endpoint::Collection(Kind::User))
        );
        assert_eq!(
            parse("/scim/v2/users/"),
            Some(Endpoint::Collection(Kind::User))
        );
        assert_eq!(
            parse("/scim/v2/Groups/a%20b"),
            Some(Endpoint::Resource(Kind::Group, "a b".to_string()))
        );
        assert_eq!(
            parse("/scim/v2/Schemas/urn:x"),
            Some(Endpoint::Schema("urn:x".to_string()))
        );
        assert_eq!(parse("/scim/v2"), None);
        assert_eq!(parse("/scim/v22/Users"), None);
        assert_eq!(parse("/Users"), None);
        assert_eq!(parse("/scim/v2/Users/a/b"), None);
    }

    #[test]
    fn insite_profile_hosts_no_groups() {
        let app = app(ServerProfile::InsiteLms);
        assert!(Endpoint::parse(&app, "/scim/v2/Groups").is_err());
        assert!(Endpoint::parse(&app, "/scim/v2/Users").is_ok());
    }
}
