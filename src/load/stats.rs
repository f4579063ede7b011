//! What the load run measures: per operation, every attempt's latency (an HDR histogram, so
//! p99 and max stay exact at any volume in fixed memory), the status codes and transport errors
//! seen, and each operation's outcome with the class of its failure.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::run::http::TransportError;

const MAX_LATENCY_MICROS: u64 = 3_600_000_000;

/// One kind of request the run sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    UserFilter,
    UserCreate,
    GroupFilter,
    GroupCreate,
    GroupAddMembers,
    UserDisable,
    GroupDelete,
    UserDelete,
    /// Looks up an object whose create got no answer, so the cleanup can still find it.
    CleanupLookup,
}

impl Operation {
    pub const ALL: [Operation; 9] = [
        Operation::UserFilter,
        Operation::UserCreate,
        Operation::GroupFilter,
        Operation::GroupCreate,
        Operation::GroupAddMembers,
        Operation::UserDisable,
        Operation::GroupDelete,
        Operation::UserDelete,
        Operation::CleanupLookup,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Operation::UserFilter => "user.filter",
            Operation::UserCreate => "user.create",
            Operation::GroupFilter => "group.filter",
            Operation::GroupCreate => "group.create",
            Operation::GroupAddMembers => "group.add-members",
            Operation::UserDisable => "user.disable",
            Operation::GroupDelete => "group.delete",
            Operation::UserDelete => "user.delete",
            Operation::CleanupLookup => "cleanup.lookup",
        }
    }

    /// Part of Entra's cycle, as opposed to the harness's own cleanup.
    pub fn in_cycle(self) -> bool {
        !matches!(
            self,
            Operation::GroupDelete | Operation::UserDelete | Operation::CleanupLookup
        )
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// A short, stable name for a transport failure, for counting.
pub fn transport_class(error: &TransportError) -> &'static str {
    match error {
        TransportError::InvalidRequest(_) => "invalid-request",
        TransportError::Connect(_) => "connect",
        TransportError::Tls(_) => "tls",
        TransportError::Timeout(_) => "timeout",
        TransportError::BodyTooLarge { .. } => "body-too-large",
        TransportError::Closed(_) => "closed",
        TransportError::Truncated { .. } => "truncated",
        TransportError::Protocol(_) => "protocol",
    }
}

/// Thread-safe collector shared by every worker.
pub(super) struct Stats {
    operations: Vec<Mutex<OperationStats>>,
}

struct OperationStats {
    /// Microseconds.
    latency: Histogram<u64>,
    statuses: BTreeMap<u16, u64>,
    transport_errors: BTreeMap<&'static str, u64>,
    succeeded: u64,
    failures: BTreeMap<String, u64>,
}

