//! From recorded exchanges to a scenario file (docs/scenario-format.md) that replays them: one
//! step per exchange, the request as it was sent, the recorded status as the assertion. Ids the
//! server assigned are captured and used in later requests (`/Users/{{user_1_id}}`), and the run
//! prefix of a recorded harness run becomes `{{run.prefix}}`, so the file replays against a fresh
//! server and again against the same one.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use super::recording::{Credential, RecordedExchange};
use crate::run::{ENTRA_CONTENT_TYPE, form_encode};
use crate::scenario::writer::{YamlWriter, template_literal};

/// What the scenario says about itself.
#[derive(Debug, Clone)]
pub struct ScenarioOptions {
    /// The scenario's `name:` (`[a-z0-9-]+`).
    pub name: String,
    /// The profile the scenario is for (its `profiles:` and the "run it" comment).
    pub profile: String,
    /// Where the traffic went (no credentials).
    pub upstream: String,
    /// Where the scenario is written, for the "run it" comment.
    pub output_label: String,
}

/// One scenario file of a recording and what went into it.
#[derive(Debug, Clone)]
pub struct RecordedScenario {
    /// 1 for the first file; a long recording continues in parts 2, 3, … (see [`part_path`]).
    pub part: usize,
    pub yaml: String,
    pub steps: usize,
    /// Exchanges kept only as comments (the proxy answered itself, a method scenarios lack).
    pub not_replayed: usize,
}

/// A part holds at most this many steps, well under the loader's limit of
/// [`MAX_STEPS`](crate::scenario::load::MAX_STEPS).
const PART_STEPS: usize = 400;
/// A part stops growing at about this many bytes, well under the loader's
/// [`MAX_FILE_BYTES`](crate::scenario::load::MAX_FILE_BYTES).
const PART_BYTES: usize = 640 * 1024;
/// What a step costs in the file beyond its path, query, headers and body (keys, comments,
/// the check).
const STEP_OVERHEAD_BYTES: usize = 1024;

/// The scenario files that replay the exchanges, in order: one, unless the recording is longer
/// than a scenario may be. Empty while none of them can be replayed (a scenario needs a step).
pub fn render(exchanges: &[RecordedExchange], options: &ScenarioOptions) -> Vec<RecordedScenario> {
    let prefix = run_prefix(exchanges);
    let main_token = main_token(exchanges);
    let parts = split(exchanges);
    let count = parts.len();
    parts
        .into_iter()
        .enumerate()
        .map(|(index, (first, part))| {
            let mut text = ScenarioText {
                writer: YamlWriter::default(),
                templater: Templater {
                    ids: Vec::new(),
                    prefix: prefix.clone(),
                },
                main_token,
                counters: HashMap::new(),
            };
            let replayable = part
                .iter()
                .filter(|e| why_not_replayed(e).is_none())
                .count();
            let number = index + 1;
            text.header(part, replayable, options, (number, count));
            for (offset, exchange) in part.iter().enumerate() {
                text.exchange(first + offset + 1, exchange);
            }
            RecordedScenario {
                part: number,
                yaml: text.writer.finish(),
                steps: replayable,
                not_replayed: part.len() - replayable,
            }
        })
        .collect()
}

/// The exchanges cut into parts that each load as a scenario, with the index of each part's
/// first exchange; exchanges that cannot be replayed go with the part they fall in. No part
/// without a step.
fn split(exchanges: &[RecordedExchange]) -> Vec<(usize, &[RecordedExchange])> {
    let mut parts = Vec::new();
    let (mut start, mut steps, mut bytes) = (0, 0, 0);
    for (index, exchange) in exchanges.iter().enumerate() {
        let request = &exchange.request;
        let size = STEP_OVERHEAD_BYTES
            + request.path.len()
            + request.query.as_ref().map_or(0, String::len)
            + request.headers.iter().map(|(n, v)| n.len() + v.len()).sum::<usize>()
            // Block-style YAML can take twice the bytes of compact JSON.
            + 2 * request.body.len();
        let replayable = why_not_replayed(exchange).is_none();
        if replayable && steps > 0 && (steps == PART_STEPS || bytes + size > PART_BYTES) {
            parts.push((start, &exchanges[start..index]));
            (start, steps, bytes) = (index, 0, 0);
        }
        steps += usize::from(replayable);
        bytes += size;
    }
    if steps > 0 {
        parts.push((start, &exchanges[start..]));
    }
    parts
}

