//! The host the command bodies run against: the open station, the UI language, background jobs
//! and a way to send events to the UI. The Tauri app builds one around an `AppHandle`; tests
//! build one around a recording [`EventSink`], so every command body runs without a window.

use crate::error::AppResult;
use crate::view::{Lang, StationChanged};
use nac_core::{Clock, Station, WriteSource};
use serde::Serialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

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
    /// A second connection for the latency-critical reads (the list, search, one household):
    /// they never wait behind a slow aggregate (the building tree, the header counts) or a
    /// batch chunk on the main connection. WAL lets it read while the other writes.
    reader: Mutex<Station>,
    lang: Mutex<Lang>,
    data_file: PathBuf,
    jobs: Mutex<HashMap<u64, Arc<AtomicBool>>>,
    next_job: AtomicU64,
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
    /// Opens the station at `data_file` (created if absent) and forwards its change events.
    pub fn open(
        data_file: &Path,
        clock: Arc<dyn Clock>,
        emitter: Arc<dyn EventSink>,
    ) -> AppResult<Host> {
        if let Some(dir) = data_file.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let mut station = Station::open(data_file, clock, WriteSource::Ui)?;
        let forward = emitter.clone();
        station.set_listener(move |change| {
            let payload = serde_json::to_value(StationChanged::from(change)).unwrap_or_default();
            forward.emit(events::STATION_CHANGED, payload);
        });
        let reader = Station::open(data_file, station.clock().clone(), WriteSource::Ui)?;
        let lang = read_language(&prefs_path(data_file));
        Ok(Host {
            shared: Arc::new(Shared {
                station: Mutex::new(station),
                reader: Mutex::new(reader),
                lang: Mutex::new(lang),
                data_file: data_file.to_path_buf(),
                jobs: Mutex::new(HashMap::new()),
                next_job: AtomicU64::new(1),
            }),
            emitter,
        })
    }

    /// The station, locked for one command (a poisoned lock is recovered: the station's own
    /// transactions keep the database consistent whatever a panicking thread left behind).
    pub fn station(&self) -> MutexGuard<'_, Station> {
        self.shared
            .station
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The read connection for the list, search and household screens (see [`Shared`]).
    pub fn reader(&self) -> MutexGuard<'_, Station> {
        self.shared
            .reader
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn lang(&self) -> Lang {
        *self
            .shared
            .lang
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Switches the UI language and remembers it next to the data file.
    pub fn set_lang(&self, lang: Lang) -> AppResult<()> {
        *self
            .shared
            .lang
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = lang;
        let json = serde_json::json!({ "language": lang });
        std::fs::write(prefs_path(&self.shared.data_file), json.to_string())?;
        Ok(())
    }

    pub fn data_file(&self) -> &Path {
        &self.shared.data_file
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

/// UI preferences live next to the data file (`station.prefs.json`), so a test's temporary
/// database never inherits a language from the volunteer's real one.
fn prefs_path(data_file: &Path) -> PathBuf {
    let stem = data_file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "station".into());
    data_file.with_file_name(format!("{stem}.prefs.json"))
}

fn read_language(path: &Path) -> Lang {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|s| serde_json::from_str::<serde_json::Value>(&s).ok())
        .and_then(|v| serde_json::from_value(v.get("language")?.clone()).ok())
        .unwrap_or_default()
}
