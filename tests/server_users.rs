//! `/Users` over real HTTP: create, read, filter, replace, every Entra PATCH shape, delete.

mod server_common;

use serde_json::{Value, json};
use server_common::*;

#[tokio::test]
async fn create_answers_201_with_id_location_etag_and_meta() {
    let server = start().await;
    let answer = server.post("/Users", entra_user("alice@contoso.com")).await;
    assert_eq!(answer.status, 201, "{}", answer.text);
    assert!(answer.content_type().starts_with("application/scim+json"));
    let id = answer.id();
    let body = &answer.body;
    let location = server.url(&format!("/Users/{id}"));
    assert_eq!(answer.header("location"), Some(location.as_str()));
    assert_eq!(body["meta"]["location"], json!(location));
    assert_eq!(body["meta"]["resourceType"], json!("User"));
    assert!(body["meta"]["created"].is_string());
    assert!(body["meta"]["lastModified"].is_string());
    let version = body["meta"]["version"].as_str().expect("version");
    assert!(version.starts_with("W/\""), "{version}");
    assert_eq!(answer.header("etag"), Some(version));
    // The sent attributes come back unchanged (Entra diffs them every cycle).
    assert_eq!(body["userName"], json!("alice@contoso.com"));
    assert_eq!(body["externalId"], json!("alice"));
    assert_eq!(body["name"]["givenName"], json!("Alice"));
    assert_eq!(body["phoneNumbers"][0]["value"], json!("+1 555 0100"));
    assert_eq!(body[ENTERPRISE]["department"], json!("R&D"));
    assert_eq!(
        body["schemas"],
        json!(["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE])
    );
}

#[tokio::test]
async fn create_tolerates_nulls_string_booleans_client_meta_and_ids() {
    let server = start().await;
    let mut user = entra_user("nulls@contoso.com");
    user["active"] = json!("True");
    user["addresses"] = Value::Null;
    user["id"] = json!("chosen-by-client");
    user["meta"] = json!({"resourceType": "User", "created": "1999-01-01T00:00:00Z"});
    user[ENTERPRISE]["manager"] = Value::Null;
    let answer = server.post("/Users", user).await;
    assert_eq!(answer.status, 201, "{}", answer.text);
    assert_eq!(answer.body["active"], json!(true));
    assert_ne!(answer.body["id"], json!("chosen-by-client"));
    assert_ne!(
        answer.body["meta"]["created"],
        json!("1999-01-01T00:00:00Z")
    );
    assert!(answer.body.get("addresses").is_none());
    assert!(answer.body[ENTERPRISE].get("manager").is_none());
}

#[tokio::test]
async fn create_takes_plain_application_json_too() {
    let server = start().await;
    let answer = answer(
        server
            .raw(reqwest::Method::POST, "/Users")
            .bearer_auth(TOKEN)
            .header("content-type", "application/json")
            .body(r#"{"userName":"json@contoso.com"}"#),
    )
    .await;
    assert_eq!(answer.status, 201, "{}", answer.text);
}

#[tokio::test]
async fn missing_user_name_is_400_invalid_value() {
    let server = start().await;
    let answer = server
        .post("/Users", json!({"displayName": "nobody"}))
        .await;
    assert_eq!(answer.assert_scim_error(400), Some("invalidValue"));
}

#[tokio::test]
async fn wrong_attribute_types_are_400_invalid_value() {
    let server = start().await;
    let mut user = entra_user("types@contoso.com");
    user["active"] = json!("maybe");
    let answer = server.post("/Users", user).await;
    assert_eq!(answer.assert_scim_error(400), Some("invalidValue"));
}

#[tokio::test]
async fn duplicate_user_name_is_409_uniqueness_whatever_the_case() {
    let server = start().await;
    server.create_user("dup@contoso.com").await;
    let answer = server.post("/Users", entra_user("DUP@Contoso.com")).await;
    assert_eq!(answer.assert_scim_error(409), Some("uniqueness"));
}

#[tokio::test]
async fn get_by_id_returns_the_user_and_unknown_ids_404() {
    let server = start().await;
    let id = server.create_user("get@contoso.com").await;
    let answer = server.get(&format!("/Users/{id}")).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body["userName"], json!("get@contoso.com"));
    assert!(answer.header("etag").is_some());
    server
        .get("/Users/does-not-exist")
        .await
        .assert_scim_error(404);
}

#[tokio::test]
async fn test_connection_filter_answers_an_empty_list_response() {
    let server = start().await;
    server.create_user("someone@contoso.com").await;
    // Byte for byte what Entra sends, including the compliance flag it may forward.
    let answer = server
        .get(
            "/Users?aadOptscim062020&filter=userName+eq+%22a7d2bd9f-1b5e-4e40-8c8d-f1f0a4b8c2d1%22",
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(
        answer.body,
        json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
            "totalResults": 0, "Resources": [], "startIndex": 1, "itemsPerPage": 0
        })
    );
}

#[tokio::test]
async fn filter_on_user_name_ignores_case_and_external_id_does_not() {
    let server = start().await;
    let id = server.create_user("Case.Test@contoso.com").await;
    server.create_user("other@contoso.com").await;
    let answer = server
        .filter_users("userName eq \"case.test@CONTOSO.com\"")
        .await;
    assert_eq!(answer.body["totalResults"], json!(1), "{}", answer.text);
    assert_eq!(answer.body["Resources"][0]["id"], json!(id));
    // The validator's raw form: quotes unencoded, @ as %40.
    let raw = server
        .get("/Users?filter=userName+eq+\"case.test%40contoso.com\"")
        .await;
    assert_eq!(raw.body["totalResults"], json!(1), "{}", raw.text);
    let exact = server.filter_users("externalId eq \"Case.Test\"").await;
    assert_eq!(exact.body["totalResults"], json!(1));
    let other_case = server.filter_users("externalId eq \"case.test\"").await;
    assert_eq!(other_case.body["totalResults"], json!(0));
}

#[tokio::test]
async fn filter_supports_value_paths_and_logical_operators() {
    let server = start().await;
    let id = server.create_user("vp@contoso.com").await;
    server.create_user("nope@contoso.com").await;
    for filter in [
        "emails[type eq \"work\"].value eq \"vp@contoso.com\"",
        "emails[type eq \"work\" and value co \"vp@\"]",
        "userName sw \"vp\" and active eq true",
        "not (userName eq \"nope@contoso.com\")",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq \"42\" and userName ew \"vp@contoso.com\"",
    ] {
        let answer = server.filter_users(filter).await;
        assert_eq!(answer.status, 200, "{filter}: {}", answer.text);
        assert_eq!(
            answer.body["totalResults"],
            json!(1),
            "{filter}: {}",
            answer.text
        );
        assert_eq!(answer.body["Resources"][0]["id"], json!(id), "{filter}");
    }
}

#[tokio::test]
async fn malformed_filter_is_400_invalid_filter() {
    let server = start().await;
    for filter in [
        "userName eq",
        "userName eq unquoted",
        "((",
        "userName xx \"a\"",
    ] {
        let answer = server.filter_users(filter).await;
        assert_eq!(
            answer.assert_scim_error(400),
            Some("invalidFilter"),
            "{filter}"
        );
    }
}

#[tokio::test]
async fn put_replaces_the_user_and_keeps_id_and_created() {
    let server = start().await;
    let created = server.post("/Users", entra_user("put@contoso.com")).await;
    let id = created.id();
    let answer = server
        .put(
            &format!("/Users/{id}"),
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                   "userName": "put2@contoso.com", "active": false}),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.body["id"], json!(id));
    assert_eq!(answer.body["userName"], json!("put2@contoso.com"));
    assert!(answer.body.get("displayName").is_none());
    assert_eq!(
        answer.body["meta"]["created"],
        created.body["meta"]["created"]
    );
    assert_ne!(
        answer.body["meta"]["version"],
        created.body["meta"]["version"]
    );
    let missing = server
        .put("/Users/unknown", json!({"userName": "x@contoso.com"}))
        .await;
    missing.assert_scim_error(404);
}

