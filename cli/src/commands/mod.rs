//! The subcommands. Each opens the station, does one thing through `nac_core`, and returns a
//! [`Report`].

mod accounts;
mod audit;
mod bench;
mod keep;
mod keys;
mod print;
mod renew;
mod roster;
pub mod secrets;
mod sync;
mod verify;

use crate::output::{Lang, Report};
use anyhow::Context as _;
use nac_core::{ErrorCode, Station, SystemClock, WriteSource};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub struct Context {
    pub db: PathBuf,
    pub lang: Lang,
    /// `--as NAME`: sign in as this volunteer (else act as the station administrator).
    pub volunteer: Option<String>,
    pub passphrase: secrets::PassphraseSource,
}

impl Context {
    /// The key of the station file (asks for the passphrase; Argon2id, once per command).
    pub fn key(&self) -> anyhow::Result<nac_core::store::DatabaseKey> {
        secrets::key_for(&self.db, &self.passphrase)
    }

    pub fn open(&self) -> anyhow::Result<Station> {
        if let Some(dir) = self.db.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        let was_plaintext =
            nac_core::store::file_kind(&self.db).ok() == Some(nac_core::store::FileKind::Plaintext);
        let key = self.key()?;
        let mut station =
            match Station::open(&self.db, &key, Arc::new(SystemClock), WriteSource::Cli) {
                Err(e) if e.code() == ErrorCode::WrongPassphrase => {
                    match open_demo_instead(&self.db) {
                        Some(Ok(demo)) if demo.is_demo() => demo,
                        Some(Err(other)) if other.code() != ErrorCode::WrongPassphrase => {
                            return Err(other.into())
                        }
                        _ => return Err(e.into()),
                    }
                }
                opened => opened?,
            };
        if was_plaintext {
            eprintln!(
                "{}",
                self.lang.t(
                    "数据文件已加密；原来的明文文件已用零覆盖后删除（固态硬盘可能仍留有旧数据块）。",
                    "the data file is now encrypted; the old plaintext file was overwritten with \
                     zeros and removed (an SSD may still keep old blocks)."
                )
            );
        }
        if let Some(name) = &self.volunteer {
            let pin = secrets::read_pin(name)?;
            station.sign_in(name, &pin)?;
        }
        Ok(station)
    }
}

/// A demo file opens with its published passphrase whatever was given (its people are
/// fictional); anything else that does not open stays a wrong passphrase.
fn open_demo_instead(db: &Path) -> Option<nac_core::Result<Station>> {
    let key = nac_core::demo::key(db).ok()?;
    Some(Station::open(
        db,
        &key,
        Arc::new(SystemClock),
        WriteSource::Cli,
    ))
}

/// The desktop app's data file: `$XDG_DATA_HOME/cn.nacstation.station/station.db`.
pub fn default_db_path() -> PathBuf {
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("cn.nacstation.station").join("station.db")
}

#[derive(clap::Subcommand)]
pub enum Command {
    /// Create a demo roster (realistic Shanghai addresses, mixed code states).
    Demo(roster::DemoArgs),
    /// Import a roster file (.csv in UTF-8 or GB18030, or .xlsx).
    Import(roster::ImportArgs),
    /// Export the roster with code status (.csv or .xlsx).
    Export(roster::ExportArgs),
    /// List residents with their code status.
    List(roster::ListArgs),
    /// Show one resident: status, history and the active code's text.
    Show(roster::ShowArgs),
    /// Apply for a new code: one resident (--id) or everyone due (--due-within).
    Renew(renew::RenewArgs),
    /// Printed cards whose code is no longer valid (to replace).
    Cards(renew::CardsArgs),
    /// Verify a scanned code text (NAC1:…); `-` reads it from standard input.
    Verify(verify::VerifyArgs),
    /// Station settings: name and expiring threshold.
    Config(roster::ConfigArgs),
    /// Print paper cards to a PDF (and optionally a CUPS printer); recorded in the print ledger.
    Print(print::PrintArgs),
    /// List the CUPS printers.
    Printers(print::PrintersArgs),
    /// Measure the core's speed on generated data and print the figures.
    Bench(bench::BenchArgs),
    /// Register this station with the district hub (once, with the one-time code).
    Enrol(sync::EnrolArgs),
    /// Push queued renewals to the hub and pull codes issued elsewhere. Exit 0 all synced,
    /// 1 some rejected or failed, 2 hub unreachable.
    Sync(sync::SyncArgs),
    /// The sync queue: each event's state, the hub's reason and the next retry.
    Queue(sync::QueueArgs),
    /// The signing keys: `list`, `rotate` (a new key; the old one verifies only; the hub
    /// certifies it when enrolled).
    Key(keys::KeyArgs),
    /// The audit log: `verify` its hash chain (exit 1 names the first tampered row), `list`.
    Audit(audit::AuditArgs),
    /// Volunteer accounts: `list`, `add NAME [--admin]` (PIN from $NAC_NEW_PIN or a prompt),
    /// `disable NAME`. Administrators only.
    Volunteer(accounts::VolunteerArgs),
    /// Change the station passphrase (the file is re-encrypted, all or nothing).
    Passphrase(secrets::PassphraseArgs),
    /// Write an encrypted, checked backup of the station (opens with the station passphrase).
    Backup(secrets::BackupArgs),
    /// Replace the station with a checked backup (close the app first; the old file is kept).
    Restore(secrets::RestoreArgs),
    /// Keep the station unlocked in the kernel keyring until a time today (administrators):
    /// until then the desktop app asks volunteers only for their PIN.
    Unlock(keep::UnlockArgs),
    /// Remove the key kept by `nac unlock` or the app (no passphrase needed).
    Lock(keep::LockArgs),
}

pub fn run(ctx: &Context, command: Command) -> anyhow::Result<Report> {
    match command {
        Command::Demo(a) => roster::demo(ctx, a),
        Command::Import(a) => roster::import(ctx, a),
        Command::Export(a) => roster::export(ctx, a),
        Command::List(a) => roster::list(ctx, a),
        Command::Show(a) => roster::show(ctx, a),
        Command::Config(a) => roster::config(ctx, a),
        Command::Renew(a) => renew::renew(ctx, a),
        Command::Cards(a) => renew::cards(ctx, a),
        Command::Verify(a) => verify::verify(ctx, a),
        Command::Bench(a) => bench::bench(ctx, a),
        Command::Print(a) => print::print(ctx, a),
        Command::Printers(a) => print::printers(ctx, a),
        Command::Enrol(a) => sync::enrol(ctx, a),
        Command::Sync(a) => sync::sync(ctx, a),
        Command::Queue(a) => sync::queue(ctx, a),
        Command::Audit(a) => audit::audit(ctx, a),
        Command::Key(a) => keys::key(ctx, a),
        Command::Volunteer(a) => accounts::volunteer(ctx, a),
        Command::Passphrase(a) => secrets::change(ctx, a),
        Command::Backup(a) => secrets::backup(ctx, a),
        Command::Restore(a) => secrets::restore(ctx, a),
        Command::Unlock(a) => keep::unlock(ctx, a),
        Command::Lock(a) => keep::lock(ctx, a),
    }
}

/// Looks a resident up by document number, with a clear error when absent.
pub fn resident_by_document(station: &Station, number: &str) -> anyhow::Result<i64> {
    station
        .find_by_document(number)?
        .ok_or_else(|| nac_core::Error::NotFound {
            what: "resident with this document number",
            what_zh: "该证件号码的居民",
        })
        .map_err(Into::into)
}
