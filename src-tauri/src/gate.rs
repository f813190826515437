//! The station behind its passphrase.
//!
//! The station file is encrypted (see `nac_core::store`), so the app starts with nothing
//! open: the start screen asks for the passphrase (or, with no station file yet, for the one
//! that will protect it), derives the key once (Argon2id) and opens the [`Host`] with it.
//! Until then every command answers `locked` and nothing of the station is shown. A demo
//! (fictional residents, a published passphrase) opens without asking.
//!
//! Then a volunteer signs in with their PIN (the first start creates the administrator); the
//! screen locks on demand and after the idle time, and signing in again opens it. Commands
//! answer `signed_out` meanwhile.
//!
//! Wrong passphrases slow down: after the third in a row each answer waits twice as long as
//! the one before (2 s, 4 s, … up to 60 s), on top of the derivation itself.

use crate::error::AppResult;
use crate::host::{EventSink, Host};
use crate::view::{ApiError, AppInfo, Lang, SignInForm, UnlockForm, UnlockState, UnlockStatus};
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

    /// Opens a demo file straight away with its published passphrase, signed in as its
    /// administrator.
    pub fn open_demo(&self) -> AppResult<Host> {
        let key = nac_core::demo::key(&self.data_file)?;
        let host = self.open_with(&key)?;
        host.sign_in_demo()?;
        Ok(host)
    }

    /// The open station with a volunteer signed in; else `locked` (no passphrase yet) or
    /// `signed_out` (the screen is locked).
    pub fn host(&self) -> Result<Host, ApiError> {
        let host = self.open_host()?;
        if host.signed_in().is_none() {
            return Err(ApiError {
                code: "signed_out".into(),
                message: match self.lang() {
                    Lang::Zh => "屏幕已锁定，请登录".into(),
                    Lang::En => "the screen is locked; sign in".into(),
                },
                fields: Vec::new(),
            });
        }
        Ok(host)
    }

    /// The open station, signed in or not (for signing in).
    fn open_host(&self) -> Result<Host, ApiError> {
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

    /// Signs a volunteer in with their PIN (the core counts, delays and audits wrong ones).
    pub fn sign_in(&self, form: &SignInForm) -> Result<AppInfo, ApiError> {
        let host = self.open_host()?;
        let lang = host.lang();
        host.sign_in(&form.name, &form.pin)
            .and_then(|_| crate::api::station::app_info(&host))
            .map_err(|e| e.to_api(lang))
    }

    /// Creates the first administrator (only while the station has none) and signs them in.
    pub fn create_administrator(&self, form: &SignInForm) -> Result<AppInfo, ApiError> {
        let host = self.open_host()?;
        let lang = host.lang();
        host.create_administrator(&form.name, &form.pin)
            .and_then(|_| crate::api::station::app_info(&host))
            .map_err(|e| e.to_api(lang))
    }

    /// Locks the screen (the Lock button, Ctrl+L, or the idle timer): signed out, audited.
    pub fn lock(&self, reason: &str) -> Result<(), ApiError> {
        let host = self.open_host()?;
        let reason = if reason == "idle" { "idle" } else { "lock" };
        host.sign_out(reason).map_err(|e| e.to_api(host.lang()))
    }

    fn lang(&self) -> Lang {
        crate::host::read_language(&nac_core::files::prefs_file(&self.data_file))
    }

    pub fn status(&self) -> UnlockStatus {
        let host = self.host.read().ok().and_then(|h| h.clone());
        let mut accounts = Vec::new();
        let state = match &host {
            Some(host) if host.signed_in().is_some() => UnlockState::Open,
            Some(host) => {
                let station = host.reader();
                if station.needs_administrator().unwrap_or(false) {
                    UnlockState::CreateAdmin
                } else {
                    accounts = station
                        .accounts()
                        .unwrap_or_default()
                        .into_iter()
                        .filter(|a| a.can_sign_in && !a.disabled)
                        .map(|a| a.account)
                        .collect();
                    UnlockState::SignIn
                }
            }
            None if matches!(store::file_kind(&self.data_file), Ok(FileKind::Missing)) => {
                UnlockState::New
            }
            None => UnlockState::Locked,
        };
        UnlockStatus {
            state,
            language: self.lang(),
            data_file: self.data_file.display().to_string(),
            min_passphrase_chars: store::MIN_PASSPHRASE_CHARS as u32,
            wait_seconds: wait_after(*self.wrong.lock().unwrap_or_else(|p| p.into_inner()))
                .as_secs() as u32,
            accounts,
        }
    }

    /// Derives the key from the passphrase and opens the station (a new one is created with
    /// it). Wrong: `wrong_passphrase`, after the wait the attempts have earned.
    pub fn unlock(&self, form: &UnlockForm) -> Result<AppInfo, ApiError> {
        let lang = self.lang();
        let _one_at_a_time = self.unlocking.lock().unwrap_or_else(|p| p.into_inner());
        if let Ok(host) = self.open_host() {
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