#[tokio::test]
async fn deleted_user_is_gone_and_second_delete_404s() {
    let server = start().await;
    let id = server.create_user("del@contoso.com").await;
    let deleted = server.delete(&format!("/Users/{id}")).await;
    assert_eq!(deleted.status, 204);
    assert!(deleted.text.is_empty());
    server
        .get(&format!("/Users/{id}"))
        .await
        .assert_scim_error(404);
    server
        .delete(&format!("/Users/{id}"))
        .await
        .assert_scim_error(404);
    // The name is free again.
    server.create_user("del@contoso.com").await;
}

#[tokio::test]
async fn stale_if_match_is_412_and_matching_if_none_match_is_304() {
    let server = start().await;
    let created = server.post("/Users", entra_user("etag@contoso.com")).await;
    let id = created.id();
    let version = created.header("etag").expect("etag").to_string();
    let updated = server
        .patch(
            &format!("/Users/{id}"),
            json!([{"op": "replace", "path": "title", "value": "Boss"}]),
        )
        .await;
    assert_eq!(updated.status, 200, "{}", updated.text);
    let stale = answer(
        server
            .raw(reqwest::Method::DELETE, &format!("/Users/{id}"))
            .bearer_auth(TOKEN)
            .header("if-match", &version),
    )
    .await;
    stale.assert_scim_error(412);
    let current = updated.header("etag").expect("etag").to_string();
    let not_modified = answer(
        server
            .raw(reqwest::Method::GET, &format!("/Users/{id}"))
            .bearer_auth(TOKEN)
            .header("if-none-match", &current),
    )
    .await;
    assert_eq!(not_modified.status, 304);
}

