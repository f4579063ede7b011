//! `/Groups` over real HTTP: Entra's group lifecycle (entra-reference.md §1.9) and every
//! membership PATCH shape.

mod server_common;

use serde_json::json;
use server_common::*;

#[tokio::test]
async fn create_accepts_the_microsoft_schema_urn_and_starts_empty() {
    let server = start().await;
    let answer = server.post("/Groups", entra_group("Sales")).await;
    assert_eq!(answer.status, 201, "{}", answer.text);
    let id = answer.id();
    assert_eq!(
        answer.header("location"),
        Some(server.url(&format!("/Groups/{id}")).as_str())
    );
    assert_eq!(
        answer.body["schemas"],
        json!(["urn:ietf:params:scim:schemas:core:2.0:Group"])
    );
    assert_eq!(answer.body["displayName"], json!("Sales"));
    assert_eq!(answer.body["externalId"], json!("ext-Sales"));
    assert_eq!(answer.body["meta"]["resourceType"], json!("Group"));
}

#[tokio::test]
async fn duplicate_display_name_is_409_whatever_the_case() {
    let server = start().await;
    server.create_group("Engineering").await;
    let answer = server.post("/Groups", entra_group("ENGINEERING")).await;
    assert_eq!(answer.assert_scim_error(409), Some("uniqueness"));
}

#[tokio::test]
async fn missing_display_name_is_400() {
    let server = start().await;
    let answer = server.post("/Groups", json!({"externalId": "x"})).await;
    assert_eq!(answer.assert_scim_error(400), Some("invalidValue"));
}

#[tokio::test]
async fn lookup_by_display_name_excluding_members() {
    let server = start().await;
    let user = server.create_user("m@contoso.com").await;
    let id = server.create_group("Lookup").await;
    server
        .patch(
            &format!("/Groups/{id}"),
            json!([{"op": "Add", "path": "members", "value": [{"$ref": null, "value": user}]}]),
        )
        .await;
    let list = server
        .get("/Groups?excludedAttributes=members&filter=displayName+eq+%22lookup%22")
        .await;
    assert_eq!(list.status, 200, "{}", list.text);
    assert_eq!(list.body["totalResults"], json!(1));
    let group = &list.body["Resources"][0];
    assert_eq!(group["id"], json!(id));
    assert!(group.get("members").is_none(), "{group}");
    let single = server
        .get(&format!("/Groups/{id}?excludedAttributes=members"))
        .await;
    assert_eq!(single.status, 200);
    assert!(single.body.get("members").is_none(), "{}", single.text);
    let full = server.get(&format!("/Groups/{id}")).await;
    assert_eq!(member_values(&full.body), vec![user]);
    let empty = server
        .get("/Groups?excludedAttributes=members&filter=displayName+eq+%22nope%22")
        .await;
    assert_eq!(empty.body["totalResults"], json!(0));
    assert_eq!(empty.body["Resources"], json!([]));
}

