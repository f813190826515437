//! The station behind its passphrase.
//!
//! The station file is encrypted (see `nac_core::store`), so the app starts with nothing
//! open: the start screen asks for the passphrase (or, with no station file yet, for the one
//! that will protect it), derives the key once (Argon2id) and opens the [`Host`] with it.
//! Until then every command answers `locked` and nothing of the station is shown. A demo
//! (fictional residents, a published passphrase) opens without asking.
//!
//! Wrong passphrases slow down: after the third in a row each answer waits twice as long as
//! the one before (2 s, 4 s, … up to 60 s), on top of the derivation itself.

use crate::error::AppResult;
use crate::host::{EventSink, Host};
use crate::view::{ApiError, AppInfo, Lang, UnlockForm, UnlockState, UnlockStatus};
use nac_core::store::{self, DatabaseKey, FileKind, Passphrase};
use nac_core::Clock;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

/// Wrong passphrases answered at once before the waits start.
const FREE_ATTEMPTS: u32 = 3;
/// The longest wait between attempts.
const MAX_WAIT: Duration = Duration::from_secs(60);

/// Runs once the station is open (the window title, automatic sync…).
type OnOpen = Box<dyn Fn(&Host) + Send + Sync>;

pub struct Gate {
    data_file: PathBuf,
    clock: Arc<dyn Clock>,
    emitter: Arc<dyn EventSink>,
    host: RwLock<Option<Host>>,
    wrong: Mutex<u32>,
    /// Serialises unlock attempts (one derivation at a time).
    unlocking: Mutex<()>,
    on_open: OnOpen,
}

impl Gate {
    /// A gate in front of the station at `data_file`, still closed.
    pub fn new(
        data_file: &Path,
        clock: Arc<dyn Clock>,
        emitter: Arc<dyn EventSink>,
        on_open: impl Fn(&Host) + Send + Sync + 'static,
    ) -> Gate {
        Gate {
            data_file: data_file.to_path_buf(),
            clock,
            emitter,
            host: RwLock::new(None),
            wrong: Mutex::new(0),
            unlocking: Mutex::new(()),
            on_open: Box::new(on_open),
        }
    }

    /// Opens a demo file straight away with its published passphrase.
    pub fn open_demo(&self) -> AppResult<Host> {
        let key = nac_core::demo::key(&self.data_file)?;
        self.open_with(&key)
    }

    /// The open station, or `locked`.
    pub fn host(&self) -> Result<Host, ApiError> {
        self.host
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .ok_or_else(|| ApiError {
                code: "locked".into(),
                message: match self.lang() {
                    Lang::Zh => "站点已锁定，请输入口令".into(),
                    Lang::En => "the station is locked; enter the passphrase".into(),
                },
                fields: Vec::new(),
            })
    }

    fn lang(&self) -> Lang {
        crate::host::read_language(&nac_core::files::prefs_file(&self.data_file))
    }

    pub fn status(&self) -> UnlockStatus {
        let open = self.host.read().map(|h| h.is_some()).unwrap_or(false);
        let state = if open {
            UnlockState::Open
        } else if matches!(store::file_kind(&self.data_file), Ok(FileKind::Missing)) {
            UnlockState::New
        } else {
            UnlockState::Locked
        };
        UnlockStatus {
            state,
            language: self.lang(),
            data_file: self.data_file.display().to_string(),
            min_passphrase_chars: store::MIN_PASSPHRASE_CHARS as u32,
            wait_seconds: wait_after(*self.wrong.lock().unwrap_or_else(|p| p.into_inner()))
                .as_secs() as u32,
        }
    }

    /// Derives the key from the passphrase and opens the station (a new one is created with
    /// it). Wrong: `wrong_passphrase`, after the wait the attempts have earned.
    pub fn unlock(&self, form: &UnlockForm) -> Result<AppInfo, ApiError> {
        let lang = self.lang();
        let _one_at_a_time = self.unlocking.lock().unwrap_or_else(|p| p.into_inner());
        if let Ok(host) = self.host() {
            return crate::api::station::app_info(&host).map_err(|e| e.to_api(lang));
        }
        let passphrase = Passphrase::new(form.passphrase.as_str());
        let opened = self.derive_and_open(&passphrase);
        match opened {
            Ok(host) => {
                *self.wrong.lock().unwrap_or_else(|p| p.into_inner()) = 0;
                crate::api::station::app_info(&host).map_err(|e| e.to_api(lang))
            }
            Err(e) => {
                let api = e.to_api(lang);
                if api.code == "wrong_passphrase" {
                    let wait = {
                        let mut wrong = self.wrong.lock().unwrap_or_else(|p| p.into_inner());
                        *wrong += 1;
                        wait_after(*wrong)
                    };
                    std::thread::sleep(wait);
                }
                Err(api)
            }
        }
    }

    fn derive_and_open(&self, passphrase: &Passphrase) -> AppResult<Host> {
        let kind = store::file_kind(&self.data_file).map_err(nac_core::Error::from)?;
        if kind == FileKind::Missing {
            passphrase.check_new().map_err(nac_core::Error::from)?;
        }
        let key =
            DatabaseKey::for_file(&self.data_file, passphrase).map_err(nac_core::Error::from)?;
        self.open_with(&key)
    }

    fn open_with(&self, key: &DatabaseKey) -> AppResult<Host> {
        let host = Host::open(
            &self.data_file,
            key,
            self.clock.clone(),
            self.emitter.clone(),
        )?;
        *self.host.write().unwrap_or_else(|p| p.into_inner()) = Some(host.clone());
        (self.on_open)(&host);
        Ok(host)
    }
}

/// The wait before answering after `wrong` wrong passphrases in a row.
pub fn wait_after(wrong: u32) -> Duration {
    if wrong < FREE_ATTEMPTS {
        return Duration::ZERO;
    }
    let doubling = (wrong - FREE_ATTEMPTS).min(6);
    Duration::from_secs(2u64 << doubling).min(MAX_WAIT)
}
