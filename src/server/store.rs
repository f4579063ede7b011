//! The in-memory resource store: users and groups with their server-managed `id` and `meta`,
//! uniqueness of userName / group displayName, and group memberships kept consistent when a user
//! is deleted.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::scim::ScimError;

/// The two resource types the server hosts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    User,
    Group,
}

impl Kind {
    /// `meta.resourceType` and the ResourceType id.
    pub(super) fn resource_type(self) -> &'static str {
        match self {
            Kind::User => "User",
            Kind::Group => "Group",
        }
    }

    /// Path segment of the endpoint under the base path.
    pub(super) fn endpoint(self) -> &'static str {
        match self {
            Kind::User => "Users",
            Kind::Group => "Groups",
        }
    }

    /// The attribute that must be unique within the type (RFC 7643 §4.1.1; Entra R20 for groups).
    pub(super) fn unique_attribute(self) -> &'static str {
        match self {
            Kind::User => "userName",
            Kind::Group => "displayName",
        }
    }
}

/// How uniqueness is judged; the quirks loosen it.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct UniquenessRules {
    /// `Quirk::CaseSensitiveUsername`: "Alice" and "alice" are different users.
    pub(super) case_sensitive_user_names: bool,
    /// `Quirk::AllowDuplicates`: no check at all.
    pub(super) allow_duplicates: bool,
}

#[derive(Default)]
struct Collection {
    /// Resources in creation order (the list order), keyed by a sequence number.
    by_sequence: BTreeMap<u64, Value>,
    sequence_by_id: HashMap<String, u64>,
    /// Normalised unique attribute value -> id.
    id_by_unique_key: HashMap<String, String>,
}

/// All resources. Wrapped in a lock by the caller; every method is synchronous so no lock is ever
/// held across an await.
#[derive(Default)]
pub(super) struct Store {
    users: Collection,
    groups: Collection,
    next_sequence: u64,
    /// Source of `meta.version`: a global counter, so a version never repeats within a run.
    next_version: u64,
    rules: UniquenessRules,
}

impl Store {
    pub(super) fn new(rules: UniquenessRules) -> Store {
        Store {
            rules,
            ..Store::default()
        }
    }

    pub(super) fn get(&self, kind: Kind, id: &str) -> Option<&Value> {
        let collection = self.collection(kind);
        let sequence = collection.sequence_by_id.get(id)?;
        collection.by_sequence.get(sequence)
    }

    /// Every resource of a kind, oldest first.
    pub(super) fn iter(&self, kind: Kind) -> impl Iterator<Item = &Value> {
        self.collection(kind).by_sequence.values()
    }

    /// The resources whose unique attribute (userName, group displayName) equals `value` as the
    /// uniqueness rules compare it: from the index in O(1), or `None` when duplicates are allowed
    /// and the index cannot answer.
    pub(super) fn find_unique(&self, kind: Kind, value: &str) -> Option<Vec<&Value>> {
        if self.rules.allow_duplicates {
            return None;
        }
        let key = self.normalize_unique(kind, value);
        let id = self.collection(kind).id_by_unique_key.get(&key);
        Some(id.and_then(|id| self.get(kind, id)).into_iter().collect())
    }

    /// The kind of the resource with this id, if any.
    pub(super) fn kind_of(&self, id: &str) -> Option<Kind> {
        [Kind::User, Kind::Group]
            .into_iter()
            .find(|&kind| self.collection(kind).sequence_by_id.contains_key(id))
    }

    /// Stores a new resource made of `attributes` (which carry `schemas` and no `id`/`meta`) and
    /// returns it with its generated `id` and `meta`. `location_base` is the absolute URL of the
    /// endpoint, e.g. `http://127.0.0.1:8080/scim/v2/Users`.
    pub(super) fn create(
        &mut self,
        kind: Kind,
        attributes: Map<String, Value>,
        location_base: &str,
    ) -> Result<Value, ScimError> {
        let unique_key = self.unique_key(kind, &attributes);
        self.ensure_unique(kind, unique_key.as_deref(), None)?;
        let id = uuid::Uuid::new_v4().to_string();
        let now = now();
        let meta = json!({
            "resourceType": kind.resource_type(),
            "created": now,
            "lastModified": now,
            "location": format!("{location_base}/{id}"),
            "version": self.next_version(),
        });
        let resource = assemble(&id, attributes, meta);
        let sequence = self.next_sequence;
        self.next_sequence += 1;
        let collection = self.collection_mut(kind);
        collection.by_sequence.insert(sequence, resource.clone());
        collection.sequence_by_id.insert(id.clone(), sequence);
        if let Some(key) = unique_key {
            collection.id_by_unique_key.insert(key, id);
        }
        Ok(resource)
    }

