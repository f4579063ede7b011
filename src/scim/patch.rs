//! PATCH application (RFC 7644 §3.5.2) for every operation shape Entra sends
//! (entra-reference.md §1.5–§1.10, §3), legacy and `aadOptscim062020` alike.
//!
//! Choices where the RFC leaves room or Entra departs from it:
//! - The request is applied to a copy: one failing operation leaves the resource untouched
//!   (§3.5.2: "the entire PATCH request is rolled back").
//! - readOnly attributes (`id`, `meta`, `groups`, `manager.displayName`): an explicit `path`
//!   naming one fails with 400 `mutability` (§3.5.2: operations must be compatible with the
//!   attribute's mutability); inside a value object they are ignored, as PUT ignores them
//!   (§3.5.1). An immutable sub-attribute can be added but not replaced or removed.
//! - A value of `null` or `""` in add or replace clears the attribute (Entra's "replace with
//!   empty" and the Logic-App null-update test).
//! - `add` / `replace` on `emails[type eq "work"].value` with no matching element creates
//!   `{"type": "work", "value": …}` (Entra's expectation) unless `upsert_value_paths` is off, in
//!   which case it fails with `noTarget` (§3.5.2.3). `remove` with a filter that matches nothing
//!   succeeds: Entra retries failed removals for weeks, and the end state is the one it wants.
//! - Attributes in a path-less value object that the schema does not define are ignored (as PUT
//!   ignores them); an explicit path to one fails with `invalidPath`. Attributes of extension
//!   URNs the schema does not know (Entra's custom `urn:…:CustomExtensionName:2.0:User:tag`) are
//!   stored as sent under that URN.
//! - The enterprise manager is stored as `{"value": id}` whatever shape it came in (bare id,
//!   `{"value": id}`, `[{"$ref": …, "value": id}]`); `$ref` and `displayName` are the server's to
//!   derive.

use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::SCHEMA_PATCH_OP;
use super::error::ScimError;
use super::filter::Filter;
use super::path::{AttrPath, PatchPath, existing_key, get_ci};
use super::schema::{AttrType, AttributeDef, Mutability, ResourceSchema, parse_string_boolean};

/// How tolerant PATCH application is; the defaults are what Entra needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PatchOptions {
    /// Accept `Add` / `Replace` / `Remove` (Entra's legacy casing), not only lowercase.
    pub case_insensitive_ops: bool,
    /// Accept `"True"` / `"False"` (any case) for Boolean attributes, stored as JSON booleans.
    pub string_booleans: bool,
    /// Accept `[...]` value filters in paths; when off they fail with `invalidPath`.
    pub value_paths: bool,
    /// Create the element an add / replace on `attr[filter].sub` addresses when none matches.
    pub upsert_value_paths: bool,
    /// A deliberate defect for a server quirk: `remove` on a multi-valued attribute with a value
    /// list removes every element instead of the listed ones.
    pub legacy_member_remove_all: bool,
}

impl Default for PatchOptions {
    fn default() -> Self {
        PatchOptions {
            case_insensitive_ops: true,
            string_booleans: true,
            value_paths: true,
            upsert_value_paths: true,
            legacy_member_remove_all: false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Add,
    Replace,
    Remove,
}

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::Add => "add",
            Op::Replace => "replace",
            Op::Remove => "remove",
        }
    }
}

/// Applies a whole PatchOp request body to `resource`. On error `resource` is unchanged and the
/// error's detail names the failing operation's index.
pub fn apply_patch(
    resource: &mut Value,
    request: &Value,
    schema: &ResourceSchema,
    opts: &PatchOptions,
) -> Result<(), ScimError> {
    let operations = operations(request)?;
    let mut working = resource.clone();
    let Value::Object(root) = &mut working else {
        return Err(ScimError::invalid_syntax(
            "the resource to patch is not a JSON object",
        ));
    };
    for (index, operation) in operations.iter().enumerate() {
        apply_operation(root, operation, schema, opts).map_err(|e| ScimError {
            detail: format!("Operations[{index}]: {}", e.detail),
            ..e
        })?;
    }
    *resource = working;
    Ok(())
}

