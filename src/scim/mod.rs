//! The SCIM model shared by the embedded server and the harness's checks: schemas and attribute
//! definitions (RFC 7643), filters (RFC 7644 §3.4.2.2), attribute and PATCH paths (§3.10,
//! §3.5.2), PATCH application (§3.5.2) and SCIM Error bodies (§3.12).
//!
//! Why not the `scim_v2` crate (1.0.0, lalrpop grammar)? Its filter and PATCH-path parsers were
//! tried on every form this module must accept and fail on forms Entra and RFC 7644 use:
//! - Entra's documented `emails[type eq "work"].value eq "x"` (a value path followed by a
//!   sub-attribute and a comparison) is a parse error at the `.`.
//! - `not(a eq "b")` and `x eq "a" and(b eq "c")` (no space before `(`, valid per the RFC's ABNF)
//!   are parse errors.
//! - `$ref` as an attribute name (`members[$ref eq "…"]`, `…:User:manager.$ref`) is rejected.
//! - It only parses: there is no evaluation against a JSON resource (caseExact, multi-valued
//!   "any element", dateTime ordering) and no PATCH application, which is most of the work here.
//!
//! Wrapping it would mean rewriting the input before parsing and translating its AST anyway, so
//! this module has its own small recursive-descent parser; its AST is shaped for evaluation.

pub mod error;
pub mod filter;
pub mod patch;
pub mod path;
pub mod schema;

pub use error::{ScimError, ScimType};
pub use filter::{CompValue, CompareOp, Filter, FilterError};
pub use patch::{PatchOptions, apply_patch};
pub use path::{AttrPath, PatchPath, PathError, select};
pub use schema::{
    AttrType, AttributeDef, Mutability, ResourceSchema, Returned, SchemaDef, Uniqueness,
};

pub const SCHEMA_USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const SCHEMA_GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const SCHEMA_ENTERPRISE_USER: &str =
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const SCHEMA_LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const SCHEMA_PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub const SCHEMA_ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
pub const SCHEMA_SERVICE_PROVIDER_CONFIG: &str =
    "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
pub const SCHEMA_RESOURCE_TYPE: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
pub const SCHEMA_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";