    /// Replaces every attribute of an existing resource, keeping `id`, `meta.created` and
    /// `meta.location`, and returns the new version. `None` if the id is unknown.
    pub(super) fn update(
        &mut self,
        kind: Kind,
        id: &str,
        attributes: Map<String, Value>,
    ) -> Result<Option<Value>, ScimError> {
        let Some(old_meta) = self.get(kind, id).and_then(|r| r.get("meta")).cloned() else {
            return Ok(None);
        };
        let new_key = self.unique_key(kind, &attributes);
        self.ensure_unique(kind, new_key.as_deref(), Some(id))?;
        let meta = self.touched_meta(old_meta);
        let resource = assemble(id, attributes, meta);
        let old_key = self.get(kind, id).and_then(|r| self.unique_key_of(kind, r));
        let collection = self.collection_mut(kind);
        if let Some(old_key) = old_key
            && collection
                .id_by_unique_key
                .get(&old_key)
                .map(String::as_str)
                == Some(id)
        {
            collection.id_by_unique_key.remove(&old_key);
        }
        if let Some(key) = new_key {
            collection.id_by_unique_key.insert(key, id.to_string());
        }
        if let Some(sequence) = collection.sequence_by_id.get(id).copied() {
            collection.by_sequence.insert(sequence, resource.clone());
        }
        Ok(Some(resource))
    }

    /// Removes a resource; deleting a user also removes it from every group (each changed group
    /// gets a new version). Returns false if the id is unknown.
    pub(super) fn delete(&mut self, kind: Kind, id: &str) -> bool {
        let key = self.get(kind, id).and_then(|r| self.unique_key_of(kind, r));
        let collection = self.collection_mut(kind);
        let Some(sequence) = collection.sequence_by_id.remove(id) else {
            return false;
        };
        collection.by_sequence.remove(&sequence);
        if let Some(key) = key
            && collection.id_by_unique_key.get(&key).map(String::as_str) == Some(id)
        {
            collection.id_by_unique_key.remove(&key);
        }
        self.remove_member_everywhere(id);
        true
    }

    fn remove_member_everywhere(&mut self, member_id: &str) {
        let sequences: Vec<u64> = self
            .groups
            .by_sequence
            .iter()
            .filter(|(_, group)| has_member(group, member_id))
            .map(|(&sequence, _)| sequence)
            .collect();
        for sequence in sequences {
            let version = self.next_version();
            if let Some(group) = self.groups.by_sequence.get_mut(&sequence) {
                if let Some(members) = group.get_mut("members").and_then(Value::as_array_mut) {
                    members.retain(|member| member_value(member) != Some(member_id));
                }
                if let Some(meta) = group.get_mut("meta").and_then(Value::as_object_mut) {
                    meta.insert("lastModified".to_string(), Value::String(now()));
                    meta.insert("version".to_string(), version);
                }
            }
        }
    }

    fn ensure_unique(
        &self,
        kind: Kind,
        key: Option<&str>,
        own_id: Option<&str>,
    ) -> Result<(), ScimError> {
        if self.rules.allow_duplicates {
            return Ok(());
        }
        let Some(key) = key else { return Ok(()) };
        match self.collection(kind).id_by_unique_key.get(key) {
            Some(holder) if Some(holder.as_str()) != own_id => Err(ScimError::uniqueness(format!(
                "a {} with this {} already exists",
                kind.resource_type(),
                kind.unique_attribute()
            ))),
            _ => Ok(()),
        }
    }

    fn unique_key(&self, kind: Kind, attributes: &Map<String, Value>) -> Option<String> {
        let value = attributes.get(kind.unique_attribute())?.as_str()?;
        Some(self.normalize_unique(kind, value))
    }

    fn normalize_unique(&self, kind: Kind, value: &str) -> String {
        let case_sensitive = kind == Kind::User && self.rules.case_sensitive_user_names;
        if case_sensitive {
            value.to_string()
        } else {
            value.to_lowercase()
        }
    }

    fn unique_key_of(&self, kind: Kind, resource: &Value) -> Option<String> {
        self.unique_key(kind, resource.as_object()?)
    }

    fn touched_meta(&mut self, mut meta: Value) -> Value {
        let version = self.next_version();
        if let Some(meta) = meta.as_object_mut() {
            meta.insert("lastModified".to_string(), Value::String(now()));
            meta.insert("version".to_string(), version);
        }
        meta
    }

    fn next_version(&mut self) -> Value {
        self.next_version += 1;
        Value::String(format!("W/\"{}\"", self.next_version))
    }

    fn collection(&self, kind: Kind) -> &Collection {
        match kind {
            Kind::User => &self.users,
            Kind::Group => &self.groups,
        }
    }

    fn collection_mut(&mut self, kind: Kind) -> &mut Collection {
        match kind {
            Kind::User => &mut self.users,
            Kind::Group => &mut self.groups,
        }
    }
}

