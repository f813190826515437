//! Roster subcommands: demo, import, export, list, show, config.

use super::{resident_by_document, Context};
use crate::output::{Lang, Report};
use nac_core::station::{ResidentQuery, ResidentRow, StatusFilter};
use nac_core::time::{format_cst_minute, format_cst_second};
use serde_json::json;
use std::fmt::Write as _;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct DemoArgs {
    /// Number of households to create.
    #[arg(long, default_value_t = 60)]
    households: usize,
}

// The demo file goes beside the station file unless `--db` / `$NAC_DB` names one: see `main`.

/// Creates a demo station at `ctx.db` (by default `demo-station.db` beside the station file,
/// see `main`): a new file marked as a demo in the database itself. Refuses a real station
/// and a demo that already has residents (the core's `not_a_demo` / `demo_not_empty`).
pub fn demo(ctx: &Context, a: DemoArgs) -> anyhow::Result<Report> {
    let key = nac_core::demo::key(&ctx.db)?;
    let now = nac_core::time::Clock::now(&nac_core::SystemClock);
    let summary = nac_core::demo::create(&ctx.db, &key, a.households, now)?;
    let db = ctx.db.display();
    let pass = nac_core::demo::DEMO_PASSPHRASE;
    let human = match ctx.lang {
        Lang::Zh => format!(
            "已生成演示数据（演示站点，不会同步）：{}户，{}位居民，签发{}个核酸码，打印{}张纸质码\n数据库：{db}（口令 {pass}）\n使用演示数据：NAC_PASSPHRASE={pass} nac --db {db} …",
            summary.households, summary.residents, summary.codes_issued, summary.cards_printed,
        ),
        Lang::En => format!(
            "Demo roster created (a demo station, never synced): {} households, {} residents, {} codes issued, {} cards printed\nDatabase: {db} (passphrase {pass})\nUse it with: NAC_PASSPHRASE={pass} nac --db {db} …",
            summary.households, summary.residents, summary.codes_issued, summary.cards_printed,
        ),
    };
    Ok(Report::ok(human, json!({ "demo": summary, "db": ctx.db })))
}

#[derive(clap::Args)]
pub struct ImportArgs {
    /// Roster file: .xlsx, .xls, .ods, .xlsb or .csv (the kind is told from the content).
    file: PathBuf,
    /// Also import rows whose warnings you have checked (e.g. an ID number ending in 000,
    /// which is what Excel's 15-digit cut leaves); without it they are held back and listed.
    #[arg(long)]
    accept_warnings: bool,
}

pub fn import(ctx: &Context, a: ImportArgs) -> anyhow::Result<Report> {
    let mut station = ctx.open()?;
    let options = nac_core::roster::ImportOptions {
        accept_warnings: a.accept_warnings,
    };
    let report = station.import_roster_with(&a.file, options, &mut |_, _| {
        std::ops::ControlFlow::Continue(())
    })?;
    let o = &report.outcome;
    let mut human = match ctx.lang {
        Lang::Zh => format!(
            "读取{}行：新增{}户、{}人，更新{}人，未变{}人，拒绝{}行\n",
            report.rows_read, o.households_added, o.residents_added, o.residents_updated,
            o.residents_unchanged, report.rows_rejected()
        ),
        Lang::En => format!(
            "Read {} rows: {} households and {} residents added, {} updated, {} unchanged, {} rows refused\n",
            report.rows_read, o.households_added, o.residents_added, o.residents_updated,
            o.residents_unchanged, report.rows_rejected()
        ),
    };
    let notices: String = report
        .notices
        .iter()
        .map(|n| format!("{}\n", ctx.lang.pick(n)))
        .collect();
    human.insert_str(0, &notices);
    if let Some(sheet) = &report.sheet {
        let _ = writeln!(
            human,
            "  {}",
            match ctx.lang {
                Lang::Zh => format!("工作表“{sheet}”，表头在第{}行", report.header_row),
                Lang::En => format!("sheet \"{sheet}\", header on row {}", report.header_row),
            }
        );
    }
    let changes = o.changes.summary();
    if !changes.is_empty() {
        let _ = writeln!(human, "  {}", ctx.lang.pick(&changes));
    }
    for e in &report.errors {
        let _ = writeln!(
            human,
            "  {} {}  {}  {}",
            ctx.lang.t("第", "row"),
            e.row,
            ctx.lang.t(e.field.label_zh(), e.field.as_str()),
            ctx.lang.pick(&e.message)
        );
    }
    for w in &report.warnings {
        let _ = writeln!(
            human,
            "  {} {} {}  {}  {}",
            ctx.lang.t("提醒", "warning"),
            ctx.lang.t("第", "row"),
            w.row,
            ctx.lang.t(w.field.label_zh(), w.field.as_str()),
            ctx.lang.pick(&w.message)
        );
    }
    if report.rows_held() > 0 {
        let _ = writeln!(
            human,
            "{}",
            match ctx.lang {
                Lang::Zh => format!(
                    "有{}行因提醒暂未导入；核实无误后加 --accept-warnings 重新导入",
                    report.rows_held()
                ),
                Lang::En => format!(
                    "{} rows with warnings were held back; check them, then import again with --accept-warnings",
                    report.rows_held()
                ),
            }
        );
    }
    let json = json!({ "import": report });
    Ok(if report.rows_rejected() > 0 || report.rows_held() > 0 {
        Report::refused(human, json)
    } else {
        Report::ok(human, json)
    })
}

