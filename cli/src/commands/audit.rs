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
            let mut stmt = station.connection().prepare(
                "SELECT a.id, a.at, a.source, coalesce(v.account, ''), a.action, a.subject
                 FROM audit_log a LEFT JOIN volunteers v ON v.id = a.volunteer_id
                 ORDER BY a.id DESC LIMIT ?1",
            )?;
            let rows = stmt
                .query_map([limit], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, String>(5)?,
                    ))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            let human = rows
                .iter()
                .map(|(id, at, source, who, action, subject)| {
                    format!(
                        "{id:>6}  {}  {source:<6} {who:<12} {action:<16} {subject}",
                        format_cst_second(*at)
                    )
                })
                .collect::<Vec<_>>()
                .join("\n");
            let json = json!({ "entries": rows.iter().map(|(id, at, source, who, action, subject)| json!({
                "id": id, "at": at, "source": source, "volunteer": who, "action": action, "subject": subject
            })).collect::<Vec<_>>() });
            Ok(Report::ok(human, json))
        }
    }
}
