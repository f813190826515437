//! Keeping an unlocked station in the Linux kernel keyring until a set time.
//!
//! The passphrase is the administrators'; volunteers sign in with their own PIN. So that an
//! administrator need not tell the volunteers the passphrase, or come back whenever the app
//! is restarted, an administrator signed in may keep the station unlocked until a time of
//! day: the database key (the derived key and its salt, [`DatabaseKey::to_raw`]) goes into the
//! user's kernel keyring with that expiry, under a description naming the station file. An
//! app started before then opens the station with it and asks only for a PIN. "Lock now"
//! removes it.
//!
//! Why the kernel keyring (keyutils) and not a desktop secret service: it needs no daemon and
//! no desktop session (it works for a headless `nac` too), and it lives in kernel memory only
//! — a laptop powered off or rebooted keeps nothing, and the kernel removes the key itself at
//! its expiry even if no program runs then. The key is readable by programs of the same OS
//! user only (no group or world permission), as the running app's memory already is.
//!
//! The key is kept as it is, not wrapped under an administrator's PIN: the point is that a
//! restarted app needs no administrator; a PIN has a million values, so wrapping would add
//! little against someone with a shell as the station's OS user, who can read the running
//! app's memory anyway. docs/security.md ("Who knows the passphrase") says what that leaves.
//!
//! Payload: `NKU1`, the end as Unix seconds (big-endian `i64`), then the 48 raw key bytes.

use crate::error::ErrorCode;
use crate::store::DatabaseKey;
use std::path::Path;
use std::time::Duration;
use zeroize::Zeroizing;

/// The first bytes of a kept key's payload (a format version).
mod error;
pub use error::KeyringError;

const MAGIC: [u8; 4] = *b"NKU1";
/// Payload length: magic, end time, raw key.
const PAYLOAD: usize = 4 + 8 + 48;
/// The longest a station may be kept unlocked: one day.
pub const MAX_KEEP: Duration = Duration::from_secs(24 * 3600);

/// A station key found in the keyring, with the time it is kept until.
pub struct KeptKey {
    pub key: DatabaseKey,
    /// Unix seconds: the station locks at this time.
    pub until: i64,
}

impl std::fmt::Debug for KeptKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeptKey")
            .field("until", &self.until)
            .finish_non_exhaustive()
    }
}

/// The key's description: names the station file (its absolute, resolved path), so two
/// stations of one user never share a key.
pub fn description(station: &Path) -> String {
    let path = std::fs::canonicalize(station)
        .or_else(|_| std::path::absolute(station))
        .unwrap_or_else(|_| station.to_path_buf());
    format!("nac-station:{}", path.display())
}

/// Keeps `key` for the station file `station` until `until` (Unix seconds), `lasting` from
/// now (the kernel's expiry, rounded up to whole seconds). Replaces a key kept before.
pub fn keep(
    station: &Path,
    key: &DatabaseKey,
    until: i64,
    lasting: Duration,
) -> Result<(), KeyringError> {
    if lasting.is_zero() || lasting > MAX_KEEP {
        return Err(KeyringError::BadEnd);
    }
    let mut payload = Zeroizing::new([0u8; PAYLOAD]);
    payload[..4].copy_from_slice(&MAGIC);
    payload[4..12].copy_from_slice(&until.to_be_bytes());
    payload[12..].copy_from_slice(key.to_raw().as_ref());
    let seconds = lasting.as_secs() + u64::from(lasting.subsec_nanos() > 0);
    os::keep(&description(station), payload.as_ref(), seconds)
}

/// The key kept for `station`, if one is there and not expired. A payload that is not ours
/// is removed and ignored.
pub fn find(station: &Path) -> Result<Option<KeptKey>, KeyringError> {
    let description = description(station);
    let Some(payload) = os::find(&description)? else {
        return Ok(None);
    };
    if payload.len() != PAYLOAD || payload[..4] != MAGIC {
        os::forget(&description)?;
        return Ok(None);
    }
    let mut until = [0u8; 8];
    until.copy_from_slice(&payload[4..12]);
    let mut raw = Zeroizing::new([0u8; 48]);
    raw.copy_from_slice(&payload[12..]);
    Ok(Some(KeptKey {
        key: DatabaseKey::from_raw(&raw),
        until: i64::from_be_bytes(until),
    }))
}

