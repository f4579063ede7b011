//! Servers may echo the request back (debug endpoints, error pages that dump the headers, a
//! proxy's diagnostic page), often escaped (.NET writes `+` as `\u002B`). The token is cut out of
//! everything kept from a response, in every form, before any check, capture, snapshot or report
//! can see it.

use serde_json::Value;

use super::http::{TransportError, WireResponse};
use crate::secret::{REDACTED, SecretString, redact_bytes, redact_json, redact_text};

/// A shorter token would match ordinary text (a one-letter test token is in every word) and
/// scrubbing it would garble the response; real tokens are far longer.
const MIN_SCRUBBED_CHARS: usize = 8;

/// The response with every occurrence of the token, raw or escaped, in the body and in header
/// values, replaced. A JSON body that still decodes to the token somewhere (an escape the byte
/// scan does not know) is replaced by its decoded, redacted document: reports and snapshots show
/// the body decoded.
pub fn response(mut response: WireResponse, token: Option<&SecretString>) -> WireResponse {
    let Some(secret) = scrubbed(token) else {
        return response;
    };
    response.body = redact_bytes(&response.body, secret.as_bytes());
    if let Ok(mut decoded) = serde_json::from_slice::<Value>(&response.body)
        && redact_json(&mut decoded, secret)
    {
        response.body =
            serde_json::to_vec(&decoded).unwrap_or_else(|_| REDACTED.as_bytes().to_vec());
    }
    for (_, value) in &mut response.headers {
        *value = redact_text(value, secret);
    }
    response
}

/// An error's message with the token cut out (an excerpt of a broken-off body may echo it).
pub fn error(error: &TransportError, token: Option<&SecretString>) -> String {
    let message = error.to_string();
    match scrubbed(token) {
        Some(secret) => redact_text(&message, secret),
        None => message,
    }
}

fn scrubbed(token: Option<&SecretString>) -> Option<&str> {
    token
        .map(SecretString::expose)
        .filter(|s| s.len() >= MIN_SCRUBBED_CHARS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn with_body(body: &[u8], headers: Vec<(String, String)>) -> WireResponse {
        WireResponse {
            status: 400,
            headers,
            body: body.to_vec(),
            elapsed: Duration::ZERO,
        }
    }

    #[test]
    fn an_echoed_token_is_cut_from_body_headers_and_errors() {
        let token = SecretString::new("s3cret-token");
        let echoed = with_body(
            b"{\"auth\":\"Bearer s3cret-token\",\"again\":\"s3cret-tokens3cret-token\"}",
            vec![("X-Echo".to_string(), "Bearer s3cret-token".to_string())],
        );
        let clean = response(echoed, Some(&token));
        assert_eq!(
            String::from_utf8_lossy(&clean.body),
            "{\"auth\":\"Bearer [redacted]\",\"again\":\"[redacted][redacted]\"}"
        );
        assert_eq!(clean.headers[0].1, "Bearer [redacted]");
        let failure = TransportError::Protocol("echo s3cret-token".to_string());
        assert_eq!(
            error(&failure, Some(&token)),
            "the connection failed mid-exchange: echo [redacted]"
        );
    }

    #[test]
    fn an_escaped_echo_is_cut_and_a_doubly_escaped_one_is_cut_from_the_decoded_body() {
        let token = SecretString::new("q8Zk+7fQ2mX/9vLp3w==");
        // System.Text.Json's escaping, as an ASP.NET 401 page writes it.
        let escaped = with_body(
            br#"{"status":"401","detail":"Invalid credentials: Bearer q8Zk\u002B7fQ2mX/9vLp3w=="}"#,
            vec![(
                "WWW-Authenticate".to_string(),
                "Bearer error=\"q8Zk%2B7fQ2mX%2F9vLp3w%3D%3D\"".to_string(),
            )],
        );
        let clean = response(escaped, Some(&token));
        assert_eq!(
            String::from_utf8_lossy(&clean.body),
            r#"{"status":"401","detail":"Invalid credentials: Bearer [redacted]"}"#
        );
        assert_eq!(clean.headers[0].1, "Bearer error=\"[redacted]\"");

        // A JSON document quoted inside a JSON string: only decoding shows the token.
        let nested = with_body(
            br#"{"detail":"{\"auth\":\"q8Zk\\u002B7fQ2mX/9vLp3w==\"}","n":1}"#,
            Vec::new(),
        );
        let clean = response(nested, Some(&token));
        let decoded: Value = serde_json::from_slice(&clean.body).unwrap();
        assert_eq!(decoded["detail"], r#"{"auth":"[redacted]"}"#);
        assert_eq!(decoded["n"], 1);
    }

    #[test]
    fn a_token_too_short_to_tell_from_text_leaves_the_response_alone() {
        let body = b"application/scim+json";
        let clean = response(with_body(body, Vec::new()), Some(&SecretString::new("t")));
        assert_eq!(clean.body, body);
    }
}
