//! Servers may echo the request back (debug endpoints, error pages that dump the headers, a
//! proxy's diagnostic page). The token is cut out of everything kept from a response before any
//! check, capture, snapshot or report can see it.

use super::http::{TransportError, WireResponse};
use crate::secret::{REDACTED, SecretString, redact_bytes};

/// A shorter token would match ordinary text (a one-letter test token is in every word) and
/// scrubbing it would garble the response; real tokens are far longer.
const MIN_SCRUBBED_CHARS: usize = 8;

/// The response with every occurrence of the token, in the body and in header values, replaced.
pub fn response(mut response: WireResponse, token: Option<&SecretString>) -> WireResponse {
    let Some(secret) = scrubbed(token) else {
        return response;
    };
    response.body = redact_bytes(&response.body, secret.as_bytes());
    for (_, value) in &mut response.headers {
        if value.contains(secret) {
            *value = value.replace(secret, REDACTED);
        }
    }
    response
}

/// An error's message with the token cut out (an excerpt of a broken-off body may echo it).
pub fn error(error: &TransportError, token: Option<&SecretString>) -> String {
    let message = error.to_string();
    match scrubbed(token) {
        Some(secret) => message.replace(secret, REDACTED),
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
    fn a_token_too_short_to_tell_from_text_leaves_the_response_alone() {
        let body = b"application/scim+json";
        let clean = response(with_body(body, Vec::new()), Some(&SecretString::new("t")));
        assert_eq!(clean.body, body);
    }
}
