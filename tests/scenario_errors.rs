//! Golden error messages: every `tests/fixtures/scenarios/bad/<name>.yaml` must fail to load with
//! exactly the text in `<name>.err` (Hurl-style golden files). `UPDATE_GOLDEN=1` rewrites them.

#[path = "support/golden.rs"]
mod golden;

use golden::assert_golden_errors;
use scim_harness::scenario::load::{LoadOptions, load_file};

#[test]
fn bad_scenarios_fail_with_their_golden_error() {
    assert_golden_errors(
        "tests/fixtures/scenarios/bad",
        20,
        "scenario_errors",
        |file| {
            load_file(file, &LoadOptions::default())
                .err()
                .map(|error| error.to_string())
        },
    );
}
