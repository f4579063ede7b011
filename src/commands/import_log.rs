//! `scim-harness import-log`: reads a provisioning log export (and, for the CSV download, the two
//! files next to it), writes the scenario that replays its failed operations, and says how to run
//! it.

use std::io::Write;
use std::path::Path;

use anyhow::Context;

use super::UsageError;
use crate::cli::ImportLogArgs;
use crate::exit;
use crate::import::{self, CsvFiles, ImportOptions, Mapping, ParsedLog};

/// Exports larger than this are refused: the portal caps downloads far below it.
const MAX_LOG_BYTES: u64 = 256 * 1024 * 1024;

pub fn import_log(args: ImportLogArgs) -> anyhow::Result<u8> {
    let (profile_mapping, dialect) = import::profile(&args.profile).ok_or_else(|| {
        UsageError(format!(
            "unknown profile `{}`; import-log knows: {}",
            args.profile,
            import::PROFILES.join(", ")
        ))
    })?;
    let mapping = match &args.mapping {
        Some(path) => Mapping::load_file(path)?,
        None => profile_mapping,
    };
    let log = read_log(&args.file)?;
    let output_label = args
        .output
        .as_ref()
        .map_or("scenario.yaml".to_string(), |p| p.display().to_string());
    let options = ImportOptions {
        scenario_name: scenario_name(args.output.as_deref()),
        source_label: file_name(&args.file),
        output_label: output_label.clone(),
        dialect,
        include_succeeded: args.all,
    };
    let imported = import::generate(&log, &mapping, &options)
        .map_err(|e| UsageError(format!("{}: {e}", args.file.display())))?;
    match &args.output {
        Some(path) => std::fs::write(path, &imported.yaml)
            .with_context(|| format!("could not write the scenario to {}", path.display()))?,
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(imported.yaml.as_bytes())
                .and_then(|()| out.flush())
                .context("could not write the scenario to stdout")?;
        }
    }
    let mut summary = format!(
        "read {} entries ({}); {} operations to replay",
        imported.entries, log.format, imported.replayed
    );
    if let Some(path) = &args.output {
        summary.push_str(&format!(" written to {}", path.display()));
    }
    eprintln!("{summary}");
    for line in &imported.not_replayed {
        eprintln!("  not replayed: {line}");
    }
    if args.output.is_some() {
        eprintln!("next: scim-harness run {output_label} -v");
    }
    Ok(exit::SUCCESS)
}

/// JSON by content, CSV otherwise; a CSV's steps and modified properties files are looked up
/// next to it by name.
fn read_log(path: &Path) -> anyhow::Result<ParsedLog> {
    let text = read_text(path, "log export")?;
    let looks_like_json = text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .starts_with(['{', '[']);
    if looks_like_json {
        return import::parse_json(&text)
            .map_err(|e| UsageError(format!("{}: {e}", path.display())).into());
    }
    let folder = path.parent().unwrap_or(Path::new(""));
    let names = import::sibling_names(&file_name(path));
    let main_path = folder.join(&names.main);
    let main = if main_path == path {
        text
    } else {
        read_text(&main_path, "main CSV file")?
    };
    let steps = read_sibling(&folder.join(&names.steps))?;
    let properties = read_sibling(&folder.join(&names.modified_properties))?;
    for (found, name, missing) in [
        (&steps, &names.steps, "the provisioning steps"),
        (
            &properties,
            &names.modified_properties,
            "the modified properties (updates cannot be replayed)",
        ),
    ] {
        if found.is_none() {
            eprintln!(
                "warning: {} not found next to {}: reading without {missing}",
                name,
                path.display()
            );
        }
    }
    import::parse_csv(CsvFiles {
        main: &main,
        steps: steps.as_deref(),
        modified_properties: properties.as_deref(),
    })
    .map_err(|e| UsageError(format!("{}: {e}", main_path.display())).into())
}

fn read_sibling(path: &Path) -> anyhow::Result<Option<String>> {
    if path.is_file() {
        read_text(path, "CSV file").map(Some)
    } else {
        Ok(None)
    }
}

fn read_text(path: &Path, what: &str) -> anyhow::Result<String> {
    let metadata = std::fs::metadata(path)
        .map_err(|e| UsageError(format!("could not read the {what} {}: {e}", path.display())))?;
    if metadata.len() > MAX_LOG_BYTES {
        return Err(UsageError(format!(
            "the {what} {} is larger than {} MiB",
            path.display(),
            MAX_LOG_BYTES / 1024 / 1024
        ))
        .into());
    }
    let bytes = std::fs::read(path)
        .map_err(|e| UsageError(format!("could not read the {what} {}: {e}", path.display())))?;
    // Exports from Windows tools are sometimes UTF-16 or Windows-1252; lossy beats refusing.
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// The scenario's name from the output file's stem, made `[a-z0-9-]+`.
fn scenario_name(output: Option<&Path>) -> String {
    let stem = output
        .and_then(Path::file_stem)
        .map(|s| s.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let mut name = String::new();
    for c in stem.chars() {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            name.push(c);
        } else if !name.ends_with('-') {
            name.push('-');
        }
    }
    let name = name.trim_matches('-');
    if name.is_empty() {
        "imported-log".to_string()
    } else {
        name.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenario_names_come_from_the_output_file() {
        assert_eq!(
            scenario_name(Some(Path::new("out/Ticket 4711_repro.yaml"))),
            "ticket-4711-repro"
        );
        assert_eq!(scenario_name(Some(Path::new("ÄÖ.yaml"))), "imported-log");
        assert_eq!(scenario_name(None), "imported-log");
    }
}
