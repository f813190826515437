//! The record pages: rejections, the keys and revocations stations receive, and the audit
//! (the hub's own hash-chained log and each station's latest anchored head).

use std::collections::HashMap;
use std::fmt::Write as _;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::html::{ago, day_date, esc, notice, table_head, when};
use super::session::{Ctx, Signed};
use super::{html, server_error, ConsoleState};
use crate::store::console::ConsoleStore;
use crate::store::Store;

/// Days the rejections page looks back.
const REJECTION_DAYS: i64 = 30;
/// Refused applications listed one by one.
const REJECTIONS_LISTED: usize = 100;
/// Audit rows shown.
const AUDIT_ROWS: usize = 200;
/// Revocations shown (the newest).
const REVOCATIONS_SHOWN: usize = 100;

fn reason_label(ctx: &Ctx, reason: &str) -> &'static str {
    match reason {
        "already_applied_today" => ctx.t("当天已申领过（R3）", "Already applied today (R3)"),
        "issued_in_future" => ctx.t("签发时间晚于区平台时间", "Dated in the future"),
        "issued_too_early" => ctx.t("签发时间早于离线期限", "Dated before the offline window"),
        "key_withdrawn" => ctx.t("密钥已被撤回", "Signed with a withdrawn key"),
        "serial_in_use" => ctx.t("序号已被使用", "Serial already used"),
        "invalid_credential" => ctx.t("核酸码无效", "Invalid code"),
        "invalid_event" => ctx.t("记录无效", "Invalid event"),
        _ => ctx.t("其他", "Other"),
    }
}

/// `GET /console/rejections`.
pub(super) async fn rejections<S: Store + ConsoleStore>(
    State(console): ConsoleState<S>,
    signed: Signed,
) -> Response {
    let ctx = &signed.ctx;
    let since = nac_protocol::cst_day(ctx.now) - REJECTION_DAYS + 1;
    let store = &console.hub.store;
    let loaded = async {
        Ok::<_, crate::StoreError>((
            store.rejections(since, REJECTIONS_LISTED).await?,
            store.list_stations().await?,
        ))
    };
    let ((counts, latest), stations) = match loaded.await {
        Ok(v) => v,
        Err(e) => return server_error(&e),
    };
    let names: HashMap<&str, &str> = stations
        .iter()
        .map(|s| (s.id.as_str(), s.name.as_str()))
        .collect();
    let channel = |c: &str| match c {
        nac_protocol::PHONE_CHANNEL => ctx.t("居民手机", "Residents' phones").to_owned(),
        id => format!(
            "{}（{}）",
            esc(names.get(id).copied().unwrap_or("?")),
            esc(id)
        ),
    };
    let mut body = format!(
        "<p>{}</p>",
        ctx.t(
            "近30天被驳回的申领。区平台不保存居民身份：居民只以“人员键”的前8位表示。",
            "Refused applications of the last 30 days. The hub holds no identity: a resident \
             appears only as the first 8 digits of a person key.",
        )
    );
    if counts.is_empty() {
        body.push_str(&notice(
            "ok",
            ctx.t("近30天没有被驳回的申领", "No refusals in the last 30 days"),
        ));
    } else {
        body.push_str(&table_head(
            ctx.t("按日、站点和原因", "By day, station and reason"),
            &[
                ctx.t("日期", "Date"),
                ctx.t("来源", "From"),
                ctx.t("原因", "Reason"),
                ctx.t("次数", "Count"),
            ],
        ));
        for c in &counts {
            let _ = write!(
                body,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                day_date(c.day),
                channel(&c.channel),
                reason_label(ctx, &c.reason),
                c.count
            );
        }
        body.push_str("</tbody></table>");
        body.push_str(&table_head(
            ctx.t("最近被驳回的申领", "Latest refused applications"),
            &[
                ctx.t("收到时间", "Received"),
                ctx.t("来源", "From"),
                ctx.t("原因", "Reason"),
                ctx.t("人员键前8位", "Person key (first 8)"),
                ctx.t("核酸码序号", "Code serial"),
            ],
        ));
        for r in &latest {
            let _ = write!(
                body,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td>\
                 <td><code>{}</code></td></tr>",
                when(Some(r.received_at)),
                channel(&r.channel),
                reason_label(ctx, &r.reason),
                esc(&r.person_prefix),
                esc(&r.serial),
            );
        }
        body.push_str("</tbody></table>");
    }
    html(
        StatusCode::OK,
        signed.page(ctx.t("驳回记录", "Rejections"), &body),
    )
}

