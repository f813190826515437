//! `nac print` (cards to PDF or a CUPS printer, recorded in the print ledger) and
//! `nac printers`.

use super::{resident_by_document, Context};
use crate::output::{Lang, Report};
use nac_core::station::{CodeState, ResidentQuery, StatusFilter};
use nac_print::{Fonts, Layout, Stage};
use serde_json::json;
use std::io::Write as _;
use std::ops::ControlFlow;
use std::path::PathBuf;

#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("who").required(true)
    .args(["id", "household", "due_within", "all_active", "unprinted"])))]
pub struct PrintArgs {
    /// Layout: a4-8up, a4-4up, large, household, label-62mm.
    #[arg(long, default_value = "a4-8up")]
    layout: Layout,
    /// Document number of a resident to print (repeatable).
    #[arg(long)]
    id: Vec<String>,
    /// Every member of the household of this document number.
    #[arg(long, value_name = "DOCNUMBER")]
    household: Option<String>,
    /// Residents whose valid code runs out within DAYS.
    #[arg(long, value_name = "DAYS")]
    due_within: Option<u32>,
    /// Everyone with a valid code.
    #[arg(long)]
    all_active: bool,
    /// Everyone whose valid code has no printed card yet (e.g. after a batch renewal).
    #[arg(long)]
    unprinted: bool,
    /// Where to write the PDF.
    #[arg(long)]
    out: PathBuf,
    /// Also send the PDF to this CUPS printer (see `nac printers`).
    #[arg(long)]
    printer: Option<String>,
    /// Open the PDF in the system viewer afterwards.
    #[arg(long)]
    open: bool,
}

pub fn print(ctx: &Context, a: PrintArgs) -> anyhow::Result<Report> {
    let mut station = ctx.open()?;
    let ids: Vec<i64> = if !a.id.is_empty() {
        a.id.iter()
            .map(|doc| resident_by_document(&station, doc))
            .collect::<anyhow::Result<_>>()?
    } else if let Some(doc) = &a.household {
        let household = station
            .resident(resident_by_document(&station, doc)?)?
            .row
            .household_id;
        let query = ResidentQuery {
            household_id: Some(household),
            ..Default::default()
        };
        station.residents(&query)?.iter().map(|r| r.id).collect()
    } else if let Some(days) = a.due_within {
        let query = ResidentQuery {
            filter: StatusFilter {
                expiring: true,
                ..Default::default()
            },
            expiring_within_days: Some(days),
            ..Default::default()
        };
        station.residents(&query)?.iter().map(|r| r.id).collect()
    } else if a.all_active {
        station
            .residents(&ResidentQuery::default())?
            .iter()
            .filter(|r| matches!(r.status.state, CodeState::Active | CodeState::Expiring))
            .map(|r| r.id)
            .collect()
    } else {
        station.residents_without_card()?
    };
    let fonts = Fonts::system()?;
    let lang = ctx.lang;
    let quiet = std::env::args().any(|x| x == "--json");
    let mut progress = |p: nac_print::Progress| {
        if !quiet && p.stage == Stage::Drawing && p.pages_total > 1 {
            let mut err = std::io::stderr().lock();
            let _ = write!(
                err,
                "\r{} {}/{}",
                lang.t("页", "page"),
                p.pages_done,
                p.pages_total
            );
            let _ = err.flush();
        }
        ControlFlow::Continue(())
    };
    let outcome = nac_print_job::print_cards(
        &mut station,
        &ids,
        a.layout,
        &fonts,
        &a.out,
        a.printer.as_deref(),
        &mut progress,
    )?;
    if !quiet {
        eprintln!();
    }
    if a.open {
        nac_print::open_with_system_viewer(&outcome.path)?;
    }
    let mut human = match lang {
        Lang::Zh => format!(
            "已生成{}张纸质码（{}页，{}）→ {}",
            outcome.cards,
            outcome.pages,
            a.layout.label_zh(),
            outcome.path.display()
        ),
        Lang::En => format!(
            "{} cards on {} pages ({}) → {}",
            outcome.cards,
            outcome.pages,
            a.layout.as_str(),
            outcome.path.display()
        ),
    };
    if let Some(job) = &outcome.printer_job {
        human.push_str(&format!(
            "\n{} {job}",
            lang.t("已发送到打印机，任务", "sent to the printer, job")
        ));
    }
    let json = json!({ "print": outcome });
    if !outcome.skipped.is_empty() {
        human.push_str(&format!(
            "\n{} {}",
            outcome.skipped.len(),
            lang.t(
                "位居民没有有效的核酸码，未打印（请先申领）",
                "residents have no valid code and were not printed (renew them first)"
            )
        ));
        return Ok(Report::refused(human, json));
    }
    Ok(Report::ok(human, json))
}

#[derive(clap::Args)]
pub struct PrintersArgs {}

pub fn printers(ctx: &Context, _: PrintersArgs) -> anyhow::Result<Report> {
    let printers = nac_print::list_printers()?;
    let mut human = String::new();
    for p in &printers {
        human.push_str(&format!(
            "{}{}\n",
            p.name,
            if p.is_default {
                ctx.lang.t("（默认）", " (default)")
            } else {
                ""
            }
        ));
    }
    if printers.is_empty() {
        human.push_str(ctx.lang.t("没有可用的打印机", "no printers"));
    }
    let names: Vec<serde_json::Value> = printers
        .iter()
        .map(|p| json!({ "name": p.name, "is_default": p.is_default }))
        .collect();
    Ok(Report::ok(human, json!({ "printers": names })))
}
