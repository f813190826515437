//! The PostgreSQL backend (production): a deadpool of tokio-postgres connections.
//!
//! Concurrency, unlike SQLite, is real here, so a page of events takes, in its transaction:
//! advisory locks on its person keys (sorted, so two pages cannot deadlock on them) — two
//! stations renewing the same person queue up instead of both reading "no application today";
//! then, only for appending to the change feed, one global advisory lock held until commit, so
//! change sequence numbers become visible in order and a pull cursor never skips a change that
//! commits late. A page that loses a race to a constraint (the same event id pushed by two
//! stations at once) or to a deadlock is retried from the start; the constraints themselves
//! (R2's primary key, R3's partial unique index) refuse anything the locks would miss.

mod keys;
mod page;
mod schema;

use deadpool_postgres::{Config, Pool, PoolConfig, Runtime};
use nac_protocol::{
    AuditAnchor, Change, IssuedCode, PersonKey, RevokedSerial, TrustEntry, PHONE_CHANNEL,
};
use tokio_postgres::error::SqlState;
use tokio_postgres::{IsolationLevel, NoTls};

use super::rows::{corrupt, principal, revoked, trust_entry};
use super::rules::{decide_page, CheckedEvent, PageKeys};
use super::{
    EnrolRefusal, Enrolment, HubSecrets, KeyRotation, NewStation, Page, Principal, PurgeReport,
    RetiredKey, RotateRefusal, Rotated, StationRecord, StationStatus, Store, StoreError,
    NONCE_RETENTION_SECS, RECORD_RETENTION_SECS,
};

pub use schema::MIGRATIONS;

/// How many times a page that lost a race is retried before the push fails with 500.
const MAX_ATTEMPTS: usize = 8;

/// A hub database on a PostgreSQL server.
#[derive(Clone)]
pub struct PgStore {
    pool: Pool,
    secrets: std::sync::Arc<HubSecrets>,
}

fn pool_error(e: impl std::fmt::Display) -> StoreError {
    StoreError::Pool(e.to_string())
}

/// Whether a failed page should be retried (lost a race rather than broke a rule).
fn is_race(e: &StoreError) -> bool {
    match e {
        StoreError::Postgres(e) => matches!(
            e.code(),
            Some(c) if *c == SqlState::UNIQUE_VIOLATION
                || *c == SqlState::T_R_SERIALIZATION_FAILURE
                || *c == SqlState::T_R_DEADLOCK_DETECTED
        ),
        _ => false,
    }
}

impl PgStore {
    /// Connects to `url` (`postgres://user@host:port/db`), migrating the schema and creating the
    /// hub's secrets on first use.
    pub async fn connect(url: &str, now: i64) -> Result<Self, StoreError> {
        let mut cfg = Config::new();
        cfg.url = Some(url.to_owned());
        cfg.pool = Some(PoolConfig::new(16));
        let pool = cfg
            .create_pool(Some(Runtime::Tokio1), NoTls)
            .map_err(pool_error)?;
        let mut client = pool.get().await.map_err(pool_error)?;
        client
            .execute("SELECT pg_advisory_lock($1)", &[&schema::MIGRATION_LOCK])
            .await?;
        let prepared = async {
            schema::migrate(&mut client, now).await?;
            init_secrets(&mut client, now).await
        }
        .await;
        client
            .execute("SELECT pg_advisory_unlock($1)", &[&schema::MIGRATION_LOCK])
            .await?;
        let secrets = prepared?;
        drop(client);
        Ok(Self {
            pool,
            secrets: std::sync::Arc::new(secrets),
        })
    }

    async fn client(&self) -> Result<deadpool_postgres::Object, StoreError> {
        self.pool.get().await.map_err(pool_error)
    }
}