/// Where part `part` of a recording written to `path` goes: `recorded.yaml` itself for the
/// first, then `recorded-part-2.yaml`, …
pub fn part_path(path: &Path, part: usize) -> PathBuf {
    if part <= 1 {
        return path.to_path_buf();
    }
    let stem = path.file_stem().unwrap_or_default().to_string_lossy();
    let name = match path.extension() {
        Some(extension) => format!("{stem}-part-{part}.{}", extension.to_string_lossy()),
        None => format!("{stem}-part-{part}"),
    };
    path.with_file_name(name)
}

/// `[a-z0-9-]+` from a file stem, e.g. `Customer Capture` → `customer-capture`.
pub fn scenario_name(stem: &str) -> String {
    let mut name = String::new();
    for c in stem.chars() {
        if c.is_ascii_alphanumeric() {
            name.push(c.to_ascii_lowercase());
        } else if !name.ends_with('-') {
            name.push('-');
        }
    }
    let name = name.trim_matches('-');
    if name.is_empty() {
        "recorded".to_string()
    } else {
        name.to_string()
    }
}

/// Entra's RFC-compliance flag rides on the Tenant URL's query, and the harness appends a
/// `--url` query to every request as Entra does.
const TENANT_URL_FLAG: &str = "aadOptscim062020";

/// The methods scenario files can send.
const REPLAYABLE_METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

fn why_not_replayed(exchange: &RecordedExchange) -> Option<String> {
    if let Some(why) = &exchange.answered_by_proxy {
        return Some(format!("the proxy answered itself: {why}"));
    }
    let method = exchange.request.method.as_str();
    (!REPLAYABLE_METHODS.contains(&method))
        .then(|| format!("scenarios cannot send {method} requests"))
}

/// The bearer token most requests carried: the replay sends its own token in its place.
fn main_token(exchanges: &[RecordedExchange]) -> Option<usize> {
    let mut counts: HashMap<usize, usize> = HashMap::new();
    for exchange in exchanges {
        if let Credential::Bearer { token } = exchange.request.credential {
            *counts.entry(token).or_default() += 1;
        }
    }
    counts
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
        .map(|(token, _)| token)
}

/// The run prefix (`scimh-` and 8 hex digits) of a recorded harness run, when the requests
/// carry exactly one: then replays create their own users instead of colliding with the
/// recorded ones. Several prefixes stay as they are, since one replay prefix for all of them
/// could turn distinct users into duplicates.
fn run_prefix(exchanges: &[RecordedExchange]) -> Option<String> {
    let mut found: Vec<String> = Vec::new();
    for exchange in exchanges {
        let request = &exchange.request;
        let texts = [
            request.path.clone(),
            request.query.clone().unwrap_or_default(),
            String::from_utf8_lossy(&request.body).into_owned(),
        ];
        for text in texts {
            for prefix in prefixes_in(&text) {
                if !found.contains(&prefix) {
                    found.push(prefix);
                }
            }
        }
    }
    match found.as_slice() {
        [only] => Some(only.clone()),
        _ => None,
    }
}

