//! The command line. Names here are a contract with users' scripts and CI pipelines: extend, never
//! rename.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::gate::FailOn;
use crate::load::{Dialect, MAX_CONCURRENCY, MAX_RATE};
use crate::server::{Quirk, ServerProfile};
use crate::snapshot::UpdateMode;

#[derive(Debug, Parser)]
#[command(
    name = "scim-harness",
    version,
    about = "Tells a SCIM 2.0 server, before Microsoft Entra ID calls it, whether Entra's provisioning will work against it",
    long_about = "Replays Microsoft Entra ID's provisioning traffic byte for byte against a SCIM endpoint, \
judges every response against Entra's needs and RFC 7643/7644, and diffs responses against insta \
snapshots. Without --url it tests its own embedded reference server.",
    after_help = crate::exit::HELP
)]
pub struct Cli {
    /// When to colour the output (NO_COLOR is honoured with `auto`).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

// Parsed once per process: the size difference between variants costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Replay scenarios against a SCIM endpoint (default: the embedded reference server).
    #[command(after_help = crate::exit::HELP)]
    Run(RunArgs),
    /// Show the built-in scenarios, their steps and what each checks.
    List(ListArgs),
    /// Replay Entra's initial provisioning cycle at scale and measure the endpoint; everything
    /// created is removed at the end.
    #[command(after_help = LOAD_HELP)]
    Load(LoadArgs),
    /// Run the embedded reference SCIM server until Ctrl-C.
    Serve(ServeArgs),
    /// List snapshots waiting for review (`.snap.new` files).
    Pending(SnapshotDirArgs),
    /// Accept pending snapshots: the new version becomes the baseline.
    Accept(SelectArgs),
    /// Reject pending snapshots: delete the new version, keep the baseline.
    Reject(SelectArgs),
    /// Find resources earlier runs left behind (by their prefix) and, with --yes, delete them.
    Cleanup(CleanupArgs),
    /// Turn an Entra provisioning log export into a scenario that replays the failed operations.
    ImportLog(ImportLogArgs),
    /// Forward traffic to a SCIM endpoint unchanged and record it as a scenario that replays it
    /// (and a HAR archive); secrets are redacted in what is written.
    Proxy(ProxyArgs),
}

