//! One test per quirk: each defect is visible over HTTP (and the clean server does not show it,
//! which the other server_* tests establish).

mod server_common;

use reqwest::Method;
use scim_harness::server::{Quirk, ServerProfile};
use serde_json::json;
use server_common::*;

async fn with(quirk: Quirk) -> TestServer {
    start_with(ServerProfile::Entra, &[quirk]).await
}

#[test]
fn every_quirk_has_a_test_here() {
    let source = include_str!("server_quirks.rs");
    for quirk in Quirk::all() {
        let needle = format!("Quirk::{quirk:?})");
        assert!(source.contains(&needle), "no test uses {needle}");
    }
}

#[tokio::test]
async fn empty_filter_404() {
    let server = with(Quirk::EmptyFilter404).await;
    let answer = server.filter_users("userName eq \"nobody\"").await;
    assert_eq!(answer.status, 404);
    server.create_user("somebody@contoso.com").await;
    let found = server
        .filter_users("userName eq \"somebody@contoso.com\"")
        .await;
    assert_eq!(found.status, 200);
}

#[tokio::test]
async fn case_sensitive_username() {
    let server = with(Quirk::CaseSensitiveUsername).await;
    server.create_user("Mixed@contoso.com").await;
    let other_case = server
        .filter_users("userName eq \"mixed@contoso.com\"")
        .await;
    assert_eq!(
        other_case.body["totalResults"],
        json!(0),
        "{}",
        other_case.text
    );
    let duplicate = server.post("/Users", entra_user("MIXED@contoso.com")).await;
    assert_eq!(duplicate.status, 201, "{}", duplicate.text);
}

#[tokio::test]
async fn reject_capitalised_ops() {
    let server = with(Quirk::RejectCapitalisedOps).await;
    let id = server.create_user("ops@contoso.com").await;
    let path = format!("/Users/{id}");
    let legacy = server
        .patch(
            &path,
            json!([{"op": "Replace", "path": "active", "value": false}]),
        )
        .await;
    assert_eq!(legacy.status, 400, "{}", legacy.text);
    let compliant = server
        .patch(
            &path,
            json!([{"op": "replace", "path": "active", "value": false}]),
        )
        .await;
    assert_eq!(compliant.status, 200, "{}", compliant.text);
}

#[tokio::test]
async fn reject_string_booleans() {
    let server = with(Quirk::RejectStringBooleans).await;
    let id = server.create_user("bools@contoso.com").await;
    let path = format!("/Users/{id}");
    let legacy = server
        .patch(
            &path,
            json!([{"op": "Replace", "path": "active", "value": "False"}]),
        )
        .await;
    assert_eq!(legacy.status, 400, "{}", legacy.text);
    let mut user = entra_user("bools2@contoso.com");
    user["active"] = json!("True");
    assert_eq!(server.post("/Users", user).await.status, 400);
    let boolean = server
        .patch(
            &path,
            json!([{"op": "Replace", "path": "active", "value": false}]),
        )
        .await;
    assert_eq!(boolean.status, 200, "{}", boolean.text);
}

#[tokio::test]
async fn patch_ignored() {
    let server = with(Quirk::PatchIgnored).await;
    let id = server.create_user("ignored@contoso.com").await;
    let path = format!("/Users/{id}");
    let answer = server
        .patch(
            &path,
            json!([{"op": "replace", "path": "active", "value": false}]),
        )
        .await;
    assert_eq!(answer.status, 200);
    assert_eq!(server.get(&path).await.body["active"], json!(true));
}

#[tokio::test]
async fn ignore_filter() {
    let server = with(Quirk::IgnoreFilter).await;
    server.create_user("everyone@contoso.com").await;
    let answer = server.filter_users("userName eq \"random-guid\"").await;
    assert_eq!(answer.body["totalResults"], json!(1), "{}", answer.text);
}

#[tokio::test]
async fn post_returns_200() {
    let server = with(Quirk::PostReturns200).await;
    let answer = server.post("/Users", entra_user("ok@contoso.com")).await;
    assert_eq!(answer.status, 200);
    assert!(answer.body["id"].is_string());
}

#[tokio::test]
async fn post_without_id() {
    let server = with(Quirk::PostWithoutId).await;
    let answer = server.post("/Users", entra_user("noid@contoso.com")).await;
    assert_eq!(answer.status, 201);
    assert!(answer.body.get("id").is_none(), "{}", answer.text);
    assert!(answer.header("location").is_none());
    // It was stored all the same.
    let found = server
        .filter_users("userName eq \"noid@contoso.com\"")
        .await;
    assert_eq!(found.body["totalResults"], json!(1));
}

#[tokio::test]
async fn allow_duplicates() {
    let server = with(Quirk::AllowDuplicates).await;
    server.create_user("twice@contoso.com").await;
    server.create_user("twice@contoso.com").await;
    let found = server
        .filter_users("userName eq \"twice@contoso.com\"")
        .await;
    assert_eq!(found.body["totalResults"], json!(2));
    server.create_group("Twice").await;
    server.create_group("Twice").await;
}

#[tokio::test]
async fn no_auth() {
    let server = with(Quirk::NoAuth).await;
    let anonymous = answer(server.raw(Method::GET, "/Users")).await;
    assert_eq!(anonymous.status, 200);
    let wrong = answer(server.raw(Method::GET, "/Users").bearer_auth("wrong")).await;
    assert_eq!(wrong.status, 200);
}

