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
    /// simulates days moves the hub's clock with its stations'.
    File(std::sync::Arc<FileClock>),
}

/// A clock read from a file, remembering the last time it read (used when a read fails, so
/// the clock never jumps to the system's).
#[derive(Debug)]
pub struct FileClock {
    path: std::path::PathBuf,
    last: std::sync::atomic::AtomicI64,
}

impl FileClock {
    /// A clock reading `path`.
    pub fn new(path: impl Into<std::path::PathBuf>) -> Self {
        Self {
            path: path.into(),
            last: std::sync::atomic::AtomicI64::new(system_now()),
        }
    }

    fn now(&self) -> i64 {
        use std::sync::atomic::Ordering;
        for _ in 0..5 {
            if let Some(t) = std::fs::read_to_string(&self.path)
                .ok()
                .and_then(|t| t.trim().parse().ok())
            {
                self.last.store(t, Ordering::Relaxed);
                return t;
            }
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        self.last.load(Ordering::Relaxed)
    }
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
            Clock::File(clock) => clock.now(),
            Clock::Fixed { start, since } => {
                let elapsed = i64::try_from(since.elapsed().as_secs()).unwrap_or(i64::MAX);
                start.saturating_add(elapsed)
            }
        }
    }
}

#[allow(
    clippy::disallowed_methods,
    reason = "the hub's one reading of the system clock"
)]
fn system_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
