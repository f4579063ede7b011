//! Shared helpers for the CLI tests: the reference server on a loopback port, the harness binary
//! with a clean environment, and a look at what the server still holds.

#![allow(dead_code)] // each test binary uses its own subset

use std::path::Path;

use assert_cmd::Command;
use scim_harness::server::{self, Quirk, RunningServer, ServerConfig, ServerProfile};

pub const TOKEN: &str = "test-token-8c1d2e";

/// The reference server, running on its own runtime for as long as the value lives.
pub struct TestServer {
    pub server: Option<RunningServer>,
    pub runtime: tokio::runtime::Runtime,
    pub token: String,
}

impl TestServer {
    pub fn start(quirks: &[Quirk]) -> Self {
        Self::start_with(ServerProfile::Entra, quirks, TOKEN)
    }

    pub fn start_with(profile: ServerProfile, quirks: &[Quirk], token: &str) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("test runtime");
        let server = runtime
            .block_on(server::start(ServerConfig {
                token: Some(token.to_string()),
                profile,
                quirks: quirks.to_vec(),
                ..ServerConfig::default()
            }))
            .expect("the reference server starts on 127.0.0.1");
        TestServer {
            server: Some(server),
            runtime,
            token: token.to_string(),
        }
    }

    pub fn url(&self) -> String {
        self.server
            .as_ref()
            .expect("server running")
            .base_url()
            .to_string()
    }

    /// The number of resources of a type (`Users`, `Groups`) the server holds, read over HTTP.
    pub fn count(&self, resource: &str) -> u64 {
        let url = format!("{}/{resource}", self.url());
        let token = self.token.clone();
        self.runtime.block_on(async move {
            // Accept and User-Agent set, so that quirks which demand them still answer.
            let response = reqwest::Client::new()
                .get(url)
                .bearer_auth(token)
                .header("Accept", "application/scim+json")
                .header("User-Agent", "scim-harness-tests")
                .send()
                .await
                .expect("list request");
            let body: serde_json::Value = response.json().await.expect("ListResponse");
            body["totalResults"].as_u64().expect("totalResults")
        })
    }
}

impl TestServer {
    /// Creates a user directly (not through the harness) and returns its id.
    pub fn create_user(&self, user_name: &str) -> String {
        let url = format!("{}/Users", self.url());
        let token = self.token.clone();
        let body = serde_json::json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": user_name,
            "active": true,
        });
        self.runtime.block_on(async move {
            let response = reqwest::Client::new()
                .post(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .expect("create request");
            assert_eq!(response.status().as_u16(), 201);
            let created: serde_json::Value = response.json().await.expect("created user");
            created["id"].as_str().expect("id").to_string()
        })
    }

    /// A resource as the server holds it (`Users/<id>`).
    pub fn get(&self, path: &str) -> serde_json::Value {
        let url = format!("{}/{path}", self.url());
        let token = self.token.clone();
        self.runtime.block_on(async move {
            reqwest::Client::new()
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .expect("get request")
                .json()
                .await
                .expect("JSON body")
        })
    }
}

/// An axum app (typically the reference server wrapped in a test's middleware) on a loopback
/// port, served by a runtime of its own for as long as the value lives.
pub struct AppServer {
    /// The SCIM base URL, `http://127.0.0.1:PORT/scim/v2`.
    pub url: String,
    pub runtime: tokio::runtime::Runtime,
}

impl AppServer {
    pub fn start(app: axum::Router) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("test runtime");
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("a loopback port");
        let url = format!(
            "http://{}/scim/v2",
            listener.local_addr().expect("the bound address")
        );
        runtime.spawn(async move { axum::serve(listener, app).await });
        AppServer { url, runtime }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            self.runtime.block_on(server.shutdown());
        }
    }
}

/// The harness binary with an environment that cannot leak in from the developer's shell.
pub fn harness() -> Command {
    let mut command = Command::cargo_bin("scim-harness").expect("binary built");
    for var in [
        "SCIM_URL",
        "SCIM_TOKEN",
        "NO_COLOR",
        "INSTA_UPDATE",
        "GITHUB_ACTIONS",
    ] {
        command.env_remove(var);
    }
    command.env("CI", "false").arg("--color").arg("never");
    command
}

/// `run` against a test server, judged by the checks alone.
pub fn run_against(server: &TestServer) -> Command {
    let mut command = harness();
    command
        .args(["run", "--no-snapshots", "--url"])
        .arg(server.url())
        .arg("--token")
        .arg(&server.token);
    command
}

/// The repository's committed baselines.
pub fn repo_snapshots() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"))
}
