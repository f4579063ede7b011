//! Scenario errors, rendered like rustc or Hurl: the message, `--> file:line:col`, the offending
//! source line with a caret, and a hint. Plain text; the CLI decides about colours.

use std::fmt;

use super::model::Location;

/// A scenario file that cannot be loaded: where, what and how to fix it.
#[derive(Debug, Clone, thiserror::Error)]
pub struct ScenarioError {
    pub location: Option<Location>,
    pub message: String,
    pub hint: Option<String>,
    /// The text of the line at `location`, shown under the message with a caret.
    pub source_line: Option<String>,
}

impl ScenarioError {
    pub fn new(message: impl Into<String>) -> ScenarioError {
        ScenarioError {
            location: None,
            message: message.into(),
            hint: None,
            source_line: None,
        }
    }

    pub fn at(mut self, location: Location) -> ScenarioError {
        self.location = Some(location);
        self
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> ScenarioError {
        self.hint = Some(hint.into());
        self
    }

    /// Attaches the source line at the error's location, if the error has none yet.
    pub fn with_source(mut self, text: &str) -> ScenarioError {
        if self.source_line.is_none()
            && let Some(location) = &self.location
            && location.line > 0
        {
            self.source_line = text
                .lines()
                .nth(location.line as usize - 1)
                .map(|line| line.trim_end_matches('\r').to_string());
        }
        self
    }
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error: {}", printable(&self.message))?;
        // rustc's layout: the gutter is as wide as the line number.
        let width = self
            .location
            .as_ref()
            .map_or(0, |location| location.line.to_string().len());
        let gutter = " ".repeat(width + 1);
        if let Some(location) = &self.location {
            write!(f, "\n{}--> {location}", " ".repeat(width))?;
            if let Some(line) = &self.source_line {
                let (line, column) = crop(&printable(line), location.column.max(1) as usize);
                let line = line.as_str();
                let indent: String = line
                    .chars()
                    .take(column - 1)
                    .map(|c| if c == '\t' { '\t' } else { ' ' })
                    .collect();
                write!(
                    f,
                    "\n{gutter}|\n{} | {line}\n{gutter}| {indent}{}",
                    location.line,
                    "^".repeat(caret_width(line, column)),
                )?;
            }
        }
        if let Some(hint) = &self.hint {
            write!(f, "\n{gutter}= hint: {}", printable(hint))?;
        }
        Ok(())
    }
}

/// The text with control characters (but tab and line feed) shown as U+FFFD, one character each so the caret
/// still points at the right column: a hostile file cannot drive the terminal.
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() && c != '\t' && c != '\n' {
                '\u{fffd}'
            } else {
                c
            }
        })
        .collect()
}

/// Source lines longer than this are shown as a window around the column.
const MAX_SHOWN_CHARS: usize = 100;

/// The part of `line` to show and the column within it: long lines (minified JSON, a fuzzed
/// file) are cut to a window around `column`, marked with `…`.
fn crop(line: &str, column: usize) -> (String, usize) {
    let length = line.chars().count();
    if length <= MAX_SHOWN_CHARS {
        return (line.to_string(), column);
    }
    let start = column
        .saturating_sub(MAX_SHOWN_CHARS / 2)
        .min(length.saturating_sub(MAX_SHOWN_CHARS));
    let mut shown: String = line.chars().skip(start).take(MAX_SHOWN_CHARS).collect();
    let mut column = column - start;
    if start > 0 {
        shown.insert(0, '…');
        column += 1;
    }
    if start + MAX_SHOWN_CHARS < length {
        shown.push('…');
    }
    (shown, column)
}

/// How many characters the caret underlines: the quoted string, or the word (key or scalar),
/// starting at `column`.
fn caret_width(line: &str, column: usize) -> usize {
    let mut chars = line.chars().skip(column - 1).peekable();
    let width = match chars.peek().copied() {
        Some(quote @ ('"' | '\'')) => {
            let mut escaped = false;
            let mut length = 0;
            for c in chars {
                length += 1;
                if length > 1 && c == quote && !escaped {
                    break;
                }
                escaped = quote == '"' && c == '\\' && !escaped;
            }
            length
        }
        _ => chars
            .take_while(|c| !c.is_whitespace() && !matches!(c, ':' | ',' | '}' | ']'))
            .count(),
    };
    width.max(1)
}

/// The candidate closest to `wanted`, if it is close enough to be a likely typo.
pub(crate) fn closest<'a>(
    wanted: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|candidate| (strsim::jaro_winkler(wanted, candidate), candidate))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_from_the_file_never_reach_the_terminal() {
        let error = ScenarioError::new("unknown key `a\u{1b}]0;x\u{7}`")
            .at(Location {
                file: "hostile.yaml".into(),
                line: 1,
                column: 1,
            })
            .with_source("a\u{1b}[31m: 1\n");
        let text = error.to_string();
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{7}'),
            "{text:?}"
        );
        assert!(text.contains("1 | a\u{fffd}[31m: 1"), "{text:?}");
    }

    #[test]
    fn renders_like_rustc_with_caret_and_hint() {
        let error = ScenarioError::new("unknown key `metod`")
            .at(Location {
                file: "broken.yaml".into(),
                line: 6,
                column: 7,
            })
            .with_hint("did you mean `method`?")
            .with_source("a\nb\nc\nd\ne\n      metod: GET\n");
        assert_eq!(
            error.to_string(),
            "error: unknown key `metod`\n --> broken.yaml:6:7\n  |\n6 |       metod: GET\n  |       ^^^^^\n  = hint: did you mean `method`?"
        );
    }

    #[test]
    fn renders_two_digit_lines_and_no_location() {
        let error = ScenarioError::new("bad")
            .at(Location {
                file: "f.yaml".into(),
                line: 12,
                column: 3,
            })
            .with_source(&format!("{}  metod: GET\n", "x\n".repeat(11)));
        assert_eq!(
            error.to_string(),
            "error: bad\n  --> f.yaml:12:3\n   |\n12 |   metod: GET\n   |   ^^^^^"
        );
        let plain = ScenarioError::new("empty").with_hint("write something");
        assert_eq!(plain.to_string(), "error: empty\n = hint: write something");
    }

    #[test]
    fn long_lines_are_cropped_around_the_column() {
        let line = format!("{}metod{}", "x".repeat(300), "y".repeat(300));
        let error = ScenarioError::new("bad")
            .at(Location {
                file: "f.yaml".into(),
                line: 1,
                column: 301,
            })
            .with_source(&line);
        let text = error.to_string();
        let shown = text.lines().nth(3).unwrap();
        let caret = text.lines().nth(4).unwrap();
        assert!(
            shown.starts_with("1 | …x") && shown.ends_with("y…"),
            "{shown}"
        );
        assert_eq!(
            shown.chars().position(|c| c == 'm'),
            caret.chars().position(|c| c == '^')
        );
        assert!(
            caret.ends_with("^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^"),
            "{caret}"
        );
    }

    #[test]
    fn closest_finds_typos_only() {
        assert_eq!(closest("metod", ["method", "path"]), Some("method"));
        assert_eq!(closest("zzz", ["method", "path"]), None);
    }
}
