//! Golden error messages: every `tests/fixtures/scenarios/bad/<name>.yaml` must fail to load with
//! exactly the text in `<name>.err` (Hurl-style golden files). `UPDATE_GOLDEN=1` rewrites them.

use std::path::Path;

use scim_harness::scenario::load::{LoadOptions, load_file};

#[test]
fn bad_scenarios_fail_with_their_golden_error() {
    let folder = Path::new("tests/fixtures/scenarios/bad");
    let mut files: Vec<_> = std::fs::read_dir(folder)
        .expect("fixture folder")
        .map(|entry| entry.expect("fixture entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 20,
        "expected the bad fixtures, found {}",
        files.len()
    );
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut mismatches = Vec::new();
    for file in &files {
        let error = match load_file(file, &LoadOptions::default()) {
            Ok(_) => {
                mismatches.push(format!("{} loaded without error", file.display()));
                continue;
            }
            Err(error) => error.to_string() + "\n",
        };
        let golden = file.with_extension("err");
        if update {
            std::fs::write(&golden, &error).expect("write golden file");
            continue;
        }
        let expected = std::fs::read_to_string(&golden).unwrap_or_default();
        if expected != error {
            mismatches.push(format!(
                "{}:\n--- expected\n{expected}--- actual\n{error}",
                file.display()
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{}\n(if the new messages are right: UPDATE_GOLDEN=1 cargo test --test scenario_errors)",
        mismatches.join("\n")
    );
}
