//! `nac-hub station add | list | disable | enable`.

use anyhow::{bail, Result};
use clap::Subcommand;
use nac_hub::{AnyStore, Hub, Store};

#[derive(Debug, Subcommand)]
pub enum StationCommand {
    /// Register a station and print its one-time enrolment code (valid 24 hours).
    Add {
        /// Display name, e.g. "Lane 1200 Residents' Committee".
        #[arg(long)]
        name: String,
        /// The area it serves.
        #[arg(long)]
        area: String,
        /// Print JSON (field `enrolment_code`).
        #[arg(long)]
        json: bool,
    },
    /// List stations.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Disable a station: its pushes get 403; its key stays in the trust list as disabled.
    Disable {
        /// The station id (ST-XXXXXX).
        id: String,
    },
    /// Enable a disabled station again: it syncs and issues codes again.
    Enable {
        /// The station id (ST-XXXXXX).
        id: String,
    },
    /// A one-time code that gives an enrolled station a new key and retires every key it held
    /// (its key was stolen, or a thief rotated it): on the station, `nac enrol --code CODE`.
    Rekey {
        /// The station id (ST-XXXXXX).
        id: String,
        /// Print JSON (field `enrolment_code`).
        #[arg(long)]
        json: bool,
    },
    /// How many residents (person keys) a station may look up and follow: about its roster.
    Allow {
        /// The station id (ST-XXXXXX).
        id: String,
        /// The allowance; `default` for the hub's (`serve --max-subscriptions`).
        #[arg(long)]
        subscriptions: String,
    },
}

pub async fn run(hub: &Hub<AnyStore>, command: &StationCommand) -> Result<()> {
    match command {
        StationCommand::Add { name, area, json } => {
            if name.trim().is_empty() || area.trim().is_empty() {
                bail!("--name and --area must not be empty");
            }
            let (station, code) = hub.add_station(name.trim(), area.trim()).await?;
            let expires_at = station.created_at + nac_hub::service::ENROLMENT_CODE_TTL_SECS;
            super::audit(
                hub,
                "station.add",
                &format!("{} {} ({})", station.id, station.name, station.area),
            )
            .await?;
            if *json {
                println!(
                    "{}",
                    serde_json::json!({
                        "station": station.id,
                        "name": station.name,
                        "area": station.area,
                        "enrolment_code": code,
                        "expires_at": expires_at,
                    })
                );
            } else {
                println!(
                    "station {} ({}, {})",
                    station.id, station.name, station.area
                );
                println!("enrolment code: {code}");
                println!("single use; valid for 24 hours. On the station: nac enrol --hub URL --code {code}");
            }
        }
        StationCommand::List { json } => {
            let stations = hub.store.list_stations().await?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&stations)?);
            } else {
                for s in stations {
                    println!(
                        "{}\t{}\t{}\t{}\t{}\t{}",
                        s.id,
                        s.status.as_str(),
                        s.kid.as_deref().unwrap_or("-"),
                        s.last_seen_at.map_or("-".into(), |t| t.to_string()),
                        s.name,
                        s.area
                    );
                }
            }
        }
        StationCommand::Disable { id } => {
            if id == nac_protocol::PHONE_CHANNEL {
                bail!("`phone` is the phone gateway, not a station; nothing was changed");
            }
            let now = hub.clock.now();
            if !hub.store.disable_station(id, now).await? {
                bail!("no enabled station {id}; nothing was changed");
            }
            super::audit(hub, "station.disable", id).await?;
            println!(
                "station {id} disabled: its codes dated from now on are refused everywhere; \
                 earlier ones stay valid"
            );
        }
        StationCommand::Enable { id } => {
            if !hub.store.enable_station(id, hub.clock.now()).await? {
                bail!("no disabled station {id}; nothing was changed");
            }
            super::audit(hub, "station.enable", id).await?;
            println!("station {id} enabled");
        }
        StationCommand::Rekey { id, json } => {
            let code = hub.rekey_station(id).await?;
            super::audit(hub, "station.reenrol", id).await?;
            if *json {
                println!(
                    "{}",
                    serde_json::json!({ "station": id, "enrolment_code": code })
                );
            } else {
                println!("re-key code for {id}: {code}");
                println!(
                    "single use; valid for 24 hours. On the station: nac enrol --code {code} \
                     (every key the station held is retired when it is used)"
                );
            }
        }
        StationCommand::Allow { id, subscriptions } => {
            let max = match subscriptions.as_str() {
                "default" => None,
                n => Some(n.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
                    anyhow::anyhow!("--subscriptions must be a number or `default`")
                })?),
            };
            if !hub.store.set_max_subscriptions(id, max).await? {
                bail!("no station {id}; nothing was changed");
            }
            super::audit(hub, "station.allow", &format!("{id}: {subscriptions}")).await?;
            println!("station {id} may follow {subscriptions} residents");
        }
    }
    Ok(())
}
