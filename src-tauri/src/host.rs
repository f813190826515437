//! The host the command bodies run against: the open station, the UI language, background jobs
//! and a way to send events to the UI. The Tauri app builds one around an `AppHandle`; tests
//! build one around a recording [`EventSink`], so every command body runs without a window.
//!
//! Connections, and who waits for whom:
//!
//! - [`Host::station`], the writer, behind a mutex: every command that writes. A long job
//!   holds it only while it writes (a batch per chunk, a print to record its job and again to
//!   mark it sent); it never holds it while rendering a PDF or talking to CUPS.
//! - [`Host::reader`], a small pool of read connections: every command that only reads (the
//!   list, search, counts, the building tree, a household, the print and sync screens). WAL
//!   lets them read while the writer writes, so the screens answer during any job.
//! - [`Host::job_station`], a connection of its own for a roster import: it reads and checks
//!   the file holding nothing, and takes the database's write lock only for the transaction
//!   that writes the rows. The writer's busy timeout ([`WRITER_BUSY_TIMEOUT`]) is long enough
//!   that a renewal clicked meanwhile waits for that transaction instead of failing.

use crate::error::AppResult;
use crate::view::{Lang, StationChanged};
use nac_core::{Clock, Station, WriteSource};
use serde::Serialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, TryLockError};
use std::time::Duration;

/// Read connections in the pool: two cores, and the list must not wait behind one slow
/// aggregate (the building tree, the header counts).
const READERS: usize = 2;

/// How long a write waits for another connection's write transaction (an import writing its
/// rows, the `nac` CLI) before it fails.
pub const WRITER_BUSY_TIMEOUT: Duration = Duration::from_secs(60);

/// Event names the UI listens to.
pub mod events {
    /// A committed change in the station ([`crate::view::StationChanged`]).
    pub const STATION_CHANGED: &str = "station-changed";
    /// Progress of a background job ([`crate::view::JobProgress`]).
    pub const JOB_PROGRESS: &str = "job-progress";
    /// A background job ended ([`crate::view::JobDone`]).
    pub const JOB_DONE: &str = "job-done";
}

/// Sends an event to the UI.
pub trait EventSink: Send + Sync + 'static {
    fn emit(&self, event: &str, payload: serde_json::Value);
}

struct Shared {
    station: Mutex<Station>,
    /// Read connections (see the module docs).
    readers: Vec<Mutex<Station>>,
    next_reader: AtomicUsize,
    clock: Arc<dyn Clock>,
    demo: bool,
    lang: Mutex<Lang>,
    data_file: PathBuf,
    /// The database key, for the connections opened later (jobs).
    key: nac_core::store::DatabaseKey,
    jobs: Mutex<HashMap<u64, Arc<AtomicBool>>>,
    next_job: AtomicU64,
    /// A sync with the hub is running (one at a time).
    syncing: AtomicBool,
    /// The volunteer signed in, if any (see `crate::gate`): nothing answers without one.
    signed_in: Mutex<Option<SignedIn>>,
    /// When the volunteer signed in last showed they are there (signing in, or input the
    /// window reported with `touch`), in milliseconds of the station clock.
    last_seen: Mutex<Option<i64>>,
    /// Seconds without input before the backend signs the volunteer out (see
    /// [`Host::enforce_idle_lock`]).
    idle_lock_seconds: AtomicU32,
    /// The station was closed (locked with the passphrase): background loops stop.
    closed: AtomicBool,
    /// Until when an administrator keeps the station unlocked (Unix seconds; see
    /// `nac_core::keyring`): the gate closes the station then.
    kept_until: Mutex<Option<i64>>,
}

/// Who is at the keyboard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    pub account: String,
    pub role: nac_core::station::Role,
}

/// Cheap to clone; background jobs take a clone into their thread.
#[derive(Clone)]
pub struct Host {
    shared: Arc<Shared>,
    emitter: Arc<dyn EventSink>,
}

/// A running job's cancel flag, removed from the host when dropped.
pub struct JobTicket {
    pub id: u64,
    cancel: Arc<AtomicBool>,
    host: Host,
}

impl JobTicket {
    pub fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::SeqCst)
    }
}

impl Drop for JobTicket {
    fn drop(&mut self) {
        self.host.jobs().remove(&self.id);
    }
}

