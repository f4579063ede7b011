//! The requests of Entra's initial cycle, byte for byte as its provisioning service sends them
//! (reference §1.2, §1.6, §1.9): form-encoded filters, the create bodies with Entra's extra
//! schema URNs and client-sent `meta`, capitalised legacy PATCH ops, and no `Accept`.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Value, json};

use crate::run::http::WireRequest;
use crate::run::{ENTRA_CONTENT_TYPE, form_encode};
use crate::secret::SecretString;

use super::Dialect;

const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE_USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
/// Entra lists this non-standard URN in every group create (reference §1.9).
const ENTRA_GROUP_SCHEMA: &str =
    "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group";
const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// An id becomes one path segment: everything but RFC 3986's unreserved characters is escaped.
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Users or Groups: the two resource types the cycle touches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    User,
    Group,
}

impl Kind {
    fn endpoint(self) -> &'static str {
        match self {
            Kind::User => "/Users",
            Kind::Group => "/Groups",
        }
    }
}

/// Builds every request of one load run: names carry the run prefix, so each object is unique
/// to the run and recognisable as the harness's.
pub(super) struct Requests {
    /// The Tenant URL without its query and trailing slash.
    base: String,
    /// A query the Tenant URL carries (`aadOptscim062020`); Entra keeps it on every request.
    base_query: Option<String>,
    authorization: Option<String>,
    dialect: Dialect,
    prefix: String,
}

impl Requests {
    pub(super) fn new(
        base_url: &str,
        token: Option<&SecretString>,
        dialect: Dialect,
        prefix: &str,
    ) -> Self {
        let (base, base_query) = match base_url.split_once('?') {
            Some((base, query)) => (base, Some(query.to_string()).filter(|q| !q.is_empty())),
            None => (base_url, None),
        };
        Requests {
            base: base.trim_end_matches('/').to_string(),
            base_query,
            authorization: token.map(|t| format!("Bearer {}", t.expose())),
            dialect,
            prefix: prefix.to_string(),
        }
    }

    pub(super) fn user_name(&self, index: usize) -> String {
        format!("{}-u{index:06}@load.example.com", self.prefix)
    }

    pub(super) fn group_name(&self, index: usize) -> String {
        format!("{} group {index:05}", self.prefix)
    }

    /// Entra's match query: `GET /Users?filter=userName+eq+%22…%22`.
    pub(super) fn find_user(&self, user_name: &str) -> WireRequest {
        let filter = format!("userName eq \"{user_name}\"");
        self.request(
            "GET",
            self.url(Kind::User, None, &[("filter", filter)]),
            None,
        )
    }

    /// Entra's group match query, which leaves the members out.
    pub(super) fn find_group(&self, display_name: &str) -> WireRequest {
        let query = [
            ("excludedAttributes", "members".to_string()),
            ("filter", format!("displayName eq \"{display_name}\"")),
        ];
        self.request("GET", self.url(Kind::Group, None, &query), None)
    }

    pub(super) fn find(&self, kind: Kind, name: &str) -> WireRequest {
        match kind {
            Kind::User => self.find_user(name),
            Kind::Group => self.find_group(name),
        }
    }

