//! Golden error files (Hurl-style): every `<name>.yaml` in a fixture folder must fail to load with
//! exactly the text in `<name>.err`. `UPDATE_GOLDEN=1` rewrites the `.err` files.

use std::path::Path;

/// Checks the folder's fixtures with `load`, which gives a fixture's error message (or `None`
/// when it loaded); `test` names the test to rerun with `UPDATE_GOLDEN=1`.
pub fn assert_golden_errors(
    folder: &str,
    at_least: usize,
    test: &str,
    load: impl Fn(&Path) -> Option<String>,
) {
    let mut files: Vec<_> = std::fs::read_dir(folder)
        .expect("fixture folder")
        .map(|entry| entry.expect("fixture entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    assert!(
        files.len() >= at_least,
        "expected at least {at_least} fixtures in {folder}, found {}",
        files.len()
    );
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut mismatches = Vec::new();
    for file in &files {
        let Some(error) = load(file).map(|message| message + "\n") else {
            mismatches.push(format!("{} loaded without error", file.display()));
            continue;
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
        "{}\n(if the new messages are right: UPDATE_GOLDEN=1 cargo test --test {test})",
        mismatches.join("\n")
    );
}
