//! `nac volunteer`: the station's accounts (administrators only; the CLI without `--as` is the
//! station administrator). Secrets come from `$NAC_NEW_PIN` or a terminal prompt, never from
//! the command line (where `ps` and the shell history would keep them).

use super::Context;
use crate::output::Report;
use nac_core::station::Role;
use serde_json::json;

#[derive(clap::Args)]
pub struct VolunteerArgs {
    #[command(subcommand)]
    command: VolunteerCommand,
}

#[derive(clap::Subcommand)]
enum VolunteerCommand {
    /// Every account with its role and whether it can sign in.
    List,
    /// Add an account (a 6-digit PIN or a passphrase of 8+ characters).
    Add {
        name: String,
        /// An administrator (reveals full numbers, manages accounts) instead of a volunteer.
        #[arg(long)]
        admin: bool,
    },
    /// Disable an account: it can no longer sign in; its history stays.
    Disable { name: String },
}

pub fn volunteer(ctx: &Context, a: VolunteerArgs) -> anyhow::Result<Report> {
    let mut station = ctx.open()?;
    let lang = ctx.lang;
    match a.command {
        VolunteerCommand::List => {
            let accounts = station.accounts()?;
            let lines: Vec<String> = accounts
                .iter()
                .map(|acc| {
                    format!(
                        "{}\t{}{}",
                        acc.account,
                        match acc.role {
                            Role::Admin => lang.t("管理员", "administrator"),
                            Role::Volunteer => lang.t("志愿者", "volunteer"),
                        },
                        if acc.disabled {
                            lang.t("（已停用）", " (disabled)")
                        } else if !acc.can_sign_in {
                            lang.t("（无PIN，不能登录）", " (no PIN, cannot sign in)")
                        } else {
                            ""
                        }
                    )
                })
                .collect();
            Ok(Report::ok(
                lines.join("\n"),
                json!({ "accounts": accounts }),
            ))
        }
        VolunteerCommand::Add { name, admin } => {
            let pin = super::secrets::read_new_pin()?;
            let role = if admin { Role::Admin } else { Role::Volunteer };
            station.add_account(&name, role, &pin)?;
            Ok(Report::ok(
                format!("{} {name}", lang.t("已添加账号", "account added:")),
                json!({ "added": name, "role": role }),
            ))
        }
        VolunteerCommand::Disable { name } => {
            station.disable_account(&name)?;
            Ok(Report::ok(
                format!("{} {name}", lang.t("已停用账号", "account disabled:")),
                json!({ "disabled": name }),
            ))
        }
    }
}
