//! What the district console reads and writes: staff accounts, sessions, the hub's own audit
//! log, and the counts its pages show.
//!
//! A second trait beside [`Store`](super::Store), with the same two backends, so the sync
//! protocol's trait does not grow with every page. Counts come from kept counters
//! (`daily_counts`, kept by a trigger in the transaction that records an application) and from
//! indexes, never from a scan of the applications: the overview and the stations page answer
//! in the same time with a thousand events or a million (docs/console.md, "Speed").

use std::future::Future;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{AnyStore, DistrictEvent, StationStatus, StoreError};

/// What a staff account may do in the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AdminRole {
    /// Everything: stations, accounts' own passwords.
    Admin,
    /// Reads every page; changes nothing (the server answers 403).
    Viewer,
}

impl AdminRole {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            AdminRole::Admin => "admin",
            AdminRole::Viewer => "viewer",
        }
    }

    /// Reads the stored form.
    pub fn parse(text: &str) -> Option<AdminRole> {
        match text {
            "admin" => Some(AdminRole::Admin),
            "viewer" => Some(AdminRole::Viewer),
            _ => None,
        }
    }
}

/// A staff account as listed (never its hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AdminAccount {
    /// Sign-in name.
    pub name: String,
    /// What it may do.
    pub role: AdminRole,
    /// The password is a one-time one: it must be changed at the next sign-in.
    pub must_change: bool,
    /// When it was disabled (unix s), while disabled.
    pub disabled_at: Option<i64>,
    /// When it was created (unix s).
    pub created_at: i64,
    /// Wrong passwords since the last good sign-in.
    pub failed_signins: i64,
    /// No sign-in is tried before this time (unix s): the account's backoff.
    pub next_signin_at: i64,
}

/// An account with its password hash, for signing in.
#[derive(Debug, Clone)]
pub struct StoredAdmin {
    /// The account.
    pub account: AdminAccount,
    /// Argon2id, as a PHC string.
    pub password_hash: String,
}

/// A signed-in session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleSession {
    /// The account.
    pub admin: AdminAccount,
    /// The token every state-changing request must carry.
    pub csrf: String,
    /// When it began and when it was last used (unix s).
    pub created_at: i64,
    /// Last request (unix s): it ends [`crate::console::IDLE_SECS`] after.
    pub last_seen_at: i64,
}

/// One row of the hub's audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HubAuditEntry {
    /// Its number, from 1.
    pub seq: i64,
    /// When (unix s).
    pub at: i64,
    /// Who: `console:NAME`, or `cli:USER` for the command line.
    pub actor: String,
    /// What, e.g. `station.disable`.
    pub action: String,
    /// On what, e.g. the station id and the reason given.
    pub subject: String,
    /// From where: the client address, or `command line on HOST`.
    pub address: String,
    /// The previous row's hash (64 zeros for the first).
    pub prev_hash: String,
    /// SHA-256 over `prev_hash` and this row's fields ([`audit_hash`]).
    pub hash: String,
}

/// A row to append to the hub's audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditEntry {
    /// When (unix s).
    pub at: i64,
    /// Who.
    pub actor: String,
    /// What.
    pub action: String,
    /// On what.
    pub subject: String,
    /// From where.
    pub address: String,
}