fn operations(request: &Value) -> Result<&Vec<Value>, ScimError> {
    let Some(body) = request.as_object() else {
        return Err(ScimError::invalid_syntax(
            "a PATCH body must be a JSON object",
        ));
    };
    let declares_patch_op = get_ci(body, "schemas")
        .and_then(Value::as_array)
        .is_some_and(|urns| {
            urns.iter().any(|urn| {
                urn.as_str()
                    .is_some_and(|urn| urn.eq_ignore_ascii_case(SCHEMA_PATCH_OP))
            })
        });
    if !declares_patch_op {
        return Err(ScimError::invalid_syntax(format!(
            "\"schemas\" must list {SCHEMA_PATCH_OP}"
        )));
    }
    match get_ci(body, "Operations") {
        Some(Value::Array(operations)) if !operations.is_empty() => Ok(operations),
        _ => Err(ScimError::invalid_syntax(
            "\"Operations\" must be a non-empty array",
        )),
    }
}

fn apply_operation(
    root: &mut Map<String, Value>,
    operation: &Value,
    schema: &ResourceSchema,
    opts: &PatchOptions,
) -> Result<(), ScimError> {
    let Some(fields) = operation.as_object() else {
        return Err(ScimError::invalid_syntax(
            "each operation must be a JSON object",
        ));
    };
    let op = parse_op(fields, opts)?;
    let value = get_ci(fields, "value");
    let path_text = match get_ci(fields, "path") {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) if text.trim().is_empty() => None,
        Some(Value::String(text)) => Some(text.as_str()),
        Some(other) => {
            return Err(ScimError::invalid_path(format!(
                "\"path\" must be a string, not {}",
                short(other)
            )));
        }
    };
    let Some(path_text) = path_text else {
        if op == Op::Remove {
            return Err(ScimError::no_target(
                "\"remove\" needs a \"path\" (RFC 7644 §3.5.2.2)",
            ));
        }
        let value = value.ok_or_else(|| {
            ScimError::invalid_syntax(format!(
                "\"{}\" without a \"path\" needs a \"value\"",
                op.name()
            ))
        })?;
        return apply_object(root, op, value, None, schema, opts);
    };
    let path = PatchPath::parse(path_text)
        .map_err(|e| ScimError::invalid_path(format!("path {path_text:?}: {e}")))?;
    if path.value_filter.is_some() && !opts.value_paths {
        return Err(ScimError::invalid_path(format!(
            "path {path_text:?}: value filters in paths are not supported"
        )));
    }
    let value = match value {
        Some(value) => value,
        None if op == Op::Remove => &Value::Null,
        None => {
            return Err(ScimError::invalid_syntax(format!(
                "\"{}\" needs a \"value\"",
                op.name()
            )));
        }
    };
    if let Some(extension) = whole_extension(&path, value, schema) {
        if op == Op::Remove {
            remove_key(root, &extension);
            return Ok(());
        }
        return apply_object(root, op, value, Some(&extension), schema, opts);
    }
    let target = Target::resolve(&path, schema)?;
    if target.read_only() {
        return Err(ScimError::mutability(format!("{path_text} is readOnly")));
    }
    if op != Op::Add
        && target
            .final_def()
            .is_some_and(|def| def.mutability == Mutability::Immutable)
    {
        return Err(ScimError::mutability(format!(
            "{path_text} is immutable: it can be added, not {}d",
            op.name()
        )));
    }
    target.apply(root, op, value, schema, opts)
}

fn parse_op(fields: &Map<String, Value>, opts: &PatchOptions) -> Result<Op, ScimError> {
    let Some(text) = get_ci(fields, "op").and_then(Value::as_str) else {
        return Err(ScimError::invalid_syntax(
            "an operation needs \"op\": \"add\", \"replace\" or \"remove\"",
        ));
    };
    for op in [Op::Add, Op::Replace, Op::Remove] {
        if text == op.name() || (opts.case_insensitive_ops && text.eq_ignore_ascii_case(op.name()))
        {
            return Ok(op);
        }
    }
    Err(ScimError::invalid_syntax(format!(
        "unknown op {text:?}: expected \"add\", \"replace\" or \"remove\""
    )))
}

