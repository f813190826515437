//! The embedded SQLite backend (the default): one file, WAL, foreign keys on, `synchronous =
//! FULL` (a district's renewals must survive a power cut).
//!
//! rusqlite is synchronous, so every operation runs on tokio's blocking pool. Writes go through
//! one connection (SQLite has a single writer anyway, and `BEGIN IMMEDIATE` makes each page's
//! read-decide-write atomic); reads use a small pool of extra connections, which WAL lets run
//! beside the writer.

mod keys;
mod page;
mod schema;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use nac_protocol::{
    AuditAnchor, Change, IssuedCode, PersonKey, RevokedSerial, TrustEntry, PHONE_CHANNEL,
};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use super::rows::{corrupt, principal, revoked, trust_entry};
use super::rules::{decide_page, CheckedEvent, PageKeys};
use super::{
    EnrolRefusal, Enrolment, HubSecrets, KeyRotation, NewStation, Page, Principal, PurgeReport,
    RetiredKey, RotateRefusal, Rotated, StationRecord, StationStatus, Store, StoreError,
    NONCE_RETENTION_SECS, RECORD_RETENTION_SECS,
};

pub use schema::MIGRATIONS;

const READERS: usize = 4;

/// A hub database in one SQLite file.
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    secrets: HubSecrets,
}

fn connect(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA foreign_keys = ON;",
    )?;
    Ok(conn)
}

fn poisoned<T>(_: T) -> StoreError {
    StoreError::Task("a storage thread panicked while holding the connection".into())
}

impl SqliteStore {
    /// Opens the database file at `path`, creating and migrating it if needed, and creating the
    /// hub's secrets on first use.
    pub async fn open(path: impl AsRef<Path>, now: i64) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        tokio::task::spawn_blocking(move || Self::open_blocking(path, now))
            .await
            .map_err(|e| StoreError::Task(e.to_string()))?
    }

    fn open_blocking(path: PathBuf, now: i64) -> Result<Self, StoreError> {
        let mut conn = connect(&path)?;
        schema::migrate(&mut conn, now)?;
        let secrets = init_secrets(&mut conn, now)?;
        Ok(Self {
            inner: Arc::new(Inner {
                path,
                writer: Mutex::new(conn),
                readers: Mutex::new(Vec::new()),
                secrets,
            }),
        })
    }

    /// Runs `f` on the writer connection, on the blocking pool.
    async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = inner.writer.lock().map_err(poisoned)?;
            f(&mut conn)
        })
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?
    }

    /// Runs `f` on a reader connection, on the blocking pool.
    async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let pooled = inner.readers.lock().map_err(poisoned)?.pop();
            let mut conn = match pooled {
                Some(conn) => conn,
                None => connect(&inner.path)?,
            };
            let result = f(&mut conn);
            let mut readers = inner.readers.lock().map_err(poisoned)?;
            if readers.len() < READERS {
                readers.push(conn);
            }
            result
        })
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?
    }
}

/// Creates the secrets, the phone gateway principal and the phone issuer's trust entry on a
/// fresh database; loads the secrets otherwise.
fn init_secrets(conn: &mut Connection, now: i64) -> Result<HubSecrets, StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let exists: Option<String> = tx
        .query_row(
            "SELECT value FROM meta WHERE key = 'district_secret'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    if exists.is_none() {
        let secrets = HubSecrets::generate().map_err(StoreError::Schema)?;
        for (key, value) in secrets.to_meta() {
            tx.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)",
                params![key, value],
            )?;
        }
        let gateway = secrets.phone_gateway.public_key();
        tx.execute(
            "INSERT INTO principals (id, kind, name, area, status, public_key, kid, created_at, enrolled_at)
             VALUES (?1, 'gateway', 'phone gateway', '', 'active', ?2, ?3, ?4, ?4)",
            params![PHONE_CHANNEL, gateway.to_string(), gateway.kid().to_string(), now],
        )?;
        let issuer = secrets.phone_issuer.public_key();
        tx.execute(
            "INSERT INTO trust (kid, station, public_key, status) VALUES (?1, ?2, ?3, 'active')",
            params![issuer.kid().to_string(), PHONE_CHANNEL, issuer.to_string()],
        )?;
    }
    let mut meta = std::collections::HashMap::new();
    {
        let mut stmt = tx.prepare("SELECT key, value FROM meta")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        for row in rows {
            let (k, v) = row?;
            meta.insert(k, v);
        }
    }
    tx.commit()?;
    HubSecrets::from_meta(|k| meta.get(k).cloned()).map_err(StoreError::Schema)
}

