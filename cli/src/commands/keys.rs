//! `nac key list` and `nac key rotate`: the station's signing keys.
//!
//! Rotating replaces the key that signs codes; the old one is kept to verify the cards it
//! signed. An enrolled station reaches its hub, which certifies the new key (exit 2 when it
//! cannot be reached: nothing changed, the current key keeps signing; run it again).

use super::Context;
use crate::output::Report;
use nac_core::time::format_cst_minute;
use serde_json::json;

#[derive(clap::Args)]
pub struct KeyArgs {
    #[command(subcommand)]
    command: KeyCommand,
}

#[derive(clap::Subcommand)]
enum KeyCommand {
    /// The signing keys: the active one, one waiting for the hub, the retired ones.
    List,
    /// Make a new signing key (administrators; the hub certifies it when enrolled).
    Rotate {
        /// The hub's address (default: the one remembered at enrolment).
        #[arg(long)]
        hub: Option<String>,
    },
}

pub fn key(ctx: &Context, a: KeyArgs) -> anyhow::Result<Report> {
    let mut station = ctx.open()?;
    let lang = ctx.lang;
    match a.command {
        KeyCommand::List => {
            let keys = station.signing_keys()?;
            let human = keys
                .iter()
                .map(|k| {
                    let state = match k.state.as_str() {
                        "active" => lang.t("使用中", "active"),
                        "pending" => lang.t("待区平台认证", "waiting for the hub"),
                        _ => lang.t("已停用（仅用于核验）", "retired (verification only)"),
                    };
                    let retired = k
                        .retired_at
                        .map(|t| format!("  → {}", format_cst_minute(t)))
                        .unwrap_or_default();
                    format!(
                        "{}  {}{}  {}",
                        k.kid,
                        format_cst_minute(k.created_at),
                        retired,
                        state
                    )
                })
                .collect::<Vec<_>>()
                .join("\n");
            Ok(Report::ok(human, json!({ "keys": keys })))
        }
        KeyCommand::Rotate { hub } => {
            let hub = match hub {
                Some(hub) => Some(hub),
                None => station.hub_url()?,
            };
            let rotation = match &hub {
                Some(url) => {
                    let mut transport = station.hub_transport(url)?;
                    station.rotate_key(Some(&mut transport))?
                }
                None => station.rotate_key(None)?,
            };
            let certified = if rotation.certified_by_hub {
                lang.t("区平台已认证新密钥", "the hub certified the new key")
            } else {
                lang.t(
                    "本站尚未注册到区平台，注册时会登记新密钥",
                    "not enrolled: the new key is registered at enrolment",
                )
            };
            Ok(Report::ok(
                format!(
                    "{} {}\n{} {}\n{}",
                    lang.t("新签名密钥", "new signing key"),
                    rotation.kid,
                    lang.t("旧密钥（仅用于核验）", "old key (verification only)"),
                    rotation.replaced_kid,
                    certified
                ),
                json!({ "rotation": rotation }),
            ))
        }
    }
}
