//! A string that never shows itself: the bearer token lives here from the command line to the
//! `Authorization` header, so a stray `{:?}` or `{}` cannot leak it into output or reports.

use std::fmt;

use serde_json::Value;

/// What stands in for a secret wherever one would be shown or written.
pub const REDACTED: &str = "[redacted]";

/// `haystack` with every occurrence of `needle` replaced by [`REDACTED`], raw or in any mix of the
/// escapes servers echo text with (JSON, percent-encoding, HTML references); bodies may not be
/// UTF-8, so this works on bytes.
pub fn redact_bytes(haystack: &[u8], needle: &[u8]) -> Vec<u8> {
    if needle.is_empty() {
        return haystack.to_vec();
    }
    let Ok(needle) = std::str::from_utf8(needle) else {
        // No token is anything but text; such a needle can only be matched as it is.
        return replace_occurrences(haystack, &needle[..1], |rest| {
            rest.starts_with(needle).then_some(needle.len())
        });
    };
    let mut matcher = Matcher::new(needle);
    let starts = matcher.start_bytes();
    replace_occurrences(haystack, &starts, |rest| matcher.occurrence_len(rest))
}

/// [`redact_bytes`] for text: an occurrence begins and ends on character boundaries, so the
/// result is still the same text around the cuts.
pub fn redact_text(haystack: &str, needle: &str) -> String {
    let bytes = redact_bytes(haystack.as_bytes(), needle.as_bytes());
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Redacts `needle` in every string and member name of a decoded JSON document: an escape the
/// byte scan does not know (a doubly escaped echo) decodes to the plain token, and reports and
/// snapshots show documents decoded. `true` when something was cut.
pub fn redact_json(value: &mut Value, needle: &str) -> bool {
    if needle.is_empty() {
        return false;
    }
    match value {
        Value::String(text) => redact_string(text, needle),
        Value::Array(items) => items
            .iter_mut()
            .fold(false, |cut, item| redact_json(item, needle) | cut),
        Value::Object(members) => {
            let mut cut = false;
            for member in members.values_mut() {
                cut |= redact_json(member, needle);
            }
            let names_cut = members
                .keys()
                .any(|name| redact_text(name, needle) != *name);
            if names_cut {
                *members = std::mem::take(members)
                    .into_iter()
                    .map(|(name, member)| (redact_text(&name, needle), member))
                    .collect();
            }
            cut | names_cut
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    }
}

fn redact_string(text: &mut String, needle: &str) -> bool {
    let redacted = redact_text(text, needle);
    let cut = redacted != *text;
    *text = redacted;
    cut
}

/// Copies `haystack`, replacing each span `match_len` finds (it is given the rest of the
/// haystack from a byte in `starts` on, and answers the length of an occurrence starting there)
/// by [`REDACTED`].
fn replace_occurrences(
    haystack: &[u8],
    starts: &[u8],
    mut match_len: impl FnMut(&[u8]) -> Option<usize>,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(haystack.len());
    let mut at = 0;
    while let Some(offset) = haystack[at..].iter().position(|b| starts.contains(b)) {
        out.extend_from_slice(&haystack[at..at + offset]);
        at += offset;
        match match_len(&haystack[at..]) {
            Some(len) if len > 0 => {
                // An occurrence that starts with a backslash escaped by the one before it (a
                // JSON-escaped echo inside a JSON string) takes that backslash along, or the
                // cut would leave a lone `\` that breaks the document.
                let backslashes = out.iter().rev().take_while(|&&b| b == b'\\').count();
                if haystack[at] == b'\\' && backslashes % 2 == 1 {
                    out.pop();
                }
                out.extend_from_slice(REDACTED.as_bytes());
                at += len;
            }
            _ => {
                out.push(haystack[at]);
                at += 1;
            }
        }
    }
    out.extend_from_slice(&haystack[at..]);
    out
}

/// Finds a needle in every form a server may echo it: each character as itself or escaped the
/// ways servers echo text, JSON (`\u002B` in either case, surrogate pairs, `\/` and the other
/// short escapes), percent-encoding (`%2B`, `%2b`, `+` for a space) and HTML character references
/// (`&#43;`, `&#x2B;`, `&amp;`). Forms may mix within one occurrence.
struct Matcher {
    chars: Vec<Wanted>,
    /// Where the ways of reading the characters matched so far end, and the next ones: kept
    /// between calls, since every byte of a body may start a match.
    ends: Vec<usize>,
    next: Vec<usize>,
}

/// One character of the needle and its UTF-8 bytes.
struct Wanted {
    char: char,
    raw: [u8; 4],
    raw_len: usize,
}

impl Wanted {
    fn raw(&self) -> &[u8] {
        &self.raw[..self.raw_len]
    }

    /// The lengths of the forms of this character that `rest` starts with: as itself, and
    /// escaped (the first byte tells which escaping).
    fn lengths(&self, rest: &[u8]) -> [Option<usize>; 2] {
        let raw = self.raw();
        let escaped = match rest.first() {
            Some(b'\\') => json_escape_len(rest, self.char),
            Some(b'%') => percent_len(rest, raw),
            Some(b'&') => html_reference_len(rest, self.char),
            Some(b'+') if self.char == ' ' => Some(1),
            _ => None,
        };
        [rest.starts_with(raw).then_some(raw.len()), escaped]
    }
}

impl Matcher {
    fn new(needle: &str) -> Self {
        let chars = needle
            .chars()
            .map(|char| {
                let mut raw = [0; 4];
                let raw_len = char.encode_utf8(&mut raw).len();
                Wanted { char, raw, raw_len }
            })
            .collect();
        Matcher {
            chars,
            ends: Vec::new(),
            next: Vec::new(),
        }
    }

    /// The bytes an occurrence can begin with: the first character's own first byte, or an
    /// escape's.
    fn start_bytes(&self) -> Vec<u8> {
        let mut starts = vec![b'\\', b'%', b'&', b'+'];
        starts.extend(self.chars.first().map(|first| first.raw[0]));
        starts
    }

    /// The length of the longest occurrence at the start of `rest`.
    fn occurrence_len(&mut self, rest: &[u8]) -> Option<usize> {
        // Most characters can be read only one way at a given place; one end is followed until
        // a character can be read two ways (`%` as itself or as `%25`).
        let mut end = 0;
        for (index, wanted) in self.chars.iter().enumerate() {
            match wanted.lengths(&rest[end..]) {
                [None, None] => return None,
                [Some(len), None] | [None, Some(len)] => end += len,
                [Some(raw), Some(escaped)] => {
                    return self.all_readings(rest, index + 1, [end + raw, end + escaped]);
                }
            }
        }
        Some(end)
    }

    /// Follows every reading from the character at `from` on, starting at each of `ends`.
    fn all_readings(&mut self, rest: &[u8], from: usize, ends: [usize; 2]) -> Option<usize> {
        self.ends.clear();
        self.ends.extend(ends);
        for wanted in &self.chars[from..] {
            self.next.clear();
            for &end in &self.ends {
                // A character's forms differ in length, so the set of ends stays small.
                for len in wanted.lengths(&rest[end..]).into_iter().flatten() {
                    if !self.next.contains(&(end + len)) {
                        self.next.push(end + len);
                    }
                }
            }
            if self.next.is_empty() {
                return None;
            }
            std::mem::swap(&mut self.ends, &mut self.next);
        }
        self.ends.iter().copied().max()
    }
}

fn json_escape_len(rest: &[u8], wanted: char) -> Option<usize> {
    let short = match wanted {
        '"' => Some(b'"'),
        '\\' => Some(b'\\'),
        '/' => Some(b'/'),
        '\u{8}' => Some(b'b'),
        '\u{c}' => Some(b'f'),
        '\n' => Some(b'n'),
        '\r' => Some(b'r'),
        '\t' => Some(b't'),
        _ => None,
    };
    if short.is_some() && rest.get(1).copied() == short {
        return Some(2);
    }
    let mut units = [0; 2];
    let units = wanted.encode_utf16(&mut units);
    let mut len = 0;
    for &unit in units.iter() {
        let escape = rest.get(len..len + 6)?;
        let digits = escape.strip_prefix(b"\\u")?;
        (hex_value(digits)? == u32::from(unit)).then_some(())?;
        len += 6;
    }
    Some(len)
}

/// `%XX` for each UTF-8 byte of the character, hex digits in either case.
fn percent_len(rest: &[u8], raw: &[u8]) -> Option<usize> {
    for (index, &byte) in raw.iter().enumerate() {
        let escape = rest.get(index * 3..index * 3 + 3)?;
        let digits = escape.strip_prefix(b"%")?;
        (hex_value(digits)? == u32::from(byte)).then_some(())?;
    }
    Some(raw.len() * 3)
}

/// `&#NN;`, `&#xHH;` or one of the named references HTML-escaping writes.
fn html_reference_len(rest: &[u8], wanted: char) -> Option<usize> {
    let named: &[u8] = match wanted {
        '&' => b"&amp;",
        '<' => b"&lt;",
        '>' => b"&gt;",
        '"' => b"&quot;",
        '\'' => b"&apos;",
        _ => b"",
    };
    if !named.is_empty() && rest.starts_with(named) {
        return Some(named.len());
    }
    let reference = rest.strip_prefix(b"&#")?;
    let (digits, radix, skipped) = match reference.first() {
        Some(b'x' | b'X') => (&reference[1..], 16, 3),
        _ => (reference, 10, 2),
    };
    let count = digits
        .iter()
        .take_while(|b| b.is_ascii_digit() || (radix == 16 && b.is_ascii_hexdigit()))
        .count();
    let text = std::str::from_utf8(&digits[..count]).ok()?;
    let value = u32::from_str_radix(text, radix).ok()?;
    (value == u32::from(wanted) && digits.get(count) == Some(&b';')).then_some(skipped + count + 1)
}

/// Hex digits in either case; `None` when any is not one.
fn hex_value(digits: &[u8]) -> Option<u32> {
    // `from_str_radix` would also take a leading `+`.
    digits.iter().all(u8::is_ascii_hexdigit).then_some(())?;
    u32::from_str_radix(std::str::from_utf8(digits).ok()?, 16).ok()
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

/// The URL with anything between `scheme://` and an `@` in its authority masked.
pub fn url_without_credentials(text: &str) -> String {
    let Some(start) = text.find("://").map(|i| i + 3) else {
        return text.to_string();
    };
    let authority_end = text[start..]
        .find(['/', '?', '#'])
        .map_or(text.len(), |i| start + i);
    match text[start..authority_end].rfind('@') {
        Some(at) => format!("{}***{}", &text[..start], &text[start + at..]),
        None => text.to_string(),
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
    fn every_form_a_server_echoes_is_redacted() {
        let token = "q8Zk+7fQ2mX/9vLp3w==";
        for echoed in [
            r"q8Zk\u002B7fQ2mX/9vLp3w==",
            r"q8Zk\u002b7fQ2mX\/9vLp3w\u003D\u003d",
            r"\u0071\u0038\u005a\u006B+7fQ2mX\u002F9vLp3w==",
            "q8Zk%2B7fQ2mX%2f9vLp3w%3D%3d",
            "q8Zk&#43;7fQ2mX&#x2F;9vLp3w&#61;=",
        ] {
            let body = format!("{{\"detail\":\"Invalid credentials: Bearer {echoed}.\"}}");
            assert_eq!(
                String::from_utf8_lossy(&redact_bytes(body.as_bytes(), token.as_bytes())),
                "{\"detail\":\"Invalid credentials: Bearer [redacted].\"}",
                "{echoed}"
            );
        }
        // Almost the token is not the token.
        let near = r"q8Zk\u002C7fQ2mX/9vLp3w== q8Zk%2B7fQ2mX/9vLp3w= q8Zk&#43 7fQ2mX";
        assert_eq!(redact_text(near, token), near);
    }

    #[test]
    fn characters_beyond_ascii_match_raw_as_json_escapes_and_percent_encoded() {
        let token = "tök€n-😀-secret";
        for echoed in [
            "tök€n-😀-secret",
            r"t\u00F6k\u20ACn-\uD83D\uDE00-secret",
            "t%C3%B6k%E2%82%ACn-%F0%9F%98%80-secret",
            "t&#246;k&#x20AC;n-&#128512;-secret",
        ] {
            assert_eq!(
                redact_text(&format!("<{echoed}>"), token),
                "<[redacted]>",
                "{echoed}"
            );
        }
    }

    #[test]
    fn decoded_json_is_redacted_in_strings_and_member_names() {
        let token = "Distinctive+Token/123";
        let mut document = serde_json::json!({
            "detail": r"Bearer Distinctive\u002BToken\/123",
            "Distinctive+Token/123": ["x Distinctive+Token/123 y", 1, null],
            "kept": "nothing here",
        });
        assert!(redact_json(&mut document, token));
        assert_eq!(
            document,
            serde_json::json!({
                "detail": "Bearer [redacted]",
                "[redacted]": ["x [redacted] y", 1, null],
                "kept": "nothing here",
            })
        );
        assert!(!redact_json(&mut document, token));
    }

    #[test]
    fn never_formats_its_value() {
        let secret = SecretString::new("hunter2-token");
        assert_eq!(format!("{secret}"), "[redacted]");
        assert_eq!(format!("{secret:?}"), "[redacted]");
        assert_eq!(secret.expose(), "hunter2-token");
    }
}
