//! The scenario file as YAML gives it: strict serde structs (unknown keys are errors at the key)
//! with source positions, before validation turns them into the model.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a scenario: a mapping with `title` and `steps`"
)]
pub(crate) struct RawScenario {
    pub name: Option<Spanned<String>>,
    pub title: Spanned<String>,
    pub description: Option<String>,
    #[serde(default)]
    pub requirements: Vec<String>,
    #[serde(default)]
    pub profiles: Vec<Spanned<String>>,
    #[serde(default)]
    pub requires: Vec<Spanned<String>>,
    #[serde(default)]
    pub vars: OrderedMap<Spanned<String>>,
    pub steps: Spanned<Vec<Spanned<RawStep>>>,
}

#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a step: a mapping with `name`, `title` and `request`"
)]
pub(crate) struct RawStep {
    pub name: Spanned<String>,
    pub title: String,
    #[serde(default)]
    pub profiles: Vec<Spanned<String>>,
    pub auth: Option<Spanned<Node>>,
    pub request: Spanned<RawRequest>,
    #[serde(default)]
    pub capture: OrderedMap<Spanned<String>>,
    pub cleanup: Option<Spanned<RawRequest>>,
    pub snapshot: Option<Spanned<Node>>,
    #[serde(default)]
    pub expect: Vec<Spanned<RawExpectation>>,
}

#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a request: a mapping with `method` and `path`"
)]
pub(crate) struct RawRequest {
    pub method: Spanned<String>,
    pub path: Spanned<String>,
    #[serde(default)]
    pub query: OrderedMap<Spanned<String>>,
    #[serde(default)]
    pub headers: OrderedMap<Spanned<String>>,
    pub body: Option<Spanned<Node>>,
    pub body_raw: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "an expectation: a mapping with `id`, `title`, `requirement` and assertions"
)]
pub(crate) struct RawExpectation {
    pub id: Spanned<String>,
    pub title: String,
    pub requirement: String,
    pub severity: Option<Spanned<String>>,
    pub impact: Option<String>,
    pub hint: Option<String>,
    #[serde(default)]
    pub needs: Vec<Spanned<String>>,
    pub status: Option<Spanned<Node>>,
    pub list: Option<Spanned<RawList>>,
    pub filter_honoured: Option<Spanned<bool>>,
    pub resource: Option<Spanned<bool>>,
    pub scim_error: Option<Spanned<bool>>,
    pub attributes: Option<OrderedMap<Spanned<Node>>>,
    pub json: Option<OrderedMap<Spanned<Node>>>,
    pub headers: Option<OrderedMap<Spanned<Node>>>,
    pub transport: Option<Spanned<String>>,
    pub warn_if: Option<Spanned<RawAssertions>>,
}

impl RawExpectation {
    pub fn assertion_fields(&self) -> AssertionFields<'_> {
        AssertionFields {
            status: &self.status,
            list: &self.list,
            filter_honoured: &self.filter_honoured,
            resource: &self.resource,
            scim_error: &self.scim_error,
            attributes: &self.attributes,
            json: &self.json,
            headers: &self.headers,
            transport: &self.transport,
        }
    }
}

/// `warn_if:`: the assertions alone, without an id or a title.
#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "assertions: a mapping with `status`, `json`, `scim_error`, …"
)]
pub(crate) struct RawAssertions {
    pub status: Option<Spanned<Node>>,
    pub list: Option<Spanned<RawList>>,
    pub filter_honoured: Option<Spanned<bool>>,
    pub resource: Option<Spanned<bool>>,
    pub scim_error: Option<Spanned<bool>>,
    pub attributes: Option<OrderedMap<Spanned<Node>>>,
    pub json: Option<OrderedMap<Spanned<Node>>>,
    pub headers: Option<OrderedMap<Spanned<Node>>>,
    pub transport: Option<Spanned<String>>,
}

