//! Process exit codes: a contract with users' scripts and CI pipelines. Never renumber.

/// Every check passed and every snapshot matched.
pub const SUCCESS: u8 = 0;
/// Findings: a check failed, a snapshot differs, or a baseline is missing where one is required.
pub const FINDINGS: u8 = 1;
/// Usage or scenario error: a bad flag, a malformed scenario file, an unknown scenario name.
pub const USAGE: u8 = 2;
/// Could not run: connection refused, DNS, TLS, or no answer at all from the target.
pub const COULD_NOT_RUN: u8 = 3;

/// Interrupted by Ctrl-C or SIGTERM (the shell convention 128 + SIGINT).
pub const INTERRUPTED: u8 = 130;

/// The exit codes as `--help` and the README describe them.
pub const HELP: &str = "\
Exit codes:
  0  every check passed and every snapshot matched
  1  findings: a check failed, a snapshot differs, or a baseline is missing where one is required
  2  usage or scenario error (bad flag, malformed scenario file: the message names file:line:col)
  3  could not run: connection refused, DNS, TLS, no answer at all from the target, or the
     whole run exceeded --run-timeout
  130 interrupted by Ctrl-C or SIGTERM (what the run created was removed first)";
