//! The overview: the district at a glance, and what it must act on.

use std::fmt::Write as _;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::html::{ago, day_date, day_label, esc, notice, when, Lang};
use super::session::{Ctx, Signed};
use super::{html, server_error, ConsoleState};
use crate::store::console::{ConsoleStore, Overview, Renewals, StationActivity};
use crate::store::{DistrictEvent, StationStatus, Store};

/// A station silent longer than this is an alert (24 hours).
pub(super) const SILENT_SECS: i64 = 86_400;

#[derive(Deserialize)]
pub(super) struct Done {
    done: Option<String>,
}

/// `GET /console/`.
pub(super) async fn page<S: Store + ConsoleStore>(
    State(console): ConsoleState<S>,
    signed: Signed,
    Query(q): Query<Done>,
) -> Response {
    let ctx = &signed.ctx;
    let store = &console.hub.store;
    let today = nac_protocol::cst_day(ctx.now);
    let loaded = async {
        Ok::<_, crate::StoreError>((
            store.overview(today, ctx.now).await?,
            store.station_activity(today).await?,
            store
                .recent_district_events(ctx.now - 7 * 86_400, 200)
                .await?,
        ))
    };
    let (overview, stations, events) = match loaded.await {
        Ok(v) => v,
        Err(e) => return server_error(&e),
    };
    let mut body = String::new();
    if q.done.as_deref() == Some("password") {
        body.push_str(&notice(
            "ok",
            ctx.t("新密码已保存", "The new password is saved"),
        ));
    }
    body.push_str(&alerts(ctx, &stations, &events));
    body.push_str(&station_counts(ctx, &overview));
    body.push_str(&renewals(ctx, &overview));
    body.push_str(&chart(ctx, &overview.accepted_per_day));
    let uptime = ctx.now - console.started_at;
    let _ = write!(
        body,
        "<section aria-labelledby=\"hub-h\"><h2 id=\"hub-h\">{}</h2><dl class=\"facts\">\
         <dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd>\
         <dt>{}</dt><dd>{}</dd></dl></section>",
        ctx.t("区平台", "Hub"),
        ctx.t("版本", "Version"),
        nac_protocol::APP_VERSION,
        ctx.t("数据库", "Database"),
        store.backend_name(),
        ctx.t("已运行", "Up for"),
        duration(ctx.lang, uptime),
        ctx.t("数据库纪元", "Database epoch"),
        esc(&console.hub.epoch().name),
    );
    html(
        StatusCode::OK,
        signed.page(ctx.t("概览", "Overview"), &body),
    )
}

fn duration(lang: Lang, secs: i64) -> String {
    let (d, h, m) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    match lang {
        Lang::Zh => format!("{d}天{h}小时{m}分"),
        Lang::En => format!("{d} d {h} h {m} min"),
    }
}

fn station_counts(ctx: &Ctx, o: &Overview) -> String {
    let oldest = match &o.oldest_sync {
        Some((id, name, at)) => format!(
            "<a href=\"/console/stations/{}\">{}</a>（{}）",
            esc(id),
            esc(name),
            esc(&ago(ctx.lang, ctx.now, *at))
        ),
        None => "—".to_owned(),
    };
    format!(
        "<section aria-labelledby=\"st-h\"><h2 id=\"st-h\">{}</h2><ul class=\"tiles\">\
         <li><span class=\"n\">{}</span> {}</li><li><span class=\"n\">{}</span> {}</li>\
         <li><span class=\"n\">{}</span> {}</li><li><span class=\"n\">{}</span> {}</li>\
         <li><span class=\"n\">{}</span> {}</li></ul><p>{}：{oldest}</p></section>",
        ctx.t("站点", "Stations"),
        o.active,
        ctx.t("在用", "active"),
        o.disabled,
        ctx.t("已停用", "disabled"),
        o.pending,
        ctx.t("待注册", "awaiting enrolment"),
        o.never_synced,
        ctx.t("从未同步", "never synced"),
        o.silent,
        ctx.t("超过24小时未同步", "silent over 24 h"),
        ctx.t("最久未同步的站点", "Longest without a sync"),
    )
}

fn renewals(ctx: &Ctx, o: &Overview) -> String {
    let row = |label: &str, r: &Renewals| {
        format!(
            "<tr><th scope=\"row\">{label}</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            r.station_accepted, r.station_rejected, r.phone_accepted, r.phone_rejected
        )
    };
    format!(
        "<section aria-labelledby=\"rn-h\"><h2 id=\"rn-h\">{}</h2><table><thead><tr>\
         <td></td><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th>\
         <th scope=\"col\">{}</th></tr></thead><tbody>{}{}</tbody></table></section>",
        ctx.t("申领", "Renewals"),
        ctx.t("站点·通过", "Stations · accepted"),
        ctx.t("站点·驳回", "Stations · rejected"),
        ctx.t("手机·通过", "Phones · accepted"),
        ctx.t("手机·驳回", "Phones · rejected"),
        row(ctx.t("今天", "Today"), &o.today),
        row(ctx.t("近7天", "Last 7 days"), &o.week),
    )
}

