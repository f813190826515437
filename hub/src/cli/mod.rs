//! Command-line parsing and the commands.

mod admin;
mod config;
mod phone;
mod station;

use std::io::Write;
use std::net::SocketAddr;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use nac_hub::http::{serve, Limits, ServeLimits};
use nac_hub::{AnyStore, Clock, Hub, KeyDir, Policy, Store};
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
    /// The key directory (district secret, phone keys; never in the database). Default for a
    /// SQLite file `hub.db`: `hub-keys/` beside it; required with --database.
    #[arg(long, global = true, env = "NAC_HUB_KEYS")]
    keys: Option<std::path::PathBuf>,
    /// A settings file (TOML; docs/sync.md §8): where the data is, and `serve`'s settings.
    /// Flags given on the command line win over it.
    #[arg(long, global = true, env = "NAC_HUB_CONFIG")]
    config: Option<std::path::PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the sync protocol over HTTP (and the district console at /console/).
    Serve(ServeArgs),
    /// Manage stations.
    Station {
        #[command(subcommand)]
        command: station::StationCommand,
    },
    /// District staff accounts for the console at /console/.
    Admin {
        #[command(subcommand)]
        command: admin::AdminCommand,
    },
    /// The phone channel (residents' own renewals).
    Phone {
        #[command(subcommand)]
        command: phone::PhoneCommand,
    },
    /// Delete idempotency records older than 61 days, stale nonces, expired subscriptions and
    /// the sealed secrets of expired enrolment codes.
    Purge,
    /// Print the hub's state as sorted text lines (for support and tests).
    Dump,
    /// What the district must see: disables, key rotations and re-keys, bulk look-ups,
    /// refused subscriptions, restores.
    Events {
        /// Only events after this number.
        #[arg(long, default_value_t = 0)]
        since: i64,
        /// Print JSON lines.
        #[arg(long)]
        json: bool,
    },
    /// The database's epochs (a new one after every restore from a backup).
    Epoch {
        #[command(subcommand)]
        command: Option<EpochCommand>,
    },
}

/// `nac-hub serve`'s settings. Each may also come from the `--config` file; a flag given on
/// the command line (or through its environment variable) wins.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port (the bound address is printed).
    #[arg(long, default_value = "127.0.0.1:8700")]
    pub listen: SocketAddr,
    /// Requests per second allowed per station (token bucket).
    #[arg(long, default_value_t = Limits::default().rate_per_sec)]
    pub rate: f64,
    /// Burst size per station.
    #[arg(long, default_value_t = Limits::default().burst)]
    pub burst: u32,
    /// Requests per second allowed per client address (an IPv4 address or an IPv6 /64),
    /// counted on every request before anything else [default: 20, or --rate if higher].
    /// Behind a reverse proxy every request comes from the proxy's address: raise it.
    #[arg(long)]
    pub address_rate: Option<f64>,
    /// Burst size per client address [default: 60, or --burst if higher].
    #[arg(long)]
    pub address_burst: Option<u32>,
    /// Connections open at once; beyond, new connections are closed at once.
    #[arg(long, default_value_t = ServeLimits::MAX_CONNECTIONS)]
    pub max_connections: usize,
    /// Seconds a client has to send a request's head (and a kept-alive connection may sit
    /// idle, and a TLS handshake may take).
    #[arg(long, default_value_t = ServeLimits::HEADER_TIMEOUT.as_secs())]
    pub header_timeout: u64,
    /// Seconds a request may take from its head to its answer, the body included (408
    /// after).
    #[arg(long, default_value_t = ServeLimits::REQUEST_TIMEOUT.as_secs())]
    pub request_timeout: u64,
    /// Serve HTTPS with this certificate chain (PEM); needs --tls-key.
    #[arg(long, requires = "tls_key")]
    pub tls_cert: Option<std::path::PathBuf>,
    /// The certificate's private key (PEM).
    #[arg(long, requires = "tls_cert")]
    pub tls_key: Option<std::path::PathBuf>,
    /// How many days back a pushed code may be dated (stations offline longer, or with a
    /// clock set back, are refused).
    #[arg(long, default_value_t = Policy::default().offline_window_secs / 86_400)]
    pub offline_window_days: i64,
    /// Person keys a station may hold subscribed (unless set per station).
    #[arg(long, default_value_t = Policy::default().max_subscriptions)]
    pub max_subscriptions: i64,
    /// New person keys in a day above which the district is shown a bulk look-up.
    #[arg(long, default_value_t = Policy::default().bulk_lookup_alert)]
    pub bulk_lookup_alert: i64,
    /// Do not serve the district console at /console/.
    #[arg(long)]
    pub no_console: bool,
}

#[derive(Debug, Subcommand)]
enum EpochCommand {
    /// List the epochs.
    List,
    /// Start a new epoch by hand (after restoring the database on a host whose key directory
    /// did not see it go back): stations re-send what it may have lost.
    New,
}

