//! The console's storage on SQLite (see [`crate::store::console`]).

use rusqlite::{params, Connection, OptionalExtension, Row, TransactionBehavior};

use super::SqliteStore;
use crate::store::console::{
    audit_hash, chart_days, check_audit_chain, renewals_from, AdminAccount, AdminRole, AnchorHead,
    AuditChainCheck, ConsoleSession, ConsoleStore, HubAuditEntry, NewAuditEntry, Overview,
    RejectedApplication, RejectionCount, StationActivity, StoredAdmin, AUDIT_GENESIS, CHART_DAYS,
};
use crate::store::rows::corrupt;
use crate::store::{DistrictEvent, StationStatus, StoreError};

/// A session's `last_seen_at` is written at most this often (seconds).
const TOUCH_EVERY: i64 = 60;

const ADMIN_COLUMNS: &str =
    "name, role, must_change, disabled_at, created_at, failed_signins, next_signin_at";

fn admin_at(r: &Row<'_>, at: usize) -> Result<AdminAccount, StoreError> {
    let role: String = r.get(at + 1)?;
    Ok(AdminAccount {
        name: r.get(at)?,
        role: AdminRole::parse(&role).ok_or_else(|| corrupt(&role))?,
        must_change: r.get(at + 2)?,
        disabled_at: r.get(at + 3)?,
        created_at: r.get(at + 4)?,
        failed_signins: r.get(at + 5)?,
        next_signin_at: r.get(at + 6)?,
    })
}

fn audit_row(r: &Row<'_>) -> rusqlite::Result<HubAuditEntry> {
    Ok(HubAuditEntry {
        seq: r.get(0)?,
        at: r.get(1)?,
        actor: r.get(2)?,
        action: r.get(3)?,
        subject: r.get(4)?,
        address: r.get(5)?,
        prev_hash: r.get(6)?,
        hash: r.get(7)?,
    })
}

const AUDIT_COLUMNS: &str = "seq, at, actor, action, subject, address, prev_hash, hash";

fn overview(conn: &Connection, today: i64, now: i64) -> Result<Overview, StoreError> {
    let (active, disabled, pending, never_synced, silent): (i64, i64, i64, i64, i64) = conn
        .query_row(
            "SELECT COALESCE(SUM(status = 'active'), 0), COALESCE(SUM(status = 'disabled'), 0),
                    COALESCE(SUM(status = 'pending'), 0),
                    COALESCE(SUM(status <> 'pending' AND last_seen_at IS NULL), 0),
                    COALESCE(SUM(status = 'active' AND last_seen_at < ?1), 0)
             FROM principals WHERE kind = 'station'",
            [now - 86_400],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )?;
    let rows: Vec<(String, i64, i64, i64)> = conn
        .prepare_cached(
            "SELECT channel, day, accepted, rejected FROM daily_counts
             WHERE day > ?1 AND day <= ?2",
        )?
        .query_map([today - CHART_DAYS.max(7), today], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let (today_renewals, week) = renewals_from(today, &rows);
    let oldest_sync = conn
        .query_row(
            "SELECT id, name, last_seen_at FROM principals
             WHERE kind = 'station' AND status = 'active'
             ORDER BY last_seen_at IS NOT NULL, last_seen_at, pos LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    Ok(Overview {
        active,
        disabled,
        pending,
        never_synced,
        silent,
        today: today_renewals,
        week,
        oldest_sync,
        accepted_per_day: chart_days(today, &rows),
    })
}

fn station_activity(conn: &Connection, today: i64) -> Result<Vec<StationActivity>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT p.id, p.name, p.area, p.status, p.last_seen_at, p.app_version, p.kid,
                p.enrolled_at,
                (SELECT MAX(rotated_at) FROM retired_keys r WHERE r.station = p.id),
                (SELECT received_at FROM audit_anchors a WHERE a.station = p.id
                 ORDER BY seq DESC LIMIT 1),
                COALESCE(w.accepted, 0), COALESCE(w.rejected, 0)
         FROM principals p
         LEFT JOIN (SELECT channel, SUM(accepted) AS accepted, SUM(rejected) AS rejected
                    FROM daily_counts WHERE day > ?1 AND day <= ?2 GROUP BY channel) w
                ON w.channel = p.id
         WHERE p.kind = 'station' ORDER BY p.area, p.name, p.id",
    )?;
    let mut rows = stmt.query(params![today - 7, today])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let status: String = r.get(3)?;
        out.push(StationActivity {
            id: r.get(0)?,
            name: r.get(1)?,
            area: r.get(2)?,
            status: StationStatus::parse(&status).ok_or_else(|| corrupt(&status))?,
            last_seen_at: r.get(4)?,
            app_version: r.get(5)?,
            kid: r.get(6)?,
            enrolled_at: r.get(7)?,
            rotated_at: r.get(8)?,
            anchor_at: r.get(9)?,
            accepted_7d: r.get(10)?,
            rejected_7d: r.get(11)?,
        });
    }
    Ok(out)
}

