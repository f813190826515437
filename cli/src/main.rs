//! `nac`: the headless face of NAC Station, for scripting, batch work and benchmarks.
//!
//! Every subcommand runs over the same `nac_core::Station` as the desktop app. Output is
//! human-readable (Chinese or English, `--lang`) or JSON (`--json`). Exit status: 0 success,
//! 1 when a rule refuses (e.g. already applied today, a code that does not verify) or an import
//! refuses some rows, 2 on bad usage or unreadable input (and a missing or wrong passphrase).
//!
//! The station file is encrypted: the passphrase comes from `--passphrase-file`,
//! `$NAC_PASSPHRASE` or a terminal prompt (see `commands::secrets`).

mod commands;
mod output;
mod secret_env;

use clap::Parser;
use output::{Lang, Report};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "nac", version, about = "NAC Station 核酸码服务站 command line")]
struct Cli {
    /// Station database file (default: the desktop app's data file, or $NAC_DB; for `nac demo`,
    /// `demo-station.db` beside it).
    #[arg(long, global = true, env = "NAC_DB")]
    db: Option<PathBuf>,
    /// Machine-readable JSON output.
    #[arg(long, global = true)]
    json: bool,
    /// Message language: zh or en (default from $LANG, Chinese otherwise).
    #[arg(long, global = true)]
    lang: Option<Lang>,
    /// File holding the station passphrase (first line); else $NAC_PASSPHRASE, else a prompt
    /// when run in a terminal (exit 2 otherwise). A demo file's passphrase is `nac-demo`.
    #[arg(long, global = true)]
    passphrase_file: Option<PathBuf>,
    /// Act as this volunteer account, signing in with its PIN or passphrase ($NAC_PIN, else a
    /// prompt in a terminal). Without it the command acts as the station administrator
    /// (`station`): whoever holds the station passphrase administers the station.
    #[arg(long = "as", global = true, value_name = "NAME")]
    as_volunteer: Option<String>,
    #[command(subcommand)]
    command: commands::Command,
}

fn main() -> ExitCode {
    // First, while this is the only thread: no child may inherit a secret.
    secret_env::take();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let lang = cli.lang.unwrap_or_else(Lang::from_env);
    // `nac demo` never fills the real station file: without `--db` it makes the demo beside it.
    let default_db = cli.db.is_none();
    let db = match (cli.db, &cli.command) {
        (Some(db), _) => db,
        (None, commands::Command::Demo(_)) => {
            nac_core::demo::path_beside(&commands::default_db_path())
        }
        (None, _) => commands::default_db_path(),
    };
    // The station's directory is created owner-only before anything else touches it; the
    // default one is the station's own, so one left 0755 by an older version is fixed too.
    if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
        let private = nac_core::files::create_private_dir(dir).and_then(|()| {
            if default_db {
                nac_core::files::set_private_dir_mode(dir)
            } else {
                Ok(())
            }
        });
        if let Err(e) = private {
            let report = Report::from_error(&anyhow::Error::new(nac_core::Error::Io(e)), lang);
            report.print(cli.json);
            return ExitCode::from(report.exit);
        }
    }
    let ctx = commands::Context {
        db,
        lang,
        volunteer: cli.as_volunteer,
        passphrase: commands::secrets::PassphraseSource {
            file: cli.passphrase_file,
        },
    };
    let report = match commands::run(&ctx, cli.command) {
        Ok(report) => report,
        Err(e) => Report::from_error(&e, lang),
    };
    report.print(cli.json);
    ExitCode::from(report.exit)
}
