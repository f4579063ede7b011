//! Servers may echo the request back (debug endpoints, error pages that dump the headers, a
//! proxy's diagnostic page). The token is cut out of everything kept from a response before any
//! check, capture, snapshot or report can see it.

use super::http::{TransportError, WireResponse};
use crate::secret::SecretString;

const REDACTED: &[u8] = b"[redacted]";

/// The response with every occurrence of the token, in the body and in header values, replaced.
pub fn response(mut response: WireResponse, token: Option<&SecretString>) -> WireResponse {
    let Some(secret) = token
        .map(|t| t.expose().as_bytes())
        .filter(|s| !s.is_empty())
    else {
        return response;
    };
    response.body = replace(&response.body, secret);
    for (_, value) in &mut response.headers {
        if value.contains(token_text(secret)) {
            *value = value.replace(token_text(secret), "[redacted]");
        }
    }
    response
}

/// An error's message with the token cut out (an excerpt of a broken-off body may echo it).
pub fn error(error: &TransportError, token: Option<&SecretString>) -> String {
    let message = error.to_string();
    match token.map(SecretString::expose).filter(|s| !s.is_empty()) {
        Some(secret) => message.replace(secret, "[redacted]"),
        None => message,
    }
}

fn token_text(secret: &[u8]) -> &str {
    std::str::from_utf8(secret).unwrap_or_default()
}

fn replace(haystack: &[u8], needle: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(haystack.len());
    let mut rest = haystack;
    while !rest.is_empty() {
        if rest.starts_with(needle) {
            out.extend_from_slice(REDACTED);
            rest = &rest[needle.len()..];
        } else {
            out.push(rest[0]);
            rest = &rest[1..];
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn an_echoed_token_is_cut_from_body_and_headers() {
        let token = SecretString::new("s3cret");
        let echoed = WireResponse {
            status: 400,
            headers: vec![("X-Echo".to_string(), "Bearer s3cret".to_string())],
            body: b"{\"auth\":\"Bearer s3cret\",\"again\":\"s3crets3cret\"}".to_vec(),
            elapsed: Duration::ZERO,
        };
        let clean = response(echoed, Some(&token));
        assert_eq!(
            String::from_utf8_lossy(&clean.body),
            "{\"auth\":\"Bearer [redacted]\",\"again\":\"[redacted][redacted]\"}"
        );
        assert_eq!(clean.headers[0].1, "Bearer [redacted]");
        let error = TransportError::Protocol("echo s3cret".to_string());
        assert_eq!(
            super::error(&error, Some(&token)),
            "the connection failed mid-exchange: echo [redacted]"
        );
    }
}
