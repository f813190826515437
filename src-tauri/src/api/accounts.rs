//! The administrator's screens: accounts (list, add, disable) and the audit log. The core
//! refuses all of it to a volunteer (`not_allowed`); the UI only hides what it cannot do.

use crate::error::AppResult;
use crate::host::Host;
use crate::view::{pick, AccountForm, AccountView, AuditExportDone, AuditLine, AuditView};
use nac_core::station::Role;

/// How many audit entries the screen shows (the CLI's `nac audit list --limit` reads more).
pub const AUDIT_SCREEN_ROWS: u32 = 200;

pub fn accounts(host: &Host) -> AppResult<Vec<AccountView>> {
    let station = host.reader();
    Ok(station
        .accounts()?
        .into_iter()
        .map(|a| AccountView {
            name: a.account,
            role: a.role.as_str().to_string(),
            disabled: a.disabled,
            can_sign_in: a.can_sign_in,
        })
        .collect())
}

pub fn add_account(host: &Host, form: &AccountForm) -> AppResult<Vec<AccountView>> {
    let role = if form.role == "admin" {
        Role::Admin
    } else {
        Role::Volunteer
    };
    host.station().add_account(&form.name, role, &form.pin)?;
    accounts(host)
}

pub fn disable_account(host: &Host, name: &str) -> AppResult<Vec<AccountView>> {
    host.station().disable_account(name)?;
    accounts(host)
}

/// The newest entries and the whole chain's check (the writer: reading the log is itself
/// allowed to administrators only, and the check must see the latest rows).
pub fn audit(host: &Host) -> AppResult<AuditView> {
    let station = host.station();
    let entries = station.audit_log(AUDIT_SCREEN_ROWS)?;
    let check = station.verify_audit()?;
    Ok(AuditView {
        entries: entries
            .into_iter()
            .map(|e| AuditLine {
                id: e.id as u32,
                at: nac_core::time::format_cst_second(e.at),
                volunteer: e.volunteer,
                action: e.action,
                subject: e.subject,
                source: e.source,
            })
            .collect(),
        rows: check.rows as u32,
        problem: check.problem.map(|p| pick(host.lang(), &p.message)),
    })
}

/// Writes the whole audit log as CSV to `path` (administrators only; audited).
pub fn export_audit(host: &Host, path: &str) -> AppResult<AuditExportDone> {
    let target = crate::api::files::expand_home(path.trim());
    let done = host.station().export_audit(&target)?;
    Ok(AuditExportDone {
        path: target.display().to_string(),
        rows: done.rows as u32,
        intact: done.intact,
    })
}

/// `audit-log-YYYYMMDD-HHMM.csv` in the user's documents folder (or home).
pub fn default_audit_export_path(host: &Host) -> AppResult<String> {
    let now = chrono::DateTime::from_timestamp(host.reader().now(), 0)
        .unwrap_or_default()
        .with_timezone(&nac_core::time::cst());
    Ok(crate::api::files::documents_dir()
        .join(format!("audit-log-{}.csv", now.format("%Y%m%d-%H%M")))
        .display()
        .to_string())
}
