//! Optional features a scenario `requires`: probed once per run, so a server without groups or
//! without manager support (or a target that is not https) gets those scenarios skipped with the
//! reason instead of failed.

use std::collections::HashMap;

use serde_json::Value;
use tokio::sync::Mutex;

use super::RunConfig;
use super::http::WireRequest;
use super::request::form_encode;
use crate::scenario::model::Feature;
use crate::scim::SCHEMA_ENTERPRISE_USER;

/// What the probes found; `Err(reason)` means the feature is missing. Scenarios running at the
/// same time share it: the first one that needs a feature probes it while the others wait.
#[derive(Default)]
pub struct FeatureProbe {
    known: Mutex<HashMap<Feature, Result<(), String>>>,
}

impl FeatureProbe {
    /// `Err(reason)` for the first required feature the target lacks.
    pub async fn missing(&self, required: &[Feature], config: &RunConfig) -> Result<(), String> {
        for &feature in required {
            let mut known = self.known.lock().await;
            let found = match known.get(&feature) {
                Some(found) => found.clone(),
                None => {
                    let found = probe(feature, config).await;
                    known.insert(feature, found.clone());
                    found
                }
            };
            found?;
        }
        Ok(())
    }
}

/// A probe that cannot tell (no discovery endpoint, an error status) counts as supported: the
/// scenario then runs and its checks say what is wrong.
async fn probe(feature: Feature, config: &RunConfig) -> Result<(), String> {
    match feature {
        Feature::Groups => {
            let query = form_encode(&[
                ("excludedAttributes".to_string(), "members".to_string()),
                (
                    "filter".to_string(),
                    format!("displayName eq \"{}\"", config.run_id),
                ),
            ]);
            match get(config, &format!("/Groups?{query}")).await {
                Some((status @ (404 | 501), _)) => Err(format!(
                    "the target has no /Groups endpoint (GET /Groups answered {status}); Entra provisions groups only to servers that support them"
                )),
                _ => Ok(()),
            }
        }
        Feature::Patch => match get(config, "/ServiceProviderConfig").await {
            Some((200, Some(body)))
                if body.pointer("/patch/supported") == Some(&Value::Bool(false)) =>
            {
                Err("/ServiceProviderConfig says patch.supported is false".to_string())
            }
            _ => Ok(()),
        },
        Feature::Https => {
            if config.target.base_url.starts_with("https://") {
                Ok(())
            } else {
                Err(format!(
                    "the target is not https ({}): Entra calls only https endpoints with TLS 1.2 (R1), so TLS and the certificate are checked on https targets",
                    config.target.base_url
                ))
            }
        }
        Feature::Manager => {
            let path = format!("/Schemas/{SCHEMA_ENTERPRISE_USER}");
            match get(config, &path).await {
                Some((200, Some(schema))) if !has_attribute(&schema, "manager") => {
                    Err("/Schemas describes the enterprise extension without `manager`".to_string())
                }
                Some((404, _)) => match get(config, "/Schemas").await {
                    Some((200, Some(list))) if lists_schemas(&list) => Err(
                        "/Schemas does not list the enterprise extension, so it has no `manager`"
                            .to_string(),
                    ),
                    _ => Ok(()),
                },
                _ => Ok(()),
            }
        }
    }
}

async fn get(config: &RunConfig, path_and_query: &str) -> Option<(u16, Option<Value>)> {
    let base = config.target.base_url.trim_end_matches('/');
    let mut headers = Vec::new();
    if let Some(token) = &config.target.token {
        headers.push((
            "Authorization".to_string(),
            format!("Bearer {}", token.expose()),
        ));
    }
    let request = WireRequest {
        method: "GET",
        url: format!("{base}{path_and_query}"),
        headers,
        body: None,
    };
    let response = config.client.send(&request).await.ok()?;
    Some((response.status, serde_json::from_slice(&response.body).ok()))
}

fn has_attribute(schema: &Value, name: &str) -> bool {
    schema
        .get("attributes")
        .and_then(Value::as_array)
        .is_some_and(|attrs| {
            attrs.iter().any(|a| {
                a.get("name")
                    .and_then(Value::as_str)
                    .is_some_and(|n| n.eq_ignore_ascii_case(name))
            })
        })
}

/// A ListResponse of schemas that names at least the core User schema: discovery that works.
fn lists_schemas(list: &Value) -> bool {
    list.get("Resources")
        .and_then(Value::as_array)
        .is_some_and(|items| !items.is_empty())
}
