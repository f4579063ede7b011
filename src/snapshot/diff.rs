//! Line diffs between a baseline and the new snapshot text: unified hunks with three lines of
//! context, as plain data so each report format styles them itself.

use similar::{ChangeTag, TextDiff};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum DiffKind {
    /// A `@@ -a,b +c,d @@` hunk header.
    Hunk,
    Context,
    Removed,
    Added,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct DiffLine {
    pub kind: DiffKind,
    /// The line without its newline (and without a `+`/`-` marker).
    pub text: String,
}

pub fn diff_lines(old: &str, new: &str) -> Vec<DiffLine> {
    let diff = TextDiff::from_lines(old, new);
    let mut lines = Vec::new();
    for hunk in diff.unified_diff().context_radius(3).iter_hunks() {
        lines.push(DiffLine {
            kind: DiffKind::Hunk,
            text: hunk.header().to_string(),
        });
        for change in hunk.iter_changes() {
            let kind = match change.tag() {
                ChangeTag::Equal => DiffKind::Context,
                ChangeTag::Delete => DiffKind::Removed,
                ChangeTag::Insert => DiffKind::Added,
            };
            let text = change.value();
            lines.push(DiffLine {
                kind,
                text: text
                    .strip_suffix('\n')
                    .map(|t| t.strip_suffix('\r').unwrap_or(t))
                    .unwrap_or(text)
                    .to_string(),
            });
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unified_hunks_with_context() {
        let old = "{\n  \"a\": 1,\n  \"active\": true,\n  \"b\": 2\n}";
        let new = "{\n  \"a\": 1,\n  \"active\": false,\n  \"b\": 2\n}";
        let lines = diff_lines(old, new);
        let kinds: Vec<DiffKind> = lines.iter().map(|l| l.kind).collect();
        assert_eq!(
            kinds,
            [
                DiffKind::Hunk,
                DiffKind::Context,
                DiffKind::Context,
                DiffKind::Removed,
                DiffKind::Added,
                DiffKind::Context,
                DiffKind::Context,
            ]
        );
        assert_eq!(lines[0].text, "@@ -1,5 +1,5 @@");
        assert_eq!(lines[3].text, "  \"active\": true,");
        assert_eq!(lines[4].text, "  \"active\": false,");
        assert_eq!(lines[6].text, "}");
    }

    #[test]
    fn equal_texts_have_no_lines() {
        assert!(diff_lines("a\nb", "a\nb").is_empty());
    }

    #[test]
    fn far_apart_changes_make_two_hunks() {
        let old: String = (0..20).map(|i| format!("{i}\n")).collect();
        let new: String = (0..20)
            .map(|i| match i {
                1 => "one\n".to_string(),
                18 => "eighteen\n".to_string(),
                _ => format!("{i}\n"),
            })
            .collect();
        let hunks = diff_lines(&old, &new)
            .iter()
            .filter(|l| l.kind == DiffKind::Hunk)
            .count();
        assert_eq!(hunks, 2);
    }
}
