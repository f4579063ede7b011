//! What the proxy keeps of each exchange. Secrets are cut out when an exchange is recorded, so
//! nothing downstream (scenario, HAR) can leak them: `Authorization` keeps only its scheme,
//! token-, password- and secret-like headers, query values and JSON members read `[redacted]`,
//! and every bearer token seen so far is cut from bodies and header values that echo it.

use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use serde_json::Value;

use crate::secret::{REDACTED, SecretString, redact_bytes, redact_json, redact_text};

/// A token shorter than this would match ordinary text, and scrubbing it would garble the
/// recording; real tokens are far longer.
const MIN_SCRUBBED_CHARS: usize = 8;

/// How a request authenticated, without the secret itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    None,
    /// A bearer token: the how-manieth distinct one the proxy saw (0 is the first).
    Bearer {
        token: usize,
    },
    /// Another scheme (`Basic`, …); only its name is kept.
    Other {
        scheme: String,
    },
}

#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub method: String,
    /// Below the upstream's base URL, percent-encoded as received, e.g. `/Users/42`.
    pub path: String,
    /// The query string as received, with secret-like values redacted.
    pub query: Option<String>,
    /// As received, minus hop-by-hop headers and `Host`; secrets redacted.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub credential: Credential,
}

#[derive(Debug, Clone)]
pub struct RecordedResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub elapsed: Duration,
}

/// One request the proxy received and the answer its client got.
#[derive(Debug, Clone)]
pub struct RecordedExchange {
    pub started: SystemTime,
    /// The upstream URL the request went to (no userinfo; secret query values redacted).
    pub upstream_url: String,
    pub request: RecordedRequest,
    pub response: RecordedResponse,
    /// Why the proxy answered itself (the upstream gave no answer: 502; the request could not
    /// be forwarded: 413, 501); `None` when the response is the upstream's.
    pub answered_by_proxy: Option<String>,
}

impl RecordedExchange {
    pub fn request_header(&self, name: &str) -> Option<&str> {
        header(&self.request.headers, name)
    }
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// The bearer tokens seen so far: kept only to tell them apart and to cut echoes of them out of
/// what is recorded.
#[derive(Debug, Default)]
pub struct TokenBook {
    tokens: Mutex<Vec<SecretString>>,
}

impl TokenBook {
    /// What an `Authorization` header value says about the credential, remembering a new token.
    pub fn credential(&self, authorization: Option<&str>) -> Credential {
        let Some(value) = authorization else {
            return Credential::None;
        };
        let value = value.trim();
        let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Credential::Other {
                scheme: scheme.to_string(),
            };
        }
        let token = rest.trim();
        let mut tokens = self.lock();
        let index = match tokens.iter().position(|t| t.expose() == token) {
            Some(index) => index,
            None => {
                tokens.push(SecretString::new(token));
                tokens.len() - 1
            }
        };
        Credential::Bearer { token: index }
    }

