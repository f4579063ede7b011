//! The scenarios compiled into the binary: every `scenarios/*.yaml`, embedded by `build.rs`.

use super::error::closest;

/// One embedded scenario file.
#[derive(Debug, Clone, Copy)]
pub struct BuiltinScenario {
    /// The file stem, e.g. `entra-core`.
    pub name: &'static str,
    /// `scenarios/<file>`: the display path in errors and snapshot headers.
    pub path: &'static str,
    pub text: &'static str,
}

static BUILTIN_SCENARIOS: &[BuiltinScenario] =
    include!(concat!(env!("OUT_DIR"), "/builtin_scenarios.rs"));

/// Every built-in scenario, sorted by file name.
pub fn builtin_scenarios() -> &'static [BuiltinScenario] {
    BUILTIN_SCENARIOS
}

pub fn find_builtin(name: &str) -> Option<&'static BuiltinScenario> {
    BUILTIN_SCENARIOS
        .iter()
        .find(|builtin| builtin.name == name)
}

/// The built-in name closest to `name`, for "did you mean" hints.
pub(crate) fn closest_builtin(name: &str) -> Option<&'static str> {
    closest(name, BUILTIN_SCENARIOS.iter().map(|builtin| builtin.name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::load::{LoadOptions, load_str};

    #[test]
    fn every_builtin_loads_and_is_sorted() {
        let names: Vec<&str> = builtin_scenarios().iter().map(|b| b.name).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted);
        for builtin in builtin_scenarios() {
            assert_eq!(builtin.path, format!("scenarios/{}.yaml", builtin.name));
            let scenario = load_str(builtin.path, builtin.text, &LoadOptions::default())
                .unwrap_or_else(|error| panic!("{error}"));
            assert_eq!(scenario.name, builtin.name);
        }
    }

    #[test]
    fn finds_by_name() {
        assert!(find_builtin("entra-core").is_some());
        assert!(find_builtin("nope").is_none());
        assert_eq!(closest_builtin("entra-cor"), Some("entra-core"));
    }
}