#[tokio::test]
async fn reject_scim_json() {
    let server = with(Quirk::RejectScimJson).await;
    let scim = server.post("/Users", entra_user("media@contoso.com")).await;
    assert_eq!(scim.status, 415);
    let plain = answer(
        server
            .raw(Method::POST, "/Users")
            .bearer_auth(TOKEN)
            .header("content-type", "application/json")
            .body(r#"{"userName":"media@contoso.com"}"#),
    )
    .await;
    assert_eq!(plain.status, 201, "{}", plain.text);
}

#[tokio::test]
async fn no_value_paths() {
    let server = with(Quirk::NoValuePaths).await;
    let id = server.create_user("vp@contoso.com").await;
    let patch = server
        .patch(
            &format!("/Users/{id}"),
            json!([{"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "n@contoso.com"}]),
        )
        .await;
    assert_eq!(patch.status, 400, "{}", patch.text);
    let filter = server
        .filter_users("emails[type eq \"work\"].value eq \"vp@contoso.com\"")
        .await;
    assert_eq!(filter.status, 400);
}

#[tokio::test]
async fn no_value_path_upsert() {
    let server = with(Quirk::NoValuePathUpsert).await;
    let id = server
        .post("/Users", json!({"userName": "noemail@contoso.com"}))
        .await
        .id();
    let answer = server
        .patch(
            &format!("/Users/{id}"),
            json!([{"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "n@contoso.com"}]),
        )
        .await;
    assert_eq!(answer.status, 400, "{}", answer.text);
    assert_eq!(answer.body["scimType"], json!("noTarget"));
}

#[tokio::test]
async fn dotted_keys_literal() {
    let server = with(Quirk::DottedKeysLiteral).await;
    let id = server.create_user("dots@contoso.com").await;
    let path = format!("/Users/{id}");
    let answer = server
        .patch(
            &path,
            json!([{"op": "replace", "value": {"name.givenName": "NewGiven"}}]),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let user = server.get(&path).await.body;
    assert_eq!(user["name"]["givenName"], json!("Alice"));
    assert_eq!(user["name.givenName"], json!("NewGiven"));
}

#[tokio::test]
async fn ignore_excluded_attributes() {
    let server = with(Quirk::IgnoreExcludedAttributes).await;
    let user = server.create_user("member@contoso.com").await;
    let id = server.create_group("Members").await;
    server
        .patch(
            &format!("/Groups/{id}"),
            json!([{"op": "Add", "path": "members", "value": [{"value": user}]}]),
        )
        .await;
    let answer = server
        .get(&format!("/Groups/{id}?excludedAttributes=members"))
        .await;
    assert_eq!(member_values(&answer.body), vec![user]);
}

#[tokio::test]
async fn legacy_remove_clears_members() {
    let server = with(Quirk::LegacyRemoveClearsMembers).await;
    let a = server.create_user("a@contoso.com").await;
    let b = server.create_user("b@contoso.com").await;
    let id = server.create_group("Fragile").await;
    let path = format!("/Groups/{id}");
    server
        .patch(
            &path,
            json!([{"op": "Add", "path": "members", "value": [{"value": a}, {"value": b}]}]),
        )
        .await;
    let answer = server
        .patch(
            &path,
            json!([{"op": "Remove", "path": "members", "value": [{"value": a}]}]),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert!(member_values(&server.get(&path).await.body).is_empty());
}

#[tokio::test]
async fn active_always_true() {
    let server = with(Quirk::ActiveAlwaysTrue).await;
    let id = server.create_user("sticky@contoso.com").await;
    let path = format!("/Users/{id}");
    let answer = server
        .patch(
            &path,
            json!([{"op": "replace", "path": "active", "value": false}]),
        )
        .await;
    assert_eq!(answer.status, 200);
    assert_eq!(server.get(&path).await.body["active"], json!(true));
}

#[tokio::test]
async fn non_scim_errors() {
    let server = with(Quirk::NonScimErrors).await;
    let not_found = server.get("/Users/unknown").await;
    assert_eq!(not_found.status, 404);
    assert!(not_found.content_type().starts_with("text/html"));
    assert!(not_found.body.is_null(), "{}", not_found.text);
    server.create_user("dup@contoso.com").await;
    let conflict = server.post("/Users", entra_user("dup@contoso.com")).await;
    assert_eq!(conflict.status, 409);
    assert!(conflict.content_type().starts_with("text/plain"));
    assert!(conflict.body.is_null(), "{}", conflict.text);
}

#[tokio::test]
async fn html_content_type() {
    let server = with(Quirk::HtmlContentType).await;
    let answer = server.get("/Users").await;
    assert_eq!(answer.status, 200);
    assert!(answer.content_type().starts_with("text/html"));
    assert_eq!(answer.body["totalResults"], json!(0));
}

#[tokio::test]
async fn require_accept_header() {
    let server = with(Quirk::RequireAcceptHeader).await;
    let without = server.get("/Users").await;
    assert_eq!(without.status, 406);
    let with_accept = answer(
        server
            .raw(Method::GET, "/Users")
            .bearer_auth(TOKEN)
            .header("accept", "application/scim+json"),
    )
    .await;
    assert_eq!(with_accept.status, 200);
}

#[tokio::test]
async fn require_user_agent() {
    let server = with(Quirk::RequireUserAgent).await;
    let without = server.get("/Users").await;
    assert_eq!(without.status, 403);
    assert!(without.content_type().starts_with("text/html"));
    let with_agent = answer(
        server
            .raw(Method::GET, "/Users")
            .bearer_auth(TOKEN)
            .header("user-agent", "Mozilla/5.0"),
    )
    .await;
    assert_eq!(with_agent.status, 200);
}
