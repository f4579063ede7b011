//! RFC 7644 §4 discovery: `/ServiceProviderConfig`, `/Schemas`, `/ResourceTypes`, describing what
//! this server really does (Entra reads `/Schemas` when the provisioning config is saved).

use serde_json::{Map, Value, json};

use super::App;
use super::query::MAX_RESULTS;
use super::store::Kind;
use crate::scim::schema::{ResourceSchema, SchemaDef};
use crate::scim::{self, ScimError};

pub(super) fn service_provider_config(base_url: &str) -> Value {
    json!({
        "schemas": [scim::SCHEMA_SERVICE_PROVIDER_CONFIG],
        "patch": {"supported": true},
        "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": true, "maxResults": MAX_RESULTS},
        "changePassword": {"supported": false},
        "sort": {"supported": false},
        "etag": {"supported": true},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "A bearer token in the Authorization header (RFC 6750), \
                            as Entra's Secret Token field sends it",
            "specUri": "https://www.rfc-editor.org/rfc/rfc6750",
            "primary": true
        }],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": format!("{base_url}/ServiceProviderConfig")
        }
    })
}

/// Every schema the hosted resource types use, each once.
pub(super) fn schemas(app: &App, base_url: &str) -> Vec<Value> {
    let mut seen: Vec<&str> = Vec::new();
    let mut schemas = Vec::new();
    for resource in app.resource_schemas() {
        for schema in std::iter::once(&resource.core).chain(&resource.extensions) {
            if !seen.contains(&schema.id.as_str()) {
                seen.push(&schema.id);
                schemas.push(schema_json(schema, base_url));
            }
        }
    }
    schemas
}

pub(super) fn schema(app: &App, base_url: &str, urn: &str) -> Result<Value, ScimError> {
    app.resource_schemas()
        .flat_map(|resource| std::iter::once(&resource.core).chain(&resource.extensions))
        .find(|schema| schema.id.eq_ignore_ascii_case(urn))
        .map(|schema| schema_json(schema, base_url))
        .ok_or_else(|| ScimError::not_found(format!("no schema {urn:?} on this server")))
}

pub(super) fn resource_types(app: &App, base_url: &str) -> Vec<Value> {
    app.kinds()
        .filter_map(|kind| Some(resource_type_json(kind, app.schema(kind)?, base_url)))
        .collect()
}

pub(super) fn resource_type(app: &App, base_url: &str, name: &str) -> Result<Value, ScimError> {
    app.kinds()
        .find(|kind| kind.resource_type().eq_ignore_ascii_case(name))
        .and_then(|kind| Some(resource_type_json(kind, app.schema(kind)?, base_url)))
        .ok_or_else(|| ScimError::not_found(format!("no resource type {name:?} on this server")))
}

fn resource_type_json(kind: Kind, schema: &ResourceSchema, base_url: &str) -> Value {
    let extensions: Vec<Value> = schema
        .extensions
        .iter()
        .map(|extension| json!({"schema": extension.id, "required": false}))
        .collect();
    let mut resource_type = json!({
        "schemas": [scim::SCHEMA_RESOURCE_TYPE],
        "id": kind.resource_type(),
        "name": kind.resource_type(),
        "endpoint": format!("/{}", kind.endpoint()),
        "description": match kind {
            Kind::User => "User Account",
            Kind::Group => "Group",
        },
        "schema": schema.core.id,
    });
    if let Some(object) = resource_type.as_object_mut() {
        if !extensions.is_empty() {
            object.insert("schemaExtensions".to_string(), Value::Array(extensions));
        }
        object.insert(
            "meta".to_string(),
            json!({
                "resourceType": "ResourceType",
                "location": format!("{base_url}/ResourceTypes/{}", kind.resource_type()),
            }),
        );
    }
    resource_type
}

/// The model's RFC 7643 §7 representation, completed with the `schemas` and `meta` every
/// returned resource carries.
fn schema_json(schema: &SchemaDef, base_url: &str) -> Value {
    let Value::Object(body) = schema.to_json() else {
        return schema.to_json();
    };
    let mut completed = Map::new();
    completed.insert("schemas".to_string(), json!([scim::SCHEMA_SCHEMA]));
    completed.extend(body);
    completed.entry("meta").or_insert_with(|| {
        json!({
            "resourceType": "Schema",
            "location": format!("{base_url}/Schemas/{}", schema.id),
        })
    });
    Value::Object(completed)
}
