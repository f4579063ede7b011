//! Requests per second of the embedded reference server, for the two requests Entra sends most:
//! the userName filter GET (every user, every cycle; answered from the uniqueness index) and the
//! create POST, plus a filter on a non-unique attribute, which scans every stored user.
//!
//! Run: `cargo bench --bench server` (optionally `BENCH_REQUESTS=…`, `BENCH_CONCURRENCY=…`,
//! `BENCH_USERS=…`). Client and server share one process and runtime, so on a small machine the
//! numbers are a lower bound for the server alone.

use std::env;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Method, Request};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use scim_harness::server::{self, ServerConfig};

const TOKEN: &str = "bench-token";

type HttpClient = Client<HttpConnector, Full<Bytes>>;

fn setting(name: &str, default: usize) -> usize {
    env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let requests = setting("BENCH_REQUESTS", 20_000);
    let concurrency = setting("BENCH_CONCURRENCY", 16).max(1);
    let users = setting("BENCH_USERS", 1_000).max(1);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async {
        let server = server::start(ServerConfig {
            token: Some(TOKEN.to_string()),
            ..ServerConfig::default()
        })
        .await
        .expect("server starts");
        let base = server.base_url().to_string();
        let client: HttpClient = Client::builder(TokioExecutor::new()).build_http();
        println!(
            "reference server at {base}; {requests} requests per run, {concurrency} concurrent \
             tasks, {} worker threads",
            std::thread::available_parallelism().map_or(1, |n| n.get())
        );

        let seed_base = base.clone();
        measure(
            "POST /Users (seeding)",
            users,
            concurrency,
            &client,
            move |i| create_user(&seed_base, &format!("seed{i}@contoso.com")),
        )
        .await;

        let filter_base = base.clone();
        measure(
            &format!("GET /Users?filter=userName eq … ({users} users stored)"),
            requests,
            concurrency,
            &client,
            move |i| {
                let uri = format!(
                    "{filter_base}/Users?filter=userName+eq+%22seed{}%40contoso.com%22",
                    i % users
                );
                request(Method::GET, &uri, None)
            },
        )
        .await;

        // externalId is not unique, so this one scans every stored user.
        let scan_base = base.clone();
        measure(
            &format!("GET /Users?filter=externalId eq … ({users} users stored, full scan)"),
            requests,
            concurrency,
            &client,
            move |i| {
                let uri = format!(
                    "{scan_base}/Users?filter=externalId+eq+%22seed{}%40contoso.com%22",
                    i % users
                );
                request(Method::GET, &uri, None)
            },
        )
        .await;

        let post_base = base.clone();
        measure("POST /Users", requests, concurrency, &client, move |i| {
            create_user(&post_base, &format!("bench{i}@contoso.com"))
        })
        .await;

        server.shutdown().await;
    });
}

fn create_user(base: &str, user_name: &str) -> Request<Full<Bytes>> {
    let body = serde_json::json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": user_name,
        "externalId": user_name,
        "active": true,
        "displayName": "Bench User",
        "emails": [{"primary": true, "type": "work", "value": user_name}],
        "name": {"givenName": "Bench", "familyName": "User"}
    });
    request(
        Method::POST,
        &format!("{base}/Users"),
        Some(body.to_string()),
    )
}

fn request(method: Method, uri: &str, body: Option<String>) -> Request<Full<Bytes>> {
    let builder = Request::builder()
        .method(method)
        .uri(uri)
        .header("authorization", format!("Bearer {TOKEN}"));
    let builder = if body.is_some() {
        builder.header("content-type", "application/scim+json; charset=utf-8")
    } else {
        builder
    };
    builder
        .body(Full::new(Bytes::from(body.unwrap_or_default())))
        .expect("valid request")
}

/// Sends `total` requests from `concurrency` tasks pulling indices from a shared counter, and
/// prints the rate. Every answer must be a 2xx.
async fn measure<F>(label: &str, total: usize, concurrency: usize, client: &HttpClient, make: F)
where
    F: Fn(usize) -> Request<Full<Bytes>> + Send + Sync + 'static,
{
    let next = Arc::new(AtomicUsize::new(0));
    let failures = Arc::new(AtomicUsize::new(0));
    let make = Arc::new(make);
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(concurrency);
    for _ in 0..concurrency {
        let (next, failures, make, client) =
            (next.clone(), failures.clone(), make.clone(), client.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let ok = match client.request(make(i)).await {
                    Ok(response) => {
                        let success = response.status().is_success();
                        // Drain the body so the connection is reused.
                        success && response.into_body().collect().await.is_ok()
                    }
                    Err(_) => false,
                };
                if !ok {
                    failures.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    for task in tasks {
        task.await.expect("bench task");
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "{label}: {total} requests in {elapsed:.2} s = {:.0} req/s ({} failed)",
        total as f64 / elapsed,
        failures.load(Ordering::Relaxed)
    );
}
