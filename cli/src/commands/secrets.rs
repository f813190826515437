//! Where the station passphrase comes from, and the commands that need it beyond opening:
//! `nac passphrase` (change it), `nac backup`, `nac restore`.
//!
//! Scripts run unattended, so the passphrase comes first from `--passphrase-file FILE`, then
//! from `$NAC_PASSPHRASE`; only a terminal is asked (without echo; twice for a new station or
//! a new passphrase). Without any of them the command stops with exit 2 before touching the
//! file. The passphrase never appears in output, errors or logs.

use super::Context;
use crate::output::Report;
use anyhow::Context as _;
use nac_core::store::{self, DatabaseKey, FileKind, Passphrase};
use serde_json::json;
use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};

/// The environment variable holding the station passphrase.
pub const PASSPHRASE_ENV: &str = "NAC_PASSPHRASE";
/// The environment variable holding the PIN (or passphrase) of the `--as` volunteer.
pub const PIN_ENV: &str = "NAC_PIN";
/// The environment variable holding a new account's PIN for `nac volunteer add`.
pub const NEW_PIN_ENV: &str = "NAC_NEW_PIN";

/// The PIN of the `--as` volunteer: `$NAC_PIN`, else a prompt in a terminal.
pub fn read_pin(name: &str) -> anyhow::Result<zeroize::Zeroizing<String>> {
    let pin = obtain(
        None,
        PIN_ENV,
        &format!("{name} 的PIN / PIN of {name}: "),
        false,
    )?;
    Ok(zeroize::Zeroizing::new(pin.expose().to_string()))
}

/// A new account's PIN: `$NAC_NEW_PIN`, else a prompt (twice) in a terminal.
pub fn read_new_pin() -> anyhow::Result<zeroize::Zeroizing<String>> {
    let pin = obtain(
        None,
        NEW_PIN_ENV,
        "新账号的PIN / PIN of the new account: ",
        true,
    )?;
    Ok(zeroize::Zeroizing::new(pin.expose().to_string()))
}

/// The environment variable holding the new passphrase for `nac passphrase`.
pub const NEW_PASSPHRASE_ENV: &str = "NAC_NEW_PASSPHRASE";

/// How this run was told the passphrase.
#[derive(Debug, Clone)]
pub struct PassphraseSource {
    pub file: Option<PathBuf>,
}

impl PassphraseSource {
    /// The station passphrase; `new` asks twice at a terminal (a station about to be created).
    pub fn read(&self, new: bool) -> anyhow::Result<Passphrase> {
        obtain(
            self.file.as_deref(),
            PASSPHRASE_ENV,
            "站点口令 / station passphrase: ",
            new,
        )
    }
}

fn obtain(
    file: Option<&Path>,
    env: &str,
    prompt: &str,
    confirm: bool,
) -> anyhow::Result<Passphrase> {
    if let Some(file) = file {
        return Ok(Passphrase::from_file(file).map_err(nac_core::Error::from)?);
    }
    // Taken out of the environment at start-up (see `crate::secret_env`).
    if let Some(value) = crate::secret_env::get(env) {
        return Ok(Passphrase::new(value.as_str()));
    }
    if !std::io::stdin().is_terminal() {
        anyhow::bail!(
            "需要站点口令：设置{env}，或用--passphrase-file指定文件，或在终端中运行 / the station \
             passphrase is needed: set {env}, give --passphrase-file FILE, or run in a terminal"
        );
    }
    let first = zeroize::Zeroizing::new(
        rpassword::prompt_password(prompt).context("cannot read the passphrase")?,
    );
    if confirm {
        let again = zeroize::Zeroizing::new(
            rpassword::prompt_password("再输入一次 / again: ")
                .context("cannot read the passphrase")?,
        );
        if *again != *first {
            anyhow::bail!("两次输入的口令不一致 / the two entries differ");
        }
    }
    Ok(Passphrase::new(first.as_str()))
}

/// The key for the station file at `db`. A new station's passphrase, or the one a plaintext
/// station is about to be encrypted with, must be strong enough; a file whose key derivation
/// is cheaper than today's is rewritten with today's cost (when no other program has it open).
pub fn key_for(db: &Path, source: &PassphraseSource) -> anyhow::Result<DatabaseKey> {
    let kind = store::file_kind(db).map_err(nac_core::Error::from)?;
    let passphrase = source.read(kind == FileKind::Missing)?;
    if matches!(kind, FileKind::Missing | FileKind::Plaintext) {
        passphrase.check_new(&[]).map_err(nac_core::Error::from)?;
    }
    let key = DatabaseKey::for_file(db, &passphrase).map_err(nac_core::Error::from)?;
    match store::upgrade_key(db, &key, &passphrase) {
        Ok(Some(upgraded)) => Ok(upgraded),
        // A wrong passphrase is reported by the open that follows (or opens the demo).
        Ok(None) | Err(store::StoreError::WrongPassphrase { .. }) => Ok(key),
        Err(e) => Err(nac_core::Error::from(e).into()),
    }
}

