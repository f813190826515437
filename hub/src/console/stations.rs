//! Stations: the list with its filters, one station with its actions (disable, enable,
//! re-enrol), and adding a station with its one-time enrolment code shown large and as a QR
//! code.

use std::fmt::Write as _;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

use super::html::{ago, esc, notice, table_head, url_component, when};
use super::overview::SILENT_SECS;
use super::session::{Ctx, Signed};
use super::{html, qr, server_error, ConsoleState};
use crate::service::ENROLMENT_CODE_TTL_SECS;
use crate::store::console::{ConsoleStore, StationActivity};
use crate::store::{StationStatus, Store};

/// Longest station name or area.
const MAX_TEXT_CHARS: usize = 60;

fn status_label(ctx: &Ctx, s: &StationActivity) -> &'static str {
    match s.status {
        StationStatus::Pending => ctx.t("待注册", "awaiting enrolment"),
        StationStatus::Disabled => ctx.t("已停用", "disabled"),
        StationStatus::Active if s.last_seen_at.is_none() => ctx.t("从未同步", "never synced"),
        StationStatus::Active if s.last_seen_at.is_some_and(|t| ctx.now - t > SILENT_SECS) => {
            ctx.t("超过24小时未同步", "silent over 24 h")
        }
        StationStatus::Active => ctx.t("在用", "active"),
    }
}

/// The list's state filter.
fn state_matches(ctx: &Ctx, s: &StationActivity, state: &str) -> bool {
    match state {
        "active" => s.status == StationStatus::Active,
        "disabled" => s.status == StationStatus::Disabled,
        "pending" => s.status == StationStatus::Pending,
        "silent" => {
            s.status == StationStatus::Active
                && s.last_seen_at.is_some_and(|t| ctx.now - t > SILENT_SECS)
        }
        "never" => s.status == StationStatus::Active && s.last_seen_at.is_none(),
        _ => true,
    }
}

#[derive(Deserialize)]
pub(super) struct Filter {
    area: Option<String>,
    state: Option<String>,
}

/// `GET /console/stations`.
pub(super) async fn list<S: Store + ConsoleStore>(
    State(console): ConsoleState<S>,
    signed: Signed,
    Query(filter): Query<Filter>,
) -> Response {
    let ctx = &signed.ctx;
    let today = nac_protocol::cst_day(ctx.now);
    let stations = match console.hub.store.station_activity(today).await {
        Ok(s) => s,
        Err(e) => return server_error(&e),
    };
    let area = filter.area.unwrap_or_default();
    let state = filter.state.unwrap_or_default();
    let mut areas: Vec<&str> = stations.iter().map(|s| s.area.as_str()).collect();
    areas.sort_unstable();
    areas.dedup();
    let mut body = String::new();
    if signed.is_admin() {
        let _ = write!(
            body,
            "<p><a class=\"button\" href=\"/console/stations/new\">{}</a></p>",
            ctx.t("新增站点", "Add a station")
        );
    }
    let _ = write!(
        body,
        "<form method=\"get\" action=\"/console/stations\" class=\"filters\">\
         <label for=\"area\">{}</label><select id=\"area\" name=\"area\"><option value=\"\">{}</option>",
        ctx.t("区域", "Area"),
        ctx.t("全部区域", "All areas"),
    );
    for a in &areas {
        let _ = write!(
            body,
            "<option{}>{}</option>",
            if *a == area { " selected" } else { "" },
            esc(a)
        );
    }
    let _ = write!(
        body,
        "</select><label for=\"state\">{}</label><select id=\"state\" name=\"state\">",
        ctx.t("状态", "State")
    );
    for (value, zh, en) in [
        ("", "全部状态", "All states"),
        ("active", "在用", "active"),
        ("silent", "超过24小时未同步", "silent over 24 h"),
        ("never", "从未同步", "never synced"),
        ("pending", "待注册", "awaiting enrolment"),
        ("disabled", "已停用", "disabled"),
    ] {
        let _ = write!(
            body,
            "<option value=\"{value}\"{}>{}</option>",
            if value == state { " selected" } else { "" },
            ctx.t(zh, en)
        );
    }
    let _ = write!(
        body,
        "</select><button type=\"submit\">{}</button></form>",
        ctx.t("筛选", "Filter")
    );
    let shown: Vec<&StationActivity> = stations
        .iter()
        .filter(|s| area.is_empty() || s.area == area)
        .filter(|s| state_matches(ctx, s, &state))
        .collect();
    let _ = write!(
        body,
        "<p>{} {} / {}</p><div class=\"wide\">{}",
        ctx.t("显示", "Showing"),
        shown.len(),
        stations.len(),
        table_head(
            ctx.t("站点列表", "Stations"),
            &[
                ctx.t("名称", "Name"),
                ctx.t("区域", "Area"),
                ctx.t("编号", "Id"),
                ctx.t("状态", "State"),
                ctx.t("最近同步", "Last sync"),
                ctx.t("7天通过", "Accepted, 7 d"),
                ctx.t("7天驳回", "Rejected, 7 d"),
                ctx.t("版本", "Version"),
                ctx.t("密钥（轮换）", "Key (rotated)"),
                ctx.t("审计锚点", "Audit anchor"),
            ],
        ),
    );
    for s in shown {
        let rotated = s
            .rotated_at
            .map_or(String::new(), |t| format!("（{}）", when(Some(t))));
        let _ = write!(
            body,
            "<tr><td><a href=\"/console/stations/{}\">{}</a></td><td>{}</td><td>{}</td>\
             <td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code>{}</td>\
             <td>{}</td></tr>",
            esc(&url_component(&s.id)),
            esc(&s.name),
            esc(&s.area),
            esc(&s.id),
            status_label(ctx, s),
            esc(&ago(ctx.lang, ctx.now, s.last_seen_at)),
            s.accepted_7d,
            s.rejected_7d,
            esc(s.app_version.as_deref().unwrap_or("—")),
            esc(s.kid.as_deref().unwrap_or("—")),
            rotated,
            esc(&ago(ctx.lang, ctx.now, s.anchor_at)),
        );
    }
    body.push_str("</tbody></table></div>");
    html(
        StatusCode::OK,
        signed.page(ctx.t("站点", "Stations"), &body),
    )
}