#[tokio::test]
async fn rename_and_replace_external_id() {
    let server = start().await;
    let id = server.create_group("Old").await;
    let path = format!("/Groups/{id}");
    let answer = server
        .patch(
            &path,
            json!([
                {"op": "Replace", "path": "displayName", "value": "New"},
                {"op": "replace", "value": {"externalId": "new-ext"}}
            ]),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let group = server.get(&path).await.body;
    assert_eq!(group["displayName"], json!("New"));
    assert_eq!(group["externalId"], json!("new-ext"));
    server.create_group("Old").await;
}

#[tokio::test]
async fn legacy_add_and_remove_with_value_lists() {
    let server = start().await;
    let a = server.create_user("a@contoso.com").await;
    let b = server.create_user("b@contoso.com").await;
    let c = server.create_user("c@contoso.com").await;
    let id = server.create_group("Legacy").await;
    let path = format!("/Groups/{id}");
    let added = server
        .patch(
            &path,
            json!([{"op": "Add", "path": "members", "value": [
                {"$ref": null, "value": a}, {"$ref": null, "value": b}, {"$ref": null, "value": c}
            ]}]),
        )
        .await;
    assert_eq!(added.status, 200, "{}", added.text);
    // Adding an existing member again does not duplicate it.
    server
        .patch(
            &path,
            json!([{"op": "Add", "path": "members", "value": [{"value": a}]}]),
        )
        .await;
    let mut all = vec![a.clone(), b.clone(), c.clone()];
    all.sort();
    assert_eq!(member_values(&server.get(&path).await.body), all);
    let removed = server
        .patch(
            &path,
            json!([{"op": "Remove", "path": "members", "value": [{"$ref": null, "value": b}]}]),
        )
        .await;
    assert_eq!(removed.status, 200, "{}", removed.text);
    let mut rest = vec![a, c];
    rest.sort();
    assert_eq!(member_values(&server.get(&path).await.body), rest);
}

#[tokio::test]
async fn compliant_remove_by_value_filter_and_several_ops_in_one_request() {
    let server = start().await;
    let a = server.create_user("a2@contoso.com").await;
    let b = server.create_user("b2@contoso.com").await;
    let c = server.create_user("c2@contoso.com").await;
    let id = server.create_group("Compliant").await;
    let path = format!("/Groups/{id}");
    let answer = server
        .patch(
            &path,
            json!([
                {"op": "add", "path": "members", "value": [{"value": a}, {"value": b}]},
                {"op": "add", "path": "members", "value": [{"value": c}]},
                {"op": "remove", "path": format!("members[value eq \"{a}\"]")}
            ]),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let mut expected = vec![b, c];
    expected.sort();
    assert_eq!(member_values(&server.get(&path).await.body), expected);
}

#[tokio::test]
async fn replace_members_and_remove_all_members() {
    let server = start().await;
    let a = server.create_user("a3@contoso.com").await;
    let b = server.create_user("b3@contoso.com").await;
    let id = server.create_group("Replace").await;
    let path = format!("/Groups/{id}");
    server
        .patch(
            &path,
            json!([{"op": "add", "path": "members", "value": [{"value": a}]}]),
        )
        .await;
    let replaced = server
        .patch(
            &path,
            json!([{"op": "replace", "path": "members", "value": [{"value": b}]}]),
        )
        .await;
    assert_eq!(replaced.status, 200, "{}", replaced.text);
    assert_eq!(member_values(&server.get(&path).await.body), vec![b]);
    let cleared = server
        .patch(&path, json!([{"op": "remove", "path": "members"}]))
        .await;
    assert_eq!(cleared.status, 200, "{}", cleared.text);
    assert!(member_values(&server.get(&path).await.body).is_empty());
}

#[tokio::test]
async fn unknown_member_ids_are_400_and_change_nothing() {
    let server = start().await;
    let a = server.create_user("a4@contoso.com").await;
    let id = server.create_group("Strict").await;
    let path = format!("/Groups/{id}");
    let answer = server
        .patch(
            &path,
            json!([{"op": "Add", "path": "members", "value": [{"value": a}, {"value": "no-such-user"}]}]),
        )
        .await;
    assert_eq!(answer.assert_scim_error(400), Some("invalidValue"));
    assert!(member_values(&server.get(&path).await.body).is_empty());
    let create = server
        .post(
            "/Groups",
            json!({"displayName": "WithGhost", "members": [{"value": "ghost"}]}),
        )
        .await;
    create.assert_scim_error(400);
}

#[tokio::test]
async fn deleting_a_user_removes_it_from_its_groups() {
    let server = start().await;
    let a = server.create_user("a5@contoso.com").await;
    let b = server.create_user("b5@contoso.com").await;
    let id = server.create_group("Cleanup").await;
    let path = format!("/Groups/{id}");
    server
        .patch(
            &path,
            json!([{"op": "add", "path": "members", "value": [{"value": a}, {"value": b}]}]),
        )
        .await;
    let before = server.get(&path).await.body;
    assert_eq!(server.delete(&format!("/Users/{a}")).await.status, 204);
    let after = server.get(&path).await.body;
    assert_eq!(member_values(&after), vec![b]);
    assert_ne!(after["meta"]["version"], before["meta"]["version"]);
}

#[tokio::test]
async fn create_with_members_put_and_delete() {
    let server = start().await;
    let a = server.create_user("a6@contoso.com").await;
    let created = server
        .post(
            "/Groups",
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                   "displayName": "Direct", "members": [{"value": a, "display": "A"}]}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.id();
    let path = format!("/Groups/{id}");
    let put = server
        .put(
            &path,
            json!({"displayName": "Direct Renamed", "members": []}),
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.text);
    assert_eq!(put.body["displayName"], json!("Direct Renamed"));
    assert!(member_values(&put.body).is_empty());
    assert_eq!(server.delete(&path).await.status, 204);
    server.get(&path).await.assert_scim_error(404);
    server.delete(&path).await.assert_scim_error(404);
}
