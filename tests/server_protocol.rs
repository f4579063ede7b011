//! Protocol behaviour shared by every endpoint: authentication, error bodies, media types,
//! pagination, attribute projection, base path and shutdown.

mod server_common;

use std::time::Duration;

use reqwest::Method;
use scim_harness::server::{Quirk, ServerConfig, router};
use serde_json::json;
use server_common::*;

#[tokio::test]
async fn requests_without_or_with_a_wrong_token_are_401_scim_errors() {
    let server = start().await;
    let path = "/Users?filter=userName+eq+%22x%22";
    let missing = answer(server.raw(Method::GET, path)).await;
    missing.assert_scim_error(401);
    assert!(
        missing
            .header("www-authenticate")
            .is_some_and(|h| h.starts_with("Bearer")),
        "{:?}",
        missing.headers
    );
    let wrong = answer(server.raw(Method::GET, path).bearer_auth("not-the-token")).await;
    wrong.assert_scim_error(401);
    assert!(!wrong.text.contains(TOKEN));
    let basic = answer(
        server
            .raw(Method::GET, path)
            .header("authorization", format!("Basic {TOKEN}")),
    )
    .await;
    basic.assert_scim_error(401);
    let right = answer(server.raw(Method::GET, path).bearer_auth(TOKEN)).await;
    assert_eq!(right.status, 200);
    // Unknown routes do not leak their existence before authentication.
    answer(server.raw(Method::GET, "/Nope"))
        .await
        .assert_scim_error(401);
}

#[tokio::test]
async fn a_server_without_a_token_refuses_everything() {
    let server = start_config(ServerConfig::default()).await;
    let answer = server.get("/Users").await;
    answer.assert_scim_error(401);
}

#[tokio::test]
async fn unknown_routes_are_404_and_wrong_methods_405_scim_errors() {
    let server = start().await;
    server.get("/Nope").await.assert_scim_error(404);
    server.get("").await.assert_scim_error(404);
    server.get("/Users/a/b").await.assert_scim_error(404);
    let outside = answer(
        reqwest::Client::new()
            .get(format!("http://{}/other", server.server.local_addr()))
            .bearer_auth(TOKEN),
    )
    .await;
    outside.assert_scim_error(404);
    let delete_collection = server.delete("/Users").await;
    delete_collection.assert_scim_error(405);
    let allow = delete_collection.header("allow").unwrap_or_default();
    assert!(allow.contains("GET") && allow.contains("POST"), "{allow}");
    let post_schemas = server.post("/Schemas", json!({})).await;
    post_schemas.assert_scim_error(405);
}

#[tokio::test]
async fn malformed_json_is_400_invalid_syntax() {
    let server = start().await;
    let answer = answer(
        server
            .raw(Method::POST, "/Users")
            .bearer_auth(TOKEN)
            .header("content-type", "application/scim+json; charset=utf-8")
            .body("{\"userName\": "),
    )
    .await;
    assert_eq!(answer.assert_scim_error(400), Some("invalidSyntax"));
}

#[tokio::test]
async fn non_json_media_types_are_415() {
    let server = start().await;
    let answer = answer(
        server
            .raw(Method::POST, "/Users")
            .bearer_auth(TOKEN)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("userName=a"),
    )
    .await;
    answer.assert_scim_error(415);
}

#[tokio::test]
async fn no_accept_or_user_agent_is_needed_and_unknown_parameters_are_ignored() {
    let server = start().await;
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        "authorization",
        format!("Bearer {TOKEN}").parse().expect("header"),
    );
    // A client that sends neither Accept nor User-Agent, like Entra's Test Connection can.
    let bare = reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .expect("client");
    let mut request = bare
        .get(server.url("/Users?aadOptscim062020&foo=bar&filter=userName+eq+%22x%22"))
        .build()
        .expect("request");
    request.headers_mut().remove("accept");
    let response = bare.execute(request).await.expect("response");
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap_or_default()
            .starts_with("application/scim+json")
    );
}

#[tokio::test]
async fn pagination_follows_start_index_and_count() {
    let server = start().await;
    for n in 0..5 {
        server.create_user(&format!("page{n}@contoso.com")).await;
    }
    let page = server.get("/Users?startIndex=2&count=2").await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert_eq!(page.body["totalResults"], json!(5));
    assert_eq!(page.body["startIndex"], json!(2));
    assert_eq!(page.body["itemsPerPage"], json!(2));
    let names: Vec<&str> = page.body["Resources"]
        .as_array()
        .expect("resources")
        .iter()
        .filter_map(|r| r["userName"].as_str())
        .collect();
    assert_eq!(names, ["page1@contoso.com", "page2@contoso.com"]);
    let zero = server.get("/Users?count=0").await;
    assert_eq!(zero.body["totalResults"], json!(5));
    assert_eq!(zero.body["itemsPerPage"], json!(0));
    assert_eq!(zero.body["Resources"], json!([]));
    let beyond = server.get("/Users?startIndex=10").await;
    assert_eq!(beyond.body["totalResults"], json!(5));
    assert_eq!(beyond.body["Resources"], json!([]));
    let below_one = server.get("/Users?startIndex=0&count=1").await;
    assert_eq!(below_one.body["startIndex"], json!(1));
    let filtered = server
        .get("/Users?filter=userName+sw+%22page%22&startIndex=5&count=5")
        .await;
    assert_eq!(filtered.body["totalResults"], json!(5));
    assert_eq!(filtered.body["itemsPerPage"], json!(1));
    let bad = server.get("/Users?count=many").await;
    bad.assert_scim_error(400);
}

