use std::process::ExitCode;

use clap::Parser;
use scim_harness::cli::Cli;
use scim_harness::commands;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match commands::dispatch(cli) {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            eprintln!("{}", commands::describe_error(&error));
            ExitCode::from(commands::exit_code_for(&error))
        }
    }
}