#[derive(clap::Args)]
pub struct ExportArgs {
    /// Output file: .csv or .xlsx.
    file: PathBuf,
    /// Write full document numbers and phones (sensitive; recorded in the audit log).
    #[arg(long)]
    unmasked: bool,
}

pub fn export(ctx: &Context, a: ExportArgs) -> anyhow::Result<Report> {
    let station = ctx.open()?;
    let rows = station.export_roster(&a.file, a.unmasked)?;
    let human = format!(
        "{} {} → {}",
        ctx.lang.t("已导出居民", "Residents exported:"),
        rows,
        a.file.display()
    );
    Ok(Report::ok(
        human,
        json!({ "exported": rows, "file": a.file }),
    ))
}

#[derive(clap::Args)]
pub struct ListArgs {
    /// Only residents whose code runs out within DAYS (valid, DAYS or fewer days left).
    #[arg(long, value_name = "DAYS")]
    expiring_within: Option<u32>,
    /// Only residents whose code has expired.
    #[arg(long)]
    expired: bool,
    /// Only residents who never had a code.
    #[arg(long)]
    never: bool,
    /// Expired, expiring or never issued.
    #[arg(long)]
    due: bool,
    /// Only residents holding a printed card that is no longer valid.
    #[arg(long)]
    cards_to_replace: bool,
    /// Name, pinyin initials (zsf), last 4 digits of ID or phone, or an address fragment.
    #[arg(long)]
    search: Option<String>,
    /// At most this many rows.
    #[arg(long)]
    limit: Option<u32>,
}

pub fn list(ctx: &Context, a: ListArgs) -> anyhow::Result<Report> {
    let station = ctx.open()?;
    let mut filter = if a.due {
        StatusFilter::due()
    } else {
        StatusFilter::default()
    };
    filter.expired |= a.expired;
    filter.never |= a.never;
    filter.expiring |= a.expiring_within.is_some();
    filter.cards_to_replace |= a.cards_to_replace;
    let query = ResidentQuery {
        search: a.search,
        filter,
        expiring_within_days: a.expiring_within,
        limit: a.limit,
        ..ResidentQuery::default()
    };
    let rows = station.residents(&query)?;
    let mut human = String::new();
    for r in &rows {
        let _ = writeln!(human, "{}", row_line(r, ctx.lang));
    }
    let _ = write!(human, "{} {}", ctx.lang.t("共", "total"), rows.len());
    Ok(Report::ok(human, json!({ "residents": rows })))
}

pub fn status_text(r: &ResidentRow, lang: Lang) -> String {
    let s = &r.status;
    let mut text = match (s.state, s.expires_at, s.days_left) {
        (nac_core::station::CodeState::Never, _, _) => lang.t("未申领", "never issued").to_string(),
        (nac_core::station::CodeState::Expired, _, _) => lang.t("已过期", "expired").to_string(),
        (state, Some(exp), Some(days)) => {
            let tag = if state == nac_core::station::CodeState::Expiring {
                lang.t("临期 ", "expiring, ")
            } else {
                ""
            };
            match lang {
                Lang::Zh => format!("{tag}有效期至 {}（剩{}天）", format_cst_minute(exp), days),
                Lang::En => format!(
                    "{tag}valid until {} ({} days left)",
                    format_cst_minute(exp),
                    days
                ),
            }
        }
        _ => String::new(),
    };
    if s.cards_to_replace > 0 {
        let _ = write!(
            text,
            " {}",
            match lang {
                Lang::Zh => format!("[{}张纸质码需更换]", s.cards_to_replace),
                Lang::En => format!("[{} printed card(s) to replace]", s.cards_to_replace),
            }
        );
    }
    if s.queued_for_sync > 0 {
        let _ = write!(text, " {}", lang.t("[待同步]", "[queued for sync]"));
    }
    text
}