/// The clock: the system's, unless `NAC_HUB_FAKE_NOW` (unix seconds) sets a start for tests,
/// or `NAC_HUB_CLOCK_FILE` names a file holding the time (tests that simulate days).
fn clock() -> Result<Clock> {
    if let Ok(path) = std::env::var("NAC_HUB_CLOCK_FILE") {
        return Ok(Clock::File(std::sync::Arc::new(
            nac_hub::clock::FileClock::new(path),
        )));
    }
    match std::env::var("NAC_HUB_FAKE_NOW") {
        Ok(v) => Ok(Clock::starting_at(
            v.parse().context("NAC_HUB_FAKE_NOW must be unix seconds")?,
        )),
        Err(_) => Ok(Clock::System),
    }
}

async fn open(args: &Args, clock: Clock, policy: Policy) -> Result<Hub<AnyStore>> {
    let (location, default_keys) = match (&args.database, &args.data) {
        (Some(url), _) => (url.clone(), None),
        (None, Some(path)) => (
            path.clone(),
            Some(nac_hub::keys::default_for_sqlite(std::path::Path::new(
                path,
            ))),
        ),
        (None, None) => bail!("say where the data is: --data hub.db or --database postgres://…"),
    };
    let Some(keys) = args.keys.clone().or(default_keys) else {
        bail!("with --database, say where the hub's keys are: --keys DIR (or NAC_HUB_KEYS)");
    };
    let shown = if location.contains("://") {
        "the PostgreSQL database"
    } else {
        location.as_str()
    };
    let store = AnyStore::open(&location, clock.now())
        .await
        .with_context(|| format!("cannot open {shown}"))?;
    let keys = KeyDir::open(&keys).context("the hub's key directory")?;
    Hub::open(store, clock, keys, policy)
        .await
        .with_context(|| format!("cannot open {shown}"))
}

/// `serve`'s flags given on the command line or through their environment variables (the
/// others may come from the settings file).
pub fn explicit_serve_flags(matches: &clap::ArgMatches) -> std::collections::HashSet<String> {
    use clap::parser::ValueSource;
    let Some(serve) = matches.subcommand_matches("serve") else {
        return Default::default();
    };
    serve
        .ids()
        .filter(|id| {
            matches!(
                serve.value_source(id.as_str()),
                Some(ValueSource::CommandLine | ValueSource::EnvVariable)
            )
        })
        .map(|id| id.as_str().to_owned())
        .collect()
}

