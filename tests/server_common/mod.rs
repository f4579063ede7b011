//! Shared helpers for the reference server's integration tests: a server on 127.0.0.1:0 and a
//! client that sends what Entra sends (scim+json bodies with charset, bearer token, no Accept
//! preference, no User-Agent).

#![allow(dead_code)] // each test crate uses a different subset

use reqwest::Method;
use reqwest::header::HeaderMap;
use scim_harness::server::{self, Quirk, RunningServer, ServerConfig, ServerProfile};
use serde_json::{Value, json};

pub const TOKEN: &str = "test-token-0123456789";
pub const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

pub struct TestServer {
    pub server: RunningServer,
    http: reqwest::Client,
}

/// One HTTP exchange, with the body parsed as JSON when it is JSON (`Value::Null` otherwise).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
    pub body: Value,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts a SCIM Error body (RFC 7644 §3.12) with this status and returns its scimType.
    pub fn assert_scim_error(&self, status: u16) -> Option<&str> {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.text
        );
        assert_eq!(
            self.body["schemas"],
            json!(["urn:ietf:params:scim:api:messages:2.0:Error"]),
            "not a SCIM error: {}",
            self.text
        );
        assert_eq!(self.body["status"], json!(status.to_string()));
        assert!(
            self.content_type().starts_with("application/scim+json"),
            "error content type {}",
            self.content_type()
        );
        self.body["scimType"].as_str()
    }

    pub fn content_type(&self) -> &str {
        self.header("content-type").unwrap_or_default()
    }

    pub fn id(&self) -> String {
        self.body["id"]
            .as_str()
            .unwrap_or_else(|| panic!("no id in {}", self.text))
            .to_string()
    }
}

pub async fn start() -> TestServer {
    start_with(ServerProfile::Entra, &[]).await
}

pub async fn start_with(profile: ServerProfile, quirks: &[Quirk]) -> TestServer {
    start_config(ServerConfig {
        token: Some(TOKEN.to_string()),
        profile,
        quirks: quirks.to_vec(),
        ..ServerConfig::default()
    })
    .await
}

pub async fn start_config(config: ServerConfig) -> TestServer {
    let server = server::start(config).await.expect("server starts");
    TestServer {
        server,
        http: reqwest::Client::new(),
    }
}

impl TestServer {
    pub fn url(&self, path_and_query: &str) -> String {
        format!("{}{}", self.server.base_url(), path_and_query)
    }

    /// Sends with the test token; `path_and_query` is appended to the base URL verbatim, so
    /// tests control the query encoding byte for byte.
    pub async fn send(&self, method: Method, path_and_query: &str, body: Option<Value>) -> Answer {
        let request = self
            .http
            .request(method, self.url(path_and_query))
            .bearer_auth(TOKEN);
        let request = match body {
            Some(body) => request
                .header("content-type", "application/scim+json; charset=utf-8")
                .body(serde_json::to_vec(&body).expect("serialisable")),
            None => request,
        };
        answer(request).await
    }

    pub async fn get(&self, path_and_query: &str) -> Answer {
        self.send(Method::GET, path_and_query, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.send(Method::POST, path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> Answer {
        self.send(Method::PUT, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, operations: Value) -> Answer {
        let body = json!({"schemas": [PATCH_OP], "Operations": operations});
        self.send(Method::PATCH, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Answer {
        self.send(Method::DELETE, path, None).await
    }

    /// A raw request built by the test (custom headers, raw bodies, no token…).
    pub fn raw(&self, method: Method, path_and_query: &str) -> reqwest::RequestBuilder {
        self.http.request(method, self.url(path_and_query))
    }

    /// Creates a user with Entra's default create body and returns its id.
    pub async fn create_user(&self, user_name: &str) -> String {
        let answer = self.post("/Users", entra_user(user_name)).await;
        assert_eq!(answer.status, 201, "create {user_name}: {}", answer.text);
        answer.id()
    }

    pub async fn create_group(&self, display_name: &str) -> String {
        let answer = self.post("/Groups", entra_group(display_name)).await;
        assert_eq!(answer.status, 201, "create {display_name}: {}", answer.text);
        answer.id()
    }

    /// `GET /Users?filter=userName eq "<name>"`, form-encoded as Entra sends it.
    pub async fn filter_users(&self, filter: &str) -> Answer {
        self.get(&format!("/Users?filter={}", form_encode(filter)))
            .await
    }
}

pub async fn answer(request: reqwest::RequestBuilder) -> Answer {
    let response = request.send().await.expect("request reaches the server");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.expect("body readable");
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Answer {
        status,
        headers,
        text,
        body,
    }
}

/// Form-style query encoding, as Entra does it (`+` for space, `%22` for `"`).
pub fn form_encode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// Entra's default create body (entra-reference.md §1.2), including the noise it sends.
pub fn entra_user(user_name: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
        "externalId": user_name.split('@').next().unwrap_or(user_name),
        "userName": user_name,
        "active": true,
        "displayName": "Alice Example",
        "emails": [{"primary": true, "type": "work", "value": user_name}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": "Alice Example", "familyName": "Example", "givenName": "Alice"},
        "title": "Engineer",
        "phoneNumbers": [{"type": "work", "value": "+1 555 0100"}, {"type": "mobile", "value": "+1 555 0101"}],
        ENTERPRISE: {"employeeNumber": "42", "department": "R&D"},
        "roles": []
    })
}

/// Entra's group create body (§1.9), with its non-standard extra schema URN.
pub fn entra_group(display_name: &str) -> Value {
    json!({
        "schemas": [
            "urn:ietf:params:scim:schemas:core:2.0:Group",
            "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"
        ],
        "externalId": format!("ext-{display_name}"),
        "displayName": display_name,
        "meta": {"resourceType": "Group"}
    })
}

pub fn member_values(group: &Value) -> Vec<String> {
    let mut values: Vec<String> = group["members"]
        .as_array()
        .map(|members| {
            members
                .iter()
                .filter_map(|m| m["value"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    values.sort();
    values
}
