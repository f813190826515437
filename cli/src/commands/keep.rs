//! `nac unlock --until HH:MM` and `nac lock`: an administrator keeps the station unlocked in
//! the kernel keyring until a time today, so the desktop app, restarted meanwhile, asks
//! volunteers only for their PIN (see `nac_core::keyring`); `nac lock` removes the kept key.
//!
//! The CLI itself never opens the station with a kept key for anything else: it acts as the
//! station administrator, and a key kept for volunteers' PIN sign-in must not give anyone at
//! the computer an administrator's `nac export --unmasked`. `nac lock` is the one exception,
//! and only to remove the key (locking is always safe): it needs no passphrase.

use super::{secrets, Context};
use crate::output::Report;
use nac_core::keyring::{self, KeepError};
use nac_core::{Station, SystemClock, WriteSource};
use serde_json::json;
use std::sync::Arc;

#[derive(clap::Args)]
pub struct UnlockArgs {
    /// Keep the station unlocked until this time today (`HH:MM`, China Standard Time).
    #[arg(long, default_value = "23:59")]
    until: String,
}

#[derive(clap::Args)]
pub struct LockArgs {}

/// A keep or lock error as the CLI reports it (the core's own errors keep their codes).
fn report_error(e: KeepError) -> anyhow::Error {
    match e {
        KeepError::Station(core) => core.into(),
        KeepError::Keyring(keyring) => anyhow::anyhow!("{keyring}"),
    }
}

pub fn unlock(ctx: &Context, a: UnlockArgs) -> anyhow::Result<Report> {
    let mut station = ctx.open()?;
    let until = keyring::until_today(station.now(), &a.until)
        .map_err(|e| report_error(KeepError::from(e)))?;
    station.keep_unlocked(until).map_err(report_error)?;
    let shown = nac_core::time::to_cst(until)
        .format("%Y-%m-%d %H:%M")
        .to_string();
    Ok(Report::ok(
        format!(
            "{} {shown}",
            ctx.lang.t(
                "站点保持解锁至（期间桌面程序重启后只需志愿者PIN）",
                "The station is kept unlocked (a restarted desktop app asks only for a PIN) until"
            )
        ),
        json!({ "kept_until": until, "kept_until_cst": shown }),
    ))
}

pub fn lock(ctx: &Context, _: LockArgs) -> anyhow::Result<Report> {
    let kept = keyring::find(&ctx.db).map_err(|e| report_error(e.into()))?;
    let Some(kept) = kept else {
        return Ok(Report::ok(
            ctx.lang
                .t("站点没有保持解锁", "The station is not kept unlocked")
                .to_string(),
            json!({ "removed": false }),
        ));
    };
    let mut station = Station::open(&ctx.db, &kept.key, Arc::new(SystemClock), WriteSource::Cli)?;
    if let Some(name) = &ctx.volunteer {
        let pin = secrets::read_pin(name)?;
        station.sign_in(name, &pin)?;
    }
    let removed = station.lock_now().map_err(report_error)?;
    Ok(Report::ok(
        ctx.lang
            .t(
                "已锁定：保存的密钥已清除，下次打开需要口令（已打开的桌面程序到时或“立即锁定”后关闭）",
                "Locked: the kept key is removed and the next start needs the passphrase (a desktop app already open closes at its time or with “Lock now”)",
            )
            .to_string(),
        json!({ "removed": removed }),
    ))
}