fn row_line(r: &ResidentRow, lang: Lang) -> String {
    format!(
        "{:<8}\t{}\t{}\t{}",
        r.name,
        r.masked_document,
        r.address,
        status_text(r, lang)
    )
}

#[derive(clap::Args)]
pub struct ShowArgs {
    /// Document number of the resident.
    #[arg(long)]
    id: String,
}

pub fn show(ctx: &Context, a: ShowArgs) -> anyhow::Result<Report> {
    let station = ctx.open()?;
    let id = resident_by_document(&station, &a.id)?;
    let d = station.resident(id)?;
    let lang = ctx.lang;
    let mut human = String::new();
    let r = &d.row;
    let _ = writeln!(human, "{}  {}", r.name, r.masked_document);
    let _ = writeln!(human, "{}: {}", lang.t("地址", "Address"), r.address);
    if let Some(p) = &r.masked_phone {
        let _ = writeln!(human, "{}: {}", lang.t("手机", "Phone"), p);
    }
    if !r.notes.is_empty() {
        let _ = writeln!(human, "{}: {}", lang.t("备注", "Notes"), r.notes);
    }
    let _ = writeln!(
        human,
        "{}: {}",
        lang.t("状态", "Status"),
        status_text(r, lang)
    );
    if let Some(code) = &d.active_code {
        let _ = writeln!(
            human,
            "{}: {}",
            lang.t("当前核酸码", "Active code"),
            code.serial
        );
        let _ = writeln!(human, "{}", code.credential);
    }
    if !d.history.is_empty() {
        let _ = writeln!(human, "{}:", lang.t("申领记录", "History"));
        for h in &d.history {
            let _ = writeln!(
                human,
                "  {}  {}  {}  {}  {}  {}",
                format_cst_second(h.applied_at),
                h.code.serial,
                h.code.state,
                h.capacity,
                h.volunteer.as_deref().unwrap_or("-"),
                h.channel
            );
        }
    }
    Ok(Report::ok(human, json!({ "resident": d })))
}

#[derive(clap::Args)]
pub struct ConfigArgs {
    /// Station name printed on cards.
    #[arg(long)]
    station_name: Option<String>,
    /// Days left at which a code counts as expiring (1–29, default 7).
    #[arg(long)]
    expiring_days: Option<u32>,
    /// Days the desktop app keeps the PDFs it sent to a printer (0–90, default 7;
    /// administrators).
    #[arg(long)]
    keep_printed_days: Option<u32>,
}

pub fn config(ctx: &Context, a: ConfigArgs) -> anyhow::Result<Report> {
    let mut station = ctx.open()?;
    if let Some(name) = &a.station_name {
        station.set_station_name(name)?;
    }
    if let Some(days) = a.expiring_days {
        station.set_expiring_days(days)?;
    }
    if let Some(days) = a.keep_printed_days {
        station.set_keep_printed_days(days)?;
    }
    let info = station.info()?;
    let keep_printed_days = station.keep_printed_days()?;
    let human = format!(
        "{}: {}\n{}: {}\n{}: {}\n{}: {}\n{}: {}",
        ctx.lang.t("站点", "Station"),
        info.station_name,
        ctx.lang.t("站点编号", "Station id"),
        info.station_id,
        ctx.lang.t("签名密钥", "Signing key"),
        info.kid,
        ctx.lang.t("临期天数", "Expiring threshold (days)"),
        info.expiring_days,
        ctx.lang.t("打印文件保留天数", "Printed PDFs kept (days)"),
        keep_printed_days
    );
    Ok(Report::ok(
        human,
        json!({ "station": info, "keep_printed_days": keep_printed_days }),
    ))
}
