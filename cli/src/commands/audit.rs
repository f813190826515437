//! `nac audit verify`: walks the audit log's hash chain and names the first edited, deleted or
//! moved row (exit 0 intact, 1 broken). `nac audit list`: the newest entries.

use super::Context;
use crate::output::Report;
use nac_core::time::format_cst_second;
use serde_json::json;

#[derive(clap::Args)]
pub struct AuditArgs {
    #[command(subcommand)]
    command: AuditCommand,
}

#[derive(clap::Subcommand)]
enum AuditCommand {
    /// Check the hash chain of the whole log.
    Verify,
    /// The newest entries (what, when, from which source, by which volunteer).
    List {
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
}

pub fn audit(ctx: &Context, a: AuditArgs) -> anyhow::Result<Report> {
    let station = ctx.open()?;
    let lang = ctx.lang;
    match a.command {
        AuditCommand::Verify => {
            let check = station.verify_audit()?;
            let json = json!({ "audit": check });
            Ok(match &check.problem {
                None => Report::ok(
                    format!(
                        "{} {} {}",
                        lang.t("审计记录完整：", "audit log intact:"),
                        check.rows,
                        lang.t("条", "rows")
                    ),
                    json,
                ),
                Some(p) => Report::refused(lang.pick(&p.message), json),
            })
        }
        AuditCommand::List { limit } => {
            let entries = station.audit_log(limit)?;
            let human = entries
                .iter()
                .map(|e| {
                    format!(
                        "{:>6}  {}  {:<6} {:<12} {:<16} {}",
                        e.id,
                        format_cst_second(e.at),
                        e.source,
                        e.volunteer,
                        e.action,
                        e.subject
                    )
                })
                .collect::<Vec<_>>()
                .join("\n");
            Ok(Report::ok(human, json!({ "entries": entries })))
        }
    }
}
