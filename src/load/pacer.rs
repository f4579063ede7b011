//! When the next request may go: at once (concurrency mode: the worker count is the bound), on the
//! next tick of a fixed-rate clock (rate mode), and never before a `Retry-After` the target asked
//! for. A 429 pauses every worker, not just the one that got it: the target asked the client to
//! back off, and Entra runs one job per app.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use serde::Serialize;
use time::OffsetDateTime;
use tokio::time::{Instant, Interval, MissedTickBehavior};

use crate::run::Interrupt;
use crate::run::retry::{MAX_WAIT, retry_after};

/// The longest `Retry-After` the run waits (as long as `run` waits); a longer one is cut to this
/// and counted as capped.
pub const RETRY_AFTER_CAP: Duration = MAX_WAIT;
/// The pause after a 429 that names no (readable) `Retry-After`.
pub const DEFAULT_BACKOFF: Duration = Duration::from_secs(1);
/// How often one request is retried after 429 before it counts as failed.
pub const MAX_THROTTLE_RETRIES: u32 = 5;

pub(super) struct Pacer {
    ticker: Option<tokio::sync::Mutex<Interval>>,
    resume_at: Mutex<Option<Instant>>,
    /// Set by a pause, so the rate clock restarts afterwards instead of bursting to catch up.
    paused: AtomicBool,
}

impl Pacer {
    /// `rate`: requests per second, or `None` for as fast as the workers go.
    pub(super) fn new(rate: Option<f64>) -> Self {
        let ticker = rate.map(|rate| {
            let mut interval = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
            // Tokio's timer has millisecond resolution: above 1000 req/s only bursting keeps
            // the average rate right.
            interval.set_missed_tick_behavior(MissedTickBehavior::Burst);
            tokio::sync::Mutex::new(interval)
        });
        Pacer {
            ticker,
            resume_at: Mutex::new(None),
            paused: AtomicBool::new(false),
        }
    }

    /// Waits until a request may go. `Err(())` when `cancel` fired first (during the cycle; the
    /// cleanup passes `None` and always waits out a pause).
    pub(super) async fn ready(&self, cancel: Option<&Interrupt>) -> Result<(), ()> {
        let wait = async {
            while let Some(resume_at) = self.resume_at() {
                tokio::time::sleep_until(resume_at).await;
            }
            if let Some(ticker) = &self.ticker {
                let mut interval = ticker.lock().await;
                if self.paused.swap(false, Ordering::SeqCst) {
                    interval.reset_immediately();
                }
                interval.tick().await;
            }
        };
        match cancel {
            None => {
                wait.await;
                Ok(())
            }
            Some(interrupt) => tokio::select! {
                () = wait => Ok(()),
                () = interrupt.triggered() => Err(()),
            },
        }
    }

    /// No request goes before `now + wait` (a later pause already set wins).
    pub(super) fn pause(&self, wait: Duration) {
        let until = Instant::now() + wait;
        let mut resume_at = self
            .resume_at
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if resume_at.is_none_or(|current| current < until) {
            *resume_at = Some(until);
        }
        self.paused.store(true, Ordering::SeqCst);
    }

    /// The pending pause, cleared once it has passed.
    fn resume_at(&self) -> Option<Instant> {
        let mut resume_at = self
            .resume_at
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        match *resume_at {
            Some(at) if at > Instant::now() => Some(at),
            _ => {
                *resume_at = None;
                None
            }
        }
    }
}

/// What a 429 asked for, read from its `Retry-After` (seconds or an HTTP date, as `run` reads it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum RetryAfter {
    Asked(Duration),
    Missing,
}

impl RetryAfter {
    pub(super) fn parse(header: Option<&str>, now: OffsetDateTime) -> Self {
        match header.and_then(|value| retry_after(value, now)) {
            Some(asked) => RetryAfter::Asked(asked),
            None => RetryAfter::Missing,
        }
    }