async fn init_secrets(
    client: &mut tokio_postgres::Client,
    now: i64,
) -> Result<HubSecrets, StoreError> {
    let tx = client.transaction().await?;
    let exists = tx
        .query_opt("SELECT value FROM meta WHERE key = 'district_secret'", &[])
        .await?;
    if exists.is_none() {
        let secrets = HubSecrets::generate().map_err(StoreError::Schema)?;
        for (key, value) in secrets.to_meta() {
            tx.execute(
                "INSERT INTO meta (key, value) VALUES ($1, $2)",
                &[&key, &value],
            )
            .await?;
        }
        let gateway = secrets.phone_gateway.public_key();
        tx.execute(
            "INSERT INTO principals (id, kind, name, area, status, public_key, kid, created_at, enrolled_at)
             VALUES ($1, 'gateway', 'phone gateway', '', 'active', $2, $3, $4, $4)",
            &[&PHONE_CHANNEL, &gateway.to_string(), &gateway.kid().to_string(), &now],
        )
        .await?;
        let issuer = secrets.phone_issuer.public_key();
        tx.execute(
            "INSERT INTO trust (kid, station, public_key, status) VALUES ($1, $2, $3, 'active')",
            &[
                &issuer.kid().to_string(),
                &PHONE_CHANNEL,
                &issuer.to_string(),
            ],
        )
        .await?;
    }
    let rows = tx.query("SELECT key, value FROM meta", &[]).await?;
    tx.commit().await?;
    let mut meta = std::collections::HashMap::new();
    for row in rows {
        meta.insert(row.try_get::<_, String>(0)?, row.try_get::<_, String>(1)?);
    }
    HubSecrets::from_meta(|k| meta.get(k).cloned()).map_err(StoreError::Schema)
}

impl Store for PgStore {
    fn hub_secrets(&self) -> &HubSecrets {
        &self.secrets
    }

