//! A string that never shows itself: the bearer token lives here from the command line to the
//! `Authorization` header, so a stray `{:?}` or `{}` cannot leak it into output or reports.

use std::fmt;

/// What stands in for a secret wherever one would be shown or written.
pub const REDACTED: &str = "[redacted]";

/// `haystack` with every occurrence of `needle` replaced by [`REDACTED`]; bodies may not be
/// UTF-8, so this works on bytes.
pub fn redact_bytes(haystack: &[u8], needle: &[u8]) -> Vec<u8> {
    if needle.is_empty() {
        return haystack.to_vec();
    }
    let mut out = Vec::with_capacity(haystack.len());
    let mut rest = haystack;
    while let Some((&first, tail)) = rest.split_first() {
        if rest.starts_with(needle) {
            out.extend_from_slice(REDACTED.as_bytes());
            rest = &rest[needle.len()..];
        } else {
            out.push(first);
            rest = tail;
        }
    }
    out
}

#[derive(Clone, PartialEq, Eq)]
pub struct SecretString(String);

impl SecretString {
    pub fn new(value: impl Into<String>) -> Self {
        SecretString(value.into())
    }

    /// The secret itself; call only where it goes on the wire.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_occurrence_is_redacted_and_an_empty_needle_changes_nothing() {
        assert_eq!(
            redact_bytes(b"a tok b tok", b"tok"),
            b"a [redacted] b [redacted]".to_vec()
        );
        assert_eq!(redact_bytes(b"\xffabc", b""), b"\xffabc".to_vec());
    }

    #[test]
    fn never_formats_its_value() {
        let secret = SecretString::new("hunter2-token");
        assert_eq!(format!("{secret}"), "[redacted]");
        assert_eq!(format!("{secret:?}"), "[redacted]");
        assert_eq!(secret.expose(), "hunter2-token");
    }
}