/// The extension URN when `path` names a whole extension object (`urn:…:enterprise:2.0:User`)
/// rather than one of its attributes. A URN the schema does not know counts when it ends in the
/// resource type's name and the value is an object (Entra's custom extensions).
fn whole_extension(path: &PatchPath, value: &Value, schema: &ResourceSchema) -> Option<String> {
    let attr = &path.attr;
    if path.value_filter.is_some() || path.sub_attr.is_some() || attr.sub_attr.is_some() {
        return None;
    }
    let urn = attr.urn.as_ref()?;
    let combined = format!("{urn}:{}", attr.name);
    if let Some(extension) = schema.extension(&combined) {
        return Some(extension.id.clone());
    }
    let unknown_urn = schema.extension(urn).is_none() && !is_standard_urn(urn);
    (unknown_urn && value.is_object() && attr.name.eq_ignore_ascii_case(&schema.name))
        .then_some(combined)
}

/// URNs RFC 7643/7644 reserve: never a place for custom attributes.
fn is_standard_urn(urn: &str) -> bool {
    let lower = urn.to_ascii_lowercase();
    lower.starts_with("urn:ietf:params:scim:schemas:core:")
        || lower.starts_with("urn:ietf:params:scim:api:")
}

/// Path-less add / replace (or one on a whole extension): each key of `value` is an attribute
/// path (`displayName`, `name.givenName`, `urn:…:User:employeeNumber`) or an extension object.
fn apply_object(
    root: &mut Map<String, Value>,
    op: Op,
    value: &Value,
    extension: Option<&str>,
    schema: &ResourceSchema,
    opts: &PatchOptions,
) -> Result<(), ScimError> {
    let Value::Object(attributes) = value else {
        return Err(ScimError::invalid_value(format!(
            "without a \"path\", \"value\" must be an object of attributes, not {}",
            short(value)
        )));
    };
    for (key, item) in attributes {
        if extension.is_none() && key.eq_ignore_ascii_case("schemas") {
            continue;
        }
        let mut attr = AttrPath::parse(key)
            .map_err(|e| ScimError::invalid_path(format!("attribute {key:?} in \"value\": {e}")))?;
        if extension.is_none() {
            let as_path = PatchPath {
                attr: attr.clone(),
                value_filter: None,
                sub_attr: None,
            };
            if let Some(nested) = whole_extension(&as_path, item, schema) {
                apply_object(root, op, item, Some(&nested), schema, opts)?;
                continue;
            }
        }
        if let (Some(urn), None) = (extension, &attr.urn) {
            attr.urn = Some(urn.to_string());
        }
        let path = PatchPath {
            attr,
            value_filter: None,
            sub_attr: None,
        };
        let Ok(target) = Target::resolve(&path, schema) else {
            continue;
        };
        if target.read_only() {
            continue;
        }
        target.apply(root, op, item, schema, opts)?;
    }
    Ok(())
}

/// Where an operation's path leads.
struct Target<'s, 'p> {
    path: &'p PatchPath,
    /// The extension object holding the attribute (its key in the resource), if any.
    container: Option<String>,
    /// The attribute's key: the schema's spelling, or as written for unknown extensions.
    key: String,
    /// `None` for attributes of extensions the schema does not know.
    def: Option<&'s AttributeDef>,
    /// The sub-attribute named by `a.b` or by `a[filter].b`.
    sub: Option<String>,
    sub_def: Option<&'s AttributeDef>,
}

