//! Ctrl-C and SIGTERM: the first one stops the run between requests and lets the cleanup ledger
//! remove what the run created; a second one (`abort`) stops the cleanup too, so the run ends at
//! once with what it knows, reports included.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::Notify;

#[derive(Clone, Default)]
pub struct Interrupt(Arc<State>);

#[derive(Default)]
struct State {
    set: AtomicBool,
    notify: Notify,
    aborted: AtomicBool,
    abort_notify: Notify,
}

impl Interrupt {
    pub fn trigger(&self) {
        self.0.set.store(true, Ordering::SeqCst);
        self.0.notify.notify_waiters();
    }

    pub fn is_set(&self) -> bool {
        self.0.set.load(Ordering::SeqCst)
    }

    /// Resolves once the interrupt is triggered (at once if it already was).
    pub async fn triggered(&self) {
        let notified = self.0.notify.notified();
        if self.is_set() {
            return;
        }
        notified.await;
    }

    /// The second signal: the cleanup stops too.
    pub fn abort(&self) {
        self.trigger();
        self.0.aborted.store(true, Ordering::SeqCst);
        self.0.abort_notify.notify_waiters();
    }

    pub fn is_aborted(&self) -> bool {
        self.0.aborted.load(Ordering::SeqCst)
    }

    /// Resolves once the cleanup is aborted (at once if it already was).
    pub async fn aborted(&self) {
        let notified = self.0.abort_notify.notified();
        if self.is_aborted() {
            return;
        }
        notified.await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn waiters_wake_when_triggered_and_late_waiters_return_at_once() {
        let interrupt = Interrupt::default();
        let waiter = tokio::spawn({
            let interrupt = interrupt.clone();
            async move { interrupt.triggered().await }
        });
        tokio::task::yield_now().await;
        interrupt.trigger();
        waiter.await.unwrap();
        interrupt.triggered().await;
        assert!(interrupt.is_set());
        assert!(!interrupt.is_aborted());
        interrupt.abort();
        interrupt.aborted().await;
    }
}