fn prefixes_in(text: &str) -> Vec<String> {
    const MARK: &str = "scimh-";
    const DIGITS: usize = 8;
    let mut prefixes = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find(MARK) {
        let after = &rest[at + MARK.len()..];
        let hex = after
            .bytes()
            .take_while(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
            .count();
        let ends = after
            .as_bytes()
            .get(DIGITS)
            .is_none_or(|b| !b.is_ascii_alphanumeric());
        if hex == DIGITS && ends {
            prefixes.push(format!("{MARK}{}", &after[..DIGITS]));
        }
        rest = after;
    }
    prefixes
}

/// Turns recorded text into template text: `{{` escaped, the run prefix and known ids replaced
/// by their variables.
struct Templater {
    /// (id, variable), in the order the ids were captured.
    ids: Vec<(String, String)>,
    prefix: Option<String>,
}

impl Templater {
    /// A whole value equal to an id becomes the variable; inside longer text only a quoted id
    /// (`members[value eq "…"]`) is replaced, so a short id cannot match inside other words.
    fn text(&self, raw: &str) -> String {
        if let Some((_, var)) = self.ids.iter().find(|(id, _)| id == raw) {
            return placeholder(var);
        }
        let mut out = template_literal(raw);
        if let Some(prefix) = &self.prefix {
            // Case-insensitivity tests send the userName upper-cased.
            out = out
                .replace(prefix.as_str(), "{{run.prefix}}")
                .replace(&prefix.to_ascii_uppercase(), "{{run.prefix | upper}}");
        }
        for (id, var) in &self.ids {
            let quoted = format!("\"{id}\"");
            if out.contains(&quoted) {
                out = out.replace(&quoted, &format!("\"{}\"", placeholder(var)));
            }
        }
        out
    }

    /// Path segments equal to a known id (after percent-decoding) become the variable.
    fn path(&self, raw: &str) -> String {
        raw.split('/')
            .map(|segment| {
                let decoded = percent_encoding::percent_decode_str(segment).decode_utf8_lossy();
                match self.ids.iter().find(|(id, _)| *id == decoded) {
                    Some((_, var)) => placeholder(var),
                    None => self.text(segment),
                }
            })
            .collect::<Vec<_>>()
            .join("/")
    }

    fn json(&self, value: &Value) -> Value {
        match value {
            Value::String(text) => Value::String(self.text(text)),
            Value::Array(items) => Value::Array(items.iter().map(|v| self.json(v)).collect()),
            Value::Object(object) => Value::Object(
                object
                    .iter()
                    .map(|(k, v)| (k.clone(), self.json(v)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
}

fn placeholder(var: &str) -> String {
    format!("{{{{{var}}}}}")
}

/// Request headers the replay leaves out: the HTTP layer writes them, the harness sends its own,
/// or a tunnel or CDN in front of the proxy added them (ngrok, Cloudflare, Azure Front Door).
fn is_transport_header(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    matches!(
        lower.as_str(),
        "host"
            | "content-length"
            | "authorization"
            | "forwarded"
            | "via"
            | "x-real-ip"
            | "true-client-ip"
            | "cdn-loop"
    ) || ["x-forwarded-", "cf-", "x-azure-", "ngrok-"]
        .iter()
        .any(|prefix| lower.starts_with(prefix))
}

struct ScenarioText {
    writer: YamlWriter,
    templater: Templater,
    main_token: Option<usize>,
    /// Ids captured so far per variable stem (`user`, `group`).
    counters: HashMap<String, usize>,
}

impl ScenarioText {
    fn header(
        &mut self,
        exchanges: &[RecordedExchange],
        steps: usize,
        options: &ScenarioOptions,
        (part, parts): (usize, usize),
    ) {
        let w = &mut self.writer;
        w.comment(
            0,
            &format!(
                "Recorded by `scim-harness proxy` from traffic to {}.",
                options.upstream
            ),
        );
        w.comment(
            0,
            &format!(
                "{} exchanges, {steps} of them replayed in the order their answers arrived; ids the server \
                 assigned are captured and used in later steps{}.",
                exchanges.len(),
                if self.templater.prefix.is_some() {
                    ", and the recorded run prefix is {{run.prefix}}"
                } else {
                    ""
                }
            ),
        );
        let label = |part| {
            part_path(Path::new(&options.output_label), part)
                .display()
                .to_string()
        };
        let files: Vec<String> = (1..=parts).map(label).collect();
        if parts > 1 {
            w.comment(
                0,
                &format!(
                    "Part {part} of {parts}: a scenario holds at most {PART_STEPS} recorded steps. Ids \
                     created in another part are sent as they were recorded."
                ),
            );
        }
        let file = files.join(" ");
        let profile = &options.profile;
        w.comment(
            0,
            &format!(
                "Run it against the embedded reference server: scim-harness run {file} --profile {profile} -v"
            ),
        );
        w.comment(
            0,
            &format!(
                "or against a SCIM endpoint: scim-harness run {file} --profile {profile} --url URL --token-file FILE"
            ),
        );
        let name = if part > 1 {
            format!("{}-part-{part}", options.name)
        } else {
            options.name.clone()
        };
        w.entry(0, "name", &Value::String(name));
        w.entry(
            0,
            "title",
            &Value::String(match parts {
                1 => format!("Traffic recorded through the proxy to {}", options.upstream),
                _ => format!(
                    "Traffic recorded through the proxy to {} (part {part} of {parts})",
                    options.upstream
                ),
            }),
        );
        let started = exchanges
            .first()
            .map(|e| super::timestamp(e.started))
            .unwrap_or_default();
        w.entry(
            0,
            "description",
            &Value::String(format!(
                "Replays the requests `scim-harness proxy` forwarded to {} from {started} on, each \
                 expecting the status the upstream answered then. Secrets are redacted.",
                options.upstream
            )),
        );
        w.entry(0, "profiles", &json!([options.profile]));
        w.blank();
        w.line(0, "steps:");
    }

    fn exchange(&mut self, number: usize, exchange: &RecordedExchange) {
        let request = &exchange.request;
        let query = request
            .query
            .as_deref()
            .filter(|q| !q.is_empty())
            .map(|q| format!("?{q}"))
            .unwrap_or_default();
        let seen = format!(
            "{number}. {} {}{query} → {} in {} ms at {}",
            request.method,
            request.path,
            exchange.response.status,
            exchange.response.elapsed.as_millis(),
            super::timestamp(exchange.started)
        );
        self.writer.blank();
        if let Some(why) = why_not_replayed(exchange) {
            self.writer
                .comment(2, &format!("{seen}: not replayed: {why}"));
            return;
        }
        self.writer.comment(2, &seen);
        let mut notes = Vec::new();
        let step = self.step(number, exchange, &mut notes);
        for note in notes {
            self.writer.comment(2, &note);
        }
        self.writer.item(2, &step);
    }

    fn step(
        &mut self,
        number: usize,
        exchange: &RecordedExchange,
        notes: &mut Vec<String>,
    ) -> Value {
        let request = &exchange.request;
        let response = &exchange.response;
        let resource = request
            .path
            .trim_start_matches('/')
            .split('/')
            .next()
            .unwrap_or_default()
            .to_string();
        let name = format!(
            "{}-{}-{number}",
            request.method.to_ascii_lowercase(),
            scenario_name(if resource.is_empty() {
                "root"
            } else {
                &resource
            })
        );

        let mut spec = Map::new();
        spec.insert("method".into(), Value::String(request.method.clone()));
        // Scenario paths start with `/`; the base URL itself is the nearest they can name.
        let path = if request.path.is_empty() {
            notes.push("Sent to the base URL itself; the replay adds a `/`.".to_string());
            "/".to_string()
        } else {
            self.templater.path(&request.path)
        };
        spec.insert("path".into(), Value::String(path));
        if let Some(query) = self.query(request.query.as_deref(), notes) {
            spec.insert("query".into(), Value::Object(query));
        }
        let (auth, auth_header) = self.auth(&request.credential, notes);
        let headers = self.headers(exchange, auth_header, notes);
        if !headers.is_empty() {
            spec.insert("headers".into(), Value::Object(headers));
        }
        if !request.body.is_empty() {
            let (key, body) = self.body(&request.body, notes);
            spec.insert(key.into(), body);
        }

        let mut step = Map::new();
        step.insert("name".into(), Value::String(name.clone()));
        step.insert(
            "title".into(),
            Value::String(format!(
                "{} {} as recorded",
                request.method,
                spec["path"].as_str().unwrap_or_default()
            )),
        );
        if let Some(auth) = auth {
            step.insert("auth".into(), auth);
        }
        let captured = self.capture(exchange);
        step.insert("request".into(), Value::Object(spec));
        if let Some(var) = &captured {
            step.insert("capture".into(), json!({var.as_str(): "/id"}));
            // What a replay creates, its cleanup removes (a 404 there means a later step did).
            if request.method == "POST" && request.path == format!("/{resource}") {
                step.insert(
                    "cleanup".into(),
                    json!({"method": "DELETE", "path": format!("/{resource}/{}", placeholder(var))}),
                );
            }
        }
        step.insert("snapshot".into(), Value::Bool(false));
        let mut expect = Map::new();
        expect.insert("id".into(), Value::String(format!("{name}.status")));
        expect.insert(
            "title".into(),
            Value::String(format!("Answers {} as when recorded", response.status)),
        );
        expect.insert(
            "requirement".into(),
            Value::String("the upstream's answer when recorded".into()),
        );
        expect.insert("status".into(), json!(response.status));
        if captured.is_some() {
            expect.insert("resource".into(), Value::Bool(true));
        }
        step.insert("expect".into(), json!([expect]));
        Value::Object(step)
    }

    /// The headers the replay must send beyond its own: those the client sent apart from
    /// credentials, transport headers and Entra's Content-Type.
    fn headers(
        &self,
        exchange: &RecordedExchange,
        authorization: Option<String>,
        notes: &mut Vec<String>,
    ) -> Map<String, Value> {
        let request = &exchange.request;
        let mut headers = Map::new();
        if let Some(value) = authorization {
            headers.insert("Authorization".into(), Value::String(value));
        }
        for (header, value) in &request.headers {
            let lower = header.to_ascii_lowercase();
            let entra_content_type =
                lower == "content-type" && !request.body.is_empty() && value == ENTRA_CONTENT_TYPE;
            if is_transport_header(&lower) || entra_content_type {
                continue;
            }
            if super::recording::is_secret_name(&lower) {
                notes.push(format!("Not replayed: the {header} header (a secret)."));
                continue;
            }
            headers.insert(header.clone(), Value::String(self.templater.text(value)));
        }
        if !request.body.is_empty() && exchange.request_header("content-type").is_none() {
            notes.push("The request had no Content-Type; the replay sends Entra's.".to_string());
        }
        headers
    }

    /// The decoded query as the scenario's `query:` mapping.
    fn query(&self, raw: Option<&str>, notes: &mut Vec<String>) -> Option<Map<String, Value>> {
        let raw = raw.filter(|q| !q.is_empty())?;
        let pairs: Vec<(String, String)> = form_urlencoded::parse(raw.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let mut query = Map::new();
        for (name, value) in &pairs {
            if name.eq_ignore_ascii_case(TENANT_URL_FLAG) {
                notes.push(format!(
                    "`{name}` came from the Tenant URL: replay with --url 'URL?{name}'."
                ));
                continue;
            }
            if query.contains_key(name) {
                notes.push(format!(
                    "The query named `{name}` more than once; the replay sends the first."
                ));
                continue;
            }
            query.insert(name.clone(), Value::String(self.templater.text(value)));
        }
        if form_encode(&pairs) != raw {
            notes.push(format!(
                "The query was encoded as `{raw}`; the replay encodes it as Entra does."
            ));
        }
        Some(query)
    }

    /// `auth:` and an explicit `Authorization` header for what the request carried.
    fn auth(
        &self,
        credential: &Credential,
        notes: &mut Vec<String>,
    ) -> (Option<Value>, Option<String>) {
        match credential {
            Credential::Bearer { token } if Some(*token) == self.main_token => (None, None),
            Credential::Bearer { token } => {
                notes.push(
                    "Sent with another bearer token than most requests (redacted); the replay \
                     sends a placeholder no server accepts."
                        .to_string(),
                );
                (
                    Some(json!({"bearer": format!("redacted-token-{}", token + 1)})),
                    None,
                )
            }
            Credential::None => (Some(Value::String("none".into())), None),
            Credential::Other { scheme } => {
                notes.push(format!(
                    "Sent with {scheme} credentials (redacted); the replay sends a placeholder."
                ));
                (
                    Some(Value::String("none".into())),
                    Some(format!("{scheme} redacted")),
                )
            }
        }
    }

    /// `body:` for JSON sent compactly (what `body:` sends back byte for byte), `body_raw:`
    /// for any other text.
    fn body(&self, bytes: &[u8], notes: &mut Vec<String>) -> (&'static str, Value) {
        if let Ok(value) = serde_json::from_slice::<Value>(bytes)
            && serde_json::to_vec(&value).is_ok_and(|compact| compact == bytes)
        {
            return ("body", self.templater.json(&value));
        }
        let text = match std::str::from_utf8(bytes) {
            Ok(text) => text.to_string(),
            Err(_) => {
                notes.push("The body was not UTF-8; the replay sends it lossily.".to_string());
                String::from_utf8_lossy(bytes).into_owned()
            }
        };
        ("body_raw", Value::String(self.templater.text(&text)))
    }

    /// A variable for the id of a resource the server answered with for the first time.
    fn capture(&mut self, exchange: &RecordedExchange) -> Option<String> {
        let response = &exchange.response;
        if !(200..300).contains(&response.status) {
            return None;
        }
        let body: Value = serde_json::from_slice(&response.body).ok()?;
        let id = body.get("id")?.as_str()?.to_string();
        let known = self.templater.ids.iter().any(|(known, _)| *known == id);
        let in_path =
            exchange.request.path.split('/').any(|segment| {
                percent_encoding::percent_decode_str(segment).decode_utf8_lossy() == id
            });
        if id.is_empty() || known || in_path {
            return None;
        }
        let stem = match exchange
            .request
            .path
            .trim_start_matches('/')
            .split('/')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase()
            .as_str()
        {
            "users" => "user",
            "groups" => "group",
            _ => "resource",
        };
        let count = self.counters.entry(stem.to_string()).or_default();
        *count += 1;
        let var = format!("{stem}_{count}_id");
        self.templater.ids.push((id, var.clone()));
        Some(var)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proxy::recording::{RecordedRequest, RecordedResponse};
    use crate::scenario::load::{LoadOptions, load_str};
    use std::time::{Duration, SystemTime};

    fn exchange(
        method: &str,
        path: &str,
        query: Option<&str>,
        body: &str,
        status: u16,
        response: &str,
    ) -> RecordedExchange {
        let mut headers = vec![("authorization".to_string(), "Bearer [redacted]".to_string())];
        if !body.is_empty() {
            headers.push(("content-type".to_string(), ENTRA_CONTENT_TYPE.to_string()));
        }
        RecordedExchange {
            started: SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000),
            upstream_url: format!("http://upstream/scim{path}"),
            request: RecordedRequest {
                method: method.to_string(),
                path: path.to_string(),
                query: query.map(str::to_string),
                headers,
                body: body.as_bytes().to_vec(),
                credential: Credential::Bearer { token: 0 },
            },
            response: RecordedResponse {
                status,
                headers: vec![(
                    "content-type".to_string(),
                    "application/scim+json".to_string(),
                )],
                body: response.as_bytes().to_vec(),
                elapsed: Duration::from_millis(3),
            },
            answered_by_proxy: None,
        }
    }

    fn options() -> ScenarioOptions {
        ScenarioOptions {
            name: "recorded".to_string(),
            profile: "entra".to_string(),
            upstream: "http://upstream/scim".to_string(),
            output_label: "recorded.yaml".to_string(),
        }
    }

    fn steps(yaml: &str) -> Vec<Value> {
        let document: Value = serde_saphyr::from_str(yaml).unwrap();
        document["steps"].as_array().unwrap().clone()
    }

    #[test]
    fn a_created_id_is_captured_and_used_by_later_requests() {
        let id = "2819c223-7f76-453a-919d-413861904646";
        let exchanges = vec![
            exchange(
                "POST",
                "/Users",
                None,
                r#"{"userName":"scimh-0a1b2c3d.alice@contoso.example","active":true}"#,
                201,
                &format!(r#"{{"id":"{id}","userName":"scimh-0a1b2c3d.alice@contoso.example"}}"#),
            ),
            exchange(
                "GET",
                "/Users",
                Some("filter=userName+eq+%22SCIMH-0A1B2C3D.ALICE%40CONTOSO.EXAMPLE%22"),
                "",
                200,
                r#"{"totalResults":1}"#,
            ),
            exchange(
                "PATCH",
                &format!("/Users/{id}"),
                None,
                r#"{"Operations":[{"op":"Replace","path":"active","value":"False"}]}"#,
                200,
                &format!(r#"{{"id":"{id}"}}"#),
            ),
            exchange(
                "PATCH",
                "/Groups/g1",
                None,
                &format!(
                    r#"{{"Operations":[{{"op":"Add","path":"members","value":[{{"value":"{id}"}}]}},{{"op":"Remove","path":"members[value eq \"{id}\"]"}}]}}"#
                ),
                204,
                "",
            ),
            exchange("DELETE", &format!("/Users/{id}"), None, "", 204, ""),
        ];
        let scenario = render(&exchanges, &options()).remove(0);
        assert_eq!(scenario.steps, 5);
        let yaml = &scenario.yaml;
        let steps = steps(yaml);
        for step in &steps {
            assert!(!step["request"].to_string().contains(id), "{yaml}");
        }
        assert_eq!(steps[0]["name"], "post-users-1");
        assert_eq!(steps[0]["capture"], json!({"user_1_id": "/id"}));
        assert_eq!(
            steps[0]["cleanup"],
            json!({"method": "DELETE", "path": "/Users/{{user_1_id}}"})
        );
        assert_eq!(
            steps[0]["request"]["body"]["userName"],
            "{{run.prefix}}.alice@contoso.example"
        );
        assert_eq!(
            steps[0]["expect"][0],
            json!({"id": "post-users-1.status", "title": "Answers 201 as when recorded", "requirement": "the upstream's answer when recorded", "status": 201, "resource": true})
        );
        assert_eq!(
            steps[1]["request"]["query"]["filter"],
            "userName eq \"{{run.prefix | upper}}.ALICE@CONTOSO.EXAMPLE\""
        );
        assert!(steps[1].get("capture").is_none());
        assert_eq!(steps[2]["request"]["path"], "/Users/{{user_1_id}}");
        assert!(
            steps[2].get("capture").is_none(),
            "a known id is not captured again"
        );
        let operations = &steps[3]["request"]["body"]["Operations"];
        assert_eq!(operations[0]["value"][0]["value"], "{{user_1_id}}");
        assert_eq!(operations[1]["path"], "members[value eq \"{{user_1_id}}\"]");
        assert_eq!(steps[4]["request"]["path"], "/Users/{{user_1_id}}");
        assert_eq!(steps[4]["expect"][0]["status"], 204);

        load_str("recorded.yaml", yaml, &LoadOptions::default())
            .unwrap_or_else(|e| panic!("{e}\n{yaml}"));
    }

    #[test]
    fn credentials_and_odd_requests_keep_their_effect_without_their_secrets() {
        let mut unauthenticated = exchange("GET", "/Users", Some("filter=x"), "", 401, "{}");
        unauthenticated.request.credential = Credential::None;
        let mut wrong = exchange(
            "GET",
            "/Users",
            Some("aadOptscim062020&count=1&count=2"),
            "",
            401,
            "{}",
        );
        wrong.request.credential = Credential::Bearer { token: 1 };
        let mut basic = exchange("GET", "/Schemas", None, "", 401, "{}");
        basic.request.credential = Credential::Other {
            scheme: "Basic".to_string(),
        };
        let mut failed = exchange("GET", "/Users", None, "", 502, "{}");
        failed.answered_by_proxy = Some("no usable answer from the upstream: refused".to_string());
        let head = exchange("HEAD", "/Users", None, "", 200, "");
        let mut raw = exchange(
            "POST",
            "/Users",
            None,
            "{ \"userName\": \"{{x}}\" }",
            400,
            "{}",
        );
        raw.request
            .headers
            .push(("User-Agent".to_string(), "Entra".to_string()));
        for tunnel in ["X-Forwarded-For", "Cf-Ray", "Cdn-Loop"] {
            raw.request
                .headers
                .push((tunnel.to_string(), "added on the way".to_string()));
        }
        let exchanges = vec![
            exchange("GET", "", None, "", 200, "{}"),
            unauthenticated,
            wrong,
            basic,
            failed,
            head,
            raw,
        ];
        let scenario = render(&exchanges, &options()).remove(0);
        assert_eq!((scenario.steps, scenario.not_replayed), (5, 2));
        let yaml = &scenario.yaml;
        assert!(yaml.contains(
            "not replayed: the proxy answered itself: no usable answer from the upstream: refused"
        ));
        assert!(yaml.contains("not replayed: scenarios cannot send HEAD requests"));
        assert!(yaml.contains("the replay sends the first"));
        assert!(yaml.contains("replay with --url 'URL?aadOptscim062020'"));
        let steps = steps(yaml);
        assert!(
            steps[0].get("auth").is_none(),
            "the main token is the replay's own"
        );
        assert_eq!(steps[1]["auth"], "none");
        assert_eq!(steps[2]["auth"], json!({"bearer": "redacted-token-2"}));
        assert_eq!(steps[2]["request"]["query"], json!({"count": "1"}));
        assert_eq!(steps[3]["auth"], "none");
        assert_eq!(
            steps[3]["request"]["headers"]["Authorization"],
            "Basic redacted"
        );
        assert_eq!(
            steps[4]["request"]["body_raw"],
            "{ \"userName\": \"{{\"{{\"}}x}}\" }"
        );
        assert_eq!(
            steps[4]["request"]["headers"],
            json!({"User-Agent": "Entra"})
        );
        load_str("recorded.yaml", yaml, &LoadOptions::default())
            .unwrap_or_else(|e| panic!("{e}\n{yaml}"));
    }

    #[test]
    fn nothing_replayable_gives_no_scenario() {
        let mut failed = exchange("GET", "/Users", None, "", 502, "{}");
        failed.answered_by_proxy = Some("refused".to_string());
        assert!(render(&[failed], &options()).is_empty());
        assert!(render(&[], &options()).is_empty());
    }

    #[test]
    fn a_long_recording_continues_in_parts_that_each_load() {
        let mut failed = exchange("GET", "/Users", None, "", 502, "{}");
        failed.answered_by_proxy = Some("refused".to_string());
        let mut exchanges = vec![failed];
        for n in 0..PART_STEPS + 10 {
            let id = format!("id-{n}");
            exchanges.push(exchange(
                "POST",
                "/Users",
                None,
                r#"{"userName":"u"}"#,
                201,
                &format!(r#"{{"id":"{id}"}}"#),
            ));
        }
        exchanges.push(exchange("DELETE", "/Users/id-0", None, "", 204, ""));
        let parts = render(&exchanges, &options());
        assert_eq!(parts.len(), 2);
        assert_eq!(
            (parts[0].part, parts[0].steps, parts[0].not_replayed),
            (1, PART_STEPS, 1)
        );
        assert_eq!((parts[1].part, parts[1].steps), (2, 11));
        let second = &parts[1].yaml;
        assert!(second.contains("name: recorded-part-2"), "{second}");
        assert!(second.contains("scim-harness run recorded.yaml recorded-part-2.yaml"));
        assert!(
            second.contains("path: /Users/id-0"),
            "an id from part 1 stays as recorded"
        );
        for part in &parts {
            load_str("recorded.yaml", &part.yaml, &LoadOptions::default())
                .unwrap_or_else(|e| panic!("{e}"));
        }
        assert_eq!(
            part_path(Path::new("out/rec.yaml"), 3),
            Path::new("out/rec-part-3.yaml")
        );
        assert_eq!(part_path(Path::new("rec.yaml"), 1), Path::new("rec.yaml"));
    }

    #[test]
    fn names_and_prefixes() {
        assert_eq!(scenario_name("Customer Capture_2"), "customer-capture-2");
        assert_eq!(scenario_name("…"), "recorded");
        assert_eq!(
            prefixes_in("scimh-0a1b2c3d.x scimh-0a1b2c3dz scimh-12 scimh-ffffffff"),
            vec!["scimh-0a1b2c3d", "scimh-ffffffff"]
        );
    }
}