/// The most scenarios `run --jobs` runs at the same time: more would only queue at the target.
pub const MAX_JOBS: i64 = 64;
/// `run` without `--jobs`: every scenario at once, up to this many.
pub const DEFAULT_JOBS: usize = 8;

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Built-in scenario names, scenario files or folders (default: the profile's suite).
    #[arg(value_name = "SCENARIO")]
    pub scenarios: Vec<String>,

    /// The SCIM base URL, Entra's "Tenant URL" (default: the embedded reference server).
    #[arg(long, env = "SCIM_URL", value_name = "URL")]
    pub url: Option<String>,

    #[command(flatten)]
    pub credentials: CredentialArgs,

    /// Which suite to run and which dialect and attributes to use.
    #[arg(long, default_value = "entra", value_name = "NAME")]
    pub profile: String,

    /// Your app's attribute mapping (docs/mapping-format.md): runs the scenario `mapping`
    /// generated from it instead of the profile's suite (plus any SCENARIO named). --profile
    /// still picks the PATCH dialect(s): entra both, entra-legacy and insite-lms legacy,
    /// entra-compliant compliant.
    #[arg(long, value_name = "FILE")]
    pub mapping: Option<PathBuf>,

    /// Where snapshot baselines live.
    #[arg(long, default_value = "snapshots", value_name = "DIR")]
    pub snapshots: PathBuf,

    /// Judge by the checks alone; read and write no snapshots.
    #[arg(long, conflicts_with_all = ["update", "target_name"])]
    pub no_snapshots: bool,

    /// What to do with new or changed snapshots: auto (write .snap.new, nothing in CI), new (always
    /// .snap.new), always (overwrite baselines), no (write nothing).
    #[arg(long, value_enum, default_value_t = UpdateMode::Auto, value_name = "MODE")]
    pub update: UpdateMode,

    /// Which baseline set to compare against (default: the URL's host; `reference` for the
    /// embedded server).
    #[arg(long, value_name = "NAME")]
    pub target_name: Option<String>,

    /// Send only requests that change nothing (each scenario's reads up to its first write:
    /// Test Connection, lookups, discovery), for production tenants where creating users is not
    /// allowed.
    #[arg(long)]
    pub read_only: bool,

    /// Let replayed steps change or delete resources this run did not create, named by an id
    /// given with --var (without it such PATCH, PUT and DELETE steps are not sent).
    #[arg(long)]
    pub allow_existing: bool,

    /// Replay only this step of the scenario (give earlier captures with --var).
    #[arg(long, value_name = "STEP", conflicts_with = "from_step")]
    pub step: Option<String>,

    /// Replay the scenario from this step on (give earlier captures with --var).
    #[arg(long, value_name = "STEP")]
    pub from_step: Option<String>,

    /// Give a scenario variable a value, e.g. an existing user's id (writes to it need
    /// --allow-existing).
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_var)]
    pub vars: Vec<(String, String)>,

    /// Seconds to wait for each response.
    #[arg(long, default_value_t = 30, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,

    /// Seconds the whole run may take; then it stops, removes what it created and exits 3.
    #[arg(long, default_value_t = 600, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=86400))]
    pub run_timeout: u64,

    /// How many scenarios run at the same time (default: all of them, at most 8; 1 when a --var
    /// fixes run.prefix or run.id); each has its own prefix, so they cannot see each other's
    /// resources. 1 runs them one after another.
    #[arg(short, long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=MAX_JOBS))]
    pub jobs: Option<u16>,

    #[command(flatten)]
    pub tls: TlsArgs,

    /// Show every request and response (the token is redacted).
    #[arg(short, long)]
    pub verbose: bool,

    /// Also write a JUnit XML report to this file.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,

    /// Also write the JSON report (docs/json-report.md) to this file.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,

    /// Also write every request and response of the run as a HAR 1.2 file, which a browser's
    /// developer tools open (the token is redacted).
    #[arg(long, value_name = "FILE.har")]
    pub trace: Option<PathBuf>,

    /// Also write a self-contained HTML report (summary, every step, request and response,
    /// snapshot diffs, reason and hint for each failure) to attach to a ticket.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,

    /// What goes to stdout: the human report, or the JSON report (the human report then goes to
    /// stderr).
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    pub format: OutputFormat,

    /// Judge only these scenarios or check ids (globs, repeatable), e.g. `deprovision.*`.
    #[arg(long, value_name = "PATTERN")]
    pub only: Vec<String>,

    /// Leave out these scenarios or check ids (globs, repeatable), e.g. `http.content-type`.
    #[arg(long, value_name = "PATTERN")]
    pub skip: Vec<String>,

    /// What makes the exit code 1: failures only, or warnings too.
    #[arg(long, value_enum, default_value_t = FailOn::Fail, value_name = "LEVEL")]
    pub fail_on: FailOn,

    /// A file of known findings (`findings: [scenario/step/check-id, …]`): exit 0 while the run's
    /// findings are exactly those; a new finding or a listed one that disappeared is reported.
    #[arg(long, value_name = "FILE")]
    pub expect: Option<PathBuf>,
}

/// The bearer token, shared by every command that talks to a target.
#[derive(Debug, Args)]
pub struct CredentialArgs {
    /// The bearer token Entra would send (Entra's "Secret Token"). Never printed or written.
    #[arg(
        long,
        env = "SCIM_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN",
        conflicts_with = "token_file"
    )]
    pub token: Option<String>,

    /// Read the bearer token from this file (surrounding whitespace is ignored).
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
}

/// How https targets are verified. Proxies come from HTTPS_PROXY, HTTP_PROXY and NO_PROXY.
#[derive(Debug, Clone, Args)]
pub struct TlsArgs {
    /// Also trust the CA certificates in this PEM file (for a private CA).
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,

    /// Accept any server certificate. Only for test servers: the token goes to whoever answers.
    #[arg(long, conflicts_with = "ca_cert")]
    pub insecure: bool,
}

