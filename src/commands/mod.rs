//! The edges: each subcommand turns parsed arguments into library calls, reports, and an exit
//! code. Errors carry context for the user (`anyhow`); [`exit_code_for`] maps them to the
//! documented exit codes.

mod cleanup;
mod connection;
mod import_log;
mod list;
mod load;
mod proxy;
mod review;
mod run;
mod serve;

use std::io::IsTerminal;

use crate::cli::{Cli, ColorChoice, Command};
use crate::exit;
use crate::scenario::error::ScenarioError;

/// A mistake in what the user asked for (exit code 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Runs the parsed command; `Ok` is the exit code.
pub fn dispatch(cli: Cli) -> anyhow::Result<u8> {
    apply_color(cli.color);
    match cli.command {
        Command::Run(args) => run::run(args),
        Command::List(args) => list::list(args),
        Command::Load(args) => load::load(args),
        Command::Serve(args) => serve::serve(args),
        Command::Pending(args) => review::pending(args),
        Command::Accept(args) => review::accept(args),
        Command::Reject(args) => review::reject(args),
        Command::Cleanup(args) => cleanup::cleanup(args),
        Command::ImportLog(args) => import_log::import_log(args),
        Command::Proxy(args) => proxy::proxy(args),
    }
}

/// The exit code for an error that ended a command: bad input is 2, anything that kept the
/// command from running is 3.
pub fn exit_code_for(error: &anyhow::Error) -> u8 {
    let bad_input = error.chain().any(|cause| {
        cause.is::<UsageError>()
            || cause.is::<ScenarioError>()
            || cause.is::<crate::snapshot::SnapshotError>()
    });
    if bad_input {
        exit::USAGE
    } else {
        exit::COULD_NOT_RUN
    }
}

/// The message for an error that ended a command. Scenario errors carry their own rustc-style
/// layout (`error: …`, `--> file:line:col`, the source line, a hint).
pub fn describe_error(error: &anyhow::Error) -> String {
    match error.downcast_ref::<ScenarioError>() {
        Some(scenario_error) => scenario_error.to_string(),
        None => format!("error: {error:#}"),
    }
}

/// Writes command output to stdout; a reader that went away (`| head`) is not an error.
fn emit(text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(anyhow::Error::new(e).context("could not write to stdout"))
        }
        _ => Ok(()),
    }
}

/// The candidate closest to a mistyped name, when it is close enough to be what was meant.
fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(c, name), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| format!(" (did you mean `{c}`?)"))
        .unwrap_or_default()
}

fn apply_color(choice: ColorChoice) {
    let enabled = match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal()
        }
    };
    colored::control::set_override(enabled);
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    use anyhow::Context;
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("could not start the async runtime")
}
