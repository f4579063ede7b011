//! Embeds every `scenarios/*.yaml` into the binary (see `src/scenario/builtin.rs`), so an installed
//! binary runs its built-in scenarios from any folder.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let scenarios_dir = manifest_dir.join("scenarios");
    // A missing folder makes cargo rerun this script on every build, which is cheap.
    println!("cargo:rerun-if-changed=scenarios");
    println!("cargo:rerun-if-changed=build.rs");

    let mut files: Vec<(String, PathBuf)> = Vec::new();
    if let Ok(entries) = std::fs::read_dir(&scenarios_dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().and_then(|e| e.to_str()) != Some("yaml") || !path.is_file() {
                continue;
            }
            match path.file_name().and_then(|n| n.to_str()) {
                Some(name) => files.push((name.to_string(), path)),
                None => println!(
                    "cargo:warning=skipping scenario with a non-UTF-8 file name: {}",
                    path.display()
                ),
            }
        }
    }
    files.sort();

    let mut generated = String::from("&[\n");
    for (file_name, path) in &files {
        let stem = Path::new(file_name)
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or(file_name);
        let _ = writeln!(
            generated,
            "    BuiltinScenario {{ name: {stem:?}, path: {:?}, text: include_str!({:?}) }},",
            format!("scenarios/{file_name}"),
            path.to_string_lossy(),
        );
    }
    generated.push_str("]\n");

    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
    if let Err(error) = std::fs::write(out_dir.join("builtin_scenarios.rs"), generated) {
        panic!("cannot write the built-in scenario table: {error}");
    }
}
