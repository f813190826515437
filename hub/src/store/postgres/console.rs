//! The console's storage on PostgreSQL (see [`crate::store::console`]).

use tokio_postgres::Row;

use super::PgStore;
use crate::store::console::{
    audit_hash, chart_days, check_audit_chain, renewals_from, AdminAccount, AdminRole, AnchorHead,
    AuditChainCheck, ConsoleSession, ConsoleStore, HubAuditEntry, NewAuditEntry, Overview,
    RejectedApplication, RejectionCount, StationActivity, StoredAdmin, AUDIT_GENESIS, CHART_DAYS,
};
use crate::store::rows::corrupt;
use crate::store::{DistrictEvent, StationStatus, StoreError};

/// A session's `last_seen_at` is written at most this often (seconds).
const TOUCH_EVERY: i64 = 60;

/// Held (transaction-scoped) while appending to the audit chain ("NACAUDT" in ASCII).
const AUDIT_LOCK: i64 = 0x004e_4143_4155_4454;

const ADMIN_COLUMNS: &str =
    "a.name, a.role, a.must_change, a.disabled_at, a.created_at, a.failed_signins, a.next_signin_at";

fn admin_at(r: &Row, at: usize) -> Result<AdminAccount, StoreError> {
    let role: String = r.try_get(at + 1)?;
    Ok(AdminAccount {
        name: r.try_get(at)?,
        role: AdminRole::parse(&role).ok_or_else(|| corrupt(&role))?,
        must_change: r.try_get(at + 2)?,
        disabled_at: r.try_get(at + 3)?,
        created_at: r.try_get(at + 4)?,
        failed_signins: r.try_get(at + 5)?,
        next_signin_at: r.try_get(at + 6)?,
    })
}

const AUDIT_COLUMNS: &str = "seq, at, actor, action, subject, address, prev_hash, hash";

fn audit_row(r: &Row) -> Result<HubAuditEntry, StoreError> {
    Ok(HubAuditEntry {
        seq: r.try_get(0)?,
        at: r.try_get(1)?,
        actor: r.try_get(2)?,
        action: r.try_get(3)?,
        subject: r.try_get(4)?,
        address: r.try_get(5)?,
        prev_hash: r.try_get(6)?,
        hash: r.try_get(7)?,
    })
}

type Rejections = (Vec<RejectionCount>, Vec<RejectedApplication>);

