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
//! Wrong passphrases slow down: after the third in a row the next attempt is refused until a
//! wait has passed, twice as long each time (2 s, 4 s, … up to 60 s). The count and the time
//! of the next allowed attempt are kept on disk beside the station file
//! (`station.unlock-attempts.json`, `0600`; [`nac_core::files::unlock_attempts_file`]), not
//! inside the encrypted file, which cannot be read before the passphrase is right: restarting
//! the app does not reset them. The wait comes before an attempt, not after a wrong answer,
//! so how long an answer takes says nothing about whether it was right.
//!
//! The idle lock is enforced here too ([`Host::enforce_idle_lock`]): every command but the
//! start screen's (status, passphrase, sign-in) refuses with `signed_out` once the volunteer
//! has shown no input for the idle time, even if the window's own timer never fired.
//!
//! An administrator may keep the station unlocked until a time today (the key in the kernel
//! keyring, see `nac_core::keyring`): a start before then opens with that key and asks only
//! for a PIN; at that time the open station closes (passphrase again), and "lock now" closes
//! it at once and removes the kept key.

use crate::error::{AppCode, AppError, AppResult};
use crate::host::{EventSink, Host};
use crate::view::{ApiError, AppInfo, Lang, SignInForm, UnlockForm, UnlockState, UnlockStatus};
use nac_core::store::{self, DatabaseKey, FileKind, Passphrase};
use nac_core::{Clock, ErrorCode};
use serde::{Deserialize, Serialize};
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

    /// The open station with a volunteer signed in; else `locked` (no passphrase yet, or the
    /// time it was kept unlocked until has passed) or `signed_out` (the screen is locked, or
    /// has just locked itself: no input for the idle time).
    pub fn host(&self) -> Result<Host, ApiError> {
        let host = self.open_host()?;
        let idle = host
            .enforce_idle_lock()
            .map_err(|e| e.to_api(host.lang()))?;
        if idle || host.signed_in().is_none() {
            return Err(ApiError {
                code: AppCode::SignedOut.into(),
                message: match (self.lang(), idle) {
                    (Lang::Zh, false) => "屏幕已锁定，请登录".into(),
                    (Lang::En, false) => "the screen is locked; sign in".into(),
                    (Lang::Zh, true) => "长时间无操作，屏幕已锁定，请重新登录".into(),
                    (Lang::En, true) => {
                        "the screen locked after a time without input; sign in again".into()
                    }
                },
                fields: Vec::new(),
            });
        }
        Ok(host)
    }

    /// The window saw input: the idle time starts again (refused like any command once it
    /// has passed).
    pub fn touch(&self) -> Result<(), ApiError> {
        self.host()?.touch();
        Ok(())
    }

    /// The open station, signed in or not (for signing in). One kept unlocked until a time
    /// that has passed is closed first.
    fn open_host(&self) -> Result<Host, ApiError> {
        let host = self.host.read().unwrap_or_else(|p| p.into_inner()).clone();
        let now = self.clock.now().timestamp();
        match host {
            Some(host) if host.kept_until().is_some_and(|until| now >= until) => {
                // The kernel has dropped the kept key by now (same time); make sure.
                let _ = nac_core::keyring::forget(&self.data_file);
                self.close("kept-until");
                Err(self.locked())
            }
            Some(host) => Ok(host),
            None => Err(self.locked()),
        }
    }

    fn locked(&self) -> ApiError {
        ApiError {
            code: AppCode::Locked.into(),
            message: match self.lang() {
                Lang::Zh => "站点已锁定，请输入口令".into(),
                Lang::En => "the station is locked; enter the passphrase".into(),
            },
            fields: Vec::new(),
        }
    }

    /// Closes the station: the volunteer is signed out (audited with `reason`), background
    /// loops stop, and the passphrase (or a kept key) is needed to open it again.
    fn close(&self, reason: &str) {
        let host = self.host.write().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(host) = host {
            // Signing out only writes the audit row; the station closes whatever it says.
            let _ = host.sign_out(reason);
            host.close();
        }
    }

    /// "Lock now" (administrators): removes the key kept in the keyring, if any (audited),
    /// and closes the station; the passphrase opens it again.
    pub fn lock_station(&self) -> Result<(), ApiError> {
        let host = self.host()?;
        let locked = host.station().lock_now().map_err(AppError::from);
        locked.map_err(|e| e.to_api(host.lang()))?;
        self.close("lock");
        Ok(())
    }

    /// Opens the station with a key an administrator kept in the keyring, if there is one
    /// for this file and it opens it (audited as `station.unlock`). A kept key that does not
    /// open the file (the passphrase changed since) is removed.
    fn open_kept(&self) -> Option<Host> {
        let kept = nac_core::keyring::find(&self.data_file).ok().flatten()?;
        if kept.until <= self.clock.now().timestamp() {
            let _ = nac_core::keyring::forget(&self.data_file);
            return None;
        }
        let _one_at_a_time = self.unlocking.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(host) = self.host.read().unwrap_or_else(|p| p.into_inner()).clone() {
            return Some(host);
        }
        if !matches!(
            store::file_kind(&self.data_file),
            Ok(FileKind::Encrypted(_))
        ) {
            return None;
        }
        match self.open_with_until(&kept.key, Some(kept.until)) {
            Ok(host) => {
                // The audit row is a record, not a condition of opening.
                let _ = host.station().record_kept_unlock(kept.until);
                Some(host)
            }
            Err(e) => {
                if e.code() == ErrorCode::WrongPassphrase {
                    let _ = nac_core::keyring::forget(&self.data_file);
                }
                None
            }
        }
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
        let host = self.open_host().ok().or_else(|| self.open_kept());
        if let Some(host) = &host {
            // A station left idle says so here too; the sign-in screen follows.
            let _ = host.enforce_idle_lock();
        }
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
            wait_seconds: self.wait_seconds(self.clock.now().timestamp()),
            accounts,
        }
    }

    /// Seconds before the next passphrase attempt is taken (0: now).
    fn wait_seconds(&self, now: i64) -> u32 {
        let attempts = Attempts::read(&self.attempts_file());
        u32::try_from((attempts.not_before - now).max(0)).unwrap_or(u32::MAX)
    }

    fn attempts_file(&self) -> PathBuf {
        nac_core::files::unlock_attempts_file(&self.data_file)
    }

    /// Derives the key from the passphrase and opens the station (a new one is created with
    /// it). Before the wait that earlier wrong passphrases earned has passed: `unlock_wait`,
    /// nothing derived. Wrong: `wrong_passphrase`, and the next wait is written down.
    pub fn unlock(&self, form: &UnlockForm) -> Result<AppInfo, ApiError> {
        let lang = self.lang();
        let _one_at_a_time = self.unlocking.lock().unwrap_or_else(|p| p.into_inner());
        if let Ok(host) = self.open_host() {
            return crate::api::station::app_info(&host).map_err(|e| e.to_api(lang));
        }
        let now = self.clock.now().timestamp();
        let file = self.attempts_file();
        let mut attempts = Attempts::read(&file);
        let wait = attempts.not_before - now;
        if wait > 0 {
            return Err(ApiError {
                code: AppCode::UnlockWait.into(),
                message: match lang {
                    Lang::Zh => format!("口令错误次数过多，请{wait}秒后再试"),
                    Lang::En => format!("too many wrong passphrases; try again in {wait} s"),
                },
                fields: Vec::new(),
            });
        }
        let passphrase = Passphrase::new(form.passphrase.as_str());
        match self.derive_and_open(&passphrase) {
            Ok(host) => {
                // Nothing to wait for any more; a file that cannot be removed only delays the
                // next start's first attempt.
                let _ = std::fs::remove_file(&file);
                crate::api::station::app_info(&host).map_err(|e| e.to_api(lang))
            }
            Err(e) => {
                let mut api = e.to_api(lang);
                if e.code() == ErrorCode::WrongPassphrase {
                    attempts.wrong = attempts.wrong.saturating_add(1);
                    let wait = wait_after(attempts.wrong).as_secs();
                    attempts.not_before = now.saturating_add(wait as i64);
                    // Written before the answer: killing the app now does not skip the wait.
                    if let Err(e) = attempts.write(&file) {
                        eprintln!("NAC Station: cannot record the wrong passphrase: {e}");
                    }
                    if wait > 0 {
                        api.message.push_str(&match lang {
                            Lang::Zh => format!("；请{wait}秒后再试"),
                            Lang::En => format!("; try again in {wait} s"),
                        });
                    }
                }
                Err(api)
            }
        }
    }

    fn derive_and_open(&self, passphrase: &Passphrase) -> AppResult<Host> {
        let kind = store::file_kind(&self.data_file).map_err(nac_core::Error::from)?;
        if matches!(kind, FileKind::Missing | FileKind::Plaintext) {
            passphrase.check_new(&[]).map_err(nac_core::Error::from)?;
        }
        let key =
            DatabaseKey::for_file(&self.data_file, passphrase).map_err(nac_core::Error::from)?;
        // A file from before today's key-derivation cost is rewritten with it at this open.
        let key = match store::upgrade_key(&self.data_file, &key, passphrase) {
            Ok(Some(upgraded)) => upgraded,
            Ok(None) | Err(store::StoreError::WrongPassphrase { .. }) => key,
            Err(e) => return Err(nac_core::Error::from(e).into()),
        };
        self.open_with(&key)
    }

    fn open_with(&self, key: &DatabaseKey) -> AppResult<Host> {
        self.open_with_until(key, None)
    }

    /// Opens the station with `key`; `kept_until` when the key was kept in the keyring.
    fn open_with_until(&self, key: &DatabaseKey, kept_until: Option<i64>) -> AppResult<Host> {
        let host = Host::open(
            &self.data_file,
            key,
            self.clock.clone(),
            self.emitter.clone(),
        )?;
        host.set_kept_until(kept_until);
        *self.host.write().unwrap_or_else(|p| p.into_inner()) = Some(host.clone());
        (self.on_open)(&host);
        Ok(host)
    }
}

/// Wrong passphrases in a row and when the next attempt may be made, beside the station
/// file (see the module docs).
#[derive(Debug, Default, Serialize, Deserialize)]
struct Attempts {
    wrong: u32,
    /// Unix seconds.
    not_before: i64,
}

impl Attempts {
    /// The recorded attempts; none when there is no file (or it is not ours).
    fn read(path: &Path) -> Attempts {
        std::fs::read(path)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }

    /// Replaces the file whole (a private temporary file renamed over it).
    fn write(&self, path: &Path) -> std::io::Result<()> {
        let json = serde_json::to_vec(self).map_err(std::io::Error::other)?;
        let mut temp = path.as_os_str().to_os_string();
        temp.push(".tmp");
        let temp = PathBuf::from(temp);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&temp)?;
        std::io::Write::write_all(&mut file, &json)?;
        file.sync_all()?;
        nac_core::files::set_private_mode(&temp)?;
        std::fs::rename(&temp, path)
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