    /// The redactor for one exchange: every token seen so far and `extra`, the secrets of the
    /// request itself (see [`request_secrets`]), are cut from whatever echoes them.
    pub fn scrubber(&self, extra: Vec<String>) -> Scrubber {
        let mut secrets: Vec<String> = self.lock().iter().map(|t| t.expose().to_string()).collect();
        secrets.extend(extra);
        secrets.retain(|s| s.len() >= MIN_SCRUBBED_CHARS);
        // Longest first, so a secret that contains another is cut whole.
        secrets.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
        secrets.dedup();
        Scrubber { secrets }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<SecretString>> {
        // A panic elsewhere cannot leave the list half-written: pushes are atomic.
        self.tokens.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The secret values a request carries outside its bearer token: secret-like headers (and a
/// credential header's value after its scheme), query values and JSON members.
pub fn request_secrets(
    headers: &[(String, String)],
    query: Option<&str>,
    body: &[u8],
) -> Vec<String> {
    let mut secrets = Vec::new();
    for (name, value) in headers {
        if is_secret_name(name) {
            secrets.push(value.trim().to_string());
            if let Some((_, credential)) = value.trim().split_once(' ') {
                secrets.push(credential.trim().to_string());
            }
        }
    }
    if let Some(query) = query {
        for part in query.split('&') {
            if let Some((name, value)) = part.split_once('=')
                && is_secret_name(&decoded(name))
            {
                secrets.push(value.to_string());
                secrets.push(decoded(value));
            }
        }
    }
    if let Ok(value) = serde_json::from_slice::<Value>(body) {
        secret_members(&value, &mut secrets);
    }
    secrets
}

fn secret_members(value: &Value, secrets: &mut Vec<String>) {
    match value {
        Value::Object(object) => {
            for (key, member) in object {
                match member {
                    Value::String(text) if is_secret_name(key) => secrets.push(text.clone()),
                    other => secret_members(other, secrets),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| secret_members(item, secrets)),
        _ => {}
    }
}

/// Cuts one exchange's secrets out of what is written down.
#[derive(Debug)]
pub struct Scrubber {
    secrets: Vec<String>,
}

impl Scrubber {
    /// The bytes with every secret replaced by `[redacted]`.
    pub fn scrub_bytes(&self, bytes: &[u8]) -> Vec<u8> {
        let mut out = bytes.to_vec();
        for secret in &self.secrets {
            out = redact_bytes(&out, secret.as_bytes());
        }
        out
    }

    pub fn scrub_text(&self, text: &str) -> String {
        let mut out = text.to_string();
        for secret in &self.secrets {
            out = redact_text(&out, secret);
        }
        out
    }

    /// Headers as they may be written down: credentials keep only their scheme, secret-like
    /// headers read `[redacted]`, echoed secrets are cut from the rest.
    pub fn redact_headers(&self, headers: &[(String, String)]) -> Vec<(String, String)> {
        headers
            .iter()
            .map(|(name, value)| {
                let shown = if is_credential_header(name) {
                    match value.trim().split_once(' ') {
                        Some((scheme, _)) => format!("{scheme} {REDACTED}"),
                        None => REDACTED.to_string(),
                    }
                } else if is_secret_name(name) {
                    REDACTED.to_string()
                } else {
                    self.scrub_text(value)
                };
                (name.clone(), shown)
            })
            .collect()
    }

    /// A query string with secret-like parameters' values redacted and echoed secrets cut out;
    /// every other byte stays as received.
    pub fn redact_query(&self, query: &str) -> String {
        let parts: Vec<String> = query
            .split('&')
            .map(|part| match part.split_once('=') {
                Some((name, _)) if is_secret_name(&decoded(name)) => {
                    format!("{name}=%5Bredacted%5D")
                }
                _ => part.to_string(),
            })
            .collect();
        self.scrub_text(&parts.join("&"))
    }

    /// A body with echoed secrets cut out and, in JSON, secret-like members' values redacted.
    pub fn redact_body(&self, body: &[u8]) -> Vec<u8> {
        let scrubbed = self.scrub_bytes(body);
        match serde_json::from_slice::<Value>(&scrubbed) {
            Ok(mut value) => {
                // A doubly escaped echo survives the byte scan but not decoding.
                let mut changed = redact_members(&mut value);
                for secret in &self.secrets {
                    changed |= redact_json(&mut value, secret);
                }
                if changed {
                    serde_json::to_vec(&value).unwrap_or(scrubbed)
                } else {
                    scrubbed
                }
            }
            Err(_) => scrubbed,
        }
    }
}

/// Headers that carry credentials in `scheme value` form.
fn is_credential_header(name: &str) -> bool {
    name.eq_ignore_ascii_case("authorization") || name.eq_ignore_ascii_case("proxy-authorization")
}

/// Header, query parameter and JSON member names whose values are secrets.
pub fn is_secret_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    is_credential_header(&lower)
        || lower == "cookie"
        || lower == "set-cookie"
        || [
            "token",
            "password",
            "passwd",
            "secret",
            "apikey",
            "api-key",
            "api_key",
            "credential",
        ]
        .iter()
        .any(|word| lower.contains(word))
}

/// Redacts secret-like members anywhere in the value; `true` when it changed something.
fn redact_members(value: &mut Value) -> bool {
    match value {
        Value::Object(object) => {
            let mut changed = false;
            for (key, member) in object.iter_mut() {
                if is_secret_name(key) && !member.is_null() {
                    *member = Value::String(REDACTED.to_string());
                    changed = true;
                } else {
                    changed |= redact_members(member);
                }
            }
            changed
        }
        Value::Array(items) => items
            .iter_mut()
            .fold(false, |changed, item| redact_members(item) | changed),
        _ => false,
    }
}

fn decoded(text: &str) -> String {
    form_urlencoded::parse(text.as_bytes())
        .next()
        .map(|(name, _)| name.into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_told_apart_and_never_kept_in_what_is_written() {
        let book = TokenBook::default();
        assert_eq!(
            book.credential(Some("Bearer first-token-123")),
            Credential::Bearer { token: 0 }
        );
        assert_eq!(
            book.credential(Some("bearer wrong-token-456")),
            Credential::Bearer { token: 1 }
        );
        assert_eq!(
            book.credential(Some("Bearer first-token-123")),
            Credential::Bearer { token: 0 }
        );
        assert_eq!(
            book.credential(Some("Basic dXNlcjpwYXNz")),
            Credential::Other {
                scheme: "Basic".to_string()
            }
        );
        assert_eq!(book.credential(None), Credential::None);

        let scrubber = book.scrubber(Vec::new());
        let headers = scrubber.redact_headers(&[
            ("authorization".into(), "Bearer first-token-123".into()),
            ("x-api-key".into(), "k".into()),
            ("x-echo".into(), "saw first-token-123".into()),
            ("content-type".into(), "application/scim+json".into()),
        ]);
        assert_eq!(headers[0].1, "Bearer [redacted]");
        assert_eq!(headers[1].1, "[redacted]");
        assert_eq!(headers[2].1, "saw [redacted]");
        assert_eq!(headers[3].1, "application/scim+json");
        assert_eq!(
            scrubber.redact_body(br#"{"detail":"bad token wrong-token-456"}"#),
            br#"{"detail":"bad token [redacted]"}"#
        );
        // Echoes escaped the way .NET and JSON-in-JSON write them.
        let escaped =
            scrubber.redact_headers(&[("x-echo".into(), r"saw first\u002Dtoken-123".into())]);
        assert_eq!(escaped[0].1, "saw [redacted]");
        let nested = scrubber.redact_body(br#"{"detail":"{\"auth\":\"wrong\\u002Dtoken-456\"}"}"#);
        let text = String::from_utf8(nested).unwrap();
        assert!(!text.contains("456"), "{text}");
        assert!(serde_json::from_str::<Value>(&text).is_ok(), "{text}");
    }

    #[test]
    fn secret_query_values_and_json_members_are_redacted() {
        let book = TokenBook::default();
        let headers = [("X-Api-Key".to_string(), "key-value-123".to_string())];
        let query = "filter=userName+eq+%22a%22&access_token=abc%2Bdefghij&x";
        let body =
            br#"{"userName":"a","password":"p4ssw0rd-long","nested":[{"clientSecret":"s"}]}"#;
        let secrets = request_secrets(&headers, Some(query), body);
        assert_eq!(
            secrets,
            [
                "key-value-123",
                "abc%2Bdefghij",
                "abc+defghij",
                "p4ssw0rd-long",
                "s"
            ]
        );
        let book = book.scrubber(secrets);
        assert_eq!(
            book.redact_query(query),
            "filter=userName+eq+%22a%22&access_token=%5Bredacted%5D&x"
        );
        assert_eq!(
            book.redact_body(body),
            br#"{"userName":"a","password":"[redacted]","nested":[{"clientSecret":"[redacted]"}]}"#
        );
        // A body without secrets keeps its bytes, whitespace included.
        assert_eq!(book.redact_body(b"{ \"a\": 1 }"), b"{ \"a\": 1 }");
        assert_eq!(
            book.scrub_text("echo: key-value-123 abc+defghij p4ssw0rd-long"),
            "echo: [redacted] [redacted] [redacted]"
        );
    }
}
