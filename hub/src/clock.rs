//! The hub's clock, injectable so tests can move it (enrolment-code expiry, the request
//! timestamp window, the 60-day idempotency retention) without waiting.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// Unix seconds, from the system clock, from a fixed start that advances in real time, or
/// (tests) from a file another process moves.
#[derive(Debug, Clone)]
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
    /// The unix time written in a file, read at every call (`NAC_HUB_CLOCK_FILE`): a test that
    /// simulates days moves the hub's clock with its stations'. The system clock if the file
    /// cannot be read.
    File(std::sync::Arc<std::path::PathBuf>),
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
            Clock::System => system_now(),
            Clock::File(path) => std::fs::read_to_string(path.as_path())
                .ok()
                .and_then(|t| t.trim().parse().ok())
                .unwrap_or_else(system_now),
            Clock::Fixed { start, since } => {
                let elapsed = i64::try_from(since.elapsed().as_secs()).unwrap_or(i64::MAX);
                start.saturating_add(elapsed)
            }
        }
    }
}

fn system_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