/// Accepted renewals per day as bars (SVG with presentation attributes only), with the same
/// figures in a table for screen readers and keyboard users.
fn chart(ctx: &Ctx, days: &[(i64, i64)]) -> String {
    let max = days.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    let (bar, gap, height) = (18i64, 4i64, 120i64);
    let width = days.len() as i64 * (bar + gap);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-labelledby=\"ch-h\" \
         viewBox=\"0 0 {width} {}\" width=\"{width}\" height=\"{}\">",
        height + 20,
        height + 20
    );
    for (i, (day, n)) in days.iter().enumerate() {
        let h = (n * height / max).max(if *n > 0 { 1 } else { 0 });
        let x = i as i64 * (bar + gap);
        let _ = write!(
            svg,
            "<rect x=\"{x}\" y=\"{}\" width=\"{bar}\" height=\"{h}\" fill=\"#1d5fa8\">\
             <title>{} {n}</title></rect>",
            height - h,
            day_date(*day)
        );
        if i % 5 == 4 || i + 1 == days.len() {
            let _ = write!(
                svg,
                "<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\" \
                 fill=\"#333\">{}</text>",
                x + bar / 2,
                height + 15,
                day_label(*day)
            );
        }
    }
    svg.push_str("</svg>");
    let mut table = String::new();
    for (day, n) in days.iter().rev() {
        let _ = write!(
            table,
            "<tr><th scope=\"row\">{}</th><td>{n}</td></tr>",
            day_date(*day)
        );
    }
    format!(
        "<section aria-labelledby=\"ch-h\"><h2 id=\"ch-h\">{}</h2><div class=\"chart\">{svg}</div>\
         <details><summary>{}</summary><table><thead><tr><th scope=\"col\">{}</th>\
         <th scope=\"col\">{}</th></tr></thead><tbody>{table}</tbody></table></details></section>",
        ctx.t(
            "近30天每日通过的申领",
            "Accepted renewals per day, last 30 days"
        ),
        ctx.t("按日数据", "Figures by day"),
        ctx.t("日期", "Date"),
        ctx.t("通过", "Accepted"),
    )
}

/// What the district must act on: silent stations, bulk look-ups, key changes, clocks, a
/// rewritten audit log, a restored hub.
fn alerts(ctx: &Ctx, stations: &[StationActivity], events: &[DistrictEvent]) -> String {
    let mut items = Vec::new();
    for s in stations.iter().filter(|s| {
        s.status == StationStatus::Active
            && s.last_seen_at.is_some_and(|t| ctx.now - t > SILENT_SECS)
    }) {
        items.push(format!(
            "<li><a href=\"/console/stations/{}\">{}</a> {} {}</li>",
            esc(&s.id),
            esc(&s.name),
            ctx.t(
                "已超过24小时未同步，最近一次：",
                "has not synced for over 24 h; last:"
            ),
            esc(&ago(ctx.lang, ctx.now, s.last_seen_at)),
        ));
    }
    for e in events {
        let what = match e.kind.as_str() {
            "bulk_lookup" | "subscription_refused" => {
                ctx.t("大量查询居民", "Bulk look-up of residents")
            }
            "key_rotated" => ctx.t("站点更换了密钥", "Station rotated its key"),
            "station_rekeyed" => ctx.t("站点重新注册", "Station re-enrolled"),
            "clock_off" => ctx.t(
                "站点时钟与区平台相差过大",
                "Station clock far off the hub's",
            ),
            "audit_rewound" => ctx.t("站点审计记录被改写", "Station audit log rewritten"),
            "epoch_started" | "restore_detected" => {
                ctx.t("区平台从备份恢复", "Hub restored from a backup")
            }
            _ => continue,
        };
        let station = e.station.as_deref().map_or(String::new(), |id| {
            format!(" <a href=\"/console/stations/{}\">{}</a>", esc(id), esc(id))
        });
        items.push(format!(
            "<li><strong>{what}</strong>{station} · {} · <span class=\"detail\">{}</span></li>",
            when(Some(e.at)),
            esc(&e.detail)
        ));
    }
    let list = if items.is_empty() {
        format!(
            "<p>{}</p>",
            ctx.t(
                "近7天没有需要处理的事项",
                "Nothing to act on in the last 7 days"
            )
        )
    } else {
        format!("<ul class=\"alerts\">{}</ul>", items.join(""))
    };
    format!(
        "<section aria-labelledby=\"al-h\"><h2 id=\"al-h\">{}</h2>{list}</section>",
        ctx.t("需要处理", "To act on")
    )
}