#[derive(clap::Args)]
pub struct PassphraseArgs {
    /// File holding the new passphrase (first line); else $NAC_NEW_PASSPHRASE or a prompt.
    #[arg(long)]
    new_passphrase_file: Option<PathBuf>,
}

/// `nac passphrase` (administrators): re-encrypts the station under a new passphrase, all or
/// nothing, audited in the new file; says which backups still open with the old one.
pub fn change(ctx: &Context, a: PassphraseArgs) -> anyhow::Result<Report> {
    let station = ctx.open()?;
    let new = obtain(
        a.new_passphrase_file.as_deref(),
        NEW_PASSPHRASE_ENV,
        "新口令 / new passphrase: ",
        true,
    )?;
    let (_, changed) = station.change_passphrase(&new)?;
    let mut human = ctx
        .lang
        .t(
            "站点口令已更改。恢复前保留的副本已改用新口令。",
            "station passphrase changed; the copies kept by restores use the new one.",
        )
        .to_string();
    if !changed.backups.is_empty() {
        human.push_str(ctx.lang.t(
            "\n以下备份仍使用旧口令（备份保留制作时的口令），请妥善保管或销毁：",
            "\nthese backups still open with the old passphrase (a backup keeps the one it was \
             made with); keep them safe or destroy them:",
        ));
        for backup in &changed.backups {
            human.push_str(&format!("\n  {backup}"));
        }
    }
    Ok(Report::ok(
        human,
        json!({ "changed": true, "backups_with_old_passphrase": changed.backups }),
    ))
}

#[derive(clap::Args)]
pub struct BackupArgs {
    /// The backup file to write (.nacbackup or .db); it opens with the station passphrase.
    out: PathBuf,
}

/// `nac backup OUT`: an encrypted, checked copy, written whole or not at all.
pub fn backup(ctx: &Context, a: BackupArgs) -> anyhow::Result<Report> {
    let mut station = ctx.open()?;
    station.backup(&a.out)?;
    let size = std::fs::metadata(&a.out).map(|m| m.len()).unwrap_or(0);
    Ok(Report::ok(
        format!(
            "{} {} ({} KiB)",
            ctx.lang.t("已备份到", "backup written to"),
            a.out.display(),
            size / 1024
        ),
        json!({ "backup": a.out, "bytes": size }),
    ))
}

#[derive(clap::Args)]
pub struct RestoreArgs {
    /// The backup file (made by `nac backup` or the app); it must open with the passphrase.
    backup: PathBuf,
    /// Replace this station even with a backup of another station (or of the demo).
    #[arg(long)]
    force_other_station: bool,
}

/// `nac restore BACKUP` (administrators): checks the backup whole, then replaces the station
/// file (the replaced one is kept beside it); the restored audit log records what was
/// replaced. Needs the app and other `nac` commands closed.
pub fn restore(ctx: &Context, a: RestoreArgs) -> anyhow::Result<Report> {
    let passphrase = ctx.passphrase.read(false)?;
    let pin = match &ctx.volunteer {
        Some(name) => Some((name.as_str(), read_pin(name)?)),
        None => None,
    };
    let restored = nac_core::station::restore(nac_core::station::RestoreRequest {
        station: &ctx.db,
        backup: &a.backup,
        passphrase: &passphrase,
        account: pin.as_ref().map(|(name, pin)| (*name, pin.as_str())),
        force_other_station: a.force_other_station,
        clock: std::sync::Arc::new(nac_core::SystemClock),
        source: nac_core::WriteSource::Cli,
    })?;
    let mut human = format!(
        "{} {} ({})",
        ctx.lang.t("已从备份恢复：", "restored from"),
        a.backup.display(),
        restored.restored
    );
    if let Some(replaced) = &restored.replaced {
        human.push_str(&format!(
            "\n{} {} ({} {})",
            ctx.lang.t("替换了", "replaced"),
            replaced,
            ctx.lang.t("审计记录至", "audit log up to row"),
            replaced.audit_rows
        ));
    }
    if let Some(kept) = &restored.kept {
        human.push_str(&format!(
            "\n{} {}",
            ctx.lang
                .t("原数据文件保留为", "the replaced file is kept as"),
            kept.display()
        ));
    }
    Ok(Report::ok(
        human,
        json!({
            "restored": a.backup,
            "kept": restored.kept,
            "station": restored.restored.station_id,
            "replaced": restored.replaced.as_ref().map(|r| &r.station_id),
        }),
    ))
}