    pub(super) fn create_user(&self, index: usize, user_name: &str) -> WireRequest {
        let body = json!({
            "schemas": [USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
            "externalId": format!("{}-u{index:06}", self.prefix),
            "userName": user_name,
            "active": true,
            "displayName": format!("Load User {index}"),
            "emails": [{"primary": true, "type": "work", "value": user_name}],
            "meta": {"resourceType": "User"},
            "name": {
                "formatted": format!("Load User{index}"),
                "familyName": format!("User{index}"),
                "givenName": "Load"
            },
            ENTERPRISE_USER_SCHEMA: {"employeeNumber": index.to_string(), "department": "Load"},
            "roles": []
        });
        self.request("POST", self.url(Kind::User, None, &[]), Some(body))
    }

    /// Groups are always created empty; members follow by PATCH (reference §1.9).
    pub(super) fn create_group(&self, index: usize, display_name: &str) -> WireRequest {
        let body = json!({
            "schemas": [GROUP_SCHEMA, ENTRA_GROUP_SCHEMA],
            "externalId": format!("{}-g{index:05}", self.prefix),
            "displayName": display_name,
            "meta": {"resourceType": "Group"}
        });
        self.request("POST", self.url(Kind::Group, None, &[]), Some(body))
    }

    pub(super) fn add_members(&self, group_id: &str, member_ids: &[&str]) -> WireRequest {
        let members: Vec<Value> = member_ids
            .iter()
            .map(|id| json!({"$ref": null, "value": id}))
            .collect();
        let body = json!({
            "schemas": [PATCH_SCHEMA],
            "Operations": [{"op": "Add", "path": "members", "value": members}]
        });
        self.request(
            "PATCH",
            self.url(Kind::Group, Some(group_id), &[]),
            Some(body),
        )
    }

    /// The disable of the dialect: legacy sends the string `"False"` with a capitalised op,
    /// `aadOptscim062020` a boolean with a lowercase one (reference §1.6).
    pub(super) fn disable_user(&self, user_id: &str) -> WireRequest {
        let operation = match self.dialect {
            Dialect::Legacy => json!({"op": "Replace", "path": "active", "value": "False"}),
            Dialect::Compliant => json!({"op": "replace", "path": "active", "value": false}),
        };
        let body = json!({"schemas": [PATCH_SCHEMA], "Operations": [operation]});
        self.request(
            "PATCH",
            self.url(Kind::User, Some(user_id), &[]),
            Some(body),
        )
    }

    pub(super) fn delete(&self, kind: Kind, id: &str) -> WireRequest {
        self.request("DELETE", self.url(kind, Some(id), &[]), None)
    }

    fn url(&self, kind: Kind, id: Option<&str>, query: &[(&str, String)]) -> String {
        let mut url = format!("{}{}", self.base, kind.endpoint());
        if let Some(id) = id {
            url.push('/');
            url.extend(utf8_percent_encode(id, PATH_SEGMENT));
        }
        let pairs: Vec<(String, String)> = query
            .iter()
            .map(|(name, value)| ((*name).to_string(), value.clone()))
            .collect();
        let encoded = form_encode(&pairs);
        let full_query = [self.base_query.as_deref().unwrap_or(""), encoded.as_str()]
            .into_iter()
            .filter(|q| !q.is_empty())
            .collect::<Vec<_>>()
            .join("&");
        if !full_query.is_empty() {
            url.push('?');
            url.push_str(&full_query);
        }
        url
    }

    fn request(&self, method: &'static str, url: String, body: Option<Value>) -> WireRequest {
        let mut headers = Vec::with_capacity(2);
        if let Some(authorization) = &self.authorization {
            headers.push(("Authorization".to_string(), authorization.clone()));
        }
        let body = body.map(|value| {
            headers.push(("Content-Type".to_string(), ENTRA_CONTENT_TYPE.to_string()));
            value.to_string().into_bytes()
        });
        WireRequest {
            method,
            url,
            headers,
            body,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn requests(base: &str, dialect: Dialect) -> Requests {
        let token = SecretString::new("t0k");
        Requests::new(base, Some(&token), dialect, "scimh-0123abcd")
    }

    fn body(request: &WireRequest) -> Value {
        serde_json::from_slice(request.body.as_deref().unwrap_or_default()).unwrap()
    }

    #[test]
    fn the_match_query_is_form_encoded_and_keeps_the_tenant_urls_query() {
        let r = requests("https://h/scim/v2/?aadOptscim062020", Dialect::Compliant);
        let find = r.find_user(&r.user_name(7));
        assert_eq!(
            find.url,
            "https://h/scim/v2/Users?aadOptscim062020&filter=userName+eq+%22scimh-0123abcd-u000007%40load.example.com%22"
        );
        assert_eq!(find.method, "GET");
        assert_eq!(
            find.headers,
            vec![("Authorization".to_string(), "Bearer t0k".to_string())]
        );
        let group = r.find_group(&r.group_name(3));
        assert_eq!(
            group.url,
            "https://h/scim/v2/Groups?aadOptscim062020&excludedAttributes=members&filter=displayName+eq+%22scimh-0123abcd+group+00003%22"
        );
    }

    #[test]
    fn creates_carry_entras_schemas_meta_and_content_type() {
        let r = requests("http://h/scim", Dialect::Legacy);
        let user = r.create_user(1, &r.user_name(1));
        assert_eq!(user.url, "http://h/scim/Users");
        assert!(user.headers.contains(&(
            "Content-Type".to_string(),
            "application/scim+json; charset=utf-8".to_string()
        )));
        let user = body(&user);
        assert_eq!(user["userName"], "scimh-0123abcd-u000001@load.example.com");
        assert_eq!(user["schemas"][1], ENTERPRISE_USER_SCHEMA);
        assert_eq!(user["meta"]["resourceType"], "User");
        let group = body(&r.create_group(2, &r.group_name(2)));
        assert_eq!(group["schemas"][1], ENTRA_GROUP_SCHEMA);
        assert!(group.get("members").is_none());
    }

    #[test]
    fn disable_follows_the_dialect() {
        let legacy = body(&requests("http://h", Dialect::Legacy).disable_user("42"));
        assert_eq!(
            legacy["Operations"][0],
            json!({"op": "Replace", "path": "active", "value": "False"})
        );
        let compliant = body(&requests("http://h", Dialect::Compliant).disable_user("42"));
        assert_eq!(
            compliant["Operations"][0],
            json!({"op": "replace", "path": "active", "value": false})
        );
    }

    #[test]
    fn ids_are_escaped_as_one_path_segment() {
        let r = requests("http://h/scim/v2", Dialect::Legacy);
        assert_eq!(
            r.delete(Kind::User, "a b/c?d").url,
            "http://h/scim/v2/Users/a%20b%2Fc%3Fd"
        );
        let patch = r.add_members("g-1", &["u-1", "u-2"]);
        assert_eq!(patch.url, "http://h/scim/v2/Groups/g-1");
        assert_eq!(
            body(&patch)["Operations"][0]["value"],
            json!([{"$ref": null, "value": "u-1"}, {"$ref": null, "value": "u-2"}])
        );
    }
}