#[derive(Debug, Args)]
pub struct CleanupArgs {
    /// The SCIM base URL (Entra's "Tenant URL").
    #[arg(long, env = "SCIM_URL", value_name = "URL")]
    pub url: String,

    #[command(flatten)]
    pub credentials: CredentialArgs,

    /// Only users whose userName and groups whose displayName start with this are touched.
    #[arg(long, default_value = "scimh-", value_name = "PREFIX")]
    pub prefix: String,

    /// Delete what was found (without it: only list what would be deleted).
    #[arg(long)]
    pub yes: bool,

    /// Seconds to wait for each response.
    #[arg(long, default_value_t = 30, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,

    #[command(flatten)]
    pub tls: TlsArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Human,
    Json,
}

/// Exit codes of `load`.
const LOAD_HELP: &str = "\
Exit codes:
  0  every request of the cycle succeeded and everything created was removed
  1  some requests failed (see Errors), or something could not be removed
  2  usage error (bad flag)
  3  could not run: the target never answered
  130 interrupted by Ctrl-C or SIGTERM (what the run created was removed first)";

#[derive(Debug, Args)]
pub struct LoadArgs {
    /// Users to match, create and disable (Entra's assigned users).
    #[arg(long, value_name = "N")]
    pub users: usize,

    /// Groups to match and create.
    #[arg(long, default_value_t = 0, value_name = "M")]
    pub groups: usize,

    /// Members added to each group (taken from the run's users).
    #[arg(long, default_value_t = 0, value_name = "K")]
    pub members: usize,

    /// Requests in flight at most [default: 8].
    #[arg(long, value_name = "C", conflicts_with = "rate", value_parser = parse_concurrency)]
    pub concurrency: Option<usize>,

    /// Requests started per second instead (up to 256 in flight).
    #[arg(long, value_name = "R", value_parser = parse_rate)]
    pub rate: Option<f64>,

    /// The PATCH dialect of the disable pass: Entra's default (legacy) or with the
    /// aadOptscim062020 flag (compliant).
    #[arg(long, value_enum, default_value_t = Dialect::Legacy)]
    pub dialect: Dialect,

    /// The SCIM base URL, Entra's "Tenant URL" (default: the embedded reference server).
    #[arg(long, env = "SCIM_URL", value_name = "URL")]
    pub url: Option<String>,

    #[command(flatten)]
    pub credentials: CredentialArgs,

    /// Seconds after which the cycle stops starting new objects (the cleanup still runs).
    #[arg(long, default_value_t = 600, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub time_limit: u64,

    /// Seconds to wait for each response.
    #[arg(long, default_value_t = 30, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,

    #[command(flatten)]
    pub tls: TlsArgs,

    /// Also write the numbers as JSON (docs/load-report.md) to this file.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only scenarios of this profile (default: all built-in scenarios).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,

    /// Scenario names or files to describe instead of the built-in ones.
    #[arg(value_name = "SCENARIO")]
    pub scenarios: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Port to listen on (0: any free port).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,

    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: std::net::IpAddr,

    /// The bearer token clients must send (default: a random one, printed at start).
    #[arg(long, env = "SCIM_TOKEN", hide_env_values = true)]
    pub token: Option<String>,

    /// Path prefix of the SCIM endpoints.
    #[arg(long, default_value = "/scim/v2")]
    pub base_path: String,

    /// Which server to imitate.
    #[arg(long, value_enum, default_value_t = ServerProfile::Entra)]
    pub profile: ServerProfile,

    /// Switch on a realistic defect (repeatable); see --list-quirks.
    #[arg(long = "quirk", value_enum, value_name = "NAME")]
    pub quirks: Vec<Quirk>,

    /// Answer every request MS milliseconds late, like an endpoint across a WAN or in front of
    /// a slow database: shows how long a run or a load cycle takes against a distant tenant,
    /// and exercises --timeout.
    #[arg(long, default_value_t = 0, value_name = "MS", value_parser = clap::value_parser!(u64).range(0..=600_000))]
    pub latency: u64,

