//! Time: an injected clock, and China Standard Time for every calendar decision.
//!
//! R1 and R3 turn on instants (30 days after issue) and on calendar days in UTC+08:00 (once per
//! day), which tests must cross deliberately: every rule reads "now" from a [`Clock`], never from
//! the system directly. Instants are stored as Unix seconds (UTC); days as `YYYY-MM-DD` in CST.

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone, Utc};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// Seconds in the 30-day validity of a code (R1: 720 hours); the credential format's own
/// constant, which `verify` enforces, so issuing and verifying can never disagree.
pub const VALIDITY_SECS: i64 = nac_credential::VALIDITY_SECS;
pub const DAY_SECS: i64 = 24 * 3600;
/// UTC+08:00 in seconds.
pub const CST_OFFSET_SECS: i64 = 8 * 3600;

/// China Standard Time, UTC+08:00, no daylight saving.
pub fn cst() -> FixedOffset {
    const CST: FixedOffset = match FixedOffset::east_opt(8 * 3600) {
        Some(offset) => offset,
        None => panic!("UTC+08:00 is a valid offset"),
    };
    CST
}

/// The source of "now" for every rule.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// The real clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(
        clippy::disallowed_methods,
        reason = "the one reading of the system clock"
    )]
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that stands still until moved; shared by clones so a test can move it while the
/// station holds it.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    pub fn at(instant: DateTime<Utc>) -> ManualClock {
        ManualClock(Arc::new(AtomicI64::new(instant.timestamp())))
    }

    /// A clock at a China Standard Time wall-clock reading, e.g. `cst_at(2026, 11, 27, 23, 59, 59)`.
    pub fn at_cst(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> ManualClock {
        let local = cst()
            .with_ymd_and_hms(y, mo, d, h, mi, s)
            .single()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        ManualClock::at(local)
    }

    pub fn set(&self, instant: DateTime<Utc>) {
        self.0.store(instant.timestamp(), Ordering::SeqCst);
    }

    pub fn advance_secs(&self, secs: i64) {
        self.0.fetch_add(secs, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        DateTime::from_timestamp(self.0.load(Ordering::SeqCst), 0).unwrap_or_default()
    }
}

/// The calendar day (CST) of an instant given in Unix seconds.
pub fn cst_day(unix: i64) -> NaiveDate {
    to_cst(unix).date_naive()
}

pub fn to_cst(unix: i64) -> DateTime<FixedOffset> {
    DateTime::from_timestamp(unix, 0)
        .unwrap_or_default()
        .with_timezone(&cst())
}

/// `2026-12-27 10:30` in CST, as printed on cards and shown on screen.
pub fn format_cst_minute(unix: i64) -> String {
    to_cst(unix).format("%Y-%m-%d %H:%M").to_string()
}

/// `2026-12-27 10:30:05 +08:00`.
pub fn format_cst_second(unix: i64) -> String {
    to_cst(unix).format("%Y-%m-%d %H:%M:%S %:z").to_string()
}

/// `2026-12-27 10:30` (CST), for messages.
pub fn cst_text(unix: i64) -> String {
    format_cst_minute(unix)
}

/// How far a clock is off, in plain Chinese: `快2小时5分钟` / `慢3天`.
pub fn span_zh(offset_secs: i64) -> String {
    // `offset_secs` is the hub's clock minus this one: positive when this clock is slow.
    let way = if offset_secs > 0 { "慢" } else { "快" };
    let s = offset_secs.unsigned_abs();
    let (d, h, m) = (s / 86_400, (s % 86_400) / 3600, (s % 3600) / 60);
    let text = match (d, h, m) {
        (0, 0, m) => format!("{}分钟", m.max(1)),
        (0, h, 0) => format!("{h}小时"),
        (0, h, m) => format!("{h}小时{m}分钟"),
        (d, 0, _) => format!("{d}天"),
        (d, h, _) => format!("{d}天{h}小时"),
    };
    format!("{way}{text}")
}

/// How far a clock is off, in plain English: `2 h 5 min fast` / `3 days slow`.
pub fn span_en(offset_secs: i64) -> String {
    let way = if offset_secs > 0 { "slow" } else { "fast" };
    let s = offset_secs.unsigned_abs();
    let (d, h, m) = (s / 86_400, (s % 86_400) / 3600, (s % 3600) / 60);
    let text = match (d, h, m) {
        (0, 0, m) => format!("{} min", m.max(1)),
        (0, h, 0) => format!("{h} h"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, 0, _) => format!("{d} days"),
        (d, h, _) => format!("{d} days {h} h"),
    };
    format!("{text} {way}")
}