// ---- PATCH: every shape of entra-reference.md §1.5–§1.7 and §3, each followed by a GET ----

/// Creates a user, applies one PATCH, checks the answer is 200 + resource and returns the GET.
async fn patched(server: &TestServer, user_name: &str, operations: Value) -> Value {
    let id = server.create_user(user_name).await;
    let path = format!("/Users/{id}");
    let answer = server.patch(&path, operations.clone()).await;
    assert_eq!(answer.status, 200, "{operations}: {}", answer.text);
    assert_eq!(answer.body["id"], json!(id));
    let got = server.get(&path).await;
    assert_eq!(got.status, 200);
    got.body
}

#[tokio::test]
async fn patch_legacy_disable_with_capitalised_op_and_string_boolean() {
    let server = start().await;
    let user = patched(
        &server,
        "legacy@contoso.com",
        json!([{"op": "Replace", "path": "active", "value": "False"}]),
    )
    .await;
    assert_eq!(user["active"], json!(false));
    // Soft-deleted users stay visible to GET and to the filter (R13).
    let found = server
        .filter_users("userName eq \"legacy@contoso.com\"")
        .await;
    assert_eq!(found.body["totalResults"], json!(1));
    assert_eq!(found.body["Resources"][0]["active"], json!(false));
}

#[tokio::test]
async fn patch_compliant_disable_and_re_enable() {
    let server = start().await;
    let id = server.create_user("compliant@contoso.com").await;
    let path = format!("/Users/{id}");
    let off = server
        .patch(
            &path,
            json!([{"op": "replace", "path": "active", "value": false}]),
        )
        .await;
    assert_eq!(off.body["active"], json!(false), "{}", off.text);
    let on = server
        .patch(
            &path,
            json!([{"op": "Replace", "path": "active", "value": "True"}]),
        )
        .await;
    assert_eq!(on.body["active"], json!(true), "{}", on.text);
    let lower = server
        .patch(
            &path,
            json!([{"op": "replace", "path": "active", "value": "false"}]),
        )
        .await;
    assert_eq!(lower.body["active"], json!(false), "{}", lower.text);
}

#[tokio::test]
async fn patch_path_less_disable_bundled_with_user_name() {
    let server = start().await;
    let user = patched(
        &server,
        "bundle@contoso.com",
        json!([{"op": "replace", "value": {"active": false, "userName": "bundled@contoso.com"}}]),
    )
    .await;
    assert_eq!(user["active"], json!(false));
    assert_eq!(user["userName"], json!("bundled@contoso.com"));
}

#[tokio::test]
async fn patch_add_active_when_absent() {
    let server = start().await;
    let answer = server
        .post("/Users", json!({"userName": "noactive@contoso.com"}))
        .await;
    let id = answer.id();
    let patched = server
        .patch(
            &format!("/Users/{id}"),
            json!([{"op": "Add", "path": "active", "value": "False"}]),
        )
        .await;
    assert_eq!(patched.body["active"], json!(false), "{}", patched.text);
}

#[tokio::test]
async fn patch_value_path_replace_and_sub_attribute() {
    let server = start().await;
    let user = patched(
        &server,
        "vpatch@contoso.com",
        json!([
            {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "new@contoso.com"},
            {"op": "Replace", "path": "name.familyName", "value": "NewFamily"}
        ]),
    )
    .await;
    assert_eq!(user["emails"][0]["value"], json!("new@contoso.com"));
    assert_eq!(user["emails"].as_array().map(Vec::len), Some(1));
    assert_eq!(user["name"]["familyName"], json!("NewFamily"));
    assert_eq!(user["name"]["givenName"], json!("Alice"));
}

