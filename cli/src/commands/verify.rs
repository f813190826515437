//! `nac verify`: what a checkpoint sees when it scans a card. Exit 0 valid, 1 refused,
//! 2 when the station could not check (`cannot_check`).

use super::Context;
use crate::output::{Lang, Report};
use nac_core::time::format_cst_minute;
use nac_credential::Verdict;
use serde_json::json;
use std::io::Read as _;

#[derive(clap::Args)]
pub struct VerifyArgs {
    /// The scanned text (NAC1:…), or `-` to read it from standard input.
    text: String,
}

pub fn verdict_text(v: Verdict, lang: Lang) -> &'static str {
    match v {
        Verdict::Valid => lang.t("有效", "VALID"),
        Verdict::Expired => lang.t("已过期", "EXPIRED"),
        Verdict::Superseded => lang.t("已被新码取代（作废）", "SUPERSEDED (void)"),
        Verdict::Rejected => lang.t("已被驳回（作废）", "REJECTED (void)"),
        Verdict::KeyWithdrawn => lang.t(
            "签发密钥已停用后签发（作废）",
            "KEY WITHDRAWN (signed after the key was withdrawn: void)",
        ),
        Verdict::UnknownIssuer => lang.t("签发站点未知", "UNKNOWN ISSUER"),
        Verdict::Forged => lang.t("伪造或被篡改", "FORGED"),
        Verdict::Malformed => lang.t("无法识别", "MALFORMED"),
        Verdict::InvalidWindow => lang.t("有效期不是30天（拒绝）", "INVALID VALIDITY WINDOW"),
        Verdict::NotYetValid => lang.t("签发时间在未来（拒绝）", "NOT YET VALID"),
        Verdict::CannotCheck => lang.t("无法核验（数据库故障）", "CANNOT CHECK"),
    }
}

pub fn verify(ctx: &Context, a: VerifyArgs) -> anyhow::Result<Report> {
    let text = if a.text == "-" {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s)?;
        s
    } else {
        a.text
    };
    let station = ctx.open()?;
    let v = station.verify(&text);
    let lang = ctx.lang;
    let mut human = verdict_text(v.verdict, lang).to_string();
    if let Some(reason) = &v.reason {
        human.push_str(&format!(" ({reason})"));
    }
    if let Some(c) = &v.claims {
        human.push_str(&format!(
            "\n{} {}  {} ****{}\n{} {}  {} {}",
            lang.t("姓名", "Name"),
            c.masked_name,
            lang.t("证件", "ID"),
            c.id_last4,
            lang.t("有效期至", "Valid until"),
            format_cst_minute(c.expires_at),
            lang.t("签发站点", "Issued by"),
            c.station_id
        ));
    }
    // Offline verification is only as current as the hub's lists the station last fetched.
    let status = station.sync_status()?;
    let trust_age = status.trust_list_at.map(|at| (station.now() - at).max(0));
    if status.enrolled {
        human.push_str(&match status.trust_list_at {
            Some(at) => format!(
                "\n{} {} ({} {:.1} {})",
                lang.t("区平台名单更新于", "hub lists as of"),
                format_cst_minute(at),
                lang.t("距今", "age"),
                trust_age.unwrap_or(0) as f64 / 86_400.0,
                lang.t("天", "days")
            ),
            None => format!(
                "\n{}",
                lang.t("尚未从区平台获取名单", "no hub lists fetched yet")
            ),
        });
    }
    let json = json!({ "verification": v, "trust_list_at": status.trust_list_at, "trust_list_age_secs": trust_age });
    Ok(match v.verdict {
        Verdict::Valid => Report::ok(human, json),
        // Not a verdict on the card: the station failed. Exit 2 like any other error, so a
        // script cannot take it for a refusal (1) of the code.
        Verdict::CannotCheck => Report {
            human,
            json,
            exit: 2,
            error: true,
        },
        _ => Report::refused(human, json),
    })
}