impl<'s, 'p> Target<'s, 'p> {
    fn resolve(
        path: &'p PatchPath,
        schema: &'s ResourceSchema,
    ) -> Result<Target<'s, 'p>, ScimError> {
        let attr = &path.attr;
        let (container, def) = match schema.locate(&attr.parent()) {
            Some(located) => (
                located.extension.map(|e| e.id.clone()),
                Some(located.attribute),
            ),
            None => match &attr.urn {
                Some(urn)
                    if schema.extension(urn).is_none()
                        && !urn.eq_ignore_ascii_case(&schema.core.id)
                        && !is_standard_urn(urn) =>
                {
                    (Some(urn.clone()), None)
                }
                _ => {
                    return Err(ScimError::invalid_path(format!(
                        "{} is not an attribute of {}",
                        attr.parent(),
                        schema.name
                    )));
                }
            },
        };
        let sub = attr.sub_attr.clone().or_else(|| path.sub_attr.clone());
        let mut sub_def = None;
        if let Some(def) = def {
            if (sub.is_some() || path.value_filter.is_some()) && def.kind != AttrType::Complex {
                return Err(ScimError::invalid_path(format!(
                    "{} is not complex: it has no sub-attributes to select",
                    def.name
                )));
            }
            if let Some(sub) = &sub {
                sub_def = Some(def.sub_attribute(sub).ok_or_else(|| {
                    ScimError::invalid_path(format!("{} has no sub-attribute {sub}", def.name))
                })?);
            }
        }
        Ok(Target {
            path,
            container,
            key: def.map_or_else(|| attr.name.clone(), |def| def.name.clone()),
            def,
            sub: sub_def.map(|d| d.name.clone()).or(sub),
            sub_def,
        })
    }

