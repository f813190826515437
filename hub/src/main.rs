//! `nac-hub`: run the district sync server and administer it.
//!
//! ```text
//! nac-hub serve --data hub.db --listen 127.0.0.1:8700        # SQLite (created if absent)
//! nac-hub serve --database postgres://… --listen 0.0.0.0:8700
//! nac-hub --data hub.db station add --name NAME --area AREA [--json]
//! nac-hub --data hub.db station list [--json]
//! nac-hub --data hub.db station disable ST-XXXXXX
//! nac-hub --data hub.db phone renew --person-key KEY [--hub URL]
//! ```

mod cli;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

fn main() -> ExitCode {
    let matches = cli::Args::command().get_matches();
    let args = match cli::Args::from_arg_matches(&matches) {
        Ok(args) => args,
        Err(e) => e.exit(),
    };
    let explicit = cli::explicit_serve_flags(&matches);
    init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("nac-hub: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(cli::run(args, &explicit)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("nac-hub: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Logs to stderr; `RUST_LOG` overrides the default `info`. At info the hub logs one line per
/// request (method, path, station, status) and never a person key or a credential.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
}