    async fn add_station(&self, new: NewStation) -> Result<StationRecord, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        tx.execute(
            "INSERT INTO principals (id, kind, name, area, status, created_at)
             VALUES ($1, 'station', $2, $3, 'pending', $4)",
            &[&new.id, &new.name, &new.area, &new.now],
        )
        .await?;
        tx.execute(
            "INSERT INTO enrolment_codes (code_hash, station_id, expires_at) VALUES ($1, $2, $3)",
            &[&new.code_hash, &new.id, &new.code_expires_at],
        )
        .await?;
        tx.commit().await?;
        Ok(StationRecord {
            id: new.id,
            name: new.name,
            area: new.area,
            status: StationStatus::Pending,
            kid: None,
            device_name: None,
            created_at: new.now,
            enrolled_at: None,
        })
    }

    async fn list_stations(&self) -> Result<Vec<StationRecord>, StoreError> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT id, name, area, status, kid, device_name, created_at, enrolled_at
                 FROM principals WHERE kind = 'station' ORDER BY pos",
                &[],
            )
            .await?;
        rows.iter()
            .map(|r| {
                let status: String = r.try_get(3)?;
                Ok(StationRecord {
                    id: r.try_get(0)?,
                    name: r.try_get(1)?,
                    area: r.try_get(2)?,
                    status: StationStatus::parse(&status).ok_or_else(|| corrupt(&status))?,
                    kid: r.try_get(4)?,
                    device_name: r.try_get(5)?,
                    created_at: r.try_get(6)?,
                    enrolled_at: r.try_get(7)?,
                })
            })
            .collect()
    }

    async fn enable_station(&self, id: &str) -> Result<bool, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let n = tx
            .execute(
                "UPDATE principals
                 SET status = CASE WHEN public_key IS NULL THEN 'pending' ELSE 'active' END
                 WHERE id = $1 AND kind = 'station' AND status = 'disabled'",
                &[&id],
            )
            .await?;
        tx.execute(
            "UPDATE trust SET status = 'active' WHERE station = $1",
            &[&id],
        )
        .await?;
        tx.commit().await?;
        Ok(n == 1)
    }

    async fn disable_station(&self, id: &str) -> Result<bool, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let n = tx
            .execute(
                "UPDATE principals SET status = 'disabled' WHERE id = $1 AND kind = 'station'",
                &[&id],
            )
            .await?;
        tx.execute(
            "UPDATE trust SET status = 'disabled' WHERE station = $1",
            &[&id],
        )
        .await?;
        tx.commit().await?;
        Ok(n == 1)
    }

    async fn enrol(&self, e: Enrolment) -> Result<Result<String, EnrolRefusal>, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let Some(code) = tx
            .query_opt(
                "SELECT station_id, expires_at, used_at FROM enrolment_codes
                 WHERE code_hash = $1 FOR UPDATE",
                &[&e.code_hash],
            )
            .await?
        else {
            return Ok(Err(EnrolRefusal::Unknown));
        };
        let station: String = code.try_get(0)?;
        let expires_at: i64 = code.try_get(1)?;
        let used_at: Option<i64> = code.try_get(2)?;
        if used_at.is_some() {
            return Ok(Err(EnrolRefusal::AlreadyUsed));
        }
        if e.now >= expires_at {
            return Ok(Err(EnrolRefusal::Expired));
        }
        let status: String = tx
            .query_one(
                "SELECT status FROM principals WHERE id = $1 FOR UPDATE",
                &[&station],
            )
            .await?
            .try_get(0)?;
        if status != "pending" {
            return Ok(Err(EnrolRefusal::StationDisabled));
        }
        let key = e.public_key.to_string();
        if keys::key_in_use(&tx, &key).await? {
            return Ok(Err(EnrolRefusal::KeyInUse));
        }
        let kid = e.public_key.kid().to_string();
        tx.execute(
            "UPDATE enrolment_codes SET used_at = $1 WHERE code_hash = $2",
            &[&e.now, &e.code_hash],
        )
        .await?;
        tx.execute(
            "UPDATE principals SET status = 'active', public_key = $1, kid = $2,
                    device_name = $3, enrolled_at = $4
             WHERE id = $5",
            &[&key, &kid, &e.device_name, &e.now, &station],
        )
        .await?;
        tx.execute(
            "INSERT INTO trust (kid, station, public_key, status) VALUES ($1, $2, $3, 'active')",
            &[&kid, &station, &key],
        )
        .await?;
        tx.commit().await?;
        Ok(Ok(station))
    }

    async fn principal(&self, id: &str) -> Result<Option<Principal>, StoreError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(
                "SELECT p.id, p.kind, p.status, p.public_key, r.public_key FROM principals p
                 LEFT JOIN retired_keys r ON r.station = p.id AND r.retired_at IS NULL
                 WHERE p.id = $1",
            )
            .await?;
        let Some(r) = client.query_opt(&stmt, &[&id]).await? else {
            return Ok(None);
        };
        let key: Option<String> = r.try_get(3)?;
        let previous: Option<String> = r.try_get(4)?;
        principal(
            r.try_get(0)?,
            &r.try_get::<_, String>(1)?,
            &r.try_get::<_, String>(2)?,
            key.as_deref(),
            previous.as_deref(),
        )
        .map(Some)
    }

    async fn remember_nonce(&self, p: &str, nonce: &str, now: i64) -> Result<bool, StoreError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(
                "INSERT INTO nonces (principal, nonce, seen_at) VALUES ($1, $2, $3)
                 ON CONFLICT DO NOTHING",
            )
            .await?;
        Ok(client.execute(&stmt, &[&p, &nonce, &now]).await? == 1)
    }

    async fn push(
        &self,
        station: &str,
        events: Vec<CheckedEvent>,
        now: i64,
    ) -> Result<Vec<String>, StoreError> {
        let keys = PageKeys::of(&events);
        let mut client = self.client().await?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = async {
                let tx = client.transaction().await?;
                page::lock_persons(&tx, &keys).await?;
                let mut state = page::load(&tx, &keys).await?;
                let (answers, writes) = decide_page(station, &events, &mut state, now)?;
                page::write(&tx, &writes).await?;
                tx.commit().await?;
                Ok::<_, StoreError>(answers)
            }
            .await;
            match result {
                Err(e) if attempt < MAX_ATTEMPTS && is_race(&e) => {
                    tracing::debug!(attempt, "push page lost a race; retrying");
                    continue;
                }
                other => return other,
            }
        }
    }

    async fn subscribe(
        &self,
        station: &str,
        keys: Vec<PersonKey>,
    ) -> Result<(u64, Vec<IssuedCode>), StoreError> {
        let mut keys: Vec<String> = keys.iter().map(|k| k.as_str().to_owned()).collect();
        keys.sort_unstable();
        keys.dedup();
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let added = tx
            .execute(
                "INSERT INTO subscriptions (station, person_key)
                 SELECT $1, k FROM unnest($2::text[]) AS k ON CONFLICT DO NOTHING",
                &[&station, &keys],
            )
            .await?;
        let active = page::active_codes(&tx, &keys).await?;
        tx.commit().await?;
        Ok((added, active))
    }

    async fn pull(
        &self,
        station: &str,
        since: i64,
        limit: usize,
    ) -> Result<Page<Change>, StoreError> {
        let mut client = self.client().await?;
        let tx = client
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await?;
        let stmt = tx
            .prepare_cached(
                "SELECT c.seq, c.kind, c.person_key, c.serial, c.by_serial, c.reason,
                        a.channel, a.issued_at, a.expires_at, a.kid, a.credential
                 FROM changes c
                 JOIN subscriptions s ON s.station = $1 AND s.person_key = c.person_key
                 JOIN applications a ON a.serial = c.serial
                 WHERE c.seq > $2 ORDER BY c.seq LIMIT $3",
            )
            .await?;
        let rows = tx
            .query(&stmt, &[&station, &since, &(limit as i64 + 1)])
            .await?;
        let more = rows.len() > limit;
        let mut items = Vec::with_capacity(rows.len().min(limit));
        let mut last = since;
        for r in rows.iter().take(limit) {
            last = r.try_get(0)?;
            items.push(page::change_from_row(r)?);
        }
        let next = if more {
            last
        } else {
            page::max_seq(&tx).await?.max(since)
        };
        tx.commit().await?;
        Ok(Page { items, next, more })
    }

    async fn trust_entries(
        &self,
        since: i64,
        limit: usize,
    ) -> Result<Page<TrustEntry>, StoreError> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT pos, kid, station, public_key, status FROM trust
                 WHERE pos > $1 ORDER BY pos LIMIT $2",
                &[&since, &(limit as i64 + 1)],
            )
            .await?;
        let more = rows.len() > limit;
        let mut items = Vec::new();
        let mut next = since;
        for r in rows.iter().take(limit) {
            next = r.try_get(0)?;
            items.push(trust_entry(
                &r.try_get::<_, String>(1)?,
                r.try_get(2)?,
                &r.try_get::<_, String>(3)?,
                &r.try_get::<_, String>(4)?,
            )?);
        }
        Ok(Page { items, next, more })
    }

    async fn revocations(
        &self,
        since: i64,
        limit: usize,
    ) -> Result<Page<RevokedSerial>, StoreError> {
        let mut client = self.client().await?;
        let tx = client
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await?;
        let rows = tx
            .query(
                "SELECT seq, serial, kind FROM changes
                 WHERE kind <> 'issued' AND seq > $1 ORDER BY seq LIMIT $2",
                &[&since, &(limit as i64 + 1)],
            )
            .await?;
        let more = rows.len() > limit;
        let mut items = Vec::new();
        let mut last = since;
        for r in rows.iter().take(limit) {
            last = r.try_get(0)?;
            items.push(revoked(r.try_get(1)?, &r.try_get::<_, String>(2)?)?);
        }
        let next = if more {
            last
        } else {
            page::max_seq(&tx).await?.max(since)
        };
        tx.commit().await?;
        Ok(Page { items, next, more })
    }

    async fn rotate_key(
        &self,
        r: KeyRotation,
    ) -> Result<Result<Rotated, RotateRefusal>, StoreError> {
        self.rotate(&r).await
    }

    async fn retired_keys(&self, station: &str) -> Result<Vec<RetiredKey>, StoreError> {
        self.retired(station).await
    }

    async fn retire_previous_key(&self, station: &str, now: i64) -> Result<(), StoreError> {
        let client = self.client().await?;
        client
            .execute(
                "UPDATE retired_keys SET retired_at = $2 WHERE station = $1 AND retired_at IS NULL",
                &[&station, &now],
            )
            .await?;
        Ok(())
    }

    async fn add_audit_anchor(&self, station: &str, a: AuditAnchor) -> Result<bool, StoreError> {
        self.add_anchor(station, &a).await
    }

    async fn audit_anchors(
        &self,
        station: &str,
        limit: usize,
    ) -> Result<Vec<AuditAnchor>, StoreError> {
        self.anchors(station, limit).await
    }

    async fn purge(&self, now: i64) -> Result<PurgeReport, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let records = tx
            .execute(
                "DELETE FROM event_records WHERE received_at < $1",
                &[&now.saturating_sub(RECORD_RETENTION_SECS)],
            )
            .await?;
        let nonces = tx
            .execute(
                "DELETE FROM nonces WHERE seen_at < $1",
                &[&now.saturating_sub(NONCE_RETENTION_SECS)],
            )
            .await?;
        tx.commit().await?;
        Ok(PurgeReport { records, nonces })
    }

    async fn dump(&self) -> Result<String, StoreError> {
        let mut client = self.client().await?;
        let tx = client
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await?;
        let mut out = String::new();
        for (table, order) in DUMPED_TABLES {
            let rows = tx
                .query(
                    &format!("SELECT t::text FROM {table} t ORDER BY {order}"),
                    &[],
                )
                .await?;
            for r in rows {
                out.push_str(table);
                out.push('|');
                out.push_str(&r.try_get::<_, String>(0)?);
                out.push('\n');
            }
        }
        tx.commit().await?;
        Ok(out)
    }
}

/// The tables that make up the hub's state (as in the SQLite backend).
const DUMPED_TABLES: [(&str, &str); 10] = [
    ("principals", "id"),
    ("enrolment_codes", "code_hash"),
    ("trust", "pos"),
    ("applications", "serial"),
    ("active_codes", "person_key"),
    ("event_records", "event_id"),
    ("changes", "seq"),
    ("subscriptions", "station, person_key"),
    ("retired_keys", "kid"),
    ("audit_anchors", "station, seq"),
];
