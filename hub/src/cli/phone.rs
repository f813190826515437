//! `nac-hub phone renew`: a resident's own renewal, as the phone gateway would send it — to a
//! running hub (`--hub URL`, signed with the gateway key from the key directory, through the
//! protocol crate's client; feature `client`) or straight into the database.

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use nac_hub::{AnyStore, Hub};
#[cfg(feature = "client")]
use nac_protocol::{client::SignedClient, Method, PATH_PHONE_RENEW, PHONE_CHANNEL};
use nac_protocol::{new_event_id, Capacity, PersonKey, PhoneRenewRequest, V1};

#[derive(Debug, Subcommand)]
pub enum PhoneCommand {
    /// Renew a person's code through the phone channel; prints the hub's answer (JSON).
    Renew {
        /// The person key (64 hex digits).
        #[arg(long)]
        person_key: String,
        /// `self` or `family`.
        #[arg(long, default_value = "self")]
        capacity: String,
        /// Send through a running hub (e.g. http://127.0.0.1:8700) instead of the database.
        #[cfg(feature = "client")]
        #[arg(long)]
        hub: Option<String>,
        /// The idempotency key (default: a fresh one).
        #[arg(long)]
        event_id: Option<String>,
    },
}

pub async fn run(hub: &Hub<AnyStore>, command: &PhoneCommand) -> Result<()> {
    let PhoneCommand::Renew {
        person_key,
        capacity,
        event_id,
        ..
    } = command;
    let person_key = PersonKey::parse(person_key)?;
    let Some(capacity) = Capacity::parse(capacity).filter(|c| *c != Capacity::Volunteer) else {
        bail!("--capacity must be self or family");
    };
    let event_id = match event_id {
        Some(id) => id.clone(),
        None => new_event_id().context("random source")?,
    };
    let req = PhoneRenewRequest {
        v: V1,
        event_id,
        person_key,
        capacity,
        issued_at: hub.clock.now(),
    };
    #[cfg(feature = "client")]
    if let PhoneCommand::Renew { hub: Some(url), .. } = command {
        let clock = hub.clock.clone();
        let client = SignedClient::new(url, PHONE_CHANNEL, hub.keys.phone_gateway()?)
            .with_clock(std::sync::Arc::new(move || clock.now()));
        let body = serde_json::to_vec(&req)?;
        let answer =
            tokio::task::spawn_blocking(move || client.send(Method::Post, PATH_PHONE_RENEW, &body))
                .await??;
        if answer.status != 200 {
            bail!("hub answered {}: {}", answer.status, answer.text());
        }
        println!("{}", answer.text());
        return Ok(());
    }
    let answer = hub.phone_renew(&req).await?;
    println!("{{\"v\":1,\"result\":{answer}}}");
    Ok(())
}
