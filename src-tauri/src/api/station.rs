//! The station itself: identity, settings, counts. Reads use a reader
//! connection (see `host`); only saving settings takes the writer.

use crate::error::AppResult;
use crate::host::Host;
use crate::view::{AppInfo, BackupDone, Counts, KeepUnlockedForm, Lang, Settings};

pub fn app_info(host: &Host) -> AppResult<AppInfo> {
    let (info, idle_lock_minutes, keep_printed_days) = {
        let reader = host.reader();
        (
            reader.info()?,
            reader.idle_lock_minutes()?,
            reader.keep_printed_days()?,
        )
    };
    Ok(AppInfo {
        station_id: info.station_id,
        station_name: info.station_name,
        expiring_days: info.expiring_days,
        volunteer: info.volunteer,
        language: host.lang(),
        data_file: host.data_file().display().to_string(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        demo: info.demo,
        role: host
            .signed_in()
            .map(|who| who.role.as_str())
            .unwrap_or("volunteer")
            .to_string(),
        idle_lock_seconds: crate::host::idle_lock_seconds(idle_lock_minutes),
        idle_lock_minutes,
        keep_printed_days,
        kept_until: host.kept_until().map(format_until),
    })
}

/// A time the station is kept unlocked until, as the station shows times (CST).
fn format_until(until: i64) -> String {
    nac_core::time::to_cst(until)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

pub fn counts(host: &Host) -> AppResult<Counts> {
    Ok(host.reader().counts(None)?.into())
}

pub fn set_language(host: &Host, lang: Lang) -> AppResult<()> {
    host.set_lang(lang)
}

/// Saves the settings form: each value is validated by the core; the language always applies.
pub fn save_settings(host: &Host, settings: &Settings) -> AppResult<AppInfo> {
    host.set_lang(settings.language)?;
    {
        let mut station = host.station();
        if station.station_name()? != settings.station_name.trim() {
            station.set_station_name(&settings.station_name)?;
        }
        if station.expiring_days()? != settings.expiring_days {
            station.set_expiring_days(settings.expiring_days)?;
        }
        if station.idle_lock_minutes()? != settings.idle_lock_minutes {
            station.set_idle_lock_minutes(settings.idle_lock_minutes)?;
        }
        if station.keep_printed_days()? != settings.keep_printed_days {
            station.set_keep_printed_days(settings.keep_printed_days)?;
        }
    }
    host.reload_idle_lock()?;
    app_info(host)
}

/// Keeps the station unlocked in the kernel keyring until `HH:MM` today (administrators; see
/// `nac_core::keyring`): until then a restarted app asks only for a PIN, and at that time the
/// open station closes.
pub fn keep_unlocked(host: &Host, form: &KeepUnlockedForm) -> AppResult<AppInfo> {
    let mut station = host.station();
    let until = nac_core::keyring::until_today(station.now(), &form.until)
        .map_err(nac_core::keyring::KeepError::from)?;
    station.keep_unlocked(until)?;
    drop(station);
    host.set_kept_until(Some(until));
    app_info(host)
}

/// Writes an encrypted, checked backup of the station to `path` (see
/// `nac_core::store::backup`); it opens with the station passphrase.
pub fn backup(host: &Host, path: &str) -> AppResult<BackupDone> {
    let target = crate::api::files::expand_home(path.trim());
    host.station().backup(&target)?;
    let bytes = std::fs::metadata(&target).map(|m| m.len()).unwrap_or(0);
    Ok(BackupDone {
        path: target.display().to_string(),
        bytes,
    })
}

/// `station-backup-YYYYMMDD-HHMM.nacbackup` in the user's documents folder (or home).
pub fn default_backup_path(host: &Host) -> AppResult<String> {
    let now = chrono::DateTime::from_timestamp(host.reader().now(), 0)
        .unwrap_or_default()
        .with_timezone(&nac_core::time::cst());
    let dir = crate::api::files::documents_dir();
    Ok(dir
        .join(format!(
            "station-backup-{}.nacbackup",
            now.format("%Y%m%d-%H%M")
        ))
        .display()
        .to_string())
}