#[derive(Deserialize)]
pub(super) struct Done {
    done: Option<String>,
}

/// `GET /console/stations/{id}`.
pub(super) async fn detail<S: Store + ConsoleStore>(
    State(console): ConsoleState<S>,
    signed: Signed,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
    Query(q): Query<Done>,
) -> Response {
    let ctx = &signed.ctx;
    let stations = match console
        .hub
        .store
        .station_activity(nac_protocol::cst_day(ctx.now))
        .await
    {
        Ok(s) => s,
        Err(e) => return server_error(&e),
    };
    let Some(s) = stations.iter().find(|s| s.id == id) else {
        return super::session::not_found(State(console.clone()), headers, uri, None).await;
    };
    let mut body = String::new();
    let done = match q.done.as_deref() {
        Some("disable") => Some(ctx.t(
            "站点已停用：从现在起它签发的核酸码在各处都会被拒绝，之前的仍然有效",
            "Station disabled: codes it dates from now on are refused everywhere; earlier ones stay valid",
        )),
        Some("enable") => Some(ctx.t("站点已重新启用", "Station enabled again")),
        _ => None,
    };
    if let Some(text) = done {
        body.push_str(&notice("ok", text));
    }
    let _ = write!(
        body,
        "<dl class=\"facts\"><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd>\
         <dt>{}</dt><dd>{}（{}）</dd><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd><code>{}</code></dd>\
         <dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{} / {}</dd><dt>{}</dt><dd>{}</dd></dl>",
        ctx.t("编号", "Id"),
        esc(&s.id),
        ctx.t("区域", "Area"),
        esc(&s.area),
        ctx.t("状态", "State"),
        status_label(ctx, s),
        ctx.t("最近同步", "Last sync"),
        when(s.last_seen_at),
        esc(&ago(ctx.lang, ctx.now, s.last_seen_at)),
        ctx.t("注册时间", "Enrolled"),
        when(s.enrolled_at),
        ctx.t("密钥", "Key"),
        esc(s.kid.as_deref().unwrap_or("—")),
        ctx.t("上次轮换密钥", "Key last rotated"),
        when(s.rotated_at),
        ctx.t("7天通过 / 驳回", "Accepted / rejected, 7 d"),
        s.accepted_7d,
        s.rejected_7d,
        ctx.t("版本", "Version"),
        esc(s.app_version.as_deref().unwrap_or("—")),
    );
    if signed.is_admin() {
        body.push_str(&actions(&signed, s));
    } else {
        body.push_str(&notice(
            "ok",
            ctx.t(
                "只读账号：可以查看，不能更改",
                "Viewer account: you can look, not change",
            ),
        ));
    }
    html(StatusCode::OK, signed.page(&s.name, &body))
}