    /// Print the available quirks and exit.
    #[arg(long)]
    pub list_quirks: bool,
}

#[derive(Debug, Args)]
pub struct ImportLogArgs {
    /// The export: Graph provisioningObjectSummary JSON (v1.0 or beta), the portal's JSON
    /// download, or its CSV download (name the main ProvisioningLogs…csv; the steps and modified
    /// properties files next to it are found by name).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,

    /// Write the scenario here (default: stdout).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Which attribute mapping and PATCH dialect Entra used: entra (default mapping, legacy
    /// dialect), entra-legacy, entra-compliant, insite-lms.
    #[arg(long, default_value = "entra", value_name = "NAME")]
    pub profile: String,

    /// The app's attribute mapping instead of the profile's (docs/mapping-format.md; a list of
    /// {source, target} is enough here),
    /// e.g. `- {source: mail, target: 'emails[type eq "work"].value'}`.
    #[arg(long, value_name = "FILE")]
    pub mapping: Option<PathBuf>,

    /// Replay the operations that succeeded too, not only the failed ones.
    #[arg(long)]
    pub all: bool,
}

#[derive(Debug, Args)]
pub struct ProxyArgs {
    /// Address and port to listen on, e.g. 127.0.0.1:8081 (port 0: any free port). Any address
    /// works (behind a tunnel, for instance); one that is not loopback gets a warning.
    #[arg(long, value_name = "ADDR:PORT")]
    pub listen: std::net::SocketAddr,

    /// The SCIM base URL requests are forwarded to, e.g. `https://staging.example/scim/v2`. Clients
    /// call the proxy at its root (/Users) or at the same base path (/scim/v2/Users).
    #[arg(long, value_name = "URL")]
    pub upstream: String,

    /// Write the traffic here as a scenario that replays it (rewritten after every exchange).
    #[arg(long, value_name = "FILE")]
    pub record: PathBuf,

    /// Also write the traffic as a HAR 1.2 archive, which a browser's developer tools open.
    #[arg(long, value_name = "FILE.har")]
    pub har: Option<PathBuf>,

    /// The profile the recorded scenario is replayed under.
    #[arg(long, default_value = "entra", value_name = "NAME")]
    pub profile: String,

    /// Seconds to wait for each upstream response (then the client gets a 502).
    #[arg(long, default_value_t = 30, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,

    #[command(flatten)]
    pub tls: TlsArgs,
}

#[derive(Debug, Args)]
pub struct SnapshotDirArgs {
    /// Where snapshot baselines live.
    #[arg(long, default_value = "snapshots", value_name = "DIR")]
    pub snapshots: PathBuf,
}

#[derive(Debug, Args)]
pub struct SelectArgs {
    /// A snapshot name (file stem, or a unique prefix of it).
    #[arg(
        value_name = "NAME",
        required_unless_present = "all",
        conflicts_with = "all"
    )]
    pub name: Option<String>,

    /// Every pending snapshot.
    #[arg(long)]
    pub all: bool,

    #[command(flatten)]
    pub dir: SnapshotDirArgs,
}

fn parse_var(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((name, value)) if !name.trim().is_empty() => {
            Ok((name.trim().to_string(), value.to_string()))
        }
        _ => Err(format!("expected NAME=VALUE, got `{text}`")),
    }
}

fn parse_concurrency(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(value) if (1..=MAX_CONCURRENCY).contains(&value) => Ok(value),
        _ => Err(format!(
            "expected a whole number from 1 to {MAX_CONCURRENCY}"
        )),
    }
}

fn parse_rate(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(value) if value.is_finite() && (0.1..=MAX_RATE).contains(&value) => Ok(value),
        _ => Err(format!(
            "expected requests per second from 0.1 to {MAX_RATE}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn var_needs_a_name_and_an_equals_sign() {
        assert_eq!(parse_var("user_id=42"), Ok(("user_id".into(), "42".into())));
        assert_eq!(parse_var("x=a=b"), Ok(("x".into(), "a=b".into())));
        assert!(parse_var("novalue").is_err());
        assert!(parse_var("=1").is_err());
    }
}
