//! Ctrl-C and SIGTERM: the first one stops the run between requests and lets the cleanup ledger
//! remove what the run created; the caller decides what a second one does.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::Notify;

#[derive(Clone, Default)]
pub struct Interrupt(Arc<State>);

#[derive(Default)]
struct State {
    set: AtomicBool,
    notify: Notify,
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
    }
}
