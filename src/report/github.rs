//! GitHub Actions: `::error` / `::warning` workflow commands that annotate the scenario line of each
//! finding, and a Markdown summary for `$GITHUB_STEP_SUMMARY`.

use crate::report::visible;
use crate::run::result::{CheckResult, Outcome, RunResult, SnapshotResult, StepResult, StepStatus};

/// One workflow command per finding, pointing at the line that defines the check (or the step,
/// for the harness's built-in checks).
pub fn annotations(result: &RunResult) -> String {
    let mut out = String::new();
    for scenario in &result.scenarios {
        for step in &scenario.steps {
            let step_place = place(&step.location.to_string());
            for check in &step.checks {
                let level = match check.outcome {
                    Outcome::Fail => "error",
                    Outcome::Warn => "warning",
                    Outcome::Pass | Outcome::Skip => continue,
                };
                let at = place(&check.defined_at)
                    .unwrap_or_else(|| step_place.clone().unwrap_or_default());
                out.push_str(&format!(
                    "::{level} {at}title={}::{}\n",
                    escape_property(&format!("{}/{}: {}", scenario.name, step.name, check.id)),
                    escape_data(&message(check))
                ));
            }
            if let StepStatus::Error { message, .. } = &step.status {
                out.push_str(&format!(
                    "::error {}title={}::{}\n",
                    step_place.clone().unwrap_or_default(),
                    escape_property(&format!("{}/{}: no answer", scenario.name, step.name)),
                    escape_data(message)
                ));
            }
            if let Some(snapshot) = step.snapshot.as_ref().filter(|s| s.is_finding()) {
                out.push_str(&format!(
                    "::error {}title={}::{}\n",
                    step_place.clone().unwrap_or_default(),
                    escape_property(&format!("{}/{}: snapshot", scenario.name, step.name)),
                    escape_data(&snapshot_message(snapshot))
                ));
            }
        }
    }
    out
}

/// A Markdown table of the findings, for the job's summary page.
pub fn summary(result: &RunResult, verdict: &str) -> String {
    let tally = result.tally();
    let mut md = format!(
        "## scim-harness: {}\n\n{} · {} steps · {} checks passed, {} failed, {} warnings\n\n",
        markdown_cell(&result.target.base_url),
        verdict,
        tally.steps,
        tally.checks_passed,
        tally.checks_failed,
        tally.checks_warned
    );
    let rows: Vec<String> = result
        .scenarios
        .iter()
        .flat_map(|scenario| {
            scenario.steps.iter().flat_map(move |step| {
                step.checks
                    .iter()
                    .filter(|c| matches!(c.outcome, Outcome::Fail | Outcome::Warn))
                    .map(move |check| row(&scenario.name, step, check))
            })
        })
        .collect();
    if rows.is_empty() {
        md.push_str("No failed checks.\n");
    } else {
        md.push_str("| | scenario / step | check | requirement | why |\n|---|---|---|---|---|\n");
        for row in rows {
            md.push_str(&row);
        }
    }
    md
}

fn row(scenario: &str, step: &StepResult, check: &CheckResult) -> String {
    let mark = if check.outcome == Outcome::Fail {
        "❌"
    } else {
        "⚠️"
    };
    format!(
        "| {mark} | {} / {} | `{}` | {} | {} |\n",
        markdown_cell(scenario),
        markdown_cell(&step.name),
        visible(&check.id),
        markdown_cell(&check.requirement),
        markdown_cell(&message(check))
    )
}

fn message(check: &CheckResult) -> String {
    let mut text = format!("{}: {}", check.title, check.details.join("; "));
    if let Some(impact) = &check.impact {
        text.push_str(&format!(" Entra: {impact}"));
    }
    text
}

fn snapshot_message(snapshot: &SnapshotResult) -> String {
    match snapshot {
        SnapshotResult::Changed { file, .. } => format!("the response differs from {file}"),
        SnapshotResult::New { file, .. } => {
            format!("no baseline {file}; record it with `scim-harness run --update always`")
        }
        SnapshotResult::Error { message } => message.clone(),
        SnapshotResult::Matched { .. } | SnapshotResult::Written { .. } => String::new(),
    }
}

/// `file=…,line=…,col=…,` from a `file:line:col` location; `None` for `built-in`.
fn place(location: &str) -> Option<String> {
    let mut parts = location.rsplitn(3, ':');
    let col = parts.next()?.parse::<u32>().ok()?;
    let line = parts.next()?.parse::<u32>().ok()?;
    let file = parts.next()?;
    Some(format!(
        "file={},line={line},col={col},",
        escape_property(file)
    ))
}

/// Workflow-command escaping (actions/toolkit `escapeData` / `escapeProperty`). Control
/// characters, CR and LF among them, become visible escapes first: a line break would end the
/// command, and the log viewer acts on ANSI sequences.
fn escape_data(text: &str) -> String {
    visible(text).replace('%', "%25")
}

fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// Text in a table cell, shown as text: no control character, no cell break, and no HTML,
/// link or image a response could smuggle into the job's summary page.
fn markdown_cell(text: &str) -> String {
    let mut cell = String::with_capacity(text.len());
    for c in visible(&text.replace('\n', " ")).chars() {
        match c {
            '&' => cell.push_str("&amp;"),
            '<' => cell.push_str("&lt;"),
            '>' => cell.push_str("&gt;"),
            '|' | '[' | ']' | '\\' => {
                cell.push('\\');
                cell.push(c);
            }
            c => cell.push(c),
        }
    }
    cell
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_become_file_line_col_properties() {
        assert_eq!(
            place("scenarios/entra-core.yaml:12:9").as_deref(),
            Some("file=scenarios/entra-core.yaml,line=12,col=9,")
        );
        assert_eq!(place("built-in"), None);
    }

    #[test]
    fn workflow_command_values_are_escaped() {
        assert_eq!(escape_data("a%b\nc"), "a%25b\\u{a}c");
        assert_eq!(
            escape_data("\u{1b}[2J\u{1b}]0;t\u{7}"),
            "\\u{1b}[2J\\u{1b}]0;t\\u{7}"
        );
        assert_eq!(escape_property("x: y, z"), "x%3A y%2C z");
    }

    #[test]
    fn table_cells_hold_text_only() {
        assert_eq!(
            markdown_cell("a|b\n![x](http://e/t.png) <img src=x> \u{1b}[31m & \\"),
            "a\\|b !\\[x\\](http://e/t.png) &lt;img src=x&gt; \\\\u{1b}\\[31m &amp; \\\\"
        );
    }
}