fn station_record(r: &rusqlite::Row<'_>) -> rusqlite::Result<(StationRecord, String)> {
    let status: String = r.get(3)?;
    Ok((
        StationRecord {
            id: r.get(0)?,
            name: r.get(1)?,
            area: r.get(2)?,
            status: StationStatus::Pending,
            kid: r.get(4)?,
            device_name: r.get(5)?,
            created_at: r.get(6)?,
            enrolled_at: r.get(7)?,
        },
        status,
    ))
}

impl Store for SqliteStore {
    fn hub_secrets(&self) -> &HubSecrets {
        &self.inner.secrets
    }

    async fn add_station(&self, new: NewStation) -> Result<StationRecord, StoreError> {
        self.write(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute(
                "INSERT INTO principals (id, kind, name, area, status, created_at)
                 VALUES (?1, 'station', ?2, ?3, 'pending', ?4)",
                params![new.id, new.name, new.area, new.now],
            )?;
            tx.execute(
                "INSERT INTO enrolment_codes (code_hash, station_id, expires_at) VALUES (?1, ?2, ?3)",
                params![new.code_hash, new.id, new.code_expires_at],
            )?;
            tx.commit()?;
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
        })
        .await
    }

    async fn list_stations(&self) -> Result<Vec<StationRecord>, StoreError> {
        self.read(|conn| {
            let mut stmt = conn.prepare(
                "SELECT id, name, area, status, kid, device_name, created_at, enrolled_at
                 FROM principals WHERE kind = 'station' ORDER BY pos",
            )?;
            let rows = stmt.query_map([], station_record)?;
            let mut out = Vec::new();
            for row in rows {
                let (mut record, status) = row?;
                record.status = StationStatus::parse(&status).ok_or_else(|| corrupt(&status))?;
                out.push(record);
            }
            Ok(out)
        })
        .await
    }

    async fn enable_station(&self, id: &str) -> Result<bool, StoreError> {
        let id = id.to_owned();
        self.write(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let n = tx.execute(
                "UPDATE principals
                 SET status = CASE WHEN public_key IS NULL THEN 'pending' ELSE 'active' END
                 WHERE id = ?1 AND kind = 'station' AND status = 'disabled'",
                params![id],
            )?;
            tx.execute(
                "UPDATE trust SET status = 'active' WHERE station = ?1",
                params![id],
            )?;
            tx.commit()?;
            Ok(n == 1)
        })
        .await
    }

    async fn disable_station(&self, id: &str) -> Result<bool, StoreError> {
        let id = id.to_owned();
        self.write(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let n = tx.execute(
                "UPDATE principals SET status = 'disabled' WHERE id = ?1 AND kind = 'station'",
                params![id],
            )?;
            tx.execute(
                "UPDATE trust SET status = 'disabled' WHERE station = ?1",
                params![id],
            )?;
            tx.commit()?;
            Ok(n == 1)
        })
        .await
    }

    async fn enrol(&self, e: Enrolment) -> Result<Result<String, EnrolRefusal>, StoreError> {
        self.write(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let code: Option<(String, i64, Option<i64>)> = tx
                .query_row(
                    "SELECT station_id, expires_at, used_at FROM enrolment_codes WHERE code_hash = ?1",
                    params![e.code_hash],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            let Some((station, expires_at, used_at)) = code else {
                return Ok(Err(EnrolRefusal::Unknown));
            };
            if used_at.is_some() {
                return Ok(Err(EnrolRefusal::AlreadyUsed));
            }
            if e.now >= expires_at {
                return Ok(Err(EnrolRefusal::Expired));
            }
            let status: String = tx.query_row(
                "SELECT status FROM principals WHERE id = ?1",
                params![station],
                |r| r.get(0),
            )?;
            if status != "pending" {
                return Ok(Err(EnrolRefusal::StationDisabled));
            }
            let key = e.public_key.to_string();
            if keys::key_in_use(&tx, &key)? {
                return Ok(Err(EnrolRefusal::KeyInUse));
            }
            let kid = e.public_key.kid().to_string();
            tx.execute(
                "UPDATE enrolment_codes SET used_at = ?1 WHERE code_hash = ?2",
                params![e.now, e.code_hash],
            )?;
            tx.execute(
                "UPDATE principals SET status = 'active', public_key = ?1, kid = ?2,
                        device_name = ?3, enrolled_at = ?4
                 WHERE id = ?5",
                params![key, kid, e.device_name, e.now, station],
            )?;
            tx.execute(
                "INSERT INTO trust (kid, station, public_key, status) VALUES (?1, ?2, ?3, 'active')",
                params![kid, station, key],
            )?;
            tx.commit()?;
            Ok(Ok(station))
        })
        .await
    }

    async fn principal(&self, id: &str) -> Result<Option<Principal>, StoreError> {
        let id = id.to_owned();
        self.read(move |conn| {
            type Row = (String, String, String, Option<String>, Option<String>);
            let row: Option<Row> = conn
                .prepare_cached(
                    "SELECT p.id, p.kind, p.status, p.public_key, r.public_key FROM principals p
                     LEFT JOIN retired_keys r ON r.station = p.id AND r.retired_at IS NULL
                     WHERE p.id = ?1",
                )?
                .query_row(params![id], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                })
                .optional()?;
            row.map(|(id, kind, status, key, previous)| {
                principal(id, &kind, &status, key.as_deref(), previous.as_deref())
            })
            .transpose()
        })
        .await
    }

    async fn remember_nonce(
        &self,
        principal: &str,
        nonce: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let (principal, nonce) = (principal.to_owned(), nonce.to_owned());
        self.write(move |conn| {
            let n = conn
                .prepare_cached(
                    "INSERT OR IGNORE INTO nonces (principal, nonce, seen_at) VALUES (?1, ?2, ?3)",
                )?
                .execute(params![principal, nonce, now])?;
            Ok(n == 1)
        })
        .await
    }

    async fn push(
        &self,
        station: &str,
        events: Vec<CheckedEvent>,
        now: i64,
    ) -> Result<Vec<String>, StoreError> {
        let station = station.to_owned();
        self.write(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let mut state = page::load(&tx, &PageKeys::of(&events))?;
            let (answers, writes) = decide_page(&station, &events, &mut state, now)?;
            page::write(&tx, &writes)?;
            tx.commit()?;
            Ok(answers)
        })
        .await
    }

    async fn subscribe(
        &self,
        station: &str,
        keys: Vec<PersonKey>,
    ) -> Result<(u64, Vec<IssuedCode>), StoreError> {
        let station = station.to_owned();
        self.write(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let mut added = 0u64;
            let mut sorted: Vec<&str> = keys.iter().map(PersonKey::as_str).collect();
            sorted.sort_unstable();
            sorted.dedup();
            let mut active = Vec::new();
            {
                let mut insert = tx.prepare_cached(
                    "INSERT OR IGNORE INTO subscriptions (station, person_key) VALUES (?1, ?2)",
                )?;
                for key in &sorted {
                    added += insert.execute(params![station, key])? as u64;
                    if let Some(code) = page::active_code(&tx, key)? {
                        active.push(code);
                    }
                }
            }
            tx.commit()?;
            Ok((added, active))
        })
        .await
    }

    async fn pull(
        &self,
        station: &str,
        since: i64,
        limit: usize,
    ) -> Result<Page<Change>, StoreError> {
        let station = station.to_owned();
        self.read(move |conn| {
            let tx = conn.transaction()?;
            let mut stmt = tx.prepare_cached(
                "SELECT c.seq, c.kind, c.person_key, c.serial, c.by_serial, c.reason,
                        a.channel, a.issued_at, a.expires_at, a.kid, a.credential
                 FROM changes c
                 JOIN subscriptions s ON s.station = ?1 AND s.person_key = c.person_key
                 JOIN applications a ON a.serial = c.serial
                 WHERE c.seq > ?2 ORDER BY c.seq LIMIT ?3",
            )?;
            let mut rows = stmt.query(params![station, since, limit as i64 + 1])?;
            let mut items = Vec::new();
            let mut last = since;
            let mut more = false;
            while let Some(r) = rows.next()? {
                if items.len() == limit {
                    more = true;
                    break;
                }
                last = r.get(0)?;
                items.push(page::change_from_row(r)?);
            }
            drop(rows);
            drop(stmt);
            let next = if more { last } else { max_seq(&tx)?.max(since) };
            Ok(Page { items, next, more })
        })
        .await
    }

    async fn trust_entries(
        &self,
        since: i64,
        limit: usize,
    ) -> Result<Page<TrustEntry>, StoreError> {
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT pos, kid, station, public_key, status FROM trust
                 WHERE pos > ?1 ORDER BY pos LIMIT ?2",
            )?;
            let mut rows = stmt.query(params![since, limit as i64 + 1])?;
            let mut items = Vec::new();
            let (mut next, mut more) = (since, false);
            while let Some(r) = rows.next()? {
                if items.len() == limit {
                    more = true;
                    break;
                }
                next = r.get(0)?;
                let (kid, station, key, status): (String, String, String, String) =
                    (r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?);
                items.push(trust_entry(&kid, station, &key, &status)?);
            }
            Ok(Page { items, next, more })
        })
        .await
    }

    async fn revocations(
        &self,
        since: i64,
        limit: usize,
    ) -> Result<Page<RevokedSerial>, StoreError> {
        self.read(move |conn| {
            let tx = conn.transaction()?;
            let mut stmt = tx.prepare_cached(
                "SELECT seq, serial, kind FROM changes
                 WHERE kind <> 'issued' AND seq > ?1 ORDER BY seq LIMIT ?2",
            )?;
            let mut rows = stmt.query(params![since, limit as i64 + 1])?;
            let mut items = Vec::new();
            let (mut last, mut more) = (since, false);
            while let Some(r) = rows.next()? {
                if items.len() == limit {
                    more = true;
                    break;
                }
                last = r.get(0)?;
                let kind: String = r.get(2)?;
                items.push(revoked(r.get(1)?, &kind)?);
            }
            drop(rows);
            drop(stmt);
            let next = if more { last } else { max_seq(&tx)?.max(since) };
            Ok(Page { items, next, more })
        })
        .await
    }

    async fn rotate_key(
        &self,
        r: KeyRotation,
    ) -> Result<Result<Rotated, RotateRefusal>, StoreError> {
        self.write(move |conn| keys::rotate(conn, &r)).await
    }

    async fn retired_keys(&self, station: &str) -> Result<Vec<RetiredKey>, StoreError> {
        let station = station.to_owned();
        self.read(move |conn| keys::retired(conn, &station)).await
    }

    async fn retire_previous_key(&self, station: &str, now: i64) -> Result<(), StoreError> {
        let station = station.to_owned();
        self.write(move |conn| keys::retire_previous(conn, &station, now))
            .await
    }

    async fn add_audit_anchor(&self, station: &str, a: AuditAnchor) -> Result<bool, StoreError> {
        let station = station.to_owned();
        self.write(move |conn| keys::add_anchor(conn, &station, &a))
            .await
    }

    async fn audit_anchors(
        &self,
        station: &str,
        limit: usize,
    ) -> Result<Vec<AuditAnchor>, StoreError> {
        let station = station.to_owned();
        self.read(move |conn| keys::anchors(conn, &station, limit))
            .await
    }

    async fn purge(&self, now: i64) -> Result<PurgeReport, StoreError> {
        self.write(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let records = tx.execute(
                "DELETE FROM event_records WHERE received_at < ?1",
                params![now.saturating_sub(RECORD_RETENTION_SECS)],
            )? as u64;
            let nonces = tx.execute(
                "DELETE FROM nonces WHERE seen_at < ?1",
                params![now.saturating_sub(NONCE_RETENTION_SECS)],
            )? as u64;
            tx.commit()?;
            Ok(PurgeReport { records, nonces })
        })
        .await
    }

    async fn dump(&self) -> Result<String, StoreError> {
        self.read(|conn| {
            let tx = conn.transaction()?;
            let mut out = String::new();
            for (table, order) in DUMPED_TABLES {
                let mut stmt = tx.prepare(&format!("SELECT * FROM {table} ORDER BY {order}"))?;
                let columns = stmt.column_count();
                let mut rows = stmt.query([])?;
                while let Some(r) = rows.next()? {
                    out.push_str(table);
                    for i in 0..columns {
                        out.push('|');
                        match r.get_ref(i)? {
                            rusqlite::types::ValueRef::Null => out.push_str("NULL"),
                            rusqlite::types::ValueRef::Integer(n) => out.push_str(&n.to_string()),
                            rusqlite::types::ValueRef::Real(f) => out.push_str(&f.to_string()),
                            rusqlite::types::ValueRef::Text(t) => {
                                out.push_str(&String::from_utf8_lossy(t))
                            }
                            rusqlite::types::ValueRef::Blob(b) => out.push_str(&hex::encode(b)),
                        }
                    }
                    out.push('\n');
                }
            }
            Ok(out)
        })
        .await
    }
}

/// The tables that make up the hub's state, with a total order for each (nonces and secrets
/// are not state a refused request could change meaningfully, and are left out).
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

fn max_seq(conn: &Connection) -> Result<i64, StoreError> {
    Ok(
        conn.query_row("SELECT COALESCE(MAX(seq), 0) FROM changes", [], |r| {
            r.get(0)
        })?,
    )
}