/// The hash before the first row.
pub const AUDIT_GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The chain hash of a row: SHA-256 (hex) of the previous hash and the row's fields, each on its
/// own line (a field holding a newline is stored with it escaped, see [`one_line`]).
pub fn audit_hash(prev_hash: &str, seq: i64, entry: &NewAuditEntry) -> String {
    let text = format!(
        "nac-hub-audit-v1\n{prev_hash}\n{seq}\n{}\n{}\n{}\n{}\n{}",
        entry.at, entry.actor, entry.action, entry.subject, entry.address
    );
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// A field as the audit log stores it: control characters shown as `\u{…}`, at most 300
/// characters, so a row is one line and a field cannot pass for two.
pub fn one_line(text: &str) -> String {
    text.chars()
        .take(300)
        .flat_map(|c| {
            if c.is_control() {
                format!("\\u{{{:x}}}", c as u32).chars().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}

/// What a walk of the audit chain found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AuditChainCheck {
    /// Rows walked.
    pub rows: i64,
    /// The first row whose hash does not follow, if any.
    pub broken_at: Option<i64>,
}

/// Checks rows (in `seq` order) against their chain.
pub fn check_audit_chain(rows: &[HubAuditEntry]) -> AuditChainCheck {
    let mut prev = AUDIT_GENESIS.to_owned();
    for (i, row) in rows.iter().enumerate() {
        let entry = NewAuditEntry {
            at: row.at,
            actor: row.actor.clone(),
            action: row.action.clone(),
            subject: row.subject.clone(),
            address: row.address.clone(),
        };
        let expected_seq = i as i64 + 1;
        if row.seq != expected_seq
            || row.prev_hash != prev
            || audit_hash(&prev, row.seq, &entry) != row.hash
        {
            return AuditChainCheck {
                rows: rows.len() as i64,
                broken_at: Some(row.seq),
            };
        }
        prev = row.hash.clone();
    }
    AuditChainCheck {
        rows: rows.len() as i64,
        broken_at: None,
    }
}

/// Accepted and rejected applications, by channel.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Renewals {
    /// Accepted, from stations.
    pub station_accepted: i64,
    /// Rejected, from stations.
    pub station_rejected: i64,
    /// Accepted, from residents' phones.
    pub phone_accepted: i64,
    /// Rejected, from residents' phones.
    pub phone_rejected: i64,
}

impl Renewals {
    fn add(&mut self, channel: &str, accepted: i64, rejected: i64) {
        if channel == nac_protocol::PHONE_CHANNEL {
            self.phone_accepted += accepted;
            self.phone_rejected += rejected;
        } else {
            self.station_accepted += accepted;
            self.station_rejected += rejected;
        }
    }
}

/// What the overview page shows (besides the alerts, from the district events).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Overview {
    /// Stations enrolled and enabled.
    pub active: i64,
    /// Stations disabled by the district.
    pub disabled: i64,
    /// Stations added but never enrolled.
    pub pending: i64,
    /// Enrolled stations that never made a request.
    pub never_synced: i64,
    /// Enabled stations silent for more than 24 hours.
    pub silent: i64,
    /// Today (CST).
    pub today: Renewals,
    /// The last 7 CST days, today included.
    pub week: Renewals,
    /// The enabled, enrolled station heard from longest ago: (id, name, last request).
    pub oldest_sync: Option<(String, String, Option<i64>)>,
    /// Accepted applications per CST day, oldest first, for the chart (every day of the range,
    /// zeros included).
    pub accepted_per_day: Vec<(i64, i64)>,
}

/// A station as the stations page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StationActivity {
    /// Hub-assigned id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Area.
    pub area: String,
    /// Lifecycle state.
    pub status: StationStatus,
    /// Its last request (unix s).
    pub last_seen_at: Option<i64>,
    /// The release it named last.
    pub app_version: Option<String>,
    /// Its key id, once enrolled.
    pub kid: Option<String>,
    /// When it enrolled (unix s).
    pub enrolled_at: Option<i64>,
    /// When it last rotated its key (unix s).
    pub rotated_at: Option<i64>,
    /// When its latest audit anchor arrived (unix s).
    pub anchor_at: Option<i64>,
    /// Applications accepted over the last 7 CST days.
    pub accepted_7d: i64,
    /// Applications rejected over the last 7 CST days.
    pub rejected_7d: i64,
}

/// Refused applications of one channel, day and reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RejectionCount {
    /// CST day number ([`nac_protocol::cst_day`]).
    pub day: i64,
    /// Station id, or `phone`.
    pub channel: String,
    /// The refusal's reason code.
    pub reason: String,
    /// How many.
    pub count: i64,
}