/// `GET /console/keys`.
pub(super) async fn keys<S: Store + ConsoleStore>(
    State(console): ConsoleState<S>,
    signed: Signed,
) -> Response {
    let ctx = &signed.ctx;
    let store = &console.hub.store;
    let loaded = async {
        let mut trust = Vec::new();
        let mut since = 0;
        loop {
            let page = store.trust_entries(since, 1000).await?;
            trust.extend(page.items);
            since = page.next;
            if !page.more {
                break;
            }
        }
        let head = store.feed_head().await?;
        let revoked = store.revocations((head - 20_000).max(0), 5_000).await?;
        Ok::<_, crate::StoreError>((trust, revoked.items))
    };
    let (trust, revoked) = match loaded.await {
        Ok(v) => v,
        Err(e) => return server_error(&e),
    };
    // A key appears again at a later position each time its status changes: keep its latest.
    let mut latest: Vec<&nac_protocol::TrustEntry> = Vec::new();
    for entry in trust.iter().rev() {
        if !latest.iter().any(|e| e.kid == entry.kid) {
            latest.push(entry);
        }
    }
    latest.sort_by(|a, b| a.station.cmp(&b.station).then(a.kid.0.cmp(&b.kid.0)));
    let mut body = format!(
        "<p>{}</p>{}",
        ctx.t(
            "站点同步时收到的信任列表和撤销列表，与此处显示的一致。",
            "The trust list and revocation list exactly as stations receive them when they sync.",
        ),
        table_head(
            ctx.t("信任列表（签发密钥）", "Trust list (issuing keys)"),
            &[
                ctx.t("密钥", "Key"),
                ctx.t("站点", "Station"),
                ctx.t("状态", "State"),
                ctx.t("此后签发的码无效", "Codes dated after are invalid"),
            ],
        ),
    );
    for e in &latest {
        let state = match e.status {
            nac_protocol::IssuerStatus::Active => ctx.t("有效", "active"),
            nac_protocol::IssuerStatus::Disabled => ctx.t("已停用", "disabled"),
            nac_protocol::IssuerStatus::Retired => ctx.t("已退役", "retired"),
        };
        let _ = write!(
            body,
            "<tr><td><code>{}</code></td><td>{}</td><td>{state}</td><td>{}</td></tr>",
            esc(&e.kid.to_string()),
            esc(&e.station),
            when(e.not_after),
        );
    }
    body.push_str("</tbody></table>");
    body.push_str(&table_head(
        ctx.t("最近撤销的核酸码", "Latest revoked codes"),
        &[
            ctx.t("密钥", "Key"),
            ctx.t("序号", "Serial"),
            ctx.t("原因", "Why"),
        ],
    ));
    for r in revoked.iter().rev().take(REVOCATIONS_SHOWN) {
        let why = match r.status {
            nac_credential::Revocation::Superseded => ctx.t("已被新码取代", "superseded"),
            nac_credential::Revocation::Rejected => ctx.t("被驳回", "rejected"),
        };
        let _ = write!(
            body,
            "<tr><td><code>{}</code></td><td><code>{}</code></td><td>{why}</td></tr>",
            esc(&r.kid.to_string()),
            esc(&r.serial),
        );
    }
    body.push_str("</tbody></table>");
    html(
        StatusCode::OK,
        signed.page(ctx.t("密钥与撤销", "Keys & revocations"), &body),
    )
}

