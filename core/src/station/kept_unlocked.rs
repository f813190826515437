//! An administrator keeps the station unlocked until a time today, so a restarted app asks
//! volunteers for their PIN only (see [`crate::keyring`]); "lock now" ends it. Both are
//! administrator actions and audited, and so is every opening with the kept key.

use super::Station;
use crate::keyring::{self, KeepError, KeyringError};
use std::time::Duration;

impl Station {
    /// Keeps this station unlocked in the kernel keyring until `until` (Unix seconds, after
    /// now and within a day); administrators only, audited as `station.keep_unlocked`.
    pub fn keep_unlocked(&mut self, until: i64) -> Result<(), KeepError> {
        self.require_admin("keep the station unlocked", "保持站点解锁")?;
        let now = self.now();
        let lasting = u64::try_from(until - now)
            .ok()
            .filter(|s| *s > 0)
            .map(Duration::from_secs)
            .ok_or(KeyringError::BadEnd)?;
        keyring::keep(&self.path, &self.database_key, until, lasting)?;
        let until_text = crate::time::to_cst(until)
            .format("%Y-%m-%d %H:%M")
            .to_string();
        self.write_audited("station.keep_unlocked", &until_text, None, |_, _| Ok(()))?;
        Ok(())
    }

    /// Removes the kept key (administrators only; audited as `station.lock`). Whether a key was
    /// kept; a computer without a keyring has none.
    pub fn lock_now(&mut self) -> Result<bool, KeepError> {
        self.require_admin("lock the station", "锁定站点")?;
        let removed = match keyring::forget(&self.path) {
            Ok(removed) => removed,
            Err(KeyringError::Unavailable(_)) => false,
            Err(e) => return Err(e.into()),
        };
        let subject = if removed { "keyring" } else { "" };
        self.write_audited("station.lock", subject, None, |_, _| Ok(()))?;
        Ok(removed)
    }

    /// Records that the station was opened with the key an administrator kept (no passphrase
    /// typed), audited as `station.unlock`.
    pub fn record_kept_unlock(&mut self, until: i64) -> crate::Result<()> {
        let until_text = crate::time::to_cst(until)
            .format("keyring until %Y-%m-%d %H:%M")
            .to_string();
        self.write_audited("station.unlock", &until_text, None, |_, _| Ok(()))
    }
}