impl Stats {
    pub(super) fn new() -> Result<Self, hdrhistogram::CreationError> {
        let operations = Operation::ALL
            .iter()
            .map(|_| {
                // 1 µs to an hour (the longest --timeout) at three significant figures: 0.1 %
                // precision in about 180 KB per operation, whatever the volume.
                Histogram::new_with_bounds(1, MAX_LATENCY_MICROS, 3).map(|latency| {
                    Mutex::new(OperationStats {
                        latency,
                        statuses: BTreeMap::new(),
                        transport_errors: BTreeMap::new(),
                        succeeded: 0,
                        failures: BTreeMap::new(),
                    })
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Stats { operations })
    }

    pub(super) fn response(&self, operation: Operation, status: u16, elapsed: Duration) {
        self.with(operation, |stats| {
            stats.latency.saturating_record(micros(elapsed));
            *stats.statuses.entry(status).or_default() += 1;
        });
    }

    pub(super) fn transport_error(&self, operation: Operation, error: &TransportError) {
        self.with(operation, |stats| {
            *stats
                .transport_errors
                .entry(transport_class(error))
                .or_default() += 1;
        });
    }

    pub(super) fn succeeded(&self, operation: Operation) {
        self.with(operation, |stats| stats.succeeded += 1);
    }

    /// `class` is what a person would group failures by: `HTTP 409`, `timeout`, `no id`.
    pub(super) fn failed(&self, operation: Operation, class: String) {
        self.with(operation, |stats| {
            *stats.failures.entry(class).or_default() += 1
        });
    }

    pub(super) fn reports(&self) -> Vec<OperationReport> {
        Operation::ALL
            .iter()
            .filter_map(|&operation| {
                let stats = self.operations[operation.index()]
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                let responses: u64 = stats.statuses.values().sum();
                let transport: u64 = stats.transport_errors.values().sum();
                let requests = responses + transport;
                (requests > 0).then(|| OperationReport {
                    name: operation.name(),
                    in_cycle: operation.in_cycle(),
                    requests,
                    succeeded: stats.succeeded,
                    failed: stats.failures.values().sum(),
                    latency_ms: (responses > 0).then(|| LatencyReport::of(&stats.latency)),
                    statuses: stats
                        .statuses
                        .iter()
                        .map(|(status, count)| (status.to_string(), *count))
                        .collect(),
                    transport_errors: stats
                        .transport_errors
                        .iter()
                        .map(|(class, count)| ((*class).to_string(), *count))
                        .collect(),
                    failures: stats.failures.clone(),
                })
            })
            .collect()
    }

    fn with(&self, operation: Operation, update: impl FnOnce(&mut OperationStats)) {
        // A worker that panicked mid-update leaves counters that are still worth reporting.
        let mut stats = self.operations[operation.index()]
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        update(&mut stats);
    }
}

fn micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}

/// One operation's numbers in the report.
#[derive(Debug, Clone, Serialize)]
pub struct OperationReport {
    pub name: &'static str,
    pub in_cycle: bool,
    /// Every attempt sent, retries after 429 included.
    pub requests: u64,
    /// Operations that ended as Entra needs (after retries).
    pub succeeded: u64,
    pub failed: u64,
    /// Over every attempt that got a response; `None` when none did.
    pub latency_ms: Option<LatencyReport>,
    /// Status code -> responses, every attempt.
    pub statuses: BTreeMap<String, u64>,
    /// Transport error class -> attempts.
    pub transport_errors: BTreeMap<String, u64>,
    /// Failure class -> operations that ended that way.
    pub failures: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct LatencyReport {
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
    pub mean: f64,
}

impl LatencyReport {
    fn of(histogram: &Histogram<u64>) -> Self {
        let ms = |micros: u64| micros as f64 / 1000.0;
        LatencyReport {
            p50: ms(histogram.value_at_quantile(0.50)),
            p95: ms(histogram.value_at_quantile(0.95)),
            p99: ms(histogram.value_at_quantile(0.99)),
            max: ms(histogram.max()),
            mean: histogram.mean() / 1000.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_statuses_and_failures_per_operation() {
        let stats = Stats::new().unwrap();
        for ms in 1..=100 {
            stats.response(Operation::UserCreate, 201, Duration::from_millis(ms));
            stats.succeeded(Operation::UserCreate);
        }
        stats.response(Operation::UserCreate, 409, Duration::from_millis(500));
        stats.failed(Operation::UserCreate, "HTTP 409".to_string());
        stats.transport_error(
            Operation::UserDelete,
            &TransportError::Timeout(Duration::from_secs(1)),
        );
        stats.failed(Operation::UserDelete, "timeout".to_string());

        let reports = stats.reports();
        assert_eq!(reports.len(), 2, "operations never sent are left out");
        let create = &reports[0];
        assert_eq!(create.name, "user.create");
        assert_eq!(
            (create.requests, create.succeeded, create.failed),
            (101, 100, 1)
        );
        let latency = create.latency_ms.unwrap();
        assert!((latency.p50 - 51.0).abs() < 0.1, "{latency:?}");
        assert!((latency.p99 - 100.0).abs() < 0.1, "{latency:?}");
        assert!((latency.max - 500.0).abs() < 0.5, "{latency:?}");
        assert_eq!(create.statuses["201"], 100);
        assert_eq!(create.failures["HTTP 409"], 1);
        let delete = &reports[1];
        assert!(!delete.in_cycle);
        assert!(delete.latency_ms.is_none());
        assert_eq!(delete.transport_errors["timeout"], 1);
    }
}