impl Host {
    /// Opens the station at `data_file` (created if absent) with its database key and
    /// forwards its change events.
    pub fn open(
        data_file: &Path,
        key: &nac_core::store::DatabaseKey,
        clock: Arc<dyn Clock>,
        emitter: Arc<dyn EventSink>,
    ) -> AppResult<Host> {
        let mut station = Station::open(data_file, key, clock.clone(), WriteSource::Ui)?;
        station.set_busy_timeout(WRITER_BUSY_TIMEOUT)?;
        station.set_listener(forwarder(emitter.clone()));
        let readers = (0..READERS)
            .map(|_| Station::open(data_file, key, clock.clone(), WriteSource::Ui).map(Mutex::new))
            .collect::<Result<Vec<_>, _>>()?;
        let lang = read_language(&nac_core::files::prefs_file(data_file));
        let idle_lock_seconds = idle_lock_seconds(station.idle_lock_minutes()?);
        Ok(Host {
            shared: Arc::new(Shared {
                demo: station.is_demo(),
                station: Mutex::new(station),
                readers,
                next_reader: AtomicUsize::new(0),
                clock,
                lang: Mutex::new(lang),
                data_file: data_file.to_path_buf(),
                key: key.clone(),
                jobs: Mutex::new(HashMap::new()),
                next_job: AtomicU64::new(1),
                syncing: AtomicBool::new(false),
                signed_in: Mutex::new(None),
                last_seen: Mutex::new(None),
                idle_lock_seconds: AtomicU32::new(idle_lock_seconds),
                closed: AtomicBool::new(false),
                kept_until: Mutex::new(None),
            }),
            emitter,
        })
    }

    /// Seconds without input before the screen locks: `$NAC_IDLE_LOCK_SECONDS` when set
    /// (tests, kiosks), else the station setting as last read.
    pub fn idle_lock_seconds(&self) -> u32 {
        self.shared.idle_lock_seconds.load(Ordering::SeqCst)
    }

    /// Reads the idle lock setting again (after Settings saved it, at every sign-in: the
    /// `nac` CLI may have changed it).
    pub fn reload_idle_lock(&self) -> AppResult<()> {
        let minutes = self.station().idle_lock_minutes()?;
        self.shared
            .idle_lock_seconds
            .store(idle_lock_seconds(minutes), Ordering::SeqCst);
        Ok(())
    }

    fn now_ms(&self) -> i64 {
        self.shared.clock.now().timestamp_millis()
    }

    /// The station clock's now, in China Standard Time as `format` (`%Y%m%d-%H%M`): the date
    /// in default file names, so they agree with the dates on the cards.
    pub fn cst_stamp(&self, format: &str) -> String {
        nac_core::time::to_cst(self.shared.clock.now().timestamp())
            .format(format)
            .to_string()
    }

    /// The volunteer is there: the window saw input (`touch`), or they just signed in.
    pub fn touch(&self) {
        *self
            .shared
            .last_seen
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some(self.now_ms());
    }

    /// The idle lock, enforced here and not only by the window's timer (which a suspended or
    /// broken page never fires): when the volunteer signed in has shown no input for longer
    /// than the idle time, they are signed out (audited `idle`) and `true` is returned; the
    /// command that asked is refused. Commands themselves do not count as input: the screens
    /// reload by themselves after every change (a sync every few minutes), and that must not
    /// keep an unattended station signed in.
    pub fn enforce_idle_lock(&self) -> AppResult<bool> {
        if self.signed_in().is_none() {
            return Ok(false);
        }
        let last_seen = *self
            .shared
            .last_seen
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let limit_ms = i64::from(self.idle_lock_seconds()) * 1000;
        let idle = last_seen.is_none_or(|seen| self.now_ms() - seen > limit_ms);
        if !idle || self.is_demo() {
            return Ok(false);
        }
        self.sign_out("idle")?;
        Ok(true)
    }