    fn final_def(&self) -> Option<&'s AttributeDef> {
        self.sub_def.or(self.def)
    }

    fn read_only(&self) -> bool {
        [self.def, self.sub_def]
            .into_iter()
            .flatten()
            .any(|def| def.mutability == Mutability::ReadOnly)
    }

    fn apply(
        &self,
        root: &mut Map<String, Value>,
        op: Op,
        value: &Value,
        schema: &ResourceSchema,
        opts: &PatchOptions,
    ) -> Result<(), ScimError> {
        let creates = op != Op::Remove && !is_clear(value);
        let Some(map) = container(root, self.container.as_deref(), creates) else {
            return Ok(());
        };
        let result = match (&self.path.value_filter, &self.sub) {
            (Some(filter), _) => self.apply_filtered(map, filter, op, value, schema, opts),
            (None, Some(sub)) => self.apply_sub(map, sub, op, value, opts),
            (None, None) => self.apply_whole(map, op, value, opts),
        };
        if let Some(extension) = &self.container {
            let emptied = get_ci(root, extension)
                .and_then(Value::as_object)
                .is_some_and(Map::is_empty);
            if emptied {
                remove_key(root, extension);
            }
        }
        result
    }

    /// `active`, `emails`, `name`, `urn:…:User:manager`, `members`.
    fn apply_whole(
        &self,
        map: &mut Map<String, Value>,
        op: Op,
        value: &Value,
        opts: &PatchOptions,
    ) -> Result<(), ScimError> {
        let key = &self.key;
        let Some(def) = self.def else {
            if op == Op::Remove || is_clear(value) {
                remove_key(map, key);
            } else {
                set_key(map, key, value.clone());
            }
            return Ok(());
        };
        if def.multi_valued {
            return self.apply_multi(map, def, op, value, opts);
        }
        if op == Op::Remove {
            remove_key(map, key);
            return Ok(());
        }
        if def.kind == AttrType::Complex && is_manager(def) {
            match manager_id(value)? {
                Some(id) => set_key(
                    map,
                    key,
                    Value::Object(Map::from_iter([("value".to_string(), id)])),
                ),
                None => remove_key(map, key),
            }
            return Ok(());
        }
        if is_clear(value) {
            remove_key(map, key);
            return Ok(());
        }
        if def.kind != AttrType::Complex {
            set_key(map, key, coerce_single(value, def, opts)?);
            return Ok(());
        }
        // Add and replace both merge into a complex attribute (§3.5.2.1, §3.5.2.3): sub-attributes
        // not given are left unchanged.
        let Value::Object(incoming) = coerce_single(single_element(value), def, opts)? else {
            return Ok(());
        };
        let mut object = object_of(map, key);
        merge(&mut object, incoming);
        store_object(map, key, object);
        Ok(())
    }

    fn apply_multi(
        &self,
        map: &mut Map<String, Value>,
        def: &AttributeDef,
        op: Op,
        value: &Value,
        opts: &PatchOptions,
    ) -> Result<(), ScimError> {
        let key = &self.key;
        match op {
            Op::Remove => {
                let listed = elements_of(value);
                if listed.is_empty() || opts.legacy_member_remove_all {
                    remove_key(map, key);
                    return Ok(());
                }
                let mut list = array_of(map, key);
                list.retain(|element| !listed.iter().any(|gone| same_element(element, gone)));
                store_array(map, key, list);
            }
            Op::Add => {
                let incoming = coerce_elements(value, def, opts)?;
                if incoming.is_empty() {
                    return Ok(());
                }
                let mut list = array_of(map, key);
                push_unique(&mut list, incoming);
                store_array(map, key, list);
            }
            Op::Replace => {
                let incoming = coerce_elements(value, def, opts)?;
                if incoming.is_empty() {
                    remove_key(map, key);
                    return Ok(());
                }
                let mut list = Vec::new();
                push_unique(&mut list, incoming);
                store_array(map, key, list);
            }
        }
        Ok(())
    }

    /// `name.familyName`, `urn:…:User:manager.value`, `emails.value` (every element).
    fn apply_sub(
        &self,
        map: &mut Map<String, Value>,
        sub: &str,
        op: Op,
        value: &Value,
        opts: &PatchOptions,
    ) -> Result<(), ScimError> {
        let key = &self.key;
        let clears = op == Op::Remove || is_clear(value);
        let new_value = match (clears, self.sub_def) {
            (true, _) => Value::Null,
            (false, Some(sub_def)) => coerce_value(value, sub_def, opts)?,
            (false, None) => value.clone(),
        };
        if self.def.is_some_and(|def| def.multi_valued) {
            let mut list = array_of(map, key);
            if clears {
                for element in list.iter_mut() {
                    if let Value::Object(object) = element {
                        remove_key(object, sub);
                    }
                }
                list.retain(|element| !is_empty_object(element));
            } else if list.is_empty() {
                list.push(Value::Object(Map::from_iter([(
                    sub.to_string(),
                    new_value,
                )])));
            } else {
                for element in list.iter_mut() {
                    if let Value::Object(object) = element {
                        set_key(object, sub, new_value.clone());
                    }
                }
            }
            store_array(map, key, list);
            return Ok(());
        }
        if clears && get_ci(map, key).is_none() {
            return Ok(());
        }
        let mut object = object_of(map, key);
        if clears {
            remove_key(&mut object, sub);
        } else {
            set_key(&mut object, sub, new_value);
        }
        store_object(map, key, object);
        Ok(())
    }

    /// `emails[type eq "work"].value`, `members[value eq "id"]`, `manager[value eq "id"]`.
    fn apply_filtered(
        &self,
        map: &mut Map<String, Value>,
        filter: &Filter,
        op: Op,
        value: &Value,
        schema: &ResourceSchema,
        opts: &PatchOptions,
    ) -> Result<(), ScimError> {
        let key = &self.key;
        let multi = self.def.is_none_or(|def| def.multi_valued);
        let mut elements = array_of(map, key);
        let parent = self.path.attr.parent();
        let matched: Vec<usize> = elements
            .iter()
            .enumerate()
            .filter(|(_, element)| filter.matches_element(element, &parent, schema))
            .map(|(index, _)| index)
            .collect();
        let clears = op == Op::Remove || is_clear(value);
        if clears {
            match &self.sub {
                None => {
                    let mut index = 0;
                    elements.retain(|_| {
                        index += 1;
                        !matched.contains(&(index - 1))
                    });
                }
                Some(sub) => {
                    for &index in &matched {
                        if let Some(Value::Object(object)) = elements.get_mut(index) {
                            remove_key(object, sub);
                        }
                    }
                    elements.retain(|element| !is_empty_object(element));
                }
            }
        } else {
            let incoming = match (&self.sub, self.sub_def) {
                (Some(_), Some(sub_def)) => coerce_value(value, sub_def, opts)?,
                (Some(_), None) => value.clone(),
                (None, Some(_)) | (None, None) => match self.def {
                    Some(def) => strip_nulls(coerce_single(single_element(value), def, opts)?),
                    None => value.clone(),
                },
            };
            if matched.is_empty() {
                let created = self.upserted(filter, incoming.clone(), opts)?;
                elements.push(created);
            }
            for &index in &matched {
                let Some(Value::Object(element)) = elements.get_mut(index) else {
                    continue;
                };
                match (&self.sub, &incoming) {
                    (Some(sub), _) => set_key(element, sub, incoming.clone()),
                    (None, Value::Object(fields)) => merge(element, fields.clone()),
                    (None, _) => {
                        return Err(ScimError::invalid_value(format!(
                            "{} elements are objects; the value must be one, not {}",
                            key,
                            short(value)
                        )));
                    }
                }
            }
        }
        let written = if multi {
            (!elements.is_empty()).then_some(Value::Array(elements))
        } else {
            elements
                .into_iter()
                .next()
                .filter(|element| !is_empty_object(element))
        };
        match written {
            Some(written) => set_key(map, key, written),
            None => remove_key(map, key),
        }
        Ok(())
    }

    /// The element an add / replace on `attr[filter]…` creates when nothing matches: the
    /// filter's equality constraints plus the value.
    fn upserted(
        &self,
        filter: &Filter,
        incoming: Value,
        opts: &PatchOptions,
    ) -> Result<Value, ScimError> {
        let no_match = || format!("no element of {} matches [{filter}]", self.key);
        if !opts.upsert_value_paths {
            return Err(ScimError::no_target(no_match()));
        }
        let Some(constraints) = filter.equality_template() else {
            return Err(ScimError::no_target(format!(
                "{}, and the filter does not say what a new element would hold",
                no_match()
            )));
        };
        let mut element = Map::new();
        for (attr, literal) in constraints {
            element.insert(attr.name.clone(), literal.to_json());
        }
        match (&self.sub, incoming) {
            (Some(sub), incoming) => {
                element.insert(sub.clone(), incoming);
            }
            (None, Value::Object(fields)) => merge(&mut element, fields),
            (None, other) => {
                return Err(ScimError::invalid_value(format!(
                    "{} elements are objects; the value must be one, not {}",
                    self.key,
                    short(&other)
                )));
            }
        }
        match self.def {
            Some(def) => coerce_single(&Value::Object(element), def, opts),
            None => Ok(Value::Object(element)),
        }
    }
}