fn actions(signed: &Signed, s: &StationActivity) -> String {
    let ctx = &signed.ctx;
    let id = esc(&url_component(&s.id));
    let reason = |field: &str| {
        format!(
            "<p><label for=\"{field}\">{}</label><input id=\"{field}\" name=\"reason\" required \
             maxlength=\"200\"></p>",
            ctx.t("原因（必填，记入审计）", "Reason (required; audited)")
        )
    };
    let mut out = String::new();
    let (action, zh, en) = if s.status == StationStatus::Disabled {
        ("enable", "重新启用", "Enable")
    } else {
        ("disable", "停用站点", "Disable")
    };
    let _ = write!(
        out,
        "<section aria-labelledby=\"{action}-h\" class=\"card\"><h2 id=\"{action}-h\">{}</h2>\
         <p>{}</p><form method=\"post\" action=\"/console/stations/{id}/{action}\">{}{}\
         <p><button type=\"submit\" class=\"{}\">{}</button></p></form></section>",
        ctx.t(zh, en),
        if action == "disable" {
            ctx.t(
                "停用后，这台电脑上的站点不能再同步；它从现在起签发的核酸码在各处都会被拒绝。",
                "Once disabled, the station cannot sync; codes it dates from now on are refused everywhere.",
            )
        } else {
            ctx.t(
                "启用后，站点可以再次同步和签发核酸码。",
                "Once enabled, the station syncs and issues codes again.",
            )
        },
        signed.csrf_field(),
        reason(&format!("{action}-reason")),
        if action == "disable" { "danger" } else { "" },
        ctx.t(zh, en),
    );
    if s.status != StationStatus::Pending {
        let _ = write!(
            out,
            "<section aria-labelledby=\"re-h\" class=\"card\"><h2 id=\"re-h\">{}</h2><p>{}</p>\
             <form method=\"post\" action=\"/console/stations/{id}/reenrol\">{}{}\
             <p><button type=\"submit\">{}</button></p></form></section>",
            ctx.t("重新注册（电脑丢失或更换）", "Re-enrol (a lost or replaced laptop)"),
            ctx.t(
                "发出一个新的一次性注册码。新电脑用它注册后，旧密钥即不再被接受。",
                "Issues a new one-time code. Once the new laptop enrols with it, the old key is no longer accepted.",
            ),
            signed.csrf_field(),
            reason("re-reason"),
            ctx.t("发出注册码", "Issue a code"),
        );
    }
    out
}

/// The page with a one-time code: large, as a QR code, with its expiry and what to do.
fn code_page(signed: &Signed, title: &str, station: &str, code: &str, expires_at: i64) -> String {
    let ctx = &signed.ctx;
    let qr =
        qr::svg(code, 240, ctx.t("注册码的二维码", "The code as a QR code")).unwrap_or_default();
    signed.page(
        title,
        &format!(
            "{}<div class=\"card code\"><p>{}</p><p class=\"big\" id=\"enrolment-code\">{}</p>\
             <div class=\"qr\">{qr}</div><p>{} <strong>{}</strong></p><p>{}</p>\
             <p><a href=\"/console/stations/{}\">{}</a></p></div>",
            notice(
                "ok",
                ctx.t(
                    "请立即把注册码交给站点；离开此页后无法再次查看",
                    "Give the code to the station now: it cannot be shown again after you leave this page",
                )
            ),
            ctx.t("一次性注册码", "One-time enrolment code"),
            esc(code),
            ctx.t("有效期至", "Valid until"),
            when(Some(expires_at)),
            ctx.t(
                "在站点电脑上：设置 → 同步 → 填写区平台地址和此注册码（或 nac enrol --hub 地址 --code 注册码）。",
                "On the station's laptop: Settings → Sync → enter the hub's address and this code (or nac enrol --hub URL --code CODE).",
            ),
            esc(&url_component(station)),
            ctx.t("查看站点", "View the station"),
        ),
    )
}

fn new_station_page(signed: &Signed, message: Option<&str>, name: &str, area: &str) -> String {
    let ctx = &signed.ctx;
    signed.page(
        ctx.t("新增站点", "Add a station"),
        &format!(
            "{}<form method=\"post\" action=\"/console/stations/new\" class=\"card narrow\">{}\
             <p><label for=\"name\">{}</label><input id=\"name\" name=\"name\" required \
             maxlength=\"60\" value=\"{}\"></p><p><label for=\"area\">{}</label>\
             <input id=\"area\" name=\"area\" required maxlength=\"60\" value=\"{}\"></p>\
             <p><button type=\"submit\">{}</button></p></form>",
            message.map_or(String::new(), |m| notice("error", m)),
            signed.csrf_field(),
            ctx.t(
                "站点名称（如：某某居委会）",
                "Station name (e.g. a residents' committee)"
            ),
            esc(name),
            ctx.t(
                "服务区域（街道或片区）",
                "Area served (street or district part)"
            ),
            esc(area),
            ctx.t("新增并生成注册码", "Add and issue the code"),
        ),
    )
}

/// `GET /console/stations/new`.
pub(super) async fn new_form(signed: Signed) -> Response {
    if signed.is_admin() {
        html(StatusCode::OK, new_station_page(&signed, None, "", ""))
    } else {
        Redirect::to("/console/stations").into_response()
    }
}

#[derive(Deserialize)]
pub(super) struct NewStation {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    area: String,
}

