//! The embedded SQLite backend (the default): one file, WAL, foreign keys on, `synchronous =
//! FULL` (a district's renewals must survive a power cut).
//!
//! rusqlite is synchronous, so every operation runs on tokio's blocking pool. Writes go through
//! one connection (SQLite has a single writer anyway, and `BEGIN IMMEDIATE` makes each page's
//! read-decide-write atomic); reads use a small pool of extra connections, which WAL lets run
//! beside the writer.
//!
//! The file and its `-wal`/`-shm` companions are private to the hub's user (0600; SQLite gives
//! the companions the main file's mode): the database holds no secret key any more, but it is
//! still the district's record of who renewed when. A looser mode is refused at start.

mod admin;
mod console;
mod keys;
mod page;
mod schema;

use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use nac_protocol::{AuditAnchor, Change, DistrictSecret, PersonKey, RevokedSerial, TrustEntry};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use super::rules::{decide_page, CheckedEvent, EpochOrder, PageKeys};
use super::{
    DistrictEvent, EnrolRefusal, Enrolled, Enrolment, Epoch, KeyRotation, LegacySecrets,
    NewStation, Page, PhoneKeys, Principal, PurgeReport, Rekey, RetiredKey, RotateRefusal, Rotated,
    StationRecord, Store, StoreError, SubscribeLimits, SubscribeRefusal, Subscribed,
};

pub(crate) use keys::with_margin;
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

/// Creates the database file private (0600) if it does not exist, and refuses the file or its
/// companions if others may read them.
fn make_private(path: &Path) -> Result<(), StoreError> {
    if !path.exists() {
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .map_err(|e| StoreError::Schema(format!("cannot create {}: {e}", path.display())))?;
    }
    let name = path.as_os_str().to_string_lossy().into_owned();
    for file in [name.clone(), format!("{name}-wal"), format!("{name}-shm")] {
        let file = Path::new(&file);
        if file.exists() {
            crate::keys::check_private(file, 0o600)
                .map_err(|e| StoreError::Schema(e.to_string()))?;
        }
    }
    Ok(())
}