/// Removes the key kept for `station`; whether there was one.
pub fn forget(station: &Path) -> Result<bool, KeyringError> {
    os::forget(&description(station))
}

/// Whether this computer has a kernel keyring the app can use.
pub fn available() -> Result<(), KeyringError> {
    os::available()
}

#[cfg(target_os = "linux")]
mod os {
    use super::error::KeyringError;
    use linux_keyutils::{KeyError, KeyPermissionsBuilder, KeyRing, KeyRingIdentifier, Permission};
    use zeroize::Zeroizing;

    fn user_keyring() -> Result<KeyRing, KeyringError> {
        KeyRing::from_special_id(KeyRingIdentifier::User, false).map_err(unavailable)
    }

    fn unavailable(e: KeyError) -> KeyringError {
        KeyringError::Unavailable(e.to_string())
    }

    fn refused(e: KeyError) -> KeyringError {
        KeyringError::Refused(e.to_string())
    }

    /// A key that is not there, or no longer usable.
    fn gone(e: &KeyError) -> bool {
        matches!(
            e,
            KeyError::KeyDoesNotExist | KeyError::KeyExpired | KeyError::KeyRevoked
        )
    }

    pub fn available() -> Result<(), KeyringError> {
        user_keyring()?.metadata().map_err(unavailable).map(|_| ())
    }

    pub fn keep(description: &str, payload: &[u8], seconds: u64) -> Result<(), KeyringError> {
        let ring = user_keyring()?;
        let key = ring.add_key(description, payload).map_err(refused)?;
        // This OS user only: the owner's programs may find, read and remove it; no group, no
        // world. Setting permissions needs possession (the user keyring reachable from this
        // process's session keyring); a session keyring that does not link the user keyring
        // gets the link, as systemd's "shared" key-ring mode does.
        let perms = KeyPermissionsBuilder::builder()
            .posessor(Permission::ALL)
            .user(
                Permission::VIEW
                    | Permission::READ
                    | Permission::WRITE
                    | Permission::SEARCH
                    | Permission::SETATTR,
            )
            .build();
        let seconds = usize::try_from(seconds).unwrap_or(usize::MAX);
        let attributes = |key: &linux_keyutils::Key| {
            key.set_timeout(seconds)?;
            key.set_perms(perms)
        };
        if let Err(first) = attributes(&key) {
            let linked = KeyRing::from_special_id(KeyRingIdentifier::Session, false)
                .and_then(|session| session.link_keyring_id(KeyRingIdentifier::User));
            if linked.and_then(|()| attributes(&key)).is_err() {
                // A key without its expiry must not stay behind.
                let _ = key.invalidate().or_else(|_| key.revoke());
                return Err(refused(first));
            }
        }
        Ok(())
    }

    pub fn find(description: &str) -> Result<Option<Zeroizing<Vec<u8>>>, KeyringError> {
        let ring = user_keyring()?;
        let key = match ring.search(description) {
            Ok(key) => key,
            Err(e) if gone(&e) => return Ok(None),
            Err(e) => return Err(refused(e)),
        };
        let mut buffer = Zeroizing::new(vec![0u8; 256]);
        match key.read(&mut *buffer) {
            Ok(len) if len <= buffer.len() => {
                buffer.truncate(len);
                Ok(Some(buffer))
            }
            // Longer than any payload of ours: not ours (the caller removes it).
            Ok(_) => Ok(Some(Zeroizing::new(Vec::new()))),
            Err(e) if gone(&e) => Ok(None),
            Err(e) => Err(refused(e)),
        }
    }

    pub fn forget(description: &str) -> Result<bool, KeyringError> {
        let ring = user_keyring()?;
        let mut removed = false;
        // A replaced key may still be linked elsewhere in the tree: remove every match (a
        // few at most; the bound only guards against a kernel that keeps finding one).
        for _ in 0..16 {
            let key = match ring.search(description) {
                Ok(key) => key,
                Err(e) if gone(&e) => return Ok(removed),
                Err(e) => return Err(refused(e)),
            };
            key.invalidate()
                .or_else(|_| key.revoke())
                .map_err(refused)?;
            removed = true;
        }
        Ok(removed)
    }
}

