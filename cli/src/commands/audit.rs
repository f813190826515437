//! `nac audit verify`: walks the audit log's hash chain and names the first edited, deleted or
//! moved row; an enrolled station then compares the log with the heads the hub holds, which
//! catches a log rewritten with every hash recomputed (exit 0 intact, 1 broken, 2 the hub could
//! not be asked — `--local` checks the chain only). `nac audit list`: the newest entries.
//! `nac audit export FILE.csv`: every row with its hashes.

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
    /// Check the hash chain of the whole log, and the heads the hub holds when enrolled.
    Verify {
        /// Check the chain here only (do not ask the hub).
        #[arg(long)]
        local: bool,
    },
    /// Write the whole log with its hashes to a CSV file (administrators).
    Export { out: std::path::PathBuf },
    /// The newest entries (what, when, from which source, by which volunteer).
    List {
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
}

pub fn audit(ctx: &Context, a: AuditArgs) -> anyhow::Result<Report> {
    let mut station = ctx.open()?;
    let lang = ctx.lang;
    match a.command {
        AuditCommand::Verify { local } => {
            let check = station.verify_audit()?;
            if let Some(p) = &check.problem {
                return Ok(Report::refused(
                    lang.pick(&p.message),
                    json!({ "audit": check }),
                ));
            }
            let intact = format!(
                "{} {} {}",
                lang.t("审计记录完整：", "audit log intact:"),
                check.rows,
                lang.t("条", "rows")
            );
            let hub = match station.hub_url()? {
                Some(hub) if !local && station.is_enrolled() => hub,
                _ => return Ok(Report::ok(intact, json!({ "audit": check }))),
            };
            let mut transport = station.hub_transport(&hub)?;
            let anchors = station.check_audit_anchors(&mut transport)?;
            let json = json!({ "audit": check, "anchors": anchors });
            Ok(match (&anchors.problem, &anchors.newest) {
                (Some(p), _) => Report::refused(lang.pick(&p.message), json),
                (None, Some(newest)) => Report::ok(
                    format!(
                        "{intact}
{} {} ({})",
                        lang.t(
                            "与区平台保存的记录一致，至第",
                            "matches the heads the hub holds, up to row"
                        ),
                        newest.seq,
                        format_cst_second(newest.received_at)
                    ),
                    json,
                ),
                (None, None) => Report::ok(
                    format!(
                        "{intact}
{}",
                        lang.t(
                            "区平台尚未保存本站的审计记录（同步后保存）",
                            "the hub holds no audit head of this station yet (a sync sends it)"
                        )
                    ),
                    json,
                ),
            })
        }
        AuditCommand::Export { out } => {
            let done = station.export_audit(&out)?;
            let human = format!(
                "{} {} {} {}",
                lang.t("已导出", "exported"),
                done.rows,
                lang.t("条审计记录到", "audit rows to"),
                out.display()
            );
            let json = json!({ "export": done, "path": out });
            Ok(if done.intact {
                Report::ok(human, json)
            } else {
                Report::refused(
                    format!(
                        "{human}\n{}",
                        lang.t("记录链校验未通过", "the chain check failed")
                    ),
                    json,
                )
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