impl SqliteStore {
    /// Opens the database file at `path`, creating (0600) and migrating it if needed.
    pub async fn open(path: impl AsRef<Path>, now: i64) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        tokio::task::spawn_blocking(move || Self::open_blocking(path, now))
            .await
            .map_err(|e| StoreError::Task(e.to_string()))?
    }

    fn open_blocking(path: PathBuf, now: i64) -> Result<Self, StoreError> {
        make_private(&path)?;
        let mut conn = connect(&path)?;
        schema::migrate(&mut conn, now)?;
        Ok(Self {
            inner: Arc::new(Inner {
                path,
                writer: Mutex::new(conn),
                readers: Mutex::new(Vec::new()),
            }),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
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

impl Store for SqliteStore {
    async fn legacy_secrets(&self) -> Result<Option<LegacySecrets>, StoreError> {
        self.read(|conn| admin::legacy_secrets(conn)).await
    }

    async fn seal_legacy(&self, secret: &DistrictSecret) -> Result<u64, StoreError> {
        let secret = secret.clone();
        self.write(move |conn| admin::seal_legacy(conn, &secret))
            .await
    }

    async fn phone_keys(&self) -> Result<Option<PhoneKeys>, StoreError> {
        self.read(|conn| admin::phone_keys(conn)).await
    }

    async fn init_phone_keys(&self, keys: PhoneKeys, now: i64) -> Result<(), StoreError> {
        self.write(move |conn| admin::init_phone_keys(conn, keys, now))
            .await
    }

    async fn epochs(&self) -> Result<Vec<Epoch>, StoreError> {
        self.read(|conn| admin::epochs(conn)).await
    }

    async fn new_epoch(&self, reason: &str, now: i64) -> Result<Epoch, StoreError> {
        let reason = reason.to_owned();
        self.write(move |conn| admin::new_epoch(conn, &reason, now))
            .await
    }

    async fn feed_head(&self) -> Result<i64, StoreError> {
        self.read(|conn| page::max_seq(conn)).await
    }

    async fn add_station(&self, new: NewStation) -> Result<StationRecord, StoreError> {
        self.write(move |conn| admin::add_station(conn, new)).await
    }

    async fn list_stations(&self) -> Result<Vec<StationRecord>, StoreError> {
        self.read(|conn| admin::list_stations(conn)).await
    }

    async fn disable_station(&self, id: &str, now: i64) -> Result<bool, StoreError> {
        let id = id.to_owned();
        self.write(move |conn| admin::disable_station(conn, &id, now))
            .await
    }

    async fn enable_station(&self, id: &str, now: i64) -> Result<bool, StoreError> {
        let id = id.to_owned();
        self.write(move |conn| admin::enable_station(conn, &id, now))
            .await
    }

    async fn set_max_subscriptions(&self, id: &str, max: Option<i64>) -> Result<bool, StoreError> {
        let id = id.to_owned();
        self.write(move |conn| {
            let n = conn.execute(
                "UPDATE principals SET max_subscriptions = ?2 WHERE id = ?1 AND kind = 'station'",
                params![id, max],
            )?;
            Ok(n == 1)
        })
        .await
    }

    async fn add_rekey_code(&self, r: Rekey) -> Result<Result<(), EnrolRefusal>, StoreError> {
        self.write(move |conn| admin::add_rekey_code(conn, r)).await
    }

    async fn enrol(&self, e: Enrolment) -> Result<Result<Enrolled, EnrolRefusal>, StoreError> {
        self.write(move |conn| admin::enrol(conn, e)).await
    }

    async fn principal(&self, id: &str) -> Result<Option<Principal>, StoreError> {
        let id = id.to_owned();
        self.read(move |conn| admin::principal(conn, &id)).await
    }

    async fn remember_nonce(
        &self,
        principal: &str,
        nonce: &str,
        now: i64,
        app_version: Option<&str>,
    ) -> Result<bool, StoreError> {
        let (principal, nonce) = (principal.to_owned(), nonce.to_owned());
        let app_version = app_version.map(str::to_owned);
        self.write(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let n = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO nonces (principal, nonce, seen_at) VALUES (?1, ?2, ?3)",
                )?
                .execute(params![principal, nonce, now])?;
            if n == 1 {
                tx.prepare_cached(
                    "UPDATE principals SET last_seen_at = ?2, app_version = COALESCE(?3, app_version)
                     WHERE id = ?1",
                )?
                .execute(params![principal, now, app_version])?;
            }
            tx.commit()?;
            Ok(n == 1)
        })
        .await
    }

    async fn push(
        &self,
        station: &str,
        events: Vec<CheckedEvent>,
        order: EpochOrder,
        now: i64,
    ) -> Result<Vec<String>, StoreError> {
        let station = station.to_owned();
        self.write(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let mut state = page::load(&tx, &PageKeys::of(&events))?;
            let (answers, writes) = decide_page(&station, &events, &mut state, order, now)?;
            page::write(&tx, &writes, now)?;
            tx.commit()?;
            Ok(answers)
        })
        .await
    }

    async fn subscribe(
        &self,
        station: &str,
        keys: Vec<PersonKey>,
        limits: SubscribeLimits,
        now: i64,
    ) -> Result<Result<Subscribed, SubscribeRefusal>, StoreError> {
        let station = station.to_owned();
        self.write(move |conn| page::subscribe(conn, &station, &keys, limits, now))
            .await
    }

    async fn pull(
        &self,
        station: &str,
        since: i64,
        limit: usize,
    ) -> Result<Page<Change>, StoreError> {
        let station = station.to_owned();
        self.read(move |conn| page::pull(conn, &station, since, limit))
            .await
    }

    async fn feed_tag(&self, seq: i64) -> Result<Option<String>, StoreError> {
        self.read(move |conn| {
            let row: Option<(String, String, String)> = conn
                .prepare_cached(
                    "SELECT a.kid, a.serial, c.kind FROM changes c
                     JOIN applications a ON a.id = c.application_id WHERE c.seq = ?1",
                )?
                .query_row([seq], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .optional()?;
            Ok(row.map(|(kid, serial, kind)| super::change_tag(&kid, &serial, &kind)))
        })
        .await
    }

    async fn held_applications(&self, station: &str) -> Result<u64, StoreError> {
        let station = station.to_owned();
        self.read(move |conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT count(*) FROM applications WHERE channel = ?1 AND status = 'accepted'",
                )?
                .query_row([station], |r| r.get::<_, i64>(0))? as u64)
        })
        .await
    }

    async fn trust_entries(
        &self,
        since: i64,
        limit: usize,
    ) -> Result<Page<TrustEntry>, StoreError> {
        self.read(move |conn| admin::trust_entries(conn, since, limit))
            .await
    }

    async fn revocations(
        &self,
        since: i64,
        limit: usize,
    ) -> Result<Page<RevokedSerial>, StoreError> {
        self.read(move |conn| page::revocations(conn, since, limit))
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

    async fn record_district_event(
        &self,
        kind: &str,
        station: Option<&str>,
        detail: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let (kind, station, detail) = (
            kind.to_owned(),
            station.map(str::to_owned),
            detail.to_owned(),
        );
        self.write(move |conn| admin::record_event(conn, &kind, station.as_deref(), &detail, now))
            .await
    }

    async fn district_events(
        &self,
        since: i64,
        limit: usize,
    ) -> Result<Vec<DistrictEvent>, StoreError> {
        self.read(move |conn| admin::district_events(conn, since, limit))
            .await
    }

    async fn purge(&self, now: i64) -> Result<PurgeReport, StoreError> {
        self.write(move |conn| admin::purge(conn, now)).await
    }

    async fn dump(&self) -> Result<String, StoreError> {
        self.read(admin::dump).await
    }
}
