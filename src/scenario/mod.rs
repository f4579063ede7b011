//! Scenario files: the pure half of the harness (no network). Loading parses YAML with positions,
//! validates it and produces a [`model::Scenario`]; [`resolve`] turns command-line arguments
//! (built-in names, files, folders) into the scenarios to run.

pub mod builtin;
pub mod error;
pub mod load;
pub mod model;
mod raw;
pub mod template;
pub mod writer;

use std::path::Path;

use error::ScenarioError;
use load::{LoadOptions, load_file, load_str};
use model::Scenario;

/// The scenarios named by `args`, or, with no args, every built-in of `profile` (sorted by name).
///
/// Each argument is an existing file, a folder (every `*.yaml`/`*.yml` in it, sorted) or a
/// built-in name. Two scenarios with the same name are an error: their snapshots would collide.
pub fn resolve(
    args: &[String],
    profile: &str,
    opts: &LoadOptions,
) -> Result<Vec<Scenario>, ScenarioError> {
    let mut scenarios = Vec::new();
    if args.is_empty() {
        for builtin in builtin::builtin_scenarios() {
            let scenario = load_str(builtin.path, builtin.text, opts)?;
            if scenario.profiles.iter().any(|p| p == profile) {
                scenarios.push(scenario);
            }
        }
        scenarios.sort_by(|a, b| a.name.cmp(&b.name));
    } else {
        for arg in args {
            let path = Path::new(arg);
            if path.is_file() {
                scenarios.push(load_file(path, opts)?);
            } else if path.is_dir() {
                scenarios.extend(load_folder(path, opts)?);
            } else if let Some(builtin) = builtin::find_builtin(arg) {
                scenarios.push(load_str(builtin.path, builtin.text, opts)?);
            } else {
                let names: Vec<&str> = builtin::builtin_scenarios()
                    .iter()
                    .map(|b| b.name)
                    .collect();
                let mut hint = match builtin::closest_builtin(arg) {
                    Some(close) => format!("did you mean `{close}`? "),
                    None => String::new(),
                };
                hint.push_str(&format!("built-in scenarios: {}", names.join(", ")));
                return Err(ScenarioError::new(format!(
                    "no built-in scenario or file named `{arg}`"
                ))
                .with_hint(hint));
            }
        }
    }
    for (index, scenario) in scenarios.iter().enumerate() {
        if let Some(other) = scenarios[..index].iter().find(|s| s.name == scenario.name) {
            return Err(ScenarioError::new(format!(
                "two scenarios are named `{}`: {} and {}",
                scenario.name, other.source, scenario.source
            ))
            .with_hint("scenario names name snapshot files; give one of them another `name:`"));
        }
    }
    Ok(scenarios)
}

fn load_folder(folder: &Path, opts: &LoadOptions) -> Result<Vec<Scenario>, ScenarioError> {
    let read_error = |error: std::io::Error| {
        ScenarioError::new(format!("cannot read folder {}: {error}", folder.display()))
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(folder).map_err(read_error)? {
        let path = entry.map_err(read_error)?.path();
        let is_yaml = matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml")
        );
        if is_yaml && path.is_file() {
            files.push(path);
        }
    }
    if files.is_empty() {
        return Err(ScenarioError::new(format!(
            "folder {} holds no *.yaml or *.yml scenario files",
            folder.display()
        )));
    }
    files.sort();
    files.iter().map(|path| load_file(path, opts)).collect()
}
