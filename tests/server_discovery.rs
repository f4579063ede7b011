//! Discovery endpoints (RFC 7644 §4) and the Insite LMS profile.

mod server_common;

use scim_harness::server::ServerProfile;
use serde_json::{Value, json};
use server_common::*;

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

fn ids(list: &Value) -> Vec<String> {
    list["Resources"]
        .as_array()
        .map(|resources| {
            resources
                .iter()
                .filter_map(|r| r["id"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Attribute names of a schema, sub-attributes as `parent.sub`.
fn attribute_names(schema: &Value) -> Vec<String> {
    let mut names = Vec::new();
    for attribute in schema["attributes"].as_array().into_iter().flatten() {
        let name = attribute["name"].as_str().unwrap_or_default();
        names.push(name.to_string());
        for sub in attribute["subAttributes"].as_array().into_iter().flatten() {
            names.push(format!(
                "{name}.{}",
                sub["name"].as_str().unwrap_or_default()
            ));
        }
    }
    names
}

#[tokio::test]
async fn service_provider_config_describes_what_is_supported() {
    let server = start().await;
    let answer = server.get("/ServiceProviderConfig").await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let config = &answer.body;
    assert_eq!(
        config["schemas"],
        json!(["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"])
    );
    assert_eq!(config["patch"]["supported"], json!(true));
    assert_eq!(config["bulk"]["supported"], json!(false));
    assert_eq!(config["filter"]["supported"], json!(true));
    assert!(
        config["filter"]["maxResults"]
            .as_u64()
            .is_some_and(|n| n > 0)
    );
    assert_eq!(config["sort"]["supported"], json!(false));
    assert_eq!(config["etag"]["supported"], json!(true));
    assert_eq!(config["changePassword"]["supported"], json!(false));
    assert_eq!(
        config["authenticationSchemes"][0]["type"],
        json!("oauthbearertoken")
    );
}

#[tokio::test]
async fn schemas_list_user_enterprise_and_group() {
    let server = start().await;
    let answer = server.get("/Schemas").await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(
        answer.body["schemas"],
        json!(["urn:ietf:params:scim:api:messages:2.0:ListResponse"])
    );
    let mut listed = ids(&answer.body);
    listed.sort();
    let mut expected = vec![USER.to_string(), ENTERPRISE.to_string(), GROUP.to_string()];
    expected.sort();
    assert_eq!(listed, expected);
    assert_eq!(answer.body["totalResults"], json!(3));
    assert!(!answer.text.contains("null"), "no null properties (R21)");
    let user = server.get(&format!("/Schemas/{USER}")).await;
    assert_eq!(user.status, 200, "{}", user.text);
    assert_eq!(user.body["id"], json!(USER));
    assert_eq!(
        user.body["schemas"],
        json!(["urn:ietf:params:scim:schemas:core:2.0:Schema"])
    );
    let names = attribute_names(&user.body);
    for name in ["userName", "active", "emails.value", "name.givenName"] {
        assert!(
            names.contains(&name.to_string()),
            "{name} missing: {names:?}"
        );
    }
    let enterprise = server.get(&format!("/Schemas/{ENTERPRISE}")).await;
    assert!(attribute_names(&enterprise.body).contains(&"manager.value".to_string()));
    server.get("/Schemas/urn:nope").await.assert_scim_error(404);
}

#[tokio::test]
async fn resource_types_list_users_and_groups() {
    let server = start().await;
    let answer = server.get("/ResourceTypes").await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(ids(&answer.body), ["User", "Group"]);
    let user = server.get("/ResourceTypes/User").await;
    assert_eq!(user.body["endpoint"], json!("/Users"));
    assert_eq!(user.body["schema"], json!(USER));
    assert_eq!(
        user.body["schemaExtensions"],
        json!([{"schema": ENTERPRISE, "required": false}])
    );
    let group = server.get("/ResourceTypes/Group").await;
    assert_eq!(group.body["endpoint"], json!("/Groups"));
    server
        .get("/ResourceTypes/Device")
        .await
        .assert_scim_error(404);
}

#[tokio::test]
async fn discovery_refuses_filters_with_403() {
    let server = start().await;
    let answer = server.get("/Schemas?filter=id+eq+%22x%22").await;
    answer.assert_scim_error(403);
}

// ---- Insite LMS profile ----

#[tokio::test]
async fn insite_lms_hosts_users_only() {
    let server = start_with(ServerProfile::InsiteLms, &[]).await;
    server.get("/Groups").await.assert_scim_error(404);
    server
        .post("/Groups", entra_group("G"))
        .await
        .assert_scim_error(404);
    let types = server.get("/ResourceTypes").await;
    assert_eq!(ids(&types.body), ["User"]);
    let schemas = server.get("/Schemas").await;
    assert_eq!(ids(&schemas.body), [USER]);
    server
        .get(&format!("/Schemas/{GROUP}"))
        .await
        .assert_scim_error(404);
}

#[tokio::test]
async fn insite_lms_user_schema_has_exactly_the_mapped_attributes() {
    let server = start_with(ServerProfile::InsiteLms, &[]).await;
    let schema = server.get(&format!("/Schemas/{USER}")).await;
    assert_eq!(schema.status, 200, "{}", schema.text);
    let top: Vec<String> = schema.body["attributes"]
        .as_array()
        .expect("attributes")
        .iter()
        .filter_map(|a| a["name"].as_str().map(str::to_string))
        .filter(|name| !["id", "externalId", "meta"].contains(&name.as_str()))
        .collect();
    let mut top = top;
    top.sort();
    assert_eq!(
        top,
        ["active", "emails", "name", "phoneNumbers", "userName"]
    );
    let names = attribute_names(&schema.body);
    assert!(names.contains(&"name.givenName".to_string()));
    assert!(names.contains(&"name.familyName".to_string()));
    assert!(!names.contains(&"name.formatted".to_string()), "{names:?}");
}

#[tokio::test]
async fn insite_lms_stores_only_the_mapped_attributes() {
    let server = start_with(ServerProfile::InsiteLms, &[]).await;
    let created = server.post("/Users", entra_user("lms@contoso.com")).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let user = &created.body;
    assert_eq!(user["userName"], json!("lms@contoso.com"));
    assert_eq!(user["active"], json!(true));
    assert_eq!(
        user["name"],
        json!({"familyName": "Example", "givenName": "Alice"})
    );
    assert_eq!(
        user["phoneNumbers"],
        json!([{"type": "work", "value": "+1 555 0100"}])
    );
    assert_eq!(user["emails"][0]["value"], json!("lms@contoso.com"));
    for dropped in ["displayName", "title", "roles", ENTERPRISE] {
        assert!(user.get(dropped).is_none(), "{dropped} kept: {user}");
    }
    let id = created.id();
    let path = format!("/Users/{id}");
    let patched = server
        .patch(
            &path,
            json!([
                {"op": "Replace", "path": "active", "value": "False"},
                {"op": "Replace", "path": "title", "value": "Ignored"},
                {"op": "Replace", "path": "name.givenName", "value": "Alicia"},
                {"op": "replace", "value": {"displayName": "Ignored too", "name.familyName": "Sample"}}
            ]),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    let got = server.get(&path).await.body;
    assert_eq!(got["active"], json!(false));
    assert_eq!(
        got["name"],
        json!({"familyName": "Sample", "givenName": "Alicia"})
    );
    assert!(got.get("title").is_none(), "{got}");
    assert!(got.get("displayName").is_none(), "{got}");
    let found = server
        .filter_users("emails[type eq \"work\"].value eq \"lms@contoso.com\"")
        .await;
    assert_eq!(found.body["totalResults"], json!(1), "{}", found.text);
}