impl RawAssertions {
    pub fn assertion_fields(&self) -> AssertionFields<'_> {
        AssertionFields {
            status: &self.status,
            list: &self.list,
            filter_honoured: &self.filter_honoured,
            resource: &self.resource,
            scim_error: &self.scim_error,
            attributes: &self.attributes,
            json: &self.json,
            headers: &self.headers,
            transport: &self.transport,
        }
    }
}

/// The assertion keys of an expectation or of its `warn_if`, read the same way.
pub(crate) struct AssertionFields<'a> {
    pub status: &'a Option<Spanned<Node>>,
    pub list: &'a Option<Spanned<RawList>>,
    pub filter_honoured: &'a Option<Spanned<bool>>,
    pub resource: &'a Option<Spanned<bool>>,
    pub scim_error: &'a Option<Spanned<bool>>,
    pub attributes: &'a Option<OrderedMap<Spanned<Node>>>,
    pub json: &'a Option<OrderedMap<Spanned<Node>>>,
    pub headers: &'a Option<OrderedMap<Spanned<Node>>>,
    pub transport: &'a Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a list check: a mapping with `total`, `contains` or `excludes`"
)]
pub(crate) struct RawList {
    pub total: Option<Spanned<u64>>,
    #[serde(default)]
    pub contains: Vec<Spanned<String>>,
    #[serde(default)]
    pub excludes: Vec<Spanned<String>>,
}

/// A YAML mapping with string keys, in file order, each key with its position.
#[derive(Debug)]
pub(crate) struct OrderedMap<V>(pub Vec<(Spanned<String>, V)>);

impl<V> Default for OrderedMap<V> {
    fn default() -> Self {
        OrderedMap(Vec::new())
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for OrderedMap<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MapVisitor<V>(std::marker::PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for MapVisitor<V> {
            type Value = OrderedMap<V>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a mapping of names to values")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(OrderedMap::default())
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::new();
                while let Some(key) = map.next_key::<Spanned<String>>()? {
                    entries.push((key, map.next_value()?));
                }
                Ok(OrderedMap(entries))
            }
        }
        deserializer.deserialize_map(MapVisitor(std::marker::PhantomData))
    }
}

/// Any YAML value, keeping the position of every nested value and key. Used where a key takes
/// several shapes (`auth`, `status`, value checks) and for JSON bodies, so a template error
/// inside a body points at its string.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Seq(Vec<Spanned<Node>>),
    Map(Vec<(Spanned<String>, Spanned<Node>)>),
}

impl Node {
    /// What the value is, for "expected …, found …" messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Node::Null => "null",
            Node::Bool(_) => "a boolean",
            Node::Number(_) => "a number",
            Node::String(_) => "a string",
            Node::Seq(_) => "a list",
            Node::Map(_) => "a mapping",
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Node, D::Error> {
        Node::deserialize(deserializer)
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<Node, E> {
        Ok(Node::Bool(value))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Node, E> {
        Ok(Node::Number(value.into()))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Node, E> {
        Ok(Node::Number(value.into()))
    }

    fn visit_i128<E: de::Error>(self, value: i128) -> Result<Node, E> {
        i64::try_from(value)
            .map(|v| Node::Number(v.into()))
            .map_err(|_| E::custom("integer out of range for JSON"))
    }

    fn visit_u128<E: de::Error>(self, value: u128) -> Result<Node, E> {
        u64::try_from(value)
            .map(|v| Node::Number(v.into()))
            .map_err(|_| E::custom("integer out of range for JSON"))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Node, E> {
        serde_json::Number::from_f64(value)
            .map(Node::Number)
            .ok_or_else(|| E::custom("infinite or NaN numbers are not JSON"))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Node, E> {
        Ok(Node::String(value.to_string()))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<Node, E> {
        Ok(Node::String(value))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Node::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Spanned<String>>()? {
            entries.push((key, map.next_value()?));
        }
        Ok(Node::Map(entries))
    }
}
