//! `nac-hub admin add | list | disable | enable | reset`: the district staff who sign in to the
//! console. A new or reset account gets a one-time password, printed once, that must be
//! changed at its first sign-in.

use anyhow::{anyhow, bail, Result};
use clap::{Subcommand, ValueEnum};
use nac_hub::console::auth::{hash_now, one_time_password};
use nac_hub::store::console::{AdminRole, ConsoleStore};
use nac_hub::{AnyStore, Hub};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Role {
    /// Everything the console offers.
    Admin,
    /// Reads every page, changes nothing.
    Viewer,
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Add an account and print its one-time password.
    Add {
        /// Sign-in name (letters, digits, `.`, `_`, `-`; at most 64).
        name: String,
        /// What it may do.
        #[arg(long, value_enum)]
        role: Role,
        /// Print JSON (field `password`).
        #[arg(long)]
        json: bool,
    },
    /// List the accounts.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Disable an account: it cannot sign in and its sessions end at once.
    Disable {
        /// The account.
        name: String,
    },
    /// Enable a disabled account again.
    Enable {
        /// The account.
        name: String,
    },
    /// Give an account a new one-time password (a forgotten password): its sessions end.
    Reset {
        /// The account.
        name: String,
        /// Print JSON (field `password`).
        #[arg(long)]
        json: bool,
    },
}

fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

fn print_password(name: &str, password: &str, json: bool) {
    if json {
        println!(
            "{}",
            serde_json::json!({ "name": name, "password": password, "must_change": true })
        );
    } else {
        println!("account {name}: one-time password {password}");
        println!("it must be changed at the first sign-in at /console/; it is not shown again");
    }
}

pub async fn run(hub: &Hub<AnyStore>, command: &AdminCommand) -> Result<()> {
    let store = &hub.store;
    match command {
        AdminCommand::Add { name, role, json } => {
            if !valid_name(name) {
                bail!("the name must be 1-64 letters, digits, `.`, `_` or `-`");
            }
            let password = one_time_password().map_err(|e| anyhow!("random source: {e}"))?;
            let hash = hash_now(&password)?;
            let role = match role {
                Role::Admin => AdminRole::Admin,
                Role::Viewer => AdminRole::Viewer,
            };
            if !store.add_admin(name, role, &hash, hub.clock.now()).await? {
                bail!("there is already an account {name}; nothing was changed");
            }
            super::audit(hub, "admin.add", &format!("{name} ({})", role.as_str())).await?;
            print_password(name, &password, *json);
        }
        AdminCommand::List { json } => {
            let admins = store.admins().await?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&admins)?);
            } else {
                for a in admins {
                    println!(
                        "{}\t{}\t{}\t{}",
                        a.name,
                        a.role.as_str(),
                        if a.disabled_at.is_some() {
                            "disabled"
                        } else {
                            "enabled"
                        },
                        if a.must_change {
                            "one-time password"
                        } else {
                            "own password"
                        }
                    );
                }
            }
        }
        AdminCommand::Disable { name } => {
            if !store
                .set_admin_disabled(name, Some(hub.clock.now()))
                .await?
            {
                bail!("no account {name}; nothing was changed");
            }
            super::audit(hub, "admin.disable", name).await?;
            println!("account {name} disabled; its sessions have ended");
        }
        AdminCommand::Enable { name } => {
            if !store.set_admin_disabled(name, None).await? {
                bail!("no account {name}; nothing was changed");
            }
            super::audit(hub, "admin.enable", name).await?;
            println!("account {name} enabled");
        }
        AdminCommand::Reset { name, json } => {
            let password = one_time_password().map_err(|e| anyhow!("random source: {e}"))?;
            let hash = hash_now(&password)?;
            if !store.set_admin_password(name, &hash, true, None).await? {
                bail!("no account {name}; nothing was changed");
            }
            super::audit(hub, "admin.reset", name).await?;
            print_password(name, &password, *json);
        }
    }
    Ok(())
}
