//! The hub's clock, injectable so tests can move it (enrolment-code expiry, the request
//! timestamp window, the 60-day idempotency retention) without waiting.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// Unix seconds, from the system clock or from a fixed start that advances in real time.
#[derive(Debug, Clone, Copy)]
pub enum Clock {
    /// The operating system's clock.
    System,
    /// `start` unix seconds at `since`, advancing with real time (set with `NAC_HUB_FAKE_NOW`).
    Fixed {
        /// The unix time the clock showed at `since`.
        start: i64,
        /// When the clock was set.
        since: Instant,
    },
}

impl Clock {
    /// A clock showing `start` now and advancing in real time.
    pub fn starting_at(start: i64) -> Self {
        Clock::Fixed {
            start,
            since: Instant::now(),
        }
    }

    /// The current unix time in seconds.
    pub fn now(&self) -> i64 {
        match self {
            Clock::System => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX)),
            Clock::Fixed { start, since } => {
                let elapsed = i64::try_from(since.elapsed().as_secs()).unwrap_or(i64::MAX);
                start.saturating_add(elapsed)
            }
        }
    }
}