/// The object holding top-level attributes: the resource itself or an extension object, created
/// when `create` is set.
fn container<'r>(
    root: &'r mut Map<String, Value>,
    extension: Option<&str>,
    create: bool,
) -> Option<&'r mut Map<String, Value>> {
    let Some(urn) = extension else {
        return Some(root);
    };
    let key = match existing_key(root, urn) {
        Some(key) => key,
        None if create => urn.to_string(),
        None => return None,
    };
    let slot = root.entry(key).or_insert_with(|| Value::Object(Map::new()));
    if !slot.is_object() {
        if !create {
            return None;
        }
        *slot = Value::Object(Map::new());
    }
    slot.as_object_mut()
}

fn get_mut_ci<'a>(map: &'a mut Map<String, Value>, key: &str) -> Option<&'a mut Value> {
    let existing = existing_key(map, key)?;
    map.get_mut(&existing)
}

/// Sets `key`, keeping the spelling and position of an existing entry.
fn set_key(map: &mut Map<String, Value>, key: &str, value: Value) {
    match get_mut_ci(map, key) {
        Some(slot) => *slot = value,
        None => {
            map.insert(key.to_string(), value);
        }
    }
}

/// Removes `key` in any spelling; `retain` keeps the order of the other keys.
fn remove_key(map: &mut Map<String, Value>, key: &str) {
    map.retain(|existing, _| !existing.eq_ignore_ascii_case(key));
}

