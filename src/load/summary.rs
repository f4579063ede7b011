//! The human report of a load run: what was done, the table of operations, errors, 429s,
//! Entra's projected cycle time and what the cleanup left. Plain text; colour is the caller's.

use std::fmt::Write;

use super::{LoadReport, Pacing, RETRY_AFTER_CAP, StopReason, human_minutes};

/// The opening line, printed before the run starts.
pub fn header(report_target: &str, embedded: bool, pacing: Pacing, size_text: &str) -> String {
    let target = if embedded {
        format!("{report_target} (embedded reference server)")
    } else {
        report_target.to_string()
    };
    format!(
        "load: {size_text} against {target}, {}",
        pacing_text(pacing)
    )
}

/// `20 users, 2 groups × 5 members`.
pub fn size_text(users: usize, groups: usize, members: usize) -> String {
    let mut text = format!("{users} users");
    if groups > 0 {
        text.push_str(&format!(", {groups} groups"));
        if members > 0 {
            text.push_str(&format!(" × {members} members"));
        }
    }
    text
}

fn pacing_text(pacing: Pacing) -> String {
    match pacing {
        Pacing::Concurrency(c) => format!("concurrency {c}"),
        Pacing::Rate(rate) => format!("{rate} requests/s"),
    }
}

/// The whole report after the run.
pub fn render(report: &LoadReport) -> String {
    let mut out = String::new();
    let done = &report.done;
    let requested = &report.requested;
    let _ = writeln!(
        out,
        "Initial cycle ({} dialect): {}/{} users created, {}/{} groups created, {}/{} memberships added, {}/{} users disabled",
        match report.dialect {
            super::Dialect::Legacy => "legacy",
            super::Dialect::Compliant => "compliant",
        },
        done.users_created,
        requested.users,
        done.groups_created,
        requested.groups,
        done.memberships_added,
        requested.memberships(),
        done.users_disabled,
        requested.users,
    );
    match report.stopped {
        Some(StopReason::Interrupted) => {
            let _ = writeln!(out, "stopped early: interrupted");
        }
        Some(StopReason::TimeLimit) => {
            let _ = writeln!(
                out,
                "stopped early: the time limit was reached (--time-limit)"
            );
        }
        None => {}
    }
    let _ = writeln!(
        out,
        "{} requests in {:.2} s: {:.0} requests/s\n",
        report.cycle.requests, report.cycle.seconds, report.cycle.requests_per_second
    );
    out.push_str(&operations_table(report));
    out.push('\n');
    out.push_str(&errors_text(report));
    out.push_str(&throttling_text(report));
    out.push_str(&estimate_text(report));
    out.push_str(&cleanup_text(report));
    out
}

fn operations_table(report: &LoadReport) -> String {
    let mut out = format!(
        "{:<18} {:>9} {:>9} {:>7} {:>9} {:>9} {:>9} {:>9}\n",
        "operation", "requests", "ok", "failed", "p50 ms", "p95 ms", "p99 ms", "max ms"
    );
    for op in &report.operations {
        let latency = |pick: fn(&super::LatencyReport) -> f64| {
            op.latency_ms
                .as_ref()
                .map_or_else(|| "-".to_string(), |l| format!("{:.2}", pick(l)))
        };
        let _ = writeln!(
            out,
            "{:<18} {:>9} {:>9} {:>7} {:>9} {:>9} {:>9} {:>9}",
            op.name,
            op.requests,
            op.succeeded,
            op.failed,
            latency(|l| l.p50),
            latency(|l| l.p95),
            latency(|l| l.p99),
            latency(|l| l.max),
        );
    }
    out
}

fn errors_text(report: &LoadReport) -> String {
    if report.errors.is_empty() {
        return "Errors: none\n".to_string();
    }
    let mut out = String::from("Errors:\n");
    for (class, count) in &report.errors {
        let _ = writeln!(out, "  {count:>7} × {class}");
    }
    out
}

fn throttling_text(report: &LoadReport) -> String {
    let t = &report.throttling;
    if t.responses == 0 {
        return "429 Too Many Requests: none\n".to_string();
    }
    let mut out = format!(
        "429 Too Many Requests: {} responses; {} retried, {} gave up after retries\n",
        t.responses, t.retried, t.gave_up
    );
    let _ = writeln!(
        out,
        "  Retry-After on {} of them (longest {} s); the run honoured it on {} retries (waited at least as asked)",
        t.with_retry_after, t.max_retry_after_s, t.honoured
    );
    if t.capped > 0 {
        let _ = writeln!(
            out,
            "  {} asked for more than {} s: the run waited {} s only",
            t.capped,
            RETRY_AFTER_CAP.as_secs(),
            RETRY_AFTER_CAP.as_secs()
        );
    }
    if t.without_retry_after > 0 {
        let _ = writeln!(
            out,
            "  {} came without a readable Retry-After: the run waited 1 s (Entra's own back-off is undocumented)",
            t.without_retry_after
        );
    }
    out
}

fn estimate_text(report: &LoadReport) -> String {
    let e = &report.entra_estimate;
    format!(
        "Entra's initial cycle for {} objects ({} users + {} groups + {} memberships): {} to {}, by Microsoft's published estimate (0.01-0.08 min per assigned user, group and membership; create-heavy cycles like this one take about twice a match-heavy one). This endpoint answered the same pattern in {:.1} s.\n",
        e.objects,
        e.users,
        e.groups,
        e.memberships,
        human_minutes(e.low_minutes),
        human_minutes(e.high_minutes),
        report.cycle.seconds,
    )
}

fn cleanup_text(report: &LoadReport) -> String {
    let c = &report.cleanup;
    let mut out = format!(
        "Cleanup: removed {} users and {} groups in {:.2} s; ",
        c.users_removed, c.groups_removed, c.seconds
    );
    if c.left.is_empty() {
        out.push_str("nothing left.\n");
        return out;
    }
    let _ = writeln!(
        out,
        "{} left behind (names start with `{prefix}`; `scim-harness cleanup --url … --prefix {prefix}` finds them):",
        c.left.len(),
        prefix = report.run_prefix
    );
    const SHOWN: usize = 10;
    for left in c.left.iter().take(SHOWN) {
        let id = left
            .id
            .as_deref()
            .map_or_else(String::new, |id| format!(" (id {id})"));
        let _ = writeln!(out, "  {} {}{id}: {}", left.kind, left.name, left.reason);
    }
    if c.left.len() > SHOWN {
        let _ = writeln!(out, "  … and {} more (all in --json)", c.left.len() - SHOWN);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_text_names_only_what_is_asked() {
        assert_eq!(size_text(20, 0, 0), "20 users");
        assert_eq!(size_text(20, 2, 0), "20 users, 2 groups");
        assert_eq!(size_text(20, 2, 5), "20 users, 2 groups × 5 members");
    }
}
