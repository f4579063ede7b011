//! Bearer-token check (RFC 6750) in front of every endpoint. The token is never logged or echoed.

use axum::http::HeaderMap;
use axum::http::header::{AUTHORIZATION, WWW_AUTHENTICATE};

use super::reply::Failure;
use crate::scim::ScimError;

const CHALLENGE: &str = "Bearer realm=\"scim-harness\"";
const CHALLENGE_INVALID: &str = "Bearer realm=\"scim-harness\", error=\"invalid_token\"";

/// Accepts the request if it carries `Authorization: Bearer <expected>`. With no expected token,
/// every request is refused: a server started without a secret must not be open.
pub(super) fn authorize(headers: &HeaderMap, expected: Option<&str>) -> Result<(), Failure> {
    let Some(expected) = expected else {
        return Err(refuse(
            "this server was started without a token, so it refuses every request",
            CHALLENGE,
        ));
    };
    let Some(presented) = headers
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
    else {
        return Err(refuse(
            "missing Authorization header: send Authorization: Bearer <token>",
            CHALLENGE,
        ));
    };
    let Some(token) = bearer_token(presented) else {
        return Err(refuse(
            "the Authorization header must use the Bearer scheme",
            CHALLENGE,
        ));
    };
    if constant_time_eq(token.as_bytes(), expected.as_bytes()) {
        Ok(())
    } else {
        Err(refuse("invalid bearer token", CHALLENGE_INVALID))
    }
}

/// The credentials after a case-insensitive `Bearer` scheme (RFC 7235 §2.1).
fn bearer_token(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

fn refuse(detail: &str, challenge: &str) -> Failure {
    Failure::from(ScimError::unauthorized(detail)).with_header(WWW_AUTHENTICATE, challenge)
}

/// Compares without an early exit, so response time does not reveal how many leading bytes of a
/// guessed token were right. Only the length can leak, which says little about a random token.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let difference = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(difference) == 0
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(authorization: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            AUTHORIZATION,
            HeaderValue::from_str(authorization).expect("test header"),
        );
        headers
    }

    #[test]
    fn accepts_the_right_token_with_any_scheme_case() {
        assert!(authorize(&headers("Bearer abc"), Some("abc")).is_ok());
        assert!(authorize(&headers("bearer abc"), Some("abc")).is_ok());
    }

    #[test]
    fn refuses_wrong_missing_and_unconfigured_tokens() {
        assert!(authorize(&headers("Bearer abd"), Some("abc")).is_err());
        assert!(authorize(&headers("Bearer ab"), Some("abc")).is_err());
        assert!(authorize(&headers("Basic abc"), Some("abc")).is_err());
        assert!(authorize(&HeaderMap::new(), Some("abc")).is_err());
        assert!(authorize(&headers("Bearer abc"), None).is_err());
    }
}