#[cfg(not(target_os = "linux"))]
mod os {
    use super::error::KeyringError;
    use zeroize::Zeroizing;

    fn unsupported() -> KeyringError {
        KeyringError::Unavailable("only on Linux".into())
    }

    pub fn available() -> Result<(), KeyringError> {
        Err(unsupported())
    }

    pub fn keep(_: &str, _: &[u8], _: u64) -> Result<(), KeyringError> {
        Err(unsupported())
    }

    pub fn find(_: &str) -> Result<Option<Zeroizing<Vec<u8>>>, KeyringError> {
        Ok(None)
    }

    pub fn forget(_: &str) -> Result<bool, KeyringError> {
        Ok(false)
    }
}

/// Why keeping a station unlocked (or locking it) failed: the station refused (not an
/// administrator) or the keyring did.
#[derive(Debug, thiserror::Error)]
pub enum KeepError {
    #[error(transparent)]
    Station(#[from] crate::Error),
    #[error(transparent)]
    Keyring(#[from] KeyringError),
}

impl KeepError {
    /// A stable code for callers that branch on the kind.
    pub fn code(&self) -> ErrorCode {
        match self {
            KeepError::Station(e) => e.code(),
            KeepError::Keyring(e) => e.code(),
        }
    }
}

impl From<rusqlite::Error> for KeepError {
    fn from(e: rusqlite::Error) -> Self {
        KeepError::Station(e.into())
    }
}

/// `HH:MM` today (China Standard Time, as every time the station shows) after `now` (Unix
/// seconds), as Unix seconds; "24:00" is midnight at the end of today.
pub fn until_today(now: i64, text: &str) -> Result<i64, KeyringError> {
    let (hours, minutes) = text.trim().split_once(':').ok_or(KeyringError::BadEnd)?;
    let hours: u32 = hours.trim().parse().map_err(|_| KeyringError::BadEnd)?;
    let minutes: u32 = minutes.trim().parse().map_err(|_| KeyringError::BadEnd)?;
    if minutes > 59 || hours > 24 || (hours == 24 && minutes > 0) {
        return Err(KeyringError::BadEnd);
    }
    let day = crate::time::cst_day(now);
    let midnight = day
        .and_hms_opt(0, 0, 0)
        .and_then(|t| t.and_local_timezone(crate::time::cst()).single())
        .ok_or(KeyringError::BadEnd)?
        .timestamp();
    let until = midnight + i64::from(hours * 3600 + minutes * 60);
    if until <= now {
        return Err(KeyringError::BadEnd);
    }
    Ok(until)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn until_today_is_a_later_time_today_in_china_standard_time() {
        // 2026-12-02 09:00 CST.
        let now = crate::ManualClock::at_cst(2026, 12, 2, 9, 0, 0);
        let now = crate::Clock::now(&now).timestamp();
        let at = |text: &str| until_today(now, text).map(|t| t - now);
        assert_eq!(at("18:00").unwrap(), 9 * 3600);
        assert_eq!(at(" 9:01 ").unwrap(), 60);
        assert_eq!(
            at("24:00").unwrap(),
            15 * 3600,
            "midnight at the end of today"
        );
        for bad in [
            "09:00", "08:59", "24:01", "18:60", "1800", "", "a:b", "-1:00",
        ] {
            assert!(
                matches!(until_today(now, bad), Err(KeyringError::BadEnd)),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_keep_longer_than_a_day_or_of_nothing_is_refused_before_the_keyring() {
        let key = DatabaseKey::from_raw(&[7u8; 48]);
        let path = Path::new("/nonexistent/station.db");
        for lasting in [Duration::ZERO, MAX_KEEP + Duration::from_secs(1)] {
            assert!(matches!(
                keep(path, &key, 0, lasting),
                Err(KeyringError::BadEnd)
            ));
        }
    }
}