/// Runs the command; `explicit` names the `serve` flags given (see [`explicit_serve_flags`]).
pub async fn run(args: Args, explicit: &std::collections::HashSet<String>) -> Result<()> {
    let clock = clock()?;
    let config = config::load(args.config.as_deref())?;
    let args = Args {
        data: args.data.clone().or_else(|| {
            (args.database.is_none())
                .then(|| config.data.clone())
                .flatten()
        }),
        database: args.database.clone().or_else(|| {
            (args.data.is_none())
                .then(|| config.database.clone())
                .flatten()
        }),
        keys: args.keys.clone().or_else(|| config.keys.clone()),
        ..args
    };
    match &args.command {
        Command::Serve(given) => {
            let ServeArgs {
                listen,
                rate,
                burst,
                address_rate,
                address_burst,
                max_connections,
                header_timeout,
                request_timeout,
                tls_cert,
                tls_key,
                offline_window_days,
                max_subscriptions,
                bulk_lookup_alert,
                no_console,
            } = &config.serve(given.clone(), explicit);
            if !(1..=30).contains(offline_window_days) {
                bail!("--offline-window-days must be 1 to 30 (a code is valid 30 days)");
            }
            let policy = Policy {
                offline_window_secs: offline_window_days * 86_400,
                max_subscriptions: *max_subscriptions,
                max_new_lookups_per_day: *max_subscriptions,
                bulk_lookup_alert: *bulk_lookup_alert,
            };
            let hub = open(&args, clock, policy).await?;
            if hub.phone_issuer().is_none() {
                tracing::warn!(
                    keys = %hub.keys.path().display(),
                    "no phone-issuer.key in the key directory: phone renewals are off"
                );
            }
            let listener = TcpListener::bind(listen)
                .await
                .with_context(|| format!("cannot listen on {listen}"))?;
            let bound = listener.local_addr()?;
            let station = Limits {
                rate_per_sec: *rate,
                burst: *burst,
            };
            let address = ServeLimits::address_for(station);
            let limits = ServeLimits {
                station,
                address: Limits {
                    rate_per_sec: address_rate.unwrap_or(address.rate_per_sec),
                    burst: address_burst.unwrap_or(address.burst),
                },
                enrol: ServeLimits::ENROL,
                header_timeout: std::time::Duration::from_secs(*header_timeout),
                request_timeout: std::time::Duration::from_secs(*request_timeout),
                max_connections: *max_connections,
                console: !*no_console,
            };
            let address_rate = limits.address.rate_per_sec;
            if address_rate.is_nan() || address_rate <= 0.0 || limits.address.burst == 0 {
                bail!("--address-rate and --address-burst must be above 0");
            }
            if *max_connections == 0 || *header_timeout == 0 || *request_timeout == 0 {
                bail!("--max-connections, --header-timeout and --request-timeout must be above 0");
            }
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
            if limits.console {
                println!("district console: {scheme}://{bound}/console/");
            }
            std::io::stdout().flush()?;
            tracing::info!(%bound, scheme, "serving");
            spawn_purger(hub.clone());
            spawn_stamper(hub.clone());
            match tls {
                Some(config) => {
                    nac_hub::http::serve_tls(
                        hub.clone(),
                        listener,
                        config,
                        limits,
                        shutdown_signal(),
                    )
                    .await?
                }
                None => serve(hub.clone(), listener, limits, shutdown_signal()).await?,
            }
            nac_hub::epoch::refresh(&hub.store, &hub.keys, &hub.epoch()).await?;
            Ok(())
        }
        Command::Station { command } => {
            let hub = open(&args, clock, Policy::default()).await?;
            station::run(&hub, command).await
        }
        Command::Admin { command } => {
            let hub = open(&args, clock, Policy::default()).await?;
            admin::run(&hub, command).await
        }
        Command::Phone { command } => {
            let hub = open(&args, clock, Policy::default()).await?;
            phone::run(&hub, command).await
        }
        Command::Purge => {
            let hub = open(&args, clock, Policy::default()).await?;
            let report = hub.store.purge(hub.clock.now()).await?;
            println!("{}", serde_json::to_string(&report)?);
            Ok(())
        }
        Command::Dump => {
            let hub = open(&args, clock, Policy::default()).await?;
            print!("{}", hub.store.dump().await?);
            Ok(())
        }
        Command::Events { since, json } => {
            let hub = open(&args, clock, Policy::default()).await?;
            let mut since = *since;
            loop {
                let events = hub.store.district_events(since, 1000).await?;
                let Some(last) = events.last() else { break };
                since = last.id;
                for e in &events {
                    if *json {
                        println!("{}", serde_json::to_string(e)?);
                    } else {
                        println!(
                            "{}\t{}\t{}\t{}\t{}",
                            e.id,
                            e.at,
                            e.kind,
                            e.station.as_deref().unwrap_or("-"),
                            e.detail
                        );
                    }
                }
            }
            Ok(())
        }
        Command::Epoch { command } => {
            let hub = open(&args, clock, Policy::default()).await?;
            if let Some(EpochCommand::New) = command {
                let epoch = hub.store.new_epoch("restored", hub.clock.now()).await?;
                nac_hub::epoch::write_stamp(&hub.keys, &epoch.name, hub.store.feed_head().await?)?;
                println!("epoch {} ({}) started", epoch.no, epoch.name);
            } else {
                for e in hub.store.epochs().await? {
                    println!("{}\t{}", e.no, e.name);
                }
            }
            Ok(())
        }
    }
}

/// Records the epoch and the feed's head beside the keys every minute (see
/// [`nac_hub::epoch`]), so a restore from a backup is recognised at the next start.
fn spawn_stamper(hub: Hub<AnyStore>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
        loop {
            tick.tick().await;
            if let Err(e) = nac_hub::epoch::refresh(&hub.store, &hub.keys, &hub.epoch()).await {
                tracing::warn!(error = %e, "cannot record the feed stamp");
            }
        }
    });
}

/// Purges expired idempotency records and nonces now and every hour.
fn spawn_purger(hub: Hub<AnyStore>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            tick.tick().await;
            match hub.store.purge(hub.clock.now()).await {
                Ok(report) => tracing::info!(
                    records = report.records,
                    nonces = report.nonces,
                    subscriptions = report.subscriptions,
                    codes = report.codes,
                    "purged"
                ),
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

/// Appends a command-line administration action to the hub's audit log: who is the user
/// running the command, from where is this host.
pub(crate) async fn audit(hub: &Hub<AnyStore>, action: &str, subject: &str) -> Result<()> {
    use nac_hub::store::console::{one_line, ConsoleStore, NewAuditEntry};
    let user = std::env::var("SUDO_USER")
        .or_else(|_| std::env::var("USER"))
        .or_else(|_| std::env::var("LOGNAME"))
        .ok()
        .filter(|u| !u.is_empty())
        .or_else(account_of_this_process)
        .unwrap_or_else(|| "unknown".to_owned());
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "this host".to_owned());
    hub.store
        .append_audit(NewAuditEntry {
            at: hub.clock.now(),
            actor: one_line(&format!("cli:{user}")),
            action: action.to_owned(),
            subject: one_line(subject),
            address: one_line(&format!("command line on {host}")),
        })
        .await
        .context("the action was done, but writing it to the hub's audit log failed")?;
    Ok(())
}

/// The account name of this process's user, from its uid and `/etc/passwd` (a service or a
/// cron job may run without `$USER`).
fn account_of_this_process() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let uid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))?
        .split_whitespace()
        .next()?
        .to_owned();
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        (fields.nth(1)? == uid).then(|| name.to_owned())
    })
}