/// What an audited action is called on the page (its code is shown beside it).
fn action_label(ctx: &Ctx, action: &str) -> &'static str {
    match action {
        "station.add" => ctx.t("新增站点", "Station added"),
        "station.disable" => ctx.t("停用站点", "Station disabled"),
        "station.enable" => ctx.t("启用站点", "Station enabled"),
        "station.reenrol" => ctx.t("重新注册站点", "Station re-enrolment code"),
        "station.allow" => ctx.t("调整站点查询额度", "Station allowance changed"),
        "admin.add" => ctx.t("新增控制台账号", "Console account added"),
        "admin.disable" => ctx.t("停用控制台账号", "Console account disabled"),
        "admin.enable" => ctx.t("启用控制台账号", "Console account enabled"),
        "admin.reset" => ctx.t("重置密码", "Password reset"),
        "signin" => ctx.t("登录", "Signed in"),
        "signin.failed" => ctx.t("登录失败", "Sign-in failed"),
        "signout" => ctx.t("退出登录", "Signed out"),
        "password.change" => ctx.t("修改密码", "Password changed"),
        _ => ctx.t("其他操作", "Other action"),
    }
}

/// `GET /console/audit`.
pub(super) async fn audit<S: Store + ConsoleStore>(
    State(console): ConsoleState<S>,
    signed: Signed,
) -> Response {
    let ctx = &signed.ctx;
    let store = &console.hub.store;
    let loaded = async {
        Ok::<_, crate::StoreError>((
            store.check_audit().await?,
            store.audit_log(AUDIT_ROWS).await?,
            store.anchor_heads().await?,
        ))
    };
    let (check, rows, anchors) = match loaded.await {
        Ok(v) => v,
        Err(e) => return server_error(&e),
    };
    let mut body = match check.broken_at {
        None => notice(
            "ok",
            &match ctx.lang {
                super::html::Lang::Zh => {
                    format!("审计链完整：共{}条记录，逐条校验通过", check.rows)
                }
                super::html::Lang::En => {
                    format!("The audit chain holds: {} rows, each checked", check.rows)
                }
            },
        ),
        Some(seq) => notice(
            "error",
            &match ctx.lang {
                super::html::Lang::Zh => {
                    format!("审计链在第{seq}条断开：该条或其之前的记录被改动或删除过")
                }
                super::html::Lang::En => format!(
                    "The audit chain breaks at row {seq}: it or an earlier row was changed or removed"
                ),
            },
        ),
    };
    body.push_str(&table_head(
        ctx.t(
            "区平台的管理操作（控制台和命令行）",
            "The hub's administration (console and command line)",
        ),
        &[
            "#",
            ctx.t("时间", "When"),
            ctx.t("操作人", "Who"),
            ctx.t("操作", "What"),
            ctx.t("对象", "On"),
            ctx.t("来源", "From"),
        ],
    ));
    for r in &rows {
        let _ = write!(
            body,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{} <code>{}</code></td><td>{}</td>\
             <td>{}</td></tr>",
            r.seq,
            when(Some(r.at)),
            esc(&r.actor),
            action_label(ctx, &r.action),
            esc(&r.action),
            esc(&r.subject),
            esc(
                &match (ctx.lang, r.address.strip_prefix("command line on ")) {
                    (super::html::Lang::Zh, Some(host)) => format!("命令行（{host}）"),
                    _ => r.address.clone(),
                }
            ),
        );
    }
    body.push_str("</tbody></table>");
    body.push_str(&table_head(
        ctx.t(
            "各站点最近锚定的审计记录",
            "Each station's latest anchored audit head",
        ),
        &[
            ctx.t("站点", "Station"),
            ctx.t("记录号", "Row"),
            ctx.t("链哈希（前16位）", "Chain hash (first 16)"),
            ctx.t("收到", "Received"),
        ],
    ));
    for a in &anchors {
        let _ = write!(
            body,
            "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td></tr>",
            esc(&a.station),
            a.seq,
            esc(&a.hash.chars().take(16).collect::<String>()),
            esc(&ago(ctx.lang, ctx.now, Some(a.received_at))),
        );
    }
    body.push_str("</tbody></table>");
    html(StatusCode::OK, signed.page(ctx.t("审计", "Audit"), &body))
}
