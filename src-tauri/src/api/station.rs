//! The station itself: identity, settings, counts. Reads use a reader
//! connection (see `host`); only saving settings takes the writer.

use crate::error::AppResult;
use crate::host::Host;
use crate::view::{AppInfo, Counts, Lang, Settings};

pub fn app_info(host: &Host) -> AppResult<AppInfo> {
    let info = host.reader().info()?;
    Ok(AppInfo {
        station_id: info.station_id,
        station_name: info.station_name,
        expiring_days: info.expiring_days,
        volunteer: info.volunteer,
        language: host.lang(),
        data_file: host.data_file().display().to_string(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        demo: info.demo,
    })
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
    }
    app_info(host)
}
