//! `nac renew` (one resident or a batch) and `nac cards` (printed cards to replace).

use super::{resident_by_document, Context};
use crate::output::{Lang, Report};
use nac_core::domain::Capacity;
use nac_core::ids::display_serial;
use nac_core::station::{BatchItem, BatchScope, DueSelection, RenewOutcome};
use nac_core::time::{format_cst_minute, format_cst_second};
use serde_json::json;
use std::fmt::Write as _;
use std::io::Write as _;
use std::ops::ControlFlow;

#[derive(clap::Args)]
pub struct RenewArgs {
    /// Document number of the resident to renew.
    #[arg(
        long,
        conflicts_with = "due_within",
        required_unless_present = "due_within"
    )]
    id: Option<String>,
    /// Renew everyone expired, never issued, or with DAYS or fewer days left.
    #[arg(long, value_name = "DAYS")]
    due_within: Option<u32>,
    /// With --due-within: only the household of this document number.
    #[arg(long, requires = "due_within", value_name = "DOCNUMBER")]
    household_of: Option<String>,
    /// In what capacity the application is made: self, family or volunteer.
    #[arg(long, default_value = "volunteer")]
    capacity: Capacity,
    /// Residents per transaction in a batch.
    #[arg(long, default_value_t = nac_core::station::DEFAULT_CHUNK, hide = true)]
    chunk: usize,
}

pub fn renew(ctx: &Context, a: RenewArgs) -> anyhow::Result<Report> {
    let mut station = ctx.open()?;
    let lang = ctx.lang;
    if let Some(days) = a.due_within {
        let scope = match &a.household_of {
            Some(doc) => {
                let id = resident_by_document(&station, doc)?;
                BatchScope::Household(station.resident(id)?.row.household_id)
            }
            None => BatchScope::Station,
        };
        let stream = !std::env::args().any(|x| x == "--json");
        let mut progress = |p: &nac_core::station::BatchProgress<'_>| {
            if stream {
                let mut out = std::io::stdout().lock();
                for item in p.committed {
                    let _ = writeln!(out, "{}", item_line(item, lang));
                }
                let _ = out.flush();
            }
            ControlFlow::Continue(())
        };
        let outcome = station.renew_batch(
            scope,
            DueSelection::within(days),
            a.capacity,
            a.chunk,
            &mut progress,
        )?;
        let human = match lang {
            Lang::Zh => format!(
                "批量申领：共{}人，新申领{}人，当日已申领{}人，失败{}人",
                outcome.total, outcome.renewed, outcome.already_applied, outcome.failed
            ),
            Lang::En => format!(
                "Batch: {} residents, {} renewed, {} already applied today, {} failed",
                outcome.total, outcome.renewed, outcome.already_applied, outcome.failed
            ),
        };
        let all_done = outcome.renewed == outcome.total;
        let json = json!({ "batch": outcome });
        return Ok(if all_done {
            Report::ok(human, json)
        } else {
            Report::refused(human, json)
        });
    }
    let doc = a.id.unwrap_or_default();
    let id = resident_by_document(&station, &doc)?;
    let outcome = station.renew(id, a.capacity)?;
    let human = outcome_text(&outcome, lang);
    let json = json!({ "renew": outcome });
    Ok(match outcome {
        RenewOutcome::Renewed(_) => Report::ok(human, json),
        RenewOutcome::AlreadyAppliedToday { .. } => Report::refused(human, json),
    })
}

fn outcome_text(o: &RenewOutcome, lang: Lang) -> String {
    match o {
        RenewOutcome::Renewed(r) => {
            let mut s = match lang {
                Lang::Zh => format!(
                    "已为{}申领新核酸码 {}，有效期至 {}",
                    r.name,
                    display_serial(&r.code.serial),
                    format_cst_minute(r.code.expires_at)
                ),
                Lang::En => format!(
                    "New code {} issued for {}, valid until {}",
                    display_serial(&r.code.serial),
                    r.name,
                    format_cst_minute(r.code.expires_at)
                ),
            };
            if let Some(old) = &r.superseded {
                let _ = write!(
                    s,
                    "\n{}",
                    match lang {
                        Lang::Zh => format!(
                            "原核酸码 {} 已失效，其{}张纸质码作废，请更换",
                            display_serial(old),
                            r.cards_invalidated
                        ),
                        Lang::En => format!(
                            "The previous code {} is void, and so are its {} printed card(s): replace them",
                            display_serial(old),
                            r.cards_invalidated
                        ),
                    }
                );
            }
            let _ = write!(s, "\n{}", r.code.credential);
            s
        }
        RenewOutcome::AlreadyAppliedToday {
            name,
            applied_at,
            active,
            ..
        } => {
            let mut s = match lang {
                Lang::Zh => format!(
                    "当日已完成申领：{}今天已于{}申领，未作任何更改",
                    name,
                    format_cst_second(*applied_at)
                ),
                Lang::En => format!(
                    "Already applied today: {} applied at {}; nothing was changed",
                    name,
                    format_cst_second(*applied_at)
                ),
            };
            if let Some(c) = active {
                let _ = write!(
                    s,
                    "\n{} {} {} {}",
                    lang.t("当前核酸码", "Active code"),
                    display_serial(&c.serial),
                    lang.t("有效期至", "valid until"),
                    format_cst_minute(c.expires_at)
                );
            }
            s
        }
    }
}

/// One line per batch result: `renewed<TAB>name<TAB>serial<TAB>expiry`, stable for scripts.
fn item_line(item: &BatchItem, lang: Lang) -> String {
    match item {
        BatchItem::Done(RenewOutcome::Renewed(r)) => format!(
            "{}\t{}\t{}\t{}",
            lang.t("已申领", "renewed"),
            r.name,
            r.code.serial,
            format_cst_minute(r.code.expires_at)
        ),
        BatchItem::Done(RenewOutcome::AlreadyAppliedToday { name, .. }) => format!(
            "{}\t{}",
            lang.t("当日已申领", "already-applied-today"),
            name
        ),
        BatchItem::Failed { name, message, .. } => format!(
            "{}\t{}\t{}",
            lang.t("失败", "failed"),
            name,
            lang.pick(message)
        ),
    }
}

#[derive(clap::Args)]
pub struct CardsArgs {}

pub fn cards(ctx: &Context, _: CardsArgs) -> anyhow::Result<Report> {
    let station = ctx.open()?;
    let cards = station.cards_to_replace()?;
    let lang = ctx.lang;
    let mut human = String::new();
    for c in &cards {
        let _ = writeln!(
            human,
            "{}\t{}\t{} {}\t{} {}",
            c.name,
            c.address,
            lang.t("作废纸质码", "void card"),
            display_serial(&c.serial),
            lang.t("应换为", "replace with"),
            c.current_serial
                .as_deref()
                .map(display_serial)
                .unwrap_or_else(|| lang.t("（请先申领）", "(renew first)").to_string())
        );
    }
    let _ = write!(
        human,
        "{} {}",
        lang.t("需更换纸质码", "cards to replace:"),
        cards.len()
    );
    Ok(Report::ok(human, json!({ "cards_to_replace": cards })))
}