    /// Until when the station is kept unlocked in the keyring, if it is (Unix seconds).
    pub fn kept_until(&self) -> Option<i64> {
        *self
            .shared
            .kept_until
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    pub fn set_kept_until(&self, until: Option<i64>) {
        *self
            .shared
            .kept_until
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = until;
    }

    /// Marks the station closed: background loops holding a clone of this host stop.
    pub fn close(&self) {
        self.shared.closed.store(true, Ordering::SeqCst);
    }

    /// Whether [`Host::close`] was called.
    pub fn is_closed(&self) -> bool {
        self.shared.closed.load(Ordering::SeqCst)
    }

    /// The writer, locked for one command (a poisoned lock is recovered: the station's own
    /// transactions keep the database consistent whatever a panicking thread left behind).
    pub fn station(&self) -> MutexGuard<'_, Station> {
        self.shared
            .station
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A read connection for a command that only reads: a free one if any, else the next in
    /// turn. Never use it to write (its changes would not reach the UI as events).
    pub fn reader(&self) -> MutexGuard<'_, Station> {
        for reader in &self.shared.readers {
            match reader.try_lock() {
                Ok(guard) => return guard,
                Err(TryLockError::Poisoned(poisoned)) => return poisoned.into_inner(),
                Err(TryLockError::WouldBlock) => {}
            }
        }
        let turn = self.shared.next_reader.fetch_add(1, Ordering::Relaxed);
        self.shared.readers[turn % self.shared.readers.len()]
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A connection of its own for a long job that must not hold the writer while it reads
    /// (a roster import); its changes reach the UI like the writer's.
    pub fn job_station(&self, source: WriteSource) -> nac_core::Result<Station> {
        let mut station = Station::open(
            &self.shared.data_file,
            &self.shared.key,
            self.shared.clock.clone(),
            source,
        )?;
        if let Some(who) = self.signed_in() {
            station.use_volunteer(&who.account)?;
        }
        station.set_listener(forwarder(self.emitter.clone()));
        Ok(station)
    }

    /// The volunteer signed in, if any.
    pub fn signed_in(&self) -> Option<SignedIn> {
        self.shared
            .signed_in
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Signs `name` in with their PIN (checked, counted and audited by the core) and makes
    /// every connection act as them.
    pub fn sign_in(&self, name: &str, pin: &str) -> AppResult<SignedIn> {
        let role = self.station().sign_in(name, pin)?;
        self.act_as(name, role)
    }

    /// Creates the station's first administrator and signs them in.
    pub fn create_administrator(&self, name: &str, pin: &str) -> AppResult<SignedIn> {
        let mut station = self.station();
        station.create_administrator(name, pin)?;
        let role = station.role();
        drop(station);
        self.act_as(name.trim(), role)
    }

    /// Acts as the built-in station administrator without a PIN: the demo only (its people
    /// are fictional and its passphrase is published).
    pub fn sign_in_demo(&self) -> AppResult<SignedIn> {
        if !self.is_demo() {
            return Err(nac_core::Error::NotAllowed {
                what: "skip signing in (demo only)",
                what_zh: "免登录（仅限演示）",
            }
            .into());
        }
        let name = self.station().info()?.volunteer;
        self.act_as(&name, nac_core::station::Role::Admin)
    }

    fn act_as(&self, name: &str, role: nac_core::station::Role) -> AppResult<SignedIn> {
        self.station().use_volunteer(name)?;
        for reader in &self.shared.readers {
            reader
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .use_volunteer(name)?;
        }
        let who = SignedIn {
            account: name.to_string(),
            role,
        };
        // The idle time counts from the sign-in, with the setting as it is now.
        self.touch();
        self.reload_idle_lock()?;
        *self
            .shared
            .signed_in
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some(who.clone());
        Ok(who)
    }

    /// Locks the screen: the volunteer is signed out (audited with `reason`); the station
    /// stays open for the next sign-in, background jobs go on.
    pub fn sign_out(&self, reason: &str) -> AppResult<()> {
        let was = self
            .shared
            .signed_in
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if was.is_some() {
            self.station().sign_out(reason)?;
        }
        Ok(())
    }

    /// Whether this is a demo station (fictional residents; see `nac_core::demo`).
    pub fn is_demo(&self) -> bool {
        self.shared.demo
    }

    pub fn lang(&self) -> Lang {
        *self
            .shared
            .lang
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Switches the UI language and remembers it next to the data file (owner-only, like the
    /// database).
    pub fn set_lang(&self, lang: Lang) -> AppResult<()> {
        *self
            .shared
            .lang
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = lang;
        let json = serde_json::json!({ "language": lang });
        let path = nac_core::files::prefs_file(&self.shared.data_file);
        std::fs::write(&path, json.to_string())?;
        nac_core::files::set_private_mode(&path)?;
        Ok(())
    }

    pub fn data_file(&self) -> &Path {
        &self.shared.data_file
    }

    /// Where the station's own directory `name` is (or would be), next to the data file.
    pub fn own_dir(&self, name: &str) -> PathBuf {
        self.shared
            .data_file
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .join(name)
    }

    /// A directory of the station's own next to the data file (`printed/`, `previews/`),
    /// created owner-only; one left `0755` by an older version is made owner-only too.
    pub fn private_dir(&self, name: &str) -> AppResult<PathBuf> {
        let dir = self.own_dir(name);
        nac_core::files::create_private_dir(&dir)?;
        nac_core::files::set_private_dir_mode(&dir)?;
        Ok(dir)
    }

    pub fn emit<T: Serialize>(&self, event: &str, payload: &T) {
        if let Ok(value) = serde_json::to_value(payload) {
            self.emitter.emit(event, value);
        }
    }

    fn jobs(&self) -> MutexGuard<'_, HashMap<u64, Arc<AtomicBool>>> {
        self.shared
            .jobs
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Registers a background job; its cancel flag lives as long as the ticket.
    pub fn start_job(&self) -> JobTicket {
        let id = self.shared.next_job.fetch_add(1, Ordering::SeqCst);
        let cancel = Arc::new(AtomicBool::new(false));
        self.jobs().insert(id, cancel.clone());
        JobTicket {
            id,
            cancel,
            host: self.clone(),
        }
    }

    /// Ends a job: its ticket goes first, then `job-done` is sent, so a job the UI has heard
    /// end can no longer be cancelled (`cancel_job` answers "already finished").
    pub fn finish_job<T: Serialize>(&self, ticket: JobTicket, done: &T) {
        drop(ticket);
        self.emit(events::JOB_DONE, done);
    }

    /// Whether a sync with the hub is running.
    pub fn sync_running(&self) -> bool {
        self.shared.syncing.load(Ordering::SeqCst)
    }

    /// Claims the right to sync; `None` while another sync runs. Released when dropped.
    pub fn try_begin_sync(&self) -> Option<SyncClaim> {
        self.shared
            .syncing
            .compare_exchange(false, true, Ordering::SeqCst, Ordering::SeqCst)
            .ok()
            .map(|_| SyncClaim(self.shared.clone()))
    }

    /// Asks a running job to stop after its current step; false when it has already ended.
    pub fn cancel_job(&self, id: u64) -> bool {
        match self.jobs().get(&id) {
            Some(flag) => {
                flag.store(true, Ordering::SeqCst);
                true
            }
            None => false,
        }
    }
}

/// The one running sync (see [`Host::try_begin_sync`]).
pub struct SyncClaim(Arc<Shared>);

impl Drop for SyncClaim {
    fn drop(&mut self) {
        self.0.syncing.store(false, Ordering::SeqCst);
    }
}

/// Forwards the core's change events to the UI as `station-changed`.
fn forwarder(emitter: Arc<dyn EventSink>) -> impl Fn(&nac_core::station::Change) + Send + 'static {
    move |change| {
        let payload = serde_json::to_value(StationChanged::from(change)).unwrap_or_default();
        emitter.emit(events::STATION_CHANGED, payload);
    }
}

/// The idle lock in seconds for a setting of `setting_minutes`: `$NAC_IDLE_LOCK_SECONDS` when
/// set to a positive number (tests, kiosks), else the setting.
pub fn idle_lock_seconds(setting_minutes: u32) -> u32 {
    std::env::var("NAC_IDLE_LOCK_SECONDS")
        .ok()
        .and_then(|v| v.parse::<u32>().ok())
        .filter(|s| *s > 0)
        .unwrap_or(setting_minutes.saturating_mul(60))
}

/// UI preferences live next to the data file (`station.prefs.json`,
/// [`nac_core::files::prefs_file`]), so a test's temporary database never inherits a language
/// from the volunteer's real one.
pub fn read_language(path: &Path) -> Lang {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|s| serde_json::from_str::<serde_json::Value>(&s).ok())
        .and_then(|v| serde_json::from_value(v.get("language")?.clone()).ok())
        .unwrap_or_default()
}
