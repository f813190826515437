//! How long the desktop app keeps the PDFs it sends to a printer.
//!
//! A print to a CUPS queue is rendered into `printed/` next to the station file, and that PDF
//! holds what the cards hold: full names, addresses and valid QR codes, outside the encrypted
//! station. CUPS has its own copy once the job is queued, so the app's is kept only as long as
//! this setting says (default [`DEFAULT_KEEP_PRINTED_DAYS`]; `0` removes it at the next
//! clean-up, right after the print) and removed at every start and after every print.

use super::Station;
use crate::error::Result;

/// Days a printed PDF is kept by default.
pub const DEFAULT_KEEP_PRINTED_DAYS: u32 = 7;
/// The longest retention an administrator may choose.
pub const MAX_KEEP_PRINTED_DAYS: u32 = 90;

impl Station {
    /// Days the desktop app keeps the PDFs it printed (default 7).
    pub fn keep_printed_days(&self) -> Result<u32> {
        Ok(self
            .setting(super::settings::key::KEEP_PRINTED_DAYS)?
            .and_then(|v| v.parse().ok())
            .unwrap_or(DEFAULT_KEEP_PRINTED_DAYS))
    }

    /// Sets how long printed PDFs are kept (0–90 days; administrators only, audited).
    pub fn set_keep_printed_days(&mut self, days: u32) -> Result<()> {
        self.require_admin(
            "change how long printed PDFs are kept",
            "修改打印文件保留天数",
        )?;
        if days > MAX_KEEP_PRINTED_DAYS {
            return Err(crate::Error::Invalid(vec![crate::FieldError::new(
                crate::Field::Notes,
                "打印文件保留天数应为0–90 / printed PDFs are kept 0–90 days",
            )]));
        }
        self.write_setting(super::settings::key::KEEP_PRINTED_DAYS, &days.to_string())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::station::Role;
    use crate::{ManualClock, WriteSource};
    use std::sync::Arc;

    #[test]
    fn seven_days_by_default_an_administrator_changes_it_a_volunteer_cannot() {
        let dir = tempfile::TempDir::new().unwrap();
        let path = dir.path().join("station.db");
        let key = crate::store::DatabaseKey::fresh(&crate::store::Passphrase::new(
            "retention test passphrase",
        ))
        .unwrap();
        let clock = Arc::new(ManualClock::at_cst(2026, 12, 1, 9, 0, 0));
        let mut station = Station::open(&path, &key, clock.clone(), WriteSource::Cli).unwrap();
        assert_eq!(station.keep_printed_days().unwrap(), 7);
        station.create_administrator("王主任", "135790").unwrap();
        station
            .add_account("李梅", Role::Volunteer, "246810")
            .unwrap();
        station.set_keep_printed_days(2).unwrap();
        assert_eq!(station.keep_printed_days().unwrap(), 2);
        assert_eq!(
            station.set_keep_printed_days(91).unwrap_err().code(),
            "invalid"
        );
        let mut volunteer = Station::open(&path, &key, clock, WriteSource::Cli).unwrap();
        volunteer.sign_in("李梅", "246810").unwrap();
        assert_eq!(
            volunteer.set_keep_printed_days(30).unwrap_err().code(),
            "not_allowed"
        );
        assert_eq!(volunteer.keep_printed_days().unwrap(), 2);
    }
}