/// `schemas`, `id`, the attributes in the order the client sent them, then `meta`: the order
/// people expect when they read a response.
fn assemble(id: &str, mut attributes: Map<String, Value>, meta: Value) -> Value {
    let mut resource = Map::new();
    if let Some(schemas) = attributes.remove("schemas") {
        resource.insert("schemas".to_string(), schemas);
    }
    resource.insert("id".to_string(), Value::String(id.to_string()));
    attributes.remove("id");
    attributes.remove("meta");
    resource.extend(attributes);
    resource.insert("meta".to_string(), meta);
    Value::Object(resource)
}

fn has_member(group: &Value, member_id: &str) -> bool {
    group
        .get("members")
        .and_then(Value::as_array)
        .is_some_and(|members| members.iter().any(|m| member_value(m) == Some(member_id)))
}

fn member_value(member: &Value) -> Option<&str> {
    member.get("value").and_then(Value::as_str)
}

fn now() -> String {
    // Formatting the current UTC time as RFC 3339 only fails for years outside 0..=9999.
    OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn create_assigns_id_and_meta_and_enforces_case_insensitive_uniqueness() {
        let mut store = Store::new(UniquenessRules::default());
        let user = store
            .create(
                Kind::User,
                attrs(json!({"schemas": ["s"], "userName": "Alice"})),
                "http://h/Users",
            )
            .expect("created");
        let id = user["id"].as_str().expect("id");
        assert_eq!(
            user["meta"]["location"],
            json!(format!("http://h/Users/{id}"))
        );
        assert_eq!(user["meta"]["resourceType"], json!("User"));
        let keys: Vec<&String> = user.as_object().expect("object").keys().collect();
        assert_eq!(keys, ["schemas", "id", "userName", "meta"]);
        let duplicate = store.create(
            Kind::User,
            attrs(json!({"userName": "ALICE"})),
            "http://h/Users",
        );
        assert_eq!(duplicate.map_err(|e| e.status), Err(409));
    }

    #[test]
    fn update_keeps_created_and_frees_the_old_name() {
        let mut store = Store::new(UniquenessRules::default());
        let user = store
            .create(
                Kind::User,
                attrs(json!({"userName": "a"})),
                "http://h/Users",
            )
            .expect("created");
        let id = user["id"].as_str().expect("id").to_string();
        let updated = store
            .update(Kind::User, &id, attrs(json!({"userName": "b"})))
            .expect("no conflict")
            .expect("exists");
        assert_eq!(updated["meta"]["created"], user["meta"]["created"]);
        assert_ne!(updated["meta"]["version"], user["meta"]["version"]);
        assert!(
            store
                .create(Kind::User, attrs(json!({"userName": "A"})), "x")
                .is_ok()
        );
    }

    #[test]
    fn deleting_a_user_removes_it_from_groups() {
        let mut store = Store::new(UniquenessRules::default());
        let user = store
            .create(Kind::User, attrs(json!({"userName": "a"})), "x")
            .expect("created");
        let id = user["id"].as_str().expect("id").to_string();
        let group = store
            .create(
                Kind::Group,
                attrs(json!({"displayName": "g", "members": [{"value": id}]})),
                "x",
            )
            .expect("created");
        let group_id = group["id"].as_str().expect("id").to_string();
        assert!(store.delete(Kind::User, &id));
        assert!(!store.delete(Kind::User, &id));
        let group = store.get(Kind::Group, &group_id).expect("group");
        assert_eq!(group["members"], json!([]));
        assert_ne!(group["meta"]["version"], json!(null));
    }

    #[test]
    fn find_unique_answers_from_the_index_unless_duplicates_are_allowed() {
        let mut store = Store::new(UniquenessRules::default());
        store
            .create(Kind::User, attrs(json!({"userName": "Bob"})), "x")
            .expect("created");
        let found = store.find_unique(Kind::User, "BOB").expect("indexed");
        assert_eq!(found.len(), 1);
        assert_eq!(store.find_unique(Kind::User, "bobby"), Some(Vec::new()));
        let loose = Store::new(UniquenessRules {
            case_sensitive_user_names: false,
            allow_duplicates: true,
        });
        assert_eq!(loose.find_unique(Kind::User, "bob"), None);
    }

    #[test]
    fn quirks_loosen_uniqueness() {
        let mut store = Store::new(UniquenessRules {
            case_sensitive_user_names: true,
            allow_duplicates: false,
        });
        assert!(
            store
                .create(Kind::User, attrs(json!({"userName": "a"})), "x")
                .is_ok()
        );
        assert!(
            store
                .create(Kind::User, attrs(json!({"userName": "A"})), "x")
                .is_ok()
        );
        assert!(
            store
                .create(Kind::User, attrs(json!({"userName": "a"})), "x")
                .is_err()
        );
        let mut store = Store::new(UniquenessRules {
            case_sensitive_user_names: false,
            allow_duplicates: true,
        });
        assert!(
            store
                .create(Kind::User, attrs(json!({"userName": "a"})), "x")
                .is_ok()
        );
        assert!(
            store
                .create(Kind::User, attrs(json!({"userName": "a"})), "x")
                .is_ok()
        );
    }
}