/// The elements of `key` as an owned list (a lone value counts as one element).
fn array_of(map: &Map<String, Value>, key: &str) -> Vec<Value> {
    match get_ci(map, key) {
        Some(Value::Array(list)) => list.clone(),
        None | Some(Value::Null) => Vec::new(),
        Some(single) => vec![single.clone()],
    }
}

/// Writes a list back; an empty list leaves the attribute unassigned (RFC 7644 §3.5.2.2).
fn store_array(map: &mut Map<String, Value>, key: &str, list: Vec<Value>) {
    if list.is_empty() {
        remove_key(map, key);
    } else {
        set_key(map, key, Value::Array(list));
    }
}

/// The complex value of `key` as an owned object (a new one if absent or not an object).
fn object_of(map: &Map<String, Value>, key: &str) -> Map<String, Value> {
    match get_ci(map, key) {
        Some(Value::Object(object)) => object.clone(),
        _ => Map::new(),
    }
}

fn store_object(map: &mut Map<String, Value>, key: &str, object: Map<String, Value>) {
    if object.is_empty() {
        remove_key(map, key);
    } else {
        set_key(map, key, Value::Object(object));
    }
}

/// `null` and `""` mean "no value" in add and replace.
fn is_clear(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(text) => text.is_empty(),
        _ => false,
    }
}

fn is_empty_object(value: &Value) -> bool {
    value.as_object().is_some_and(Map::is_empty)
}

fn is_manager(def: &AttributeDef) -> bool {
    def.name.eq_ignore_ascii_case("manager") && def.sub_attribute("value").is_some()
}

/// The manager id in any shape Entra or a validator sends: `"id"`, `{"value": "id"}`,
/// `[{"$ref": …, "value": "id"}]`; `None` for an empty value (Entra's way of clearing it).
fn manager_id(value: &Value) -> Result<Option<Value>, ScimError> {
    match value {
        Value::Null => Ok(None),
        Value::String(id) if id.is_empty() => Ok(None),
        Value::String(_) => Ok(Some(value.clone())),
        Value::Object(object) => manager_id(get_ci(object, "value").unwrap_or(&Value::Null)),
        Value::Array(elements) => match elements.as_slice() {
            [] => Ok(None),
            [only] => manager_id(only),
            _ => Err(ScimError::invalid_value(
                "manager is single-valued: give one manager",
            )),
        },
        other => Err(ScimError::invalid_value(format!(
            "manager must be an id string or {{\"value\": id}}, not {}",
            short(other)
        ))),
    }
}

/// A one-element array given for a single-valued attribute stands for its element.
fn single_element(value: &Value) -> &Value {
    match value {
        Value::Array(elements) if elements.len() == 1 => &elements[0],
        other => other,
    }
}

/// Sets each incoming sub-attribute; a null or empty one clears it.
fn merge(object: &mut Map<String, Value>, incoming: Map<String, Value>) {
    for (key, value) in incoming {
        if is_clear(&value) {
            remove_key(object, &key);
        } else {
            set_key(object, &key, value);
        }
    }
}

/// The listed values of a remove with a value list (`[{"value": "id"}]`).
fn elements_of(value: &Value) -> Vec<&Value> {
    match value {
        Value::Array(elements) => elements.iter().filter(|e| !e.is_null()).collect(),
        Value::Null => Vec::new(),
        single => vec![single],
    }
}

/// Two elements are the same member / email / role when their `value`s are equal (a bare
/// string stands for `{"value": …}`), else when they are equal as JSON.
fn same_element(a: &Value, b: &Value) -> bool {
    let key = |value: &Value| match value {
        Value::Object(object) => get_ci(object, "value").cloned(),
        Value::String(_) => Some(value.clone()),
        _ => None,
    };
    match (key(a), key(b)) {
        (Some(a), Some(b)) => a == b,
        _ => a == b,
    }
}

