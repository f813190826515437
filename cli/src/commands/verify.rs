//! `nac verify`: what a checkpoint sees when it scans a card.

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
        Verdict::UnknownIssuer => lang.t("签发站点未知", "UNKNOWN ISSUER"),
        Verdict::Forged => lang.t("伪造或被篡改", "FORGED"),
        Verdict::Malformed => lang.t("无法识别", "MALFORMED"),
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
    let json = json!({ "verification": v });
    Ok(if v.verdict == Verdict::Valid {
        Report::ok(human, json)
    } else {
        Report::refused(human, json)
    })
}