fn fits(text: &str) -> bool {
    !text.is_empty()
        && text.chars().count() <= MAX_TEXT_CHARS
        && !text.chars().any(char::is_control)
}

/// `POST /console/stations/new`.
pub(super) async fn add<S: Store + ConsoleStore>(
    State(console): ConsoleState<S>,
    signed: Signed,
    headers: HeaderMap,
    Form(form): Form<NewStation>,
) -> Response {
    if let Err(refused) = signed.may_change(&headers, console.tls, &form.csrf, false) {
        return refused;
    }
    let (name, area) = (form.name.trim(), form.area.trim());
    if !fits(name) || !fits(area) {
        let text = signed.ctx.t(
            "名称和区域都须填写，各不超过60个字",
            "Both the name and the area are required, 60 characters at most",
        );
        return html(
            StatusCode::BAD_REQUEST,
            new_station_page(&signed, Some(text), name, area),
        );
    }
    let (station, code) = match console.hub.add_station(name, area).await {
        Ok(v) => v,
        Err(e) => return server_error(&crate::StoreError::Task(e.to_string())),
    };
    let subject = format!("{} {name} ({area})", station.id);
    if let Err(e) = console
        .audit(
            &signed.session.admin.name,
            "station.add",
            &subject,
            &signed.address(),
        )
        .await
    {
        return server_error(&e);
    }
    let title = signed.ctx.t("站点已新增", "Station added");
    html(
        StatusCode::OK,
        code_page(
            &signed,
            title,
            &station.id,
            &code,
            station.created_at + ENROLMENT_CODE_TTL_SECS,
        ),
    )
}

#[derive(Deserialize)]
pub(super) struct Change {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
}

/// `POST /console/stations/{id}/{disable|enable|reenrol}`.
pub(super) async fn change<S: Store + ConsoleStore>(
    State(console): ConsoleState<S>,
    signed: Signed,
    headers: HeaderMap,
    uri: Uri,
    Path((id, action)): Path<(String, String)>,
    Form(form): Form<Change>,
) -> Response {
    if let Err(refused) = signed.may_change(&headers, console.tls, &form.csrf, false) {
        return refused;
    }
    let ctx = &signed.ctx;
    let reason = form.reason.trim();
    let back = format!("/console/stations/{}", url_component(&id));
    if reason.is_empty() || reason.chars().count() > 200 {
        return html(
            StatusCode::BAD_REQUEST,
            signed.page(
                ctx.t("需要填写原因", "A reason is required"),
                &format!(
                    "{}<p><a href=\"{}\">{}</a></p>",
                    notice(
                        "error",
                        ctx.t(
                            "请填写原因（不超过200字），未作任何更改",
                            "Give a reason (200 characters at most); nothing was changed"
                        )
                    ),
                    esc(&back),
                    ctx.t("返回站点", "Back to the station")
                ),
            ),
        );
    }
    let store = &console.hub.store;
    let now = ctx.now;
    let admin = signed.session.admin.name.clone();
    let subject = format!("{id}: {reason}");
    let outcome = match action.as_str() {
        "disable" if id != nac_protocol::PHONE_CHANNEL => store
            .disable_station(&id, now)
            .await
            .map(|ok| ok.then_some(None)),
        "enable" => store
            .enable_station(&id, now)
            .await
            .map(|ok| ok.then_some(None)),
        "reenrol" => match console.hub.rekey_station(&id).await {
            Ok(code) => Ok(Some(Some(code))),
            Err(e) => {
                tracing::warn!(station = %id, error = %e, "console: re-enrol refused");
                Ok(None)
            }
        },
        _ => return super::session::not_found(State(console.clone()), headers, uri, None).await,
    };
    match outcome {
        Err(e) => server_error(&e),
        Ok(None) => html(
            StatusCode::CONFLICT,
            signed.page(
                ctx.t("未作更改", "Nothing changed"),
                &format!(
                    "{}<p><a href=\"{}\">{}</a></p>",
                    notice(
                        "error",
                        ctx.t(
                            "站点不存在或已处于该状态，未作任何更改",
                            "No such station, or it is already so; nothing was changed"
                        )
                    ),
                    esc(&back),
                    ctx.t("返回站点", "Back to the station")
                ),
            ),
        ),
        Ok(Some(code)) => {
            let audited = console
                .audit(
                    &admin,
                    &format!("station.{action}"),
                    &subject,
                    &signed.address(),
                )
                .await;
            if let Err(e) = audited {
                return server_error(&e);
            }
            match code {
                Some(code) => html(
                    StatusCode::OK,
                    code_page(
                        &signed,
                        ctx.t("重新注册码", "Re-enrolment code"),
                        &id,
                        &code,
                        now + ENROLMENT_CODE_TTL_SECS,
                    ),
                ),
                None => Redirect::to(&format!("{back}?done={action}")).into_response(),
            }
        }
    }
}