#[tokio::test]
async fn attributes_and_excluded_attributes_shape_every_answer() {
    let server = start().await;
    let id = server.create_user("proj@contoso.com").await;
    let only = server
        .get(&format!("/Users/{id}?attributes=userName,name.givenName"))
        .await;
    assert_eq!(
        only.body,
        json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
               "id": id, "userName": "proj@contoso.com", "name": {"givenName": "Alice"}})
    );
    let listed = server
        .get("/Users?attributes=userName&filter=userName+eq+%22proj%40contoso.com%22")
        .await;
    assert_eq!(
        listed.body["Resources"][0]["userName"],
        json!("proj@contoso.com")
    );
    assert!(listed.body["Resources"][0].get("emails").is_none());
    let without = server
        .get(&format!(
            "/Users/{id}?excludedAttributes=emails,{ENTERPRISE}:department,id"
        ))
        .await;
    assert!(without.body.get("emails").is_none());
    assert_eq!(without.body["id"], json!(id));
    assert!(without.body[ENTERPRISE].get("department").is_none());
    assert_eq!(without.body[ENTERPRISE]["employeeNumber"], json!("42"));
    let created = server
        .post(
            "/Users?attributes=userName",
            entra_user("proj2@contoso.com"),
        )
        .await;
    assert_eq!(created.status, 201);
    assert!(
        created.body.get("displayName").is_none(),
        "{}",
        created.text
    );
}

#[tokio::test]
async fn passwords_are_never_returned() {
    let server = start().await;
    let mut user = entra_user("pw@contoso.com");
    user["password"] = json!("hunter2");
    let created = server.post("/Users", user).await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert!(!created.text.contains("hunter2"));
    let got = server.get(&format!("/Users/{}", created.id())).await;
    assert!(!got.text.contains("hunter2"));
}

#[tokio::test]
async fn custom_base_path_and_shutdown() {
    let server = start_config(ServerConfig {
        token: Some(TOKEN.to_string()),
        base_path: "/api/scim/".to_string(),
        ..ServerConfig::default()
    })
    .await;
    let base = server.server.base_url().to_string();
    assert!(base.ends_with("/api/scim"), "{base}");
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");
    let answer = server.get("/Users").await;
    assert_eq!(answer.status, 200);
    let addr = server.server.local_addr();
    server.server.shutdown().await;
    let after = reqwest::Client::new()
        .get(format!("http://{addr}/api/scim/Users"))
        .send()
        .await;
    assert!(after.is_err(), "server still answers after shutdown");
}

#[tokio::test]
async fn invalid_base_paths_are_refused_at_start() {
    let result = scim_harness::server::start(ServerConfig {
        base_path: "/scim?v2".to_string(),
        ..ServerConfig::default()
    })
    .await;
    assert!(result.is_err());
}

/// `serve --latency`: every answer waits, and concurrent requests wait side by side (as over a
/// long network path), not one after another. Paused time makes the wait exact.
#[tokio::test(start_paused = true)]
async fn latency_delays_every_answer_and_concurrent_requests_wait_together() {
    use axum::body::Body;
    use tower_service::Service;
    let latency = Duration::from_millis(250);
    let app = router(ServerConfig {
        token: Some(TOKEN.to_string()),
        latency,
        ..ServerConfig::default()
    });
    let request = || {
        axum::http::Request::get("/scim/v2/Users?filter=userName+eq+%22nobody%22")
            .header("authorization", format!("Bearer {TOKEN}"))
            .body(Body::empty())
            .expect("a valid request")
    };
    let started = tokio::time::Instant::now();
    let (first, second) = tokio::join!(app.clone().call(request()), app.clone().call(request()));
    assert_eq!(started.elapsed(), latency);
    for answer in [first, second] {
        assert_eq!(answer.expect("infallible").status(), 200);
    }
}

#[tokio::test]
async fn router_serves_on_a_callers_listener() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = router(ServerConfig {
        quirks: vec![Quirk::NoAuth],
        ..ServerConfig::default()
    });
    let task = tokio::spawn(async move { axum::serve(listener, app).await });
    let created = answer(
        reqwest::Client::new()
            .post(format!("http://{addr}/scim/v2/Users"))
            .header("content-type", "application/scim+json")
            .body(r#"{"userName":"routed@contoso.com"}"#),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert!(
        created.body["meta"]["location"]
            .as_str()
            .is_some_and(|l| l.starts_with(&format!("http://{addr}/scim/v2/Users/"))),
        "{}",
        created.text
    );
    task.abort();
}

#[tokio::test]
async fn dropping_the_handle_stops_the_server() {
    let server = start().await;
    let addr = server.server.local_addr();
    drop(server);
    let client = reqwest::Client::new();
    // Shutdown is asynchronous: give the server task a moment to close the listener.
    for _ in 0..50 {
        if client
            .get(format!("http://{addr}/scim/v2/Users"))
            .send()
            .await
            .is_err()
        {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("server at {addr} still answers after its handle was dropped");
}
