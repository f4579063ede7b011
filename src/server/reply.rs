//! Responses before they hit the wire: handlers return a [`Reply`] or a [`Failure`], and one place
//! renders both, so the content-type and error-body quirks apply to every endpoint alike.

use axum::body::Body;
use axum::http::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};

use crate::scim::{self, ScimError};

/// RFC 7644 §8.1 media type; Entra checks for it (R18).
pub(super) const SCIM_CONTENT_TYPE: &str = "application/scim+json; charset=utf-8";

/// A successful answer.
pub(super) struct Reply {
    pub(super) status: StatusCode,
    pub(super) body: Option<Value>,
    pub(super) headers: HeaderMap,
}

impl Reply {
    pub(super) fn new(status: StatusCode, body: Value) -> Reply {
        Reply {
            status,
            body: Some(body),
            headers: HeaderMap::new(),
        }
    }

    pub(super) fn ok(body: Value) -> Reply {
        Reply::new(StatusCode::OK, body)
    }

    pub(super) fn empty(status: StatusCode) -> Reply {
        Reply {
            status,
            body: None,
            headers: HeaderMap::new(),
        }
    }

    /// Adds a header; values that are not valid header text (never produced by this server's own
    /// ids and URLs) are left out rather than failing the request.
    pub(super) fn with_header(mut self, name: HeaderName, value: &str) -> Reply {
        if let Ok(value) = HeaderValue::from_str(value) {
            self.headers.insert(name, value);
        }
        self
    }
}

/// A failed answer: a SCIM error, plus headers such as `WWW-Authenticate` or `Allow`.
pub(super) struct Failure {
    pub(super) error: ScimError,
    // A list rather than a HeaderMap keeps `Result<_, Failure>` small.
    pub(super) headers: Vec<(HeaderName, HeaderValue)>,
    /// Rendered as an HTML page whatever the quirks say: what a web application firewall in front
    /// of the SCIM service would answer.
    pub(super) from_firewall: bool,
}

impl Failure {
    pub(super) fn with_header(mut self, name: HeaderName, value: &str) -> Failure {
        if let Ok(value) = HeaderValue::from_str(value) {
            self.headers.push((name, value));
        }
        self
    }

    pub(super) fn from_firewall(error: ScimError) -> Failure {
        Failure {
            from_firewall: true,
            ..Failure::from(error)
        }
    }
}

impl From<ScimError> for Failure {
    fn from(error: ScimError) -> Failure {
        Failure {
            error,
            headers: Vec::new(),
            from_firewall: false,
        }
    }
}

/// A SCIM error with a status the model has no constructor for (405, 406, 412, 413, 415, …).
pub(super) fn error_with_status(status: StatusCode, detail: impl Into<String>) -> ScimError {
    ScimError {
        status: status.as_u16(),
        scim_type: None,
        detail: detail.into(),
    }
}

/// The RFC 7644 §3.4.2 ListResponse envelope. `Resources` is always present, `[]` when empty,
/// because Entra's Test Connection reads it (entra-reference.md §1.1).
pub(super) fn list_response(total: usize, start_index: usize, resources: Vec<Value>) -> Value {
    let items_per_page = resources.len();
    json!({
        "schemas": [scim::SCHEMA_LIST_RESPONSE],
        "totalResults": total,
        "Resources": resources,
        "startIndex": start_index,
        "itemsPerPage": items_per_page,
    })
}

/// How replies are spoiled by the response quirks.
#[derive(Clone, Copy, Default)]
pub(super) struct RenderStyle {
    /// `Quirk::NonScimErrors`: errors as HTML or plain text.
    pub(super) non_scim_errors: bool,
    /// `Quirk::HtmlContentType`: JSON labelled `text/html`.
    pub(super) html_content_type: bool,
}

impl RenderStyle {
    pub(super) fn render(self, outcome: Result<Reply, Failure>) -> Response {
        match outcome {
            Ok(reply) => self.render_reply(reply),
            Err(failure) => self.render_failure(failure),
        }
    }

    fn render_reply(self, reply: Reply) -> Response {
        let mut response = match reply.body {
            Some(body) => self.json_response(reply.status, &body),
            None => bare_response(reply.status, Body::empty()),
        };
        response.headers_mut().extend(reply.headers);
        response
    }

    fn render_failure(self, failure: Failure) -> Response {
        let status =
            StatusCode::from_u16(failure.error.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = if failure.from_firewall || (self.non_scim_errors && is_routing(status))
        {
            text_response(
                status,
                "text/html; charset=utf-8",
                html_page(status, &failure.error.detail),
            )
        } else if self.non_scim_errors {
            text_response(
                status,
                "text/plain; charset=utf-8",
                failure.error.detail.clone(),
            )
        } else {
            self.json_response(status, &failure.error.to_json())
        };
        for (name, value) in failure.headers {
            response.headers_mut().insert(name, value);
        }
        response
    }

    fn json_response(self, status: StatusCode, body: &Value) -> Response {
        let content_type = if self.html_content_type {
            "text/html; charset=utf-8"
        } else {
            SCIM_CONTENT_TYPE
        };
        // Serialising a `Value` cannot fail (its keys are strings); an empty body would be the
        // visible symptom if it ever did.
        let bytes = serde_json::to_vec(body).unwrap_or_default();
        text_response(status, content_type, bytes)
    }
}

/// Statuses a web framework, not the SCIM code, typically produces: the ones a non-SCIM server
/// answers with its HTML error page.
fn is_routing(status: StatusCode) -> bool {
    matches!(status.as_u16(), 401 | 403 | 404 | 405 | 406 | 413 | 415)
}

fn text_response(
    status: StatusCode,
    content_type: &'static str,
    body: impl Into<Body>,
) -> Response {
    let mut response = bare_response(status, body.into());
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

fn bare_response(status: StatusCode, body: Body) -> Response {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    response
}

fn html_page(status: StatusCode, detail: &str) -> String {
    let title = format!(
        "{} {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("Error")
    );
    format!(
        "<!DOCTYPE html>\n<html><head><title>{title}</title></head>\
         <body><h1>{title}</h1><p>{}</p></body></html>\n",
        escape_html(detail)
    )
}

fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '&' => escaped.push_str("&amp;"),
            '"' => escaped.push_str("&quot;"),
            _ => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_response_counts_items_and_keeps_empty_resources() {
        let empty = list_response(0, 1, Vec::new());
        assert_eq!(empty["Resources"], json!([]));
        assert_eq!(empty["itemsPerPage"], json!(0));
        assert_eq!(empty["totalResults"], json!(0));
        let page = list_response(5, 3, vec![json!({"id": "a"}), json!({"id": "b"})]);
        assert_eq!(page["itemsPerPage"], json!(2));
        assert_eq!(page["startIndex"], json!(3));
    }

    #[test]
    fn html_page_escapes_the_detail() {
        let page = html_page(StatusCode::NOT_FOUND, "<script>");
        assert!(page.contains("&lt;script&gt;"));
        assert!(page.contains("404 Not Found"));
    }
}
