//! Whatever a server echoes of the token, and however it escapes it, nothing kept from the
//! response shows it: random tokens, each character in a random form (raw, JSON `\uXXXX` in
//! either case and the short escapes, percent-encoded in either case, HTML references), echoed in
//! a JSON body, doubly escaped inside a JSON string, in a text body and in a header. Every
//! decoding a report or snapshot applies is searched for the plain token.

use std::time::Duration;

use proptest::prelude::*;
use scim_harness::run::http::WireResponse;
use scim_harness::run::scrub;
use scim_harness::secret::{REDACTED, SecretString};
use scim_harness::snapshot::redact::{Redactions, exchange_document, redact};
use serde_json::Value;

/// What surrounds the echo; no character of it can be part of a token or start an escape.
const FILLER: &str = " :;·";

#[derive(Debug, Clone, Copy)]
enum Form {
    Raw,
    JsonLower,
    JsonUpper,
    JsonShort,
    PercentLower,
    PercentUpper,
    HtmlDecimal,
    HtmlHex,
}

fn token() -> impl Strategy<Value = String> {
    let common = prop::sample::select(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=._-"
            .chars()
            .collect::<Vec<_>>(),
    );
    let unusual = prop::sample::select(vec!['"', '\\', '%', '&', '<', '\'', 'é', '€', '😀']);
    prop::collection::vec(prop_oneof![8 => common, 1 => unusual], 8..40)
        .prop_map(|chars| chars.into_iter().collect())
}

fn form() -> impl Strategy<Value = Form> {
    prop::sample::select(vec![
        Form::Raw,
        Form::JsonLower,
        Form::JsonUpper,
        Form::JsonShort,
        Form::PercentLower,
        Form::PercentUpper,
        Form::HtmlDecimal,
        Form::HtmlHex,
    ])
}

fn filler() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(FILLER.chars().collect::<Vec<_>>()),
        0..6,
    )
    .prop_map(|chars| chars.into_iter().collect())
}

fn json_escape(c: char, upper: bool) -> String {
    let mut units = [0; 2];
    c.encode_utf16(&mut units)
        .iter()
        .map(|unit| match upper {
            true => format!("\\u{unit:04X}"),
            false => format!("\\u{unit:04x}"),
        })
        .collect()
}

fn encode(c: char, form: Form) -> String {
    let mut raw = [0; 4];
    let bytes = c.encode_utf8(&mut raw).as_bytes();
    match form {
        Form::Raw => c.to_string(),
        Form::JsonLower => json_escape(c, false),
        Form::JsonUpper => json_escape(c, true),
        Form::JsonShort => match c {
            '"' => "\\\"".to_string(),
            '\\' => "\\\\".to_string(),
            '/' => "\\/".to_string(),
            _ => json_escape(c, true),
        },
        Form::PercentLower => bytes.iter().map(|b| format!("%{b:02x}")).collect(),
        Form::PercentUpper => bytes.iter().map(|b| format!("%{b:02X}")).collect(),
        Form::HtmlDecimal => format!("&#{};", u32::from(c)),
        Form::HtmlHex => format!("&#x{:X};", u32::from(c)),
    }
}

/// The token as a server writes it; `in_json`: inside a JSON string, where a raw `"` or `\`
/// would end or break it.
fn echo(token: &str, forms: &[Form], in_json: bool) -> String {
    token
        .chars()
        .zip(forms.iter().cycle())
        .map(|(c, &form)| match form {
            Form::Raw if in_json && matches!(c, '"' | '\\') => encode(c, Form::JsonShort),
            _ => encode(c, form),
        })
        .collect()
}

fn scrubbed(body: String, header: String, token: &str) -> WireResponse {
    let response = WireResponse {
        status: 401,
        headers: vec![("WWW-Authenticate".to_string(), header)],
        body: body.into_bytes(),
        elapsed: Duration::ZERO,
    };
    scrub::response(response, Some(&SecretString::new(token)))
}

/// Every string in the document, and in each string that is itself a JSON document.
fn decoded_strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(text) => {
            if let Ok(inner) = serde_json::from_str::<Value>(text) {
                decoded_strings(&inner, out);
            }
            out.push(text.clone());
        }
        Value::Array(items) => items.iter().for_each(|item| decoded_strings(item, out)),
        Value::Object(members) => {
            for (name, member) in members {
                out.push(name.clone());
                decoded_strings(member, out);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

fn percent_decoded(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn no_form_of_an_echoed_token_survives_in_anything_kept(
        token in token(),
        forms in prop::collection::vec(form(), 1..12),
        before in filler(),
        after in filler(),
    ) {
        let in_json = echo(&token, &forms, true);
        let line = format!("{before}Bearer {in_json}{after}");
        let quoted = serde_json::to_string(&format!("{{\"auth\":\"{line}\"}}")).unwrap();
        let body = format!(
            "{{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:Error\"],\"detail\":\"{line}\",\"{in_json}\":{quoted}}}"
        );
        let in_text = echo(&token, &forms, false);
        let header = format!("Bearer error=\"{before}{in_text}{after}\"");
        let clean = scrubbed(body, header, &token);

        let body_text = String::from_utf8_lossy(&clean.body).into_owned();
        let document: Value = serde_json::from_str(&body_text).expect("still JSON");
        let expected = format!("{before}Bearer {REDACTED}{after}");
        prop_assert_eq!(document["detail"].as_str(), Some(expected.as_str()), "only the token is cut");
        let mut shown = vec![
            body_text.clone(),
            percent_decoded(&body_text),
            serde_json::to_string_pretty(&document).unwrap(),
            clean.headers[0].1.clone(),
            percent_decoded(&clean.headers[0].1),
        ];
        decoded_strings(&document, &mut shown);
        let mut snapshot = exchange_document(clean.status, &clean.headers, Some(&document), None);
        redact(&mut snapshot, &Redactions::default());
        shown.push(serde_json::to_string_pretty(&snapshot).unwrap());
        for text in &shown {
            prop_assert!(!text.contains(&token), "the token shows in {}", text);
        }

        let text_body = scrubbed(format!("{before}{in_text}{after}"), String::new(), &token);
        let text = String::from_utf8_lossy(&text_body.body).into_owned();
        prop_assert_eq!(&text, &format!("{before}{REDACTED}{after}"));
    }
}
