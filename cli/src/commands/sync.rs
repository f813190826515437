//! `nac enrol`, `nac sync`, `nac queue`: the station's link with NAC Hub (docs/sync.md).
//!
//! `nac sync` exits 0 when everything is synced, 1 when the hub rejected or refused some
//! events (see `nac queue`), 2 when the hub could not be reached or the usage is wrong.

use super::Context;
use crate::output::{Lang, Report};
use nac_core::time::format_cst_minute;
use nac_core::{QueueEntry, SyncReport};
use serde_json::json;

#[derive(clap::Args)]
pub struct EnrolArgs {
    /// The hub's address, e.g. http://127.0.0.1:8700.
    #[arg(long)]
    hub: String,
    /// The one-time enrolment code from `nac-hub station add`.
    #[arg(long)]
    code: String,
    /// The district's CA certificate (PEM) for an https:// hub whose certificate it issued
    /// itself; remembered and trusted for this hub from now on.
    #[arg(long)]
    hub_ca: Option<std::path::PathBuf>,
}

#[derive(clap::Args)]
pub struct SyncArgs {
    /// The hub's address (default: the one remembered at enrolment).
    #[arg(long)]
    hub: Option<String>,
}

#[derive(clap::Args)]
pub struct QueueArgs {
    /// Include synced, demo and pre-enrolment events too.
    #[arg(long)]
    all: bool,
    /// At most this many events.
    #[arg(long, default_value_t = 1000)]
    limit: u32,
}

pub fn enrol(ctx: &Context, a: EnrolArgs) -> anyhow::Result<Report> {
    let mut station = ctx.open()?;
    let ca = match &a.hub_ca {
        Some(path) => Some(read_ca(path)?),
        None => None,
    };
    let done = station.enrol_with_hub(&a.hub, &a.code, ca.as_deref())?;
    let lang = ctx.lang;
    Ok(Report::ok(
        format!(
            "{} {}\n{} {}  ({} {})",
            lang.t(
                "已注册到区平台，站点编号",
                "Enrolled with the hub as station"
            ),
            done.station_id,
            lang.t("区平台", "Hub"),
            done.hub_url,
            done.issuers,
            lang.t("个签发方已信任", "trusted issuers")
        ),
        json!({ "enrolment": done }),
    ))
}

/// The hub's CA certificate file (PEM, at most [`nac_core::station::MAX_HUB_CA_BYTES`]).
fn read_ca(path: &std::path::Path) -> anyhow::Result<String> {
    use anyhow::Context as _;
    let meta =
        std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
    anyhow::ensure!(
        meta.len() <= nac_core::station::MAX_HUB_CA_BYTES as u64,
        "{} is too large for a CA certificate",
        path.display()
    );
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

pub fn sync(ctx: &Context, a: SyncArgs) -> anyhow::Result<Report> {
    let mut station = ctx.open()?;
    let hub = match a.hub {
        Some(hub) => hub,
        None => station.hub_url()?.ok_or(nac_core::Error::NotEnrolled)?,
    };
    let mut transport = station.hub_transport(&hub)?;
    let report = station.sync(&mut transport, &mut |_| {})?;
    let human = sync_text(&report, ctx.lang);
    let exit = report.exit_code() as u8;
    Ok(Report {
        human,
        json: json!({ "sync": report }),
        exit,
        error: exit == 2,
    })
}

fn sync_text(r: &SyncReport, lang: Lang) -> String {
    let mut text = format!(
        "{}: {} {}, {} {}, {} {}, {} {}",
        lang.t("推送", "pushed"),
        r.pushed,
        lang.t("条", "events"),
        r.synced,
        lang.t("已同步", "synced"),
        r.rejected,
        lang.t("被驳回", "rejected"),
        r.failed,
        lang.t("失败", "failed"),
    );
    text.push_str(&format!(
        "\n{}: {} {}, {} {}",
        lang.t("拉取", "pulled"),
        r.pulled,
        lang.t("条变更", "changes"),
        r.adopted,
        lang.t("个外部核酸码已采用", "codes from elsewhere adopted"),
    ));
    if r.rejected > 0 {
        text.push_str(&format!(
            "\n{}",
            lang.t(
                "被驳回的申领已作废并采用区平台的有效码；请用 nac cards 查看需更换的纸质码",
                "rejected renewals are void and the hub's code was adopted; `nac cards` lists the printed cards to replace"
            )
        ));
    }
    if let Some(why) = &r.stopped {
        text.push_str(&format!(
            "\n{}: {}  ({} {}, {} {})",
            lang.t("同步中断", "sync stopped"),
            lang.pick(why),
            r.waiting,
            lang.t("条待发送", "events waiting"),
            lang.t("下次尝试", "next attempt"),
            r.next_attempt_at.map(format_cst_minute).unwrap_or_default()
        ));
    }
    text
}

pub fn queue(ctx: &Context, a: QueueArgs) -> anyhow::Result<Report> {
    let station = ctx.open()?;
    let status = station.sync_status()?;
    let entries = station.queue(!a.all, a.limit)?;
    let lang = ctx.lang;
    let mut human = format!(
        "{} {}  {} {}  {} {}  {} {}  {} {}",
        lang.t("待发送", "queued"),
        status.queued + status.sending,
        lang.t("已同步", "synced"),
        status.synced,
        lang.t("被驳回", "rejected"),
        status.rejected,
        lang.t("出错", "error"),
        status.error,
        lang.t("注册前", "before enrolment"),
        status.local,
    );
    human.push_str(&format!(
        "\n{}: {}",
        lang.t("上次同步", "last sync"),
        status
            .last_sync_at
            .map(format_cst_minute)
            .unwrap_or_else(|| lang.t("从未", "never").to_string())
    ));
    if !status.enrolled {
        human.push_str(&format!(
            "\n{}",
            lang.t(
                "本站尚未注册到区平台",
                "this station is not enrolled with a hub"
            )
        ));
    }
    for e in &entries {
        human.push_str(&format!("\n{}", entry_text(e, lang)));
    }
    Ok(Report::ok(
        human,
        json!({ "status": status, "events": entries }),
    ))
}

fn entry_text(e: &QueueEntry, lang: Lang) -> String {
    let mut line = format!(
        "{}  {:<8} {} {}",
        e.applied_at.map(format_cst_minute).unwrap_or_default(),
        e.state,
        e.name.as_deref().unwrap_or("-"),
        e.serial.as_deref().unwrap_or("")
    );
    if let Some(reason) = &e.reason {
        line.push_str(&format!("  [{reason}]"));
    }
    if let Some(message) = &e.message {
        line.push_str(&format!(" {}", lang.pick(message)));
    }
    if let Some(next) = e.next_attempt_at {
        line.push_str(&format!(
            "  {} {}",
            lang.t("下次重试", "next retry"),
            format_cst_minute(next)
        ));
    }
    line
}
