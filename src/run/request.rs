//! From a scenario's request to the bytes Entra would send (reference §1.0): the filter
//! form-encoded (`filter=userName+eq+%22…%22`), `Content-Type: application/scim+json;
//! charset=utf-8` on bodies, `Authorization: Bearer …`, and no `Accept` or `User-Agent` unless the
//! scenario names them.

use crate::scenario::model::{Auth, Body, RequestSpec};
use crate::scenario::template::{RenderError, Vars};

use super::Target;
use super::http::WireRequest;

/// Entra's media type on every request body.
pub const ENTRA_CONTENT_TYPE: &str = "application/scim+json; charset=utf-8";

#[derive(Debug, Clone)]
pub struct BuiltRequest {
    pub wire: WireRequest,
    /// The path below the base URL, e.g. `/Users/42`.
    pub path: String,
    /// `path` plus the encoded query, for snapshot headers and reports.
    pub path_and_query: String,
    /// The decoded query, for checks such as "the response honours the filter".
    pub query: Vec<(String, String)>,
    pub display_url: String,
    /// The headers as sent, with the token replaced by `[redacted]`.
    pub display_headers: Vec<(String, String)>,
}

/// `Err(name)`: the variable `name` has no value (a capture that failed earlier).
pub fn build_request(
    spec: &RequestSpec,
    auth: &Auth,
    target: &Target,
    vars: &Vars,
) -> Result<BuiltRequest, String> {
    let path = spec.path.render(vars).map_err(missing_name)?;
    let mut query = Vec::with_capacity(spec.query.len());
    for (name, value) in &spec.query {
        query.push((name.clone(), value.render(vars).map_err(missing_name)?));
    }
    let encoded_query = form_encode(&query);

    // A Tenant URL may carry its own query (`?aadOptscim062020`); Entra appends the resource path
    // to the URL's path and keeps that query.
    let (base, base_query) = match target.base_url.split_once('?') {
        Some((base, q)) => (base.trim_end_matches('/'), Some(q)),
        None => (target.base_url.trim_end_matches('/'), None),
    };
    let full_query = [base_query.unwrap_or(""), encoded_query.as_str()]
        .into_iter()
        .filter(|q| !q.is_empty())
        .collect::<Vec<_>>()
        .join("&");
    let mut url = format!("{base}{}", encode_path(&path));
    let mut path_and_query = encode_path(&path);
    if !full_query.is_empty() {
        url.push('?');
        url.push_str(&full_query);
    }
    if !encoded_query.is_empty() {
        path_and_query.push('?');
        path_and_query.push_str(&encoded_query);
    }

    let body = match &spec.body {
        None => None,
        Some(Body::Json(template)) => {
            let value = template.render(vars).map_err(missing_name)?;
            Some(serde_json::to_vec(&value).unwrap_or_default())
        }
        Some(Body::Raw(template)) => {
            Some(template.render(vars).map_err(missing_name)?.into_bytes())
        }
    };

    let mut headers: Vec<(String, String)> = Vec::new();
    let mut display_headers: Vec<(String, String)> = Vec::new();
    let bearer = match auth {
        Auth::Token => target.token.as_ref().map(|t| t.expose().to_string()),
        Auth::None => None,
        Auth::Bearer(template) => Some(template.render(vars).map_err(missing_name)?),
    };
    if let Some(token) = bearer {
        headers.push(("Authorization".to_string(), format!("Bearer {token}")));
        display_headers.push(("Authorization".to_string(), "Bearer [redacted]".to_string()));
    }
    if body.is_some() {
        headers.push(("Content-Type".to_string(), ENTRA_CONTENT_TYPE.to_string()));
        display_headers.push(("Content-Type".to_string(), ENTRA_CONTENT_TYPE.to_string()));
    }
    for (name, value) in &spec.headers {
        let value = value.render(vars).map_err(missing_name)?;
        let shown = if name.eq_ignore_ascii_case("authorization") {
            "[redacted]".to_string()
        } else {
            value.clone()
        };
        replace_header(&mut headers, name, value);
        replace_header(&mut display_headers, name, shown);
    }

    Ok(BuiltRequest {
        wire: WireRequest {
            method: spec.method.as_str(),
            url: url.clone(),
            headers,
            body,
        },
        path,
        path_and_query,
        query,
        display_url: url,
        display_headers,
    })
}

fn missing_name(error: RenderError) -> String {
    match error {
        RenderError::Undefined { name, .. } => name,
    }
}

fn replace_header(headers: &mut Vec<(String, String)>, name: &str, value: String) {
    headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    headers.push((name.to_string(), value));
}

/// `application/x-www-form-urlencoded`, as Entra's .NET client writes it: space as `+`, `"` as
/// `%22`, `@` as `%40`.
pub fn form_encode(pairs: &[(String, String)]) -> String {
    let mut serializer = form_urlencoded::Serializer::new(String::new());
    for (name, value) in pairs {
        serializer.append_pair(name, value);
    }
    serializer.finish()
}

/// Percent-encodes what may not stand in a URL path (an id with a space or `?`), keeping `/`.
fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        let keep = byte.is_ascii_alphanumeric() || b"/-._~!$&'()*+,;=:@%".contains(&byte);
        if keep {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_is_form_encoded_like_entra() {
        let pairs = vec![(
            "filter".to_string(),
            "userName eq \"7d420df3-9995-4831-a406-ecf8166f5f6a\"".to_string(),
        )];
        assert_eq!(
            form_encode(&pairs),
            "filter=userName+eq+%227d420df3-9995-4831-a406-ecf8166f5f6a%22"
        );
        let at = vec![("filter".to_string(), "userName eq \"x@y.com\"".to_string())];
        assert_eq!(form_encode(&at), "filter=userName+eq+%22x%40y.com%22");
    }

    #[test]
    fn path_keeps_slashes_and_encodes_spaces_and_question_marks() {
        assert_eq!(encode_path("/Users/a b?c"), "/Users/a%20b%3Fc");
        assert_eq!(encode_path("/Users/42"), "/Users/42");
    }
}
