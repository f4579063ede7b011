//! `--only` / `--skip`: which scenarios run and which checks are judged, by glob over scenario
//! names and check ids.

/// `--only` / `--skip` patterns: globs (`*`, `?`) over scenario names and check ids.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub only: Vec<String>,
    pub skip: Vec<String>,
}

impl Selection {
    /// Whether a scenario runs at all: `--only` must name it or one of its checks; `--skip` must
    /// not name it.
    pub fn keeps_scenario(&self, name: &str, check_ids: &[&str]) -> bool {
        if self.skip.iter().any(|p| glob(p, name)) {
            return false;
        }
        self.only.is_empty()
            || self
                .only
                .iter()
                .any(|p| glob(p, name) || check_ids.iter().any(|id| glob(p, id)))
    }

    /// Whether a check of a scenario is judged.
    pub fn keeps_check(&self, scenario: &str, check_id: &str) -> bool {
        if self.skip.iter().any(|p| glob(p, check_id)) {
            return false;
        }
        self.only.is_empty()
            || self
                .only
                .iter()
                .any(|p| glob(p, scenario) || glob(p, check_id))
    }
}

/// `*` matches any run of characters, `?` one character; everything else literally.
pub fn glob(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    // Iterative matcher with one backtrack point: linear in practice, no recursion to blow up.
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == '?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == '*' {
            star = Some((p, t));
            p += 1;
        } else if let Some((star_p, star_t)) = star {
            p = star_p + 1;
            t = star_t + 1;
            star = Some((star_p, star_t + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_like_a_shell() {
        assert!(glob("deprovision.*", "deprovision.legacy-accepted"));
        assert!(glob("*.legacy-*", "deprovision.legacy-accepted"));
        assert!(glob("entra-core", "entra-core"));
        assert!(glob("entra-?ore", "entra-core"));
        assert!(!glob("entra", "entra-core"));
        assert!(!glob("*.compliant-*", "deprovision.legacy-accepted"));
        assert!(glob("*", ""));
        assert!(glob("a*b*c", "aXXbYYc"));
        assert!(!glob("a*b*c", "aXXbYY"));
    }

    #[test]
    fn selection_by_scenario_or_check_id() {
        let only = Selection {
            only: vec!["deprovision.*".into()],
            skip: vec![],
        };
        assert!(only.keeps_scenario("entra-core", &["deprovision.legacy-accepted"]));
        assert!(!only.keeps_scenario("groups", &["groups.create"]));
        assert!(only.keeps_check("entra-core", "deprovision.legacy-applied"));
        assert!(!only.keeps_check("entra-core", "create.created"));

        let skip = Selection {
            only: vec![],
            skip: vec!["http.content-type".into(), "groups".into()],
        };
        assert!(!skip.keeps_check("entra-core", "http.content-type"));
        assert!(skip.keeps_check("entra-core", "create.created"));
        assert!(!skip.keeps_scenario("groups", &[]));
    }
}