impl ConsoleStore for PgStore {
    fn backend_name(&self) -> &'static str {
        "PostgreSQL"
    }

    async fn admins(&self) -> Result<Vec<AdminAccount>, StoreError> {
        let client = self.client().await?;
        client
            .query(
                &format!("SELECT {ADMIN_COLUMNS} FROM console_admins a ORDER BY a.name"),
                &[],
            )
            .await?
            .iter()
            .map(|r| admin_at(r, 0))
            .collect()
    }

    async fn admin(&self, name: &str) -> Result<Option<StoredAdmin>, StoreError> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                &format!(
                    "SELECT {ADMIN_COLUMNS}, a.password_hash FROM console_admins a
                     WHERE a.name = $1"
                ),
                &[&name],
            )
            .await?;
        row.map(|r| {
            Ok(StoredAdmin {
                account: admin_at(&r, 0)?,
                password_hash: r.try_get(7)?,
            })
        })
        .transpose()
    }

    async fn add_admin(
        &self,
        name: &str,
        role: AdminRole,
        password_hash: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let client = self.client().await?;
        Ok(client
            .execute(
                "INSERT INTO console_admins (name, role, password_hash, must_change, created_at)
                 VALUES ($1, $2, $3, TRUE, $4) ON CONFLICT (name) DO NOTHING",
                &[&name, &role.as_str(), &password_hash, &now],
            )
            .await?
            == 1)
    }

    async fn set_admin_password(
        &self,
        name: &str,
        password_hash: &str,
        must_change: bool,
        keep_session: Option<&str>,
    ) -> Result<bool, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let n = tx
            .execute(
                "UPDATE console_admins SET password_hash = $2, must_change = $3,
                        failed_signins = 0, next_signin_at = 0
                 WHERE name = $1",
                &[&name, &password_hash, &must_change],
            )
            .await?;
        tx.execute(
            "DELETE FROM console_sessions WHERE admin = $1 AND token_hash <> $2",
            &[&name, &keep_session.unwrap_or("")],
        )
        .await?;
        tx.commit().await?;
        Ok(n == 1)
    }

    async fn set_admin_disabled(
        &self,
        name: &str,
        disabled_at: Option<i64>,
    ) -> Result<bool, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let n = tx
            .execute(
                "UPDATE console_admins SET disabled_at = $2 WHERE name = $1",
                &[&name, &disabled_at],
            )
            .await?;
        if disabled_at.is_some() {
            tx.execute("DELETE FROM console_sessions WHERE admin = $1", &[&name])
                .await?;
        }
        tx.commit().await?;
        Ok(n == 1)
    }

    async fn note_signin(&self, name: &str, ok: bool, next: i64) -> Result<(), StoreError> {
        let client = self.client().await?;
        let sql = if ok {
            "UPDATE console_admins SET failed_signins = 0, next_signin_at = $2 WHERE name = $1"
        } else {
            "UPDATE console_admins SET failed_signins = failed_signins + 1, next_signin_at = $2
             WHERE name = $1"
        };
        client
            .execute(sql, &[&name, &if ok { 0 } else { next }])
            .await?;
        Ok(())
    }

    async fn create_session(
        &self,
        token_hash: &str,
        admin: &str,
        csrf: &str,
        address: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let client = self.client().await?;
        client
            .execute(
                "INSERT INTO console_sessions
                     (token_hash, admin, csrf, address, created_at, last_seen_at)
                 VALUES ($1, $2, $3, $4, $5, $5)",
                &[&token_hash, &admin, &csrf, &address, &now],
            )
            .await?;
        Ok(())
    }

    async fn session(
        &self,
        token_hash: &str,
        idle_since: i64,
        now: i64,
    ) -> Result<Option<ConsoleSession>, StoreError> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                &format!(
                    "SELECT s.csrf, s.created_at, s.last_seen_at, {ADMIN_COLUMNS}
                     FROM console_sessions s JOIN console_admins a ON a.name = s.admin
                     WHERE s.token_hash = $1 AND s.last_seen_at >= $2
                       AND a.disabled_at IS NULL"
                ),
                &[&token_hash, &idle_since],
            )
            .await?;
        let Some(r) = row else {
            return Ok(None);
        };
        let session = ConsoleSession {
            csrf: r.try_get(0)?,
            created_at: r.try_get(1)?,
            last_seen_at: r.try_get(2)?,
            admin: admin_at(&r, 3)?,
        };
        if now - session.last_seen_at >= TOUCH_EVERY {
            client
                .execute(
                    "UPDATE console_sessions SET last_seen_at = $2 WHERE token_hash = $1",
                    &[&token_hash, &now],
                )
                .await?;
        }
        Ok(Some(session))
    }

    async fn end_session(&self, token_hash: &str) -> Result<(), StoreError> {
        let client = self.client().await?;
        client
            .execute(
                "DELETE FROM console_sessions WHERE token_hash = $1",
                &[&token_hash],
            )
            .await?;
        Ok(())
    }

    async fn purge_sessions(&self, idle_since: i64) -> Result<u64, StoreError> {
        let client = self.client().await?;
        Ok(client
            .execute(
                "DELETE FROM console_sessions WHERE last_seen_at < $1",
                &[&idle_since],
            )
            .await?)
    }

    async fn append_audit(&self, e: NewAuditEntry) -> Result<HubAuditEntry, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&AUDIT_LOCK])
            .await?;
        let last = tx
            .query_opt(
                "SELECT seq, hash FROM hub_audit ORDER BY seq DESC LIMIT 1",
                &[],
            )
            .await?;
        let (last_seq, prev_hash): (i64, String) = match last {
            Some(r) => (r.try_get(0)?, r.try_get(1)?),
            None => (0, AUDIT_GENESIS.to_owned()),
        };
        let seq = last_seq + 1;
        let hash = audit_hash(&prev_hash, seq, &e);
        tx.execute(
            "INSERT INTO hub_audit (seq, at, actor, action, subject, address, prev_hash, hash)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            &[
                &seq, &e.at, &e.actor, &e.action, &e.subject, &e.address, &prev_hash, &hash,
            ],
        )
        .await?;
        tx.commit().await?;
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

    async fn audit_log(&self, limit: usize) -> Result<Vec<HubAuditEntry>, StoreError> {
        let client = self.client().await?;
        client
            .query(
                &format!("SELECT {AUDIT_COLUMNS} FROM hub_audit ORDER BY seq DESC LIMIT $1"),
                &[&(limit as i64)],
            )
            .await?
            .iter()
            .map(audit_row)
            .collect()
    }

    async fn check_audit(&self) -> Result<AuditChainCheck, StoreError> {
        let client = self.client().await?;
        let rows = client
            .query(
                &format!("SELECT {AUDIT_COLUMNS} FROM hub_audit ORDER BY seq"),
                &[],
            )
            .await?
            .iter()
            .map(audit_row)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(check_audit_chain(&rows))
    }

    async fn overview(&self, today: i64, now: i64) -> Result<Overview, StoreError> {
        let client = self.client().await?;
        let r = client
            .query_one(
                "SELECT COUNT(*) FILTER (WHERE status = 'active'),
                        COUNT(*) FILTER (WHERE status = 'disabled'),
                        COUNT(*) FILTER (WHERE status = 'pending'),
                        COUNT(*) FILTER (WHERE status <> 'pending' AND last_seen_at IS NULL),
                        COUNT(*) FILTER (WHERE status = 'active' AND last_seen_at < $1)
                 FROM principals WHERE kind = 'station'",
                &[&(now - 86_400)],
            )
            .await?;
        let rows: Vec<(String, i64, i64, i64)> = client
            .query(
                "SELECT channel, day, accepted, rejected FROM daily_counts
                 WHERE day > $1 AND day <= $2",
                &[&(today - CHART_DAYS.max(7)), &today],
            )
            .await?
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?)))
            .collect::<Result<_, StoreError>>()?;
        let (today_renewals, week) = renewals_from(today, &rows);
        let oldest_sync = client
            .query_opt(
                "SELECT id, name, last_seen_at FROM principals
                 WHERE kind = 'station' AND status = 'active'
                 ORDER BY last_seen_at ASC NULLS FIRST, pos LIMIT 1",
                &[],
            )
            .await?
            .map(|r| Ok::<_, StoreError>((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
            .transpose()?;
        Ok(Overview {
            active: r.try_get(0)?,
            disabled: r.try_get(1)?,
            pending: r.try_get(2)?,
            never_synced: r.try_get(3)?,
            silent: r.try_get(4)?,
            today: today_renewals,
            week,
            oldest_sync,
            accepted_per_day: chart_days(today, &rows),
        })
    }

    async fn station_activity(&self, today: i64) -> Result<Vec<StationActivity>, StoreError> {
        let client = self.client().await?;
        client
            .query(
                "SELECT p.id, p.name, p.area, p.status, p.last_seen_at, p.app_version, p.kid,
                        p.enrolled_at,
                        (SELECT MAX(rotated_at) FROM retired_keys r WHERE r.station = p.id),
                        (SELECT received_at FROM audit_anchors a WHERE a.station = p.id
                         ORDER BY seq DESC LIMIT 1),
                        COALESCE(w.accepted, 0)::BIGINT, COALESCE(w.rejected, 0)::BIGINT
                 FROM principals p
                 LEFT JOIN (SELECT channel, SUM(accepted) AS accepted,
                                   SUM(rejected) AS rejected
                            FROM daily_counts WHERE day > $1 AND day <= $2
                            GROUP BY channel) w ON w.channel = p.id
                 WHERE p.kind = 'station' ORDER BY p.area, p.name, p.id",
                &[&(today - 7), &today],
            )
            .await?
            .iter()
            .map(|r| {
                let status: String = r.try_get(3)?;
                Ok(StationActivity {
                    id: r.try_get(0)?,
                    name: r.try_get(1)?,
                    area: r.try_get(2)?,
                    status: StationStatus::parse(&status).ok_or_else(|| corrupt(&status))?,
                    last_seen_at: r.try_get(4)?,
                    app_version: r.try_get(5)?,
                    kid: r.try_get(6)?,
                    enrolled_at: r.try_get(7)?,
                    rotated_at: r.try_get(8)?,
                    anchor_at: r.try_get(9)?,
                    accepted_7d: r.try_get(10)?,
                    rejected_7d: r.try_get(11)?,
                })
            })
            .collect()
    }

    async fn rejections(&self, since: i64, limit: usize) -> Result<Rejections, StoreError> {
        let client = self.client().await?;
        let counts = client
            .query(
                "SELECT day, channel, COALESCE(reason, ''), COUNT(*) FROM applications
                 WHERE status = 'rejected' AND day >= $1
                 GROUP BY day, channel, reason ORDER BY day DESC, channel, 3",
                &[&since],
            )
            .await?
            .iter()
            .map(|r| {
                Ok(RejectionCount {
                    day: r.try_get(0)?,
                    channel: r.try_get(1)?,
                    reason: r.try_get(2)?,
                    count: r.try_get(3)?,
                })
            })
            .collect::<Result<_, StoreError>>()?;
        let latest = client
            .query(
                "SELECT day, channel, COALESCE(reason, ''), substr(person_key, 1, 8), serial,
                        received_at
                 FROM applications WHERE status = 'rejected' AND day >= $1
                 ORDER BY day DESC, id DESC LIMIT $2",
                &[&since, &(limit as i64)],
            )
            .await?
            .iter()
            .map(|r| {
                Ok(RejectedApplication {
                    day: r.try_get(0)?,
                    channel: r.try_get(1)?,
                    reason: r.try_get(2)?,
                    person_prefix: r.try_get(3)?,
                    serial: r.try_get(4)?,
                    received_at: r.try_get(5)?,
                })
            })
            .collect::<Result<_, StoreError>>()?;
        Ok((counts, latest))
    }

    async fn anchor_heads(&self) -> Result<Vec<AnchorHead>, StoreError> {
        let client = self.client().await?;
        client
            .query(
                "SELECT DISTINCT ON (station) station, seq, hash, received_at
                 FROM audit_anchors ORDER BY station, seq DESC",
                &[],
            )
            .await?
            .iter()
            .map(|r| {
                Ok(AnchorHead {
                    station: r.try_get(0)?,
                    seq: r.try_get(1)?,
                    hash: r.try_get(2)?,
                    received_at: r.try_get(3)?,
                })
            })
            .collect()
    }

    async fn recent_district_events(
        &self,
        since: i64,
        limit: usize,
    ) -> Result<Vec<DistrictEvent>, StoreError> {
        let client = self.client().await?;
        client
            .query(
                "SELECT id, at, kind, station, detail FROM district_events
                 WHERE at >= $1 ORDER BY id DESC LIMIT $2",
                &[&since, &(limit as i64)],
            )
            .await?
            .iter()
            .map(|r| {
                Ok(DistrictEvent {
                    id: r.try_get(0)?,
                    at: r.try_get(1)?,
                    kind: r.try_get(2)?,
                    station: r.try_get(3)?,
                    detail: r.try_get(4)?,
                })
            })
            .collect()
    }
}