fn push_unique(list: &mut Vec<Value>, incoming: Vec<Value>) {
    for element in incoming {
        if !list.iter().any(|existing| same_element(existing, &element)) {
            list.push(element);
        }
    }
}

/// The elements a multi-valued add / replace brings, each checked and coerced; a bare string
/// for a complex attribute stands for `{"value": …}` (members added by id).
fn coerce_elements(
    value: &Value,
    def: &AttributeDef,
    opts: &PatchOptions,
) -> Result<Vec<Value>, ScimError> {
    let given: Vec<&Value> = match value {
        Value::Array(elements) => elements.iter().filter(|e| !e.is_null()).collect(),
        Value::Null => Vec::new(),
        Value::String(text) if text.is_empty() => Vec::new(),
        single => vec![single],
    };
    given
        .into_iter()
        .map(|element| {
            let wrapped;
            let element = match element {
                Value::String(_) if def.kind == AttrType::Complex => {
                    wrapped =
                        Value::Object(Map::from_iter([("value".to_string(), element.clone())]));
                    &wrapped
                }
                other => other,
            };
            coerce_single(element, def, opts).map(strip_nulls)
        })
        .collect()
}

fn strip_nulls(value: Value) -> Value {
    match value {
        Value::Object(object) => {
            Value::Object(object.into_iter().filter(|(_, v)| !v.is_null()).collect())
        }
        other => other,
    }
}

/// `value` checked against `def`, honouring `multi_valued`.
fn coerce_value(
    value: &Value,
    def: &AttributeDef,
    opts: &PatchOptions,
) -> Result<Value, ScimError> {
    match value {
        Value::Array(elements) if def.multi_valued => elements
            .iter()
            .map(|element| coerce_single(element, def, opts))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        single => coerce_single(single, def, opts),
    }
}

/// One value checked against `def`'s type: string booleans become booleans (when allowed),
/// sub-attribute keys take the schema's spelling, readOnly sub-attributes are dropped, unknown
/// sub-attributes and nulls are kept. Wrong types fail with `invalidValue`.
fn coerce_single(
    value: &Value,
    def: &AttributeDef,
    opts: &PatchOptions,
) -> Result<Value, ScimError> {
    let fits = match (def.kind, value) {
        (AttrType::Boolean, Value::Bool(_)) => true,
        (AttrType::Boolean, Value::String(text)) if opts.string_booleans => {
            if let Some(flag) = parse_string_boolean(text) {
                return Ok(Value::Bool(flag));
            }
            false
        }
        (AttrType::String | AttrType::Reference | AttrType::Binary, Value::String(_)) => true,
        (AttrType::DateTime, Value::String(text)) => OffsetDateTime::parse(text, &Rfc3339).is_ok(),
        (AttrType::Integer, Value::Number(number)) => number.is_i64() || number.is_u64(),
        (AttrType::Decimal, Value::Number(_)) => true,
        (AttrType::Complex, Value::Object(object)) => {
            let mut coerced = Map::new();
            for (key, item) in object {
                match def.sub_attribute(key) {
                    Some(sub) if sub.mutability == Mutability::ReadOnly => {}
                    Some(sub) if item.is_null() => {
                        coerced.insert(sub.name.clone(), Value::Null);
                    }
                    Some(sub) => {
                        coerced.insert(sub.name.clone(), coerce_value(item, sub, opts)?);
                    }
                    None => {
                        coerced.insert(key.clone(), item.clone());
                    }
                }
            }
            return Ok(Value::Object(coerced));
        }
        _ => false,
    };
    if fits {
        Ok(value.clone())
    } else {
        Err(ScimError::invalid_value(format!(
            "{} must be {} {}, not {}",
            def.name,
            if def.kind == AttrType::Integer {
                "an"
            } else {
                "a"
            },
            def.kind.as_str(),
            short(value)
        )))
    }
}

/// A value for an error message, cut short so a huge body cannot flood the response.
fn short(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(60) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}
