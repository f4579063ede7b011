//! Optional features a scenario `requires`: probed once per run, so a server without groups or
//! without manager support (or a target that is not https) gets those scenarios skipped with the
//! reason instead of failed.

use std::collections::HashMap;

use serde_json::Value;
use tokio::sync::Mutex;

use super::RunConfig;
use super::http::WireRequest;
use super::request::form_encode;
use crate::checks::{parse_body, pointer};
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
            // No filter: a server that wrongly answers 404 to a filter matching nothing (a defect
            // entra-groups reports) must not pass for one without groups.
            let query = form_encode(&[
                ("excludedAttributes".to_string(), "members".to_string()),
                ("count".to_string(), "1".to_string()),
            ]);
            match get(config, &format!("/Groups?{query}")).await {
                // Only a usable /ResourceTypes list without a Group tells that groups are
                // missing; without one the probe cannot tell.
                Some((status @ (404 | 501), _))
                    if lists_group_type(config).await == Some(false) =>
                {
                    Err(format!(
                        "the target has no /Groups endpoint (GET /Groups answered {status}, and /ResourceTypes lists no Group); Entra provisions groups only to servers that support them"
                    ))
                }
                _ => Ok(()),
            }
        }
        Feature::Patch => match get(config, "/ServiceProviderConfig").await {
            Some((200, Some(body)))
                if pointer(&body, "/patch/supported") == Some(&Value::Bool(false)) =>
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
                // RFC 7644 §4 requires only the list endpoint, so the extension may be listed
                // without being served on its own.
                Some((404, _)) => match get(config, "/Schemas").await {
                    Some((200, Some(list))) => match listed_schema(&list, SCHEMA_ENTERPRISE_USER) {
                        Some(schema) if !has_attribute(schema, "manager") => Err(
                            "/Schemas lists the enterprise extension without `manager`".to_string(),
                        ),
                        Some(_) => Ok(()),
                        None if !resources(&list).is_empty() => Err(
                            "/Schemas does not list the enterprise extension, so it has no `manager`"
                                .to_string(),
                        ),
                        None => Ok(()),
                    },
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
    Some((response.status, parse_body(&response.body)))
}

fn has_attribute(schema: &Value, name: &str) -> bool {
    pointer(schema, "/attributes")
        .and_then(Value::as_array)
        .is_some_and(|attrs| {
            attrs.iter().any(|a| {
                pointer(a, "/name")
                    .and_then(Value::as_str)
                    .is_some_and(|n| n.eq_ignore_ascii_case(name))
            })
        })
}

/// The `Resources` of a ListResponse (none when the body is not one).
fn resources(list: &Value) -> &[Value] {
    pointer(list, "/Resources")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// The schema with this URN in a `/Schemas` ListResponse.
fn listed_schema<'a>(list: &'a Value, urn: &str) -> Option<&'a Value> {
    resources(list).iter().find(|schema| {
        pointer(schema, "/id")
            .and_then(Value::as_str)
            .is_some_and(|id| id.eq_ignore_ascii_case(urn))
    })
}

/// Whether `/ResourceTypes` lists a Group type (by name or by its `/Groups` endpoint); `None`
/// when it does not answer a ListResponse (an error status, a body that is not JSON or not a
/// list).
async fn lists_group_type(config: &RunConfig) -> Option<bool> {
    let Some((200, Some(list))) = get(config, "/ResourceTypes").await else {
        return None;
    };
    let is_list = ["/Resources", "/totalResults"]
        .iter()
        .any(|key| pointer(&list, key).is_some());
    if !is_list {
        return None;
    }
    let listed = resources(&list).iter().any(|resource_type| {
        let is = |key: &str, expected: &str| {
            pointer(resource_type, &format!("/{key}"))
                .and_then(Value::as_str)
                .is_some_and(|value| value.eq_ignore_ascii_case(expected))
        };
        is("name", "Group") || is("endpoint", "/Groups")
    });
    Some(listed)
}