#[tokio::test]
async fn patch_value_path_upserts_a_missing_work_email() {
    let server = start().await;
    let id = server
        .post("/Users", json!({"userName": "upsert@contoso.com"}))
        .await
        .id();
    let answer = server
        .patch(
            &format!("/Users/{id}"),
            json!([{"op": "Add", "path": "emails[type eq \"work\"].value", "value": "w@contoso.com"}]),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let user = server.get(&format!("/Users/{id}")).await.body;
    let emails = user["emails"].as_array().expect("emails");
    assert!(
        emails
            .iter()
            .any(|e| e["type"] == json!("work") && e["value"] == json!("w@contoso.com")),
        "{user}"
    );
}

#[tokio::test]
async fn patch_single_valued_add_replace_and_remove() {
    let server = start().await;
    let id = server.create_user("single@contoso.com").await;
    let path = format!("/Users/{id}");
    let answer = server
        .patch(
            &path,
            json!([
                {"op": "Add", "path": "nickName", "value": "Babs"},
                {"op": "Replace", "path": "userName", "value": "renamed@contoso.com"},
                {"op": "Remove", "path": "title"}
            ]),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let user = server.get(&path).await.body;
    assert_eq!(user["nickName"], json!("Babs"));
    assert_eq!(user["userName"], json!("renamed@contoso.com"));
    assert!(user.get("title").is_none(), "{user}");
    // The new name is the one that is now taken.
    server.create_user("single@contoso.com").await;
    let clash = server
        .post("/Users", entra_user("RENAMED@contoso.com"))
        .await;
    clash.assert_scim_error(409);
}

#[tokio::test]
async fn patch_rename_onto_a_taken_user_name_is_409() {
    let server = start().await;
    server.create_user("taken@contoso.com").await;
    let id = server.create_user("mover@contoso.com").await;
    let answer = server
        .patch(
            &format!("/Users/{id}"),
            json!([{"op": "Replace", "path": "userName", "value": "Taken@contoso.com"}]),
        )
        .await;
    assert_eq!(answer.assert_scim_error(409), Some("uniqueness"));
}

#[tokio::test]
async fn patch_replace_with_null_or_empty_string_clears() {
    let server = start().await;
    let user = patched(
        &server,
        "clear@contoso.com",
        json!([
            {"op": "Replace", "path": "title", "value": ""},
            {"op": "Replace", "path": "displayName", "value": null}
        ]),
    )
    .await;
    assert!(
        user.get("title").is_none_or(|t| t == &json!("")),
        "title not cleared: {user}"
    );
    assert!(user.get("displayName").is_none(), "{user}");
}

#[tokio::test]
async fn patch_compliant_path_less_replace_with_dotted_and_urn_keys() {
    let server = start().await;
    let user = patched(
        &server,
        "dotted@contoso.com",
        json!([{"op": "replace", "value": {
            "displayName": "New Display",
            "name.givenName": "NewGiven",
            "name.familyName": "NewFamily",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "99"
        }}]),
    )
    .await;
    assert_eq!(user["displayName"], json!("New Display"));
    assert_eq!(user["name"]["givenName"], json!("NewGiven"));
    assert_eq!(user["name"]["familyName"], json!("NewFamily"));
    assert_eq!(user["name"]["formatted"], json!("Alice Example"));
    assert_eq!(user[ENTERPRISE]["employeeNumber"], json!("99"));
    assert_eq!(user[ENTERPRISE]["department"], json!("R&D"));
    assert!(user.get("name.givenName").is_none(), "{user}");
}

#[tokio::test]
async fn patch_extension_attribute_by_full_urn_path() {
    let server = start().await;
    let user = patched(
        &server,
        "urnpath@contoso.com",
        json!([
            {"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "Retail"},
            {"op": "Replace", "path": "urn:ietf:params:scim:schemas:core:2.0:User:displayName", "value": "Core Qualified"}
        ]),
    )
    .await;
    assert_eq!(user[ENTERPRISE]["department"], json!("Retail"));
    assert_eq!(user["displayName"], json!("Core Qualified"));
}

#[tokio::test]
async fn patch_custom_extension_attribute() {
    let server = start().await;
    let urn = "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User";
    let user = patched(
        &server,
        "custom@contoso.com",
        json!([{"op": "Add", "path": format!("{urn}:tag"), "value": "701984"}]),
    )
    .await;
    assert_eq!(user[urn]["tag"], json!("701984"), "{user}");
}

#[tokio::test]
async fn patch_manager_every_shape_entra_sends() {
    let server = start().await;
    let manager = server.create_user("boss@contoso.com").await;
    let id = server.create_user("report@contoso.com").await;
    let path = format!("/Users/{id}");
    let urn_path = format!("{ENTERPRISE}:manager");
    let shapes = [
        json!([{"op": "Add", "path": urn_path, "value": manager}]),
        json!([{"op": "replace", "path": urn_path, "value": {"value": manager}}]),
        json!([{"op": "Add", "path": "manager", "value": [{"$ref": format!("http://x/Users/{manager}"), "value": manager}]}]),
    ];
    for operations in shapes {
        server
            .patch(&path, json!([{"op": "remove", "path": urn_path}]))
            .await;
        let answer = server.patch(&path, operations.clone()).await;
        assert_eq!(answer.status, 200, "{operations}: {}", answer.text);
        let user = server.get(&path).await.body;
        assert_eq!(
            user[ENTERPRISE]["manager"]["value"],
            json!(manager),
            "{operations}: {user}"
        );
    }
    let removals = [
        json!([{"op": "remove", "path": urn_path}]),
        json!([{"op": "remove", "path": format!("manager[value eq \"{manager}\"]")}]),
        json!([{"op": "Replace", "path": urn_path, "value": ""}]),
    ];
    for operations in removals {
        server
            .patch(
                &path,
                json!([{"op": "Add", "path": urn_path, "value": manager}]),
            )
            .await;
        let answer = server.patch(&path, operations.clone()).await;
        assert_eq!(answer.status, 200, "{operations}: {}", answer.text);
        let user = server.get(&path).await.body;
        assert!(
            user[ENTERPRISE].get("manager").is_none(),
            "{operations} left {user}"
        );
    }
}

#[tokio::test]
async fn manager_as_bare_string_in_create_is_stored_as_complex() {
    let server = start().await;
    let manager = server.create_user("boss2@contoso.com").await;
    let mut user = entra_user("report2@contoso.com");
    user[ENTERPRISE]["manager"] = json!(manager);
    let answer = server.post("/Users", user).await;
    assert_eq!(answer.status, 201, "{}", answer.text);
    assert_eq!(
        answer.body[ENTERPRISE]["manager"],
        json!({"value": manager})
    );
}

#[tokio::test]
async fn patch_roles_as_json_encoded_strings_are_stored_as_given() {
    let server = start().await;
    let role =
        r#"{"id":"06b07648-ecfe-589f-9d2f-6325724a46ee","value":"25","displayName":"Role1234"}"#;
    let user = patched(
        &server,
        "roles@contoso.com",
        json!([{"op": "Add", "path": "roles", "value": [{"value": role}]}]),
    )
    .await;
    assert_eq!(user["roles"][0]["value"], json!(role), "{user}");
}

#[tokio::test]
async fn patch_errors_are_scim_errors() {
    let server = start().await;
    let id = server.create_user("errors@contoso.com").await;
    let path = format!("/Users/{id}");
    let bad_value = server
        .patch(
            &path,
            json!([{"op": "replace", "path": "active", "value": "maybe"}]),
        )
        .await;
    assert_eq!(bad_value.assert_scim_error(400), Some("invalidValue"));
    let bad_path = server
        .patch(
            &path,
            json!([{"op": "replace", "path": "emails[type eq", "value": "x"}]),
        )
        .await;
    assert_eq!(bad_path.assert_scim_error(400), Some("invalidPath"));
    let not_patch_op = server
        .send(
            reqwest::Method::PATCH,
            &path,
            Some(json!({"Operations": []})),
        )
        .await;
    assert_eq!(not_patch_op.assert_scim_error(400), Some("invalidSyntax"));
    let unknown = server
        .patch(
            "/Users/unknown",
            json!([{"op": "replace", "path": "active", "value": false}]),
        )
        .await;
    unknown.assert_scim_error(404);
    // Nothing of the failed requests was applied.
    let user = server.get(&path).await.body;
    assert_eq!(user["active"], json!(true));
}

#[tokio::test]
async fn concurrent_creates_of_one_user_name_yield_exactly_one_201() {
    let server = std::sync::Arc::new(start().await);
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let server = server.clone();
        tasks.push(tokio::spawn(async move {
            server
                .post("/Users", entra_user("race@contoso.com"))
                .await
                .status
        }));
    }
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.expect("task"));
    }
    assert_eq!(
        statuses.iter().filter(|&&s| s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|&&s| s == 409).count(),
        15,
        "{statuses:?}"
    );
}