type Rejections = (Vec<RejectionCount>, Vec<RejectedApplication>);

fn rejections(conn: &Connection, since: i64, limit: usize) -> Result<Rejections, StoreError> {
    let counts = conn
        .prepare_cached(
            "SELECT day, channel, COALESCE(reason, ''), COUNT(*) FROM applications
             WHERE status = 'rejected' AND day >= ?1
             GROUP BY day, channel, reason ORDER BY day DESC, channel, reason",
        )?
        .query_map([since], |r| {
            Ok(RejectionCount {
                day: r.get(0)?,
                channel: r.get(1)?,
                reason: r.get(2)?,
                count: r.get(3)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let latest = conn
        .prepare_cached(
            "SELECT day, channel, COALESCE(reason, ''), substr(person_key, 1, 8), serial,
                    received_at
             FROM applications WHERE status = 'rejected' AND day >= ?1
             ORDER BY day DESC, id DESC LIMIT ?2",
        )?
        .query_map(params![since, limit as i64], |r| {
            Ok(RejectedApplication {
                day: r.get(0)?,
                channel: r.get(1)?,
                reason: r.get(2)?,
                person_prefix: r.get(3)?,
                serial: r.get(4)?,
                received_at: r.get(5)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok((counts, latest))
}

fn append_audit(conn: &mut Connection, e: NewAuditEntry) -> Result<HubAuditEntry, StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let (last_seq, prev_hash): (i64, String) = tx
        .query_row(
            "SELECT seq, hash FROM hub_audit ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?
        .unwrap_or((0, AUDIT_GENESIS.to_owned()));
    let seq = last_seq + 1;
    let hash = audit_hash(&prev_hash, seq, &e);
    tx.execute(
        "INSERT INTO hub_audit (seq, at, actor, action, subject, address, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![seq, e.at, e.actor, e.action, e.subject, e.address, prev_hash, hash],
    )?;
    tx.commit()?;
    Ok(HubAuditEntry {
        seq,
        at: e.at,
        actor: e.actor,
        action: e.action,
        subject: e.subject,
        address: e.address,
        prev_hash,
        hash,
    })
}

impl ConsoleStore for SqliteStore {
    fn backend_name(&self) -> &'static str {
        "SQLite"
    }

    async fn admins(&self) -> Result<Vec<AdminAccount>, StoreError> {
        self.read(|conn| {
            let mut stmt = conn.prepare(&format!(
                "SELECT {ADMIN_COLUMNS} FROM console_admins ORDER BY name"
            ))?;
            let mut rows = stmt.query([])?;
            let mut out = Vec::new();
            while let Some(r) = rows.next()? {
                out.push(admin_at(r, 0)?);
            }
            Ok(out)
        })
        .await
    }

    async fn admin(&self, name: &str) -> Result<Option<StoredAdmin>, StoreError> {
        let name = name.to_owned();
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {ADMIN_COLUMNS}, password_hash FROM console_admins WHERE name = ?1"
            ))?;
            let mut rows = stmt.query([&name])?;
            match rows.next()? {
                Some(r) => Ok(Some(StoredAdmin {
                    account: admin_at(r, 0)?,
                    password_hash: r.get(7)?,
                })),
                None => Ok(None),
            }
        })
        .await
    }

    async fn add_admin(
        &self,
        name: &str,
        role: AdminRole,
        password_hash: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let (name, hash) = (name.to_owned(), password_hash.to_owned());
        self.write(move |conn| {
            Ok(conn.execute(
                "INSERT INTO console_admins (name, role, password_hash, must_change, created_at)
                 VALUES (?1, ?2, ?3, 1, ?4) ON CONFLICT (name) DO NOTHING",
                params![name, role.as_str(), hash, now],
            )? == 1)
        })
        .await
    }

    async fn set_admin_password(
        &self,
        name: &str,
        password_hash: &str,
        must_change: bool,
        keep_session: Option<&str>,
    ) -> Result<bool, StoreError> {
        let (name, hash) = (name.to_owned(), password_hash.to_owned());
        let keep = keep_session.unwrap_or("").to_owned();
        self.write(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let n = tx.execute(
                "UPDATE console_admins SET password_hash = ?2, must_change = ?3,
                        failed_signins = 0, next_signin_at = 0
                 WHERE name = ?1",
                params![name, hash, must_change],
            )?;
            tx.execute(
                "DELETE FROM console_sessions WHERE admin = ?1 AND token_hash <> ?2",
                params![name, keep],
            )?;
            tx.commit()?;
            Ok(n == 1)
        })
        .await
    }

    async fn set_admin_disabled(
        &self,
        name: &str,
        disabled_at: Option<i64>,
    ) -> Result<bool, StoreError> {
        let name = name.to_owned();
        self.write(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let n = tx.execute(
                "UPDATE console_admins SET disabled_at = ?2 WHERE name = ?1",
                params![name, disabled_at],
            )?;
            if disabled_at.is_some() {
                tx.execute("DELETE FROM console_sessions WHERE admin = ?1", [&name])?;
            }
            tx.commit()?;
            Ok(n == 1)
        })
        .await
    }

    async fn note_signin(&self, name: &str, ok: bool, next: i64) -> Result<(), StoreError> {
        let name = name.to_owned();
        self.write(move |conn| {
            let sql = if ok {
                "UPDATE console_admins SET failed_signins = 0, next_signin_at = ?2 WHERE name = ?1"
            } else {
                "UPDATE console_admins SET failed_signins = failed_signins + 1,
                        next_signin_at = ?2 WHERE name = ?1"
            };
            conn.execute(sql, params![name, if ok { 0 } else { next }])?;
            Ok(())
        })
        .await
    }

    async fn create_session(
        &self,
        token_hash: &str,
        admin: &str,
        csrf: &str,
        address: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let args = (
            token_hash.to_owned(),
            admin.to_owned(),
            csrf.to_owned(),
            address.to_owned(),
        );
        self.write(move |conn| {
            conn.execute(
                "INSERT INTO console_sessions
                     (token_hash, admin, csrf, address, created_at, last_seen_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
                params![args.0, args.1, args.2, args.3, now],
            )?;
            Ok(())
        })
        .await
    }

    async fn session(
        &self,
        token_hash: &str,
        idle_since: i64,
        now: i64,
    ) -> Result<Option<ConsoleSession>, StoreError> {
        let hash = token_hash.to_owned();
        let found = {
            let hash = hash.clone();
            self.read(move |conn| {
                let mut stmt = conn.prepare_cached(&format!(
                    "SELECT s.csrf, s.created_at, s.last_seen_at, {}
                     FROM console_sessions s JOIN console_admins a ON a.name = s.admin
                     WHERE s.token_hash = ?1 AND s.last_seen_at >= ?2
                       AND a.disabled_at IS NULL",
                    ADMIN_COLUMNS
                        .split(", ")
                        .map(|c| format!("a.{c}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ))?;
                let mut rows = stmt.query(params![hash, idle_since])?;
                match rows.next()? {
                    Some(r) => Ok(Some(ConsoleSession {
                        csrf: r.get(0)?,
                        created_at: r.get(1)?,
                        last_seen_at: r.get(2)?,
                        admin: admin_at(r, 3)?,
                    })),
                    None => Ok(None),
                }
            })
            .await?
        };
        if let Some(session) = &found {
            if now - session.last_seen_at >= TOUCH_EVERY {
                self.write(move |conn| {
                    conn.execute(
                        "UPDATE console_sessions SET last_seen_at = ?2 WHERE token_hash = ?1",
                        params![hash, now],
                    )?;
                    Ok(())
                })
                .await?;
            }
        }
        Ok(found)
    }

    async fn end_session(&self, token_hash: &str) -> Result<(), StoreError> {
        let hash = token_hash.to_owned();
        self.write(move |conn| {
            conn.execute("DELETE FROM console_sessions WHERE token_hash = ?1", [hash])?;
            Ok(())
        })
        .await
    }

    async fn purge_sessions(&self, idle_since: i64) -> Result<u64, StoreError> {
        self.write(move |conn| {
            Ok(conn.execute(
                "DELETE FROM console_sessions WHERE last_seen_at < ?1",
                [idle_since],
            )? as u64)
        })
        .await
    }

    async fn append_audit(&self, entry: NewAuditEntry) -> Result<HubAuditEntry, StoreError> {
        self.write(move |conn| append_audit(conn, entry)).await
    }

    async fn audit_log(&self, limit: usize) -> Result<Vec<HubAuditEntry>, StoreError> {
        self.read(move |conn| {
            Ok(conn
                .prepare_cached(&format!(
                    "SELECT {AUDIT_COLUMNS} FROM hub_audit ORDER BY seq DESC LIMIT ?1"
                ))?
                .query_map([limit as i64], audit_row)?
                .collect::<rusqlite::Result<_>>()?)
        })
        .await
    }

    async fn check_audit(&self) -> Result<AuditChainCheck, StoreError> {
        self.read(|conn| {
            let rows: Vec<HubAuditEntry> = conn
                .prepare(&format!(
                    "SELECT {AUDIT_COLUMNS} FROM hub_audit ORDER BY seq"
                ))?
                .query_map([], audit_row)?
                .collect::<rusqlite::Result<_>>()?;
            Ok(check_audit_chain(&rows))
        })
        .await
    }

    async fn overview(&self, today: i64, now: i64) -> Result<Overview, StoreError> {
        self.read(move |conn| overview(conn, today, now)).await
    }

    async fn station_activity(&self, today: i64) -> Result<Vec<StationActivity>, StoreError> {
        self.read(move |conn| station_activity(conn, today)).await
    }

    async fn rejections(&self, since: i64, limit: usize) -> Result<Rejections, StoreError> {
        self.read(move |conn| rejections(conn, since, limit)).await
    }

    async fn anchor_heads(&self) -> Result<Vec<AnchorHead>, StoreError> {
        self.read(|conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT a.station, a.seq, a.hash, a.received_at FROM audit_anchors a
                     WHERE a.seq = (SELECT MAX(seq) FROM audit_anchors b
                                    WHERE b.station = a.station)
                     ORDER BY a.station",
                )?
                .query_map([], |r| {
                    Ok(AnchorHead {
                        station: r.get(0)?,
                        seq: r.get(1)?,
                        hash: r.get(2)?,
                        received_at: r.get(3)?,
                    })
                })?
                .collect::<rusqlite::Result<_>>()?)
        })
        .await
    }

    async fn recent_district_events(
        &self,
        since: i64,
        limit: usize,
    ) -> Result<Vec<DistrictEvent>, StoreError> {
        self.read(move |conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT id, at, kind, station, detail FROM district_events
                     WHERE at >= ?1 ORDER BY id DESC LIMIT ?2",
                )?
                .query_map(params![since, limit as i64], |r| {
                    Ok(DistrictEvent {
                        id: r.get(0)?,
                        at: r.get(1)?,
                        kind: r.get(2)?,
                        station: r.get(3)?,
                        detail: r.get(4)?,
                    })
                })?
                .collect::<rusqlite::Result<_>>()?)
        })
        .await
    }
}
