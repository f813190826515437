//! Command-line parsing and the commands.

mod phone;
mod station;

use std::io::Write;
use std::net::SocketAddr;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use nac_hub::http::{serve, Limits};
use nac_hub::{AnyStore, Clock, Hub, Store};
use tokio::net::TcpListener;

/// NAC Hub: the district sync server for NAC Station.
#[derive(Debug, Parser)]
#[command(name = "nac-hub", version)]
pub struct Args {
    /// The SQLite database file (created if absent).
    #[arg(long, global = true, env = "NAC_HUB_DATA", conflicts_with = "database")]
    data: Option<String>,
    /// A PostgreSQL URL (postgres://user@host:port/db) instead of a SQLite file.
    #[arg(long, global = true, env = "NAC_HUB_DATABASE")]
    database: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the sync protocol over HTTP.
    Serve {
        /// Address to listen on; port 0 picks a free port (the bound address is printed).
        #[arg(long, default_value = "127.0.0.1:8700")]
        listen: SocketAddr,
        /// Requests per second allowed per station (token bucket).
        #[arg(long, default_value_t = Limits::default().rate_per_sec)]
        rate: f64,
        /// Burst size per station.
        #[arg(long, default_value_t = Limits::default().burst)]
        burst: u32,
        /// Serve HTTPS with this certificate chain (PEM); needs --tls-key.
        #[arg(long, requires = "tls_key")]
        tls_cert: Option<std::path::PathBuf>,
        /// The certificate's private key (PEM).
        #[arg(long, requires = "tls_cert")]
        tls_key: Option<std::path::PathBuf>,
    },
    /// Manage stations.
    Station {
        #[command(subcommand)]
        command: station::StationCommand,
    },
    /// The phone channel (residents' own renewals).
    Phone {
        #[command(subcommand)]
        command: phone::PhoneCommand,
    },
    /// Delete idempotency records older than 61 days and stale nonces.
    Purge,
    /// Print the hub's state as sorted text lines (for support and tests).
    Dump,
}

/// The clock: the system's, unless `NAC_HUB_FAKE_NOW` (unix seconds) sets a start for tests.
fn clock() -> Result<Clock> {
    match std::env::var("NAC_HUB_FAKE_NOW") {
        Ok(v) => Ok(Clock::starting_at(
            v.parse().context("NAC_HUB_FAKE_NOW must be unix seconds")?,
        )),
        Err(_) => Ok(Clock::System),
    }
}

async fn open(args: &Args, clock: Clock) -> Result<AnyStore> {
    let location = match (&args.database, &args.data) {
        (Some(url), _) => url.clone(),
        (None, Some(path)) => path.clone(),
        (None, None) => bail!("say where the data is: --data hub.db or --database postgres://…"),
    };
    let shown = if location.contains("://") {
        "the PostgreSQL database"
    } else {
        location.as_str()
    };
    AnyStore::open(&location, clock.now())
        .await
        .with_context(|| format!("cannot open {shown}"))
}

/// Runs the command.
pub async fn run(args: Args) -> Result<()> {
    let clock = clock()?;
    match &args.command {
        Command::Serve {
            listen,
            rate,
            burst,
            tls_cert,
            tls_key,
        } => {
            let store = open(&args, clock).await?;
            let hub = Hub::new(store, clock);
            let listener = TcpListener::bind(listen)
                .await
                .with_context(|| format!("cannot listen on {listen}"))?;
            let bound = listener.local_addr()?;
            let limits = Limits {
                rate_per_sec: *rate,
                burst: *burst,
            };
            let tls = match (tls_cert, tls_key) {
                (Some(cert), Some(key)) => Some(
                    nac_hub::http::tls_config(cert, key)
                        .await
                        .context("cannot load the TLS certificate and key")?,
                ),
                _ => None,
            };
            // Tests and scripts read this line to learn the port.
            let scheme = if tls.is_some() { "https" } else { "http" };
            println!("nac-hub listening on {scheme}://{bound}");
            std::io::stdout().flush()?;
            tracing::info!(%bound, scheme, "serving");
            spawn_purger(hub.clone());
            match tls {
                Some(config) => {
                    nac_hub::http::serve_tls(hub, listener, config, limits, shutdown_signal())
                        .await?
                }
                None => serve(hub, listener, limits, shutdown_signal()).await?,
            }
            Ok(())
        }
        Command::Station { command } => {
            let hub = Hub::new(open(&args, clock).await?, clock);
            station::run(&hub, command).await
        }
        Command::Phone { command } => {
            let hub = Hub::new(open(&args, clock).await?, clock);
            phone::run(&hub, command).await
        }
        Command::Purge => {
            let store = open(&args, clock).await?;
            let report = store.purge(clock.now()).await?;
            println!("{}", serde_json::to_string(&report)?);
            Ok(())
        }
        Command::Dump => {
            let store = open(&args, clock).await?;
            print!("{}", store.dump().await?);
            Ok(())
        }
    }
}

/// Purges expired idempotency records and nonces now and every hour.
fn spawn_purger(hub: Hub<AnyStore>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            tick.tick().await;
            match hub.store.purge(hub.clock.now()).await {
                Ok(report) => {
                    tracing::info!(records = report.records, nonces = report.nonces, "purged")
                }
                Err(e) => tracing::warn!(error = %e, "purge failed"),
            }
        }
    });
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}
