//! scim-harness: replays Microsoft Entra ID's provisioning traffic against a SCIM 2.0 endpoint,
//! judges every response against Entra's needs and RFC 7643/7644, and diffs responses against
//! insta snapshots.
//!
//! Layers, with dependencies pointing one way (down this list):
//! - [`cli`] and [`commands`]: argument parsing and the edges (`anyhow` with context).
//! - [`report`]: formats results; never talks to the target.
//! - [`load`]: Entra's initial cycle at scale, on [`run`]'s HTTP client (measures, never judges).
//! - [`proxy`]: a recording reverse proxy on [`run`]'s HTTP client; writes scenarios and HAR.
//! - [`run`]: the only layer that talks to a SCIM endpoint (HTTP, variables, cleanup ledger).
//! - [`gate`]: the CI policy over a finished run (selection, severity, known findings).
//! - [`checks`] and [`snapshot`]: judge one exchange; pure apart from snapshot files.
//! - [`import`]: pure reading of Entra provisioning log exports into scenario files.
//! - [`mapping`]: attribute mappings (Entra's Attribute Mapping table) and the scenario one
//!   generates for `run --mapping`.
//! - [`scenario`]: pure loading and validation of scenario files.
//! - [`server`]: the embedded reference SCIM server.
//! - [`scim`]: the SCIM model (schemas, filters, PATCH paths) shared by the checks and the server.

pub mod checks;
pub mod cli;
pub mod commands;
pub mod exit;
pub mod gate;
pub mod import;
pub mod load;
pub mod mapping;
pub mod proxy;
pub mod report;
pub mod run;
pub mod scenario;
pub mod scim;
pub mod secret;
pub mod server;
pub mod snapshot;