    /// How long the run waits for it.
    pub(super) fn wait(self) -> Duration {
        match self {
            RetryAfter::Asked(asked) => asked.min(RETRY_AFTER_CAP),
            RetryAfter::Missing => DEFAULT_BACKOFF,
        }
    }
}

/// The 429s of a run and how the run answered them.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Throttling {
    /// 429 responses, every attempt.
    pub responses: u64,
    /// 429s that carried a readable `Retry-After`.
    pub with_retry_after: u64,
    /// 429s without one (the run waited 1 s).
    pub without_retry_after: u64,
    /// Retries sent no earlier than their `Retry-After` asked, measured from the 429's arrival.
    pub honoured: u64,
    /// `Retry-After` values above 30 s: the run waited 30 s only.
    pub capped: u64,
    /// Requests sent again after a 429.
    pub retried: u64,
    /// Operations that still got 429 after 5 retries, or were stopped while waiting.
    pub gave_up: u64,
    /// The longest `Retry-After` asked for, in seconds.
    pub max_retry_after_s: u64,
}

impl Throttling {
    pub(super) fn throttled(&mut self, retry_after: RetryAfter) {
        self.responses += 1;
        match retry_after {
            RetryAfter::Asked(asked) => {
                self.with_retry_after += 1;
                self.max_retry_after_s = self.max_retry_after_s.max(asked.as_secs());
                if asked > RETRY_AFTER_CAP {
                    self.capped += 1;
                }
            }
            RetryAfter::Missing => self.without_retry_after += 1,
        }
    }

    /// A retry went out `waited` after the 429 arrived.
    pub(super) fn retried(&mut self, retry_after: RetryAfter, waited: Duration) {
        self.retried += 1;
        if let RetryAfter::Asked(asked) = retry_after
            && waited >= asked
        {
            self.honoured += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreadable_or_missing_retry_after_waits_the_default() {
        let now = OffsetDateTime::UNIX_EPOCH;
        assert_eq!(
            RetryAfter::parse(Some(" 3 "), now),
            RetryAfter::Asked(Duration::from_secs(3))
        );
        assert_eq!(RetryAfter::parse(Some("soon"), now), RetryAfter::Missing);
        assert_eq!(RetryAfter::parse(None, now), RetryAfter::Missing);
        assert_eq!(RetryAfter::Missing.wait(), DEFAULT_BACKOFF);
        assert_eq!(
            RetryAfter::Asked(Duration::from_secs(600)).wait(),
            RETRY_AFTER_CAP
        );
    }

    #[test]
    fn honoured_means_the_retry_waited_at_least_as_asked() {
        let mut throttling = Throttling::default();
        let asked = RetryAfter::Asked(Duration::from_secs(1));
        throttling.throttled(asked);
        throttling.retried(asked, Duration::from_millis(1003));
        throttling.throttled(asked);
        throttling.retried(asked, Duration::from_millis(10));
        throttling.throttled(RetryAfter::Asked(Duration::from_secs(120)));
        assert_eq!(throttling.responses, 3);
        assert_eq!(throttling.honoured, 1);
        assert_eq!(throttling.capped, 1);
        assert_eq!(throttling.max_retry_after_s, 120);
    }

    #[tokio::test(start_paused = true)]
    async fn a_pause_holds_every_request_until_it_passes() {
        let pacer = Pacer::new(None);
        pacer.pause(Duration::from_secs(2));
        let started = Instant::now();
        pacer.ready(None).await.unwrap();
        assert!(started.elapsed() >= Duration::from_secs(2));
        let interrupt = Interrupt::default();
        pacer.pause(Duration::from_secs(60));
        interrupt.trigger();
        assert!(pacer.ready(Some(&interrupt)).await.is_err());
    }

    #[tokio::test(start_paused = true)]
    async fn rate_mode_spaces_requests_evenly() {
        let pacer = Pacer::new(Some(10.0));
        let started = Instant::now();
        for _ in 0..11 {
            pacer.ready(None).await.unwrap();
        }
        assert_eq!(started.elapsed(), Duration::from_secs(1));
    }
}