/// One refused application, as the console may show it: the person key only as its first 8
/// hex digits (the hub holds no identity).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RejectedApplication {
    /// CST day number.
    pub day: i64,
    /// Station id, or `phone`.
    pub channel: String,
    /// The refusal's reason code.
    pub reason: String,
    /// The first 8 hex digits of the person key.
    pub person_prefix: String,
    /// The code's serial.
    pub serial: String,
    /// When the hub received it (unix s).
    pub received_at: i64,
}

/// A station's latest audit anchor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AnchorHead {
    /// The station.
    pub station: String,
    /// Its audit log's row number.
    pub seq: i64,
    /// The row's chain hash.
    pub hash: String,
    /// When it arrived (unix s).
    pub received_at: i64,
}

/// Days of the overview's chart.
pub const CHART_DAYS: i64 = 30;

/// What the console stores. `now` and CST days come from the caller, so tests inject time.
pub trait ConsoleStore: Clone + Send + Sync + 'static {
    /// The database's kind as the overview names it (`SQLite`, `PostgreSQL`).
    fn backend_name(&self) -> &'static str;

    /// Every staff account, by name.
    fn admins(&self) -> impl Future<Output = Result<Vec<AdminAccount>, StoreError>> + Send;

    /// One account with its hash.
    fn admin(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<Option<StoredAdmin>, StoreError>> + Send;

    /// Adds an account whose password must be changed at first sign-in; `false` if the name is
    /// taken.
    fn add_admin(
        &self,
        name: &str,
        role: AdminRole,
        password_hash: &str,
        now: i64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Sets an account's password (`must_change` for a reset's one-time password), clears its
    /// backoff and ends its sessions except `keep_session` (the one that changed it);
    /// `false` if there is no such account.
    fn set_admin_password(
        &self,
        name: &str,
        password_hash: &str,
        must_change: bool,
        keep_session: Option<&str>,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Disables (with `Some(now)`) or enables an account; disabling ends its sessions.
    /// `false` if there is no such account.
    fn set_admin_disabled(
        &self,
        name: &str,
        disabled_at: Option<i64>,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Notes a sign-in: a good one clears the backoff, a bad one counts and sets the time
    /// before which the next is not tried.
    fn note_signin(
        &self,
        name: &str,
        ok: bool,
        next_signin_at: i64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Starts a session (the token's hash, never the token).
    fn create_session(
        &self,
        token_hash: &str,
        admin: &str,
        csrf: &str,
        address: &str,
        now: i64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The session with this token hash if it was used since `idle_since` and its account is
    /// enabled; marks it used at `now` (at most once a minute, to spare writes).
    fn session(
        &self,
        token_hash: &str,
        idle_since: i64,
        now: i64,
    ) -> impl Future<Output = Result<Option<ConsoleSession>, StoreError>> + Send;

    /// Ends a session.
    fn end_session(&self, token_hash: &str) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Removes sessions idle since before `idle_since`; returns how many.
    fn purge_sessions(
        &self,
        idle_since: i64,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Appends a row to the hub's audit log (chained to the last one, under a lock).
    fn append_audit(
        &self,
        entry: NewAuditEntry,
    ) -> impl Future<Output = Result<HubAuditEntry, StoreError>> + Send;

    /// The newest `limit` rows of the hub's audit log, newest first.
    fn audit_log(
        &self,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<HubAuditEntry>, StoreError>> + Send;

    /// Walks the whole audit chain.
    fn check_audit(&self) -> impl Future<Output = Result<AuditChainCheck, StoreError>> + Send;

    /// The overview's counts for CST day `today` at `now`.
    fn overview(
        &self,
        today: i64,
        now: i64,
    ) -> impl Future<Output = Result<Overview, StoreError>> + Send;

    /// Every station with its last 7 days (CST days `today - 6 ..= today`).
    fn station_activity(
        &self,
        today: i64,
    ) -> impl Future<Output = Result<Vec<StationActivity>, StoreError>> + Send;

    /// Refusals since CST day `since`: counts by day, channel and reason (newest day first),
    /// and the newest `limit` refused applications.
    fn rejections(
        &self,
        since: i64,
        limit: usize,
    ) -> impl Future<Output = Result<(Vec<RejectionCount>, Vec<RejectedApplication>), StoreError>> + Send;

    /// Each station's latest audit anchor.
    fn anchor_heads(&self) -> impl Future<Output = Result<Vec<AnchorHead>, StoreError>> + Send;

    /// The district events (see [`Store::district_events`](super::Store::district_events))
    /// at or after `since` (unix s), newest first, at most `limit`.
    fn recent_district_events(
        &self,
        since: i64,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<DistrictEvent>, StoreError>> + Send;
}

/// Accepted applications per day for the chart (`today - CHART_DAYS + 1 ..= today`, every
/// day, zeros included), summed over the channels of `(channel, day, accepted, rejected)` rows.
pub(crate) fn chart_days(today: i64, rows: &[(String, i64, i64, i64)]) -> Vec<(i64, i64)> {
    (today - CHART_DAYS + 1..=today)
        .map(|day| {
            let n = rows
                .iter()
                .filter(|(_, d, _, _)| *d == day)
                .map(|(_, _, accepted, _)| accepted)
                .sum();
            (day, n)
        })
        .collect()
}

/// Sums `(channel, day, accepted, rejected)` rows into today's and the week's renewals.
pub(crate) fn renewals_from(today: i64, rows: &[(String, i64, i64, i64)]) -> (Renewals, Renewals) {
    let (mut day, mut week) = (Renewals::default(), Renewals::default());
    for (channel, d, accepted, rejected) in rows {
        if *d == today {
            day.add(channel, *accepted, *rejected);
        }
        if *d > today - 7 && *d <= today {
            week.add(channel, *accepted, *rejected);
        }
    }
    (day, week)
}

macro_rules! delegate {
    ($self:ident, $s:ident => $e:expr) => {
        match $self {
            AnyStore::Sqlite($s) => $e,
            AnyStore::Postgres($s) => $e,
        }
    };
}

impl ConsoleStore for AnyStore {
    fn backend_name(&self) -> &'static str {
        delegate!(self, s => s.backend_name())
    }
    async fn admins(&self) -> Result<Vec<AdminAccount>, StoreError> {
        delegate!(self, s => s.admins().await)
    }
    async fn admin(&self, name: &str) -> Result<Option<StoredAdmin>, StoreError> {
        delegate!(self, s => s.admin(name).await)
    }
    async fn add_admin(
        &self,
        name: &str,
        role: AdminRole,
        hash: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        delegate!(self, s => s.add_admin(name, role, hash, now).await)
    }
    async fn set_admin_password(
        &self,
        name: &str,
        hash: &str,
        must_change: bool,
        keep: Option<&str>,
    ) -> Result<bool, StoreError> {
        delegate!(self, s => s.set_admin_password(name, hash, must_change, keep).await)
    }
    async fn set_admin_disabled(&self, name: &str, at: Option<i64>) -> Result<bool, StoreError> {
        delegate!(self, s => s.set_admin_disabled(name, at).await)
    }
    async fn note_signin(&self, name: &str, ok: bool, next: i64) -> Result<(), StoreError> {
        delegate!(self, s => s.note_signin(name, ok, next).await)
    }
    async fn create_session(
        &self,
        token_hash: &str,
        admin: &str,
        csrf: &str,
        address: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        delegate!(self, s => s.create_session(token_hash, admin, csrf, address, now).await)
    }
    async fn session(
        &self,
        token_hash: &str,
        idle_since: i64,
        now: i64,
    ) -> Result<Option<ConsoleSession>, StoreError> {
        delegate!(self, s => s.session(token_hash, idle_since, now).await)
    }
    async fn end_session(&self, token_hash: &str) -> Result<(), StoreError> {
        delegate!(self, s => s.end_session(token_hash).await)
    }
    async fn purge_sessions(&self, idle_since: i64) -> Result<u64, StoreError> {
        delegate!(self, s => s.purge_sessions(idle_since).await)
    }
    async fn append_audit(&self, entry: NewAuditEntry) -> Result<HubAuditEntry, StoreError> {
        delegate!(self, s => s.append_audit(entry).await)
    }
    async fn audit_log(&self, limit: usize) -> Result<Vec<HubAuditEntry>, StoreError> {
        delegate!(self, s => s.audit_log(limit).await)
    }
    async fn check_audit(&self) -> Result<AuditChainCheck, StoreError> {
        delegate!(self, s => s.check_audit().await)
    }
    async fn overview(&self, today: i64, now: i64) -> Result<Overview, StoreError> {
        delegate!(self, s => s.overview(today, now).await)
    }
    async fn station_activity(&self, today: i64) -> Result<Vec<StationActivity>, StoreError> {
        delegate!(self, s => s.station_activity(today).await)
    }
    async fn rejections(
        &self,
        since: i64,
        limit: usize,
    ) -> Result<(Vec<RejectionCount>, Vec<RejectedApplication>), StoreError> {
        delegate!(self, s => s.rejections(since, limit).await)
    }
    async fn anchor_heads(&self) -> Result<Vec<AnchorHead>, StoreError> {
        delegate!(self, s => s.anchor_heads().await)
    }
    async fn recent_district_events(
        &self,
        since: i64,
        limit: usize,
    ) -> Result<Vec<DistrictEvent>, StoreError> {
        delegate!(self, s => s.recent_district_events(since, limit).await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(n: i64) -> NewAuditEntry {
        NewAuditEntry {
            at: 1_000 + n,
            actor: "console:li".into(),
            action: "station.disable".into(),
            subject: format!("ST-{n}"),
            address: "127.0.0.1".into(),
        }
    }

    fn chain(n: i64) -> Vec<HubAuditEntry> {
        let mut prev = AUDIT_GENESIS.to_owned();
        (1..=n)
            .map(|seq| {
                let e = entry(seq);
                let hash = audit_hash(&prev, seq, &e);
                let row = HubAuditEntry {
                    seq,
                    at: e.at,
                    actor: e.actor,
                    action: e.action,
                    subject: e.subject,
                    address: e.address,
                    prev_hash: prev.clone(),
                    hash: hash.clone(),
                };
                prev = hash;
                row
            })
            .collect()
    }

    #[test]
    fn an_edited_or_dropped_audit_row_breaks_the_chain_there() {
        let rows = chain(5);
        assert_eq!(check_audit_chain(&rows).broken_at, None);
        let mut edited = rows.clone();
        edited[2].subject = "ST-other".into();
        assert_eq!(check_audit_chain(&edited).broken_at, Some(3));
        let mut dropped = rows.clone();
        dropped.remove(1);
        assert_eq!(check_audit_chain(&dropped).broken_at, Some(3));
    }

    #[test]
    fn a_field_with_a_newline_cannot_pass_for_two() {
        assert_eq!(one_line("a\nb"), "a\\u{a}b");
        assert_eq!(one_line(&"x".repeat(400)).len(), 300);
    }

    #[test]
    fn the_week_is_today_and_the_six_days_before() {
        let rows = vec![
            ("ST-A".to_owned(), 100, 2, 1),
            ("phone".to_owned(), 100, 3, 0),
            ("ST-A".to_owned(), 94, 5, 0),
            ("ST-A".to_owned(), 93, 7, 0),
        ];
        let (today, week) = renewals_from(100, &rows);
        assert_eq!((today.station_accepted, today.station_rejected), (2, 1));
        assert_eq!(today.phone_accepted, 3);
        assert_eq!(week.station_accepted, 7, "day 93 is 7 days back: outside");
        let days = chart_days(
            100,
            &[
                ("ST-A".to_owned(), 99, 3, 0),
                ("phone".to_owned(), 99, 1, 0),
            ],
        );
        assert_eq!(days.len(), CHART_DAYS as usize);
        assert_eq!(days.last(), Some(&(100, 0)));
        assert_eq!(days[days.len() - 2], (99, 4));
    }
}
