//! Codes: one resident's view with the QR preview, renewing one or many, the cards to replace,
//! and verifying a scanned, pasted or photographed code.
//!
//! A batch runs on its own thread in chunks of [`DEFAULT_CHUNK`] residents; the station is
//! locked per chunk only, so the list stays usable (and refreshes from the change events) while
//! it runs, and a cancel request takes effect at the next chunk boundary. Every chunk the core
//! commits is reported with its per-person results before the next one starts.

use crate::error::{AppError, AppResult};
use crate::host::{events, Host, JobTicket};
use crate::qr;
use crate::view::{
    BatchPreview, BatchRequest, BatchSummary, BatchTarget, Capacity, CardToReplace, Code,
    HistoryLine, JobDone, JobProgress, Member, RenewResult, ResidentView, VerifyResult,
};
use nac_core::ids::display_serial;
use nac_core::station::{BatchScope, DueSelection, ResidentQuery, StatusFilter, DEFAULT_CHUNK};
use nac_core::time::format_cst_minute;
use std::ops::ControlFlow;

pub fn resident(host: &Host, id: i64) -> AppResult<ResidentView> {
    let station = host.reader();
    let detail = station.resident(id)?;
    let rejected = station.rejected_among(&[id])?.contains(&id);
    let address = detail.row.address.clone();
    Ok(ResidentView {
        qr_svg: detail
            .active_code
            .as_ref()
            .and_then(|c| qr::svg(&c.credential)),
        active_code: detail.active_code.as_ref().map(Code::from),
        member: Member::from_row(detail.row, rejected),
        address,
        history: detail
            .history
            .iter()
            .map(|h| HistoryLine {
                applied_at: format_cst_minute(h.applied_at),
                capacity: h.capacity.clone(),
                volunteer: h.volunteer.clone(),
                channel: h.channel.clone(),
                code: Code::from(&h.code),
                cards_printed: h.cards_printed,
                sync_state: h.sync_state.clone(),
            })
            .collect(),
    })
}

/// Applies for one resident now. "Already applied today" (R3) is an answer, not an error.
pub fn renew(host: &Host, resident_id: i64, capacity: Capacity) -> AppResult<RenewResult> {
    let outcome = host.station().renew(resident_id, capacity)?;
    Ok(RenewResult::from_outcome(&outcome))
}

fn due_query(request: &BatchRequest) -> Option<ResidentQuery> {
    let household_id = match request.target {
        BatchTarget::Station => None,
        BatchTarget::Household { id } => Some(id),
        BatchTarget::Residents { .. } => return None,
    };
    Some(ResidentQuery {
        filter: StatusFilter::due(),
        expiring_within_days: Some(request.within_days),
        household_id,
        ..ResidentQuery::default()
    })
}

/// Who the batch would renew, for the confirmation dialog.
pub fn preview_batch(host: &Host, request: &BatchRequest) -> AppResult<BatchPreview> {
    let station = host.reader();
    let rows = match (&request.target, due_query(request)) {
        (BatchTarget::Residents { ids }, _) => ids
            .iter()
            .map(|&id| station.resident(id).map(|d| d.row))
            .collect::<Result<Vec<_>, _>>()?,
        (_, Some(query)) => station.residents(&query)?,
        (_, None) => Vec::new(),
    };
    Ok(BatchPreview {
        total: rows.len() as u32,
        names: rows.iter().take(12).map(|r| r.name.clone()).collect(),
        applied_today: rows.iter().filter(|r| r.status.applied_today).count() as u32,
        with_code: rows.iter().filter(|r| r.status.serial.is_some()).count() as u32,
    })
}

/// Starts a batch on a background thread; progress and the end arrive as events.
pub fn start_batch(host: &Host, request: &BatchRequest) -> AppResult<u64> {
    let ids = match &request.target {
        BatchTarget::Residents { ids } => ids.clone(),
        BatchTarget::Station => host.reader().due_residents(
            BatchScope::Station,
            DueSelection::within(request.within_days),
        )?,
        BatchTarget::Household { id } => host.reader().due_residents(
            BatchScope::Household(*id),
            DueSelection::within(request.within_days),
        )?,
    };
    let ticket = host.start_job();
    let job = ticket.id;
    let worker = host.clone();
    let capacity = request.capacity;
    std::thread::Builder::new()
        .name(format!("batch-renew-{job}"))
        .spawn(move || run_batch(&worker, ticket, &ids, capacity))?;
    Ok(job)
}

/// Renews `ids` chunk by chunk, emitting `job-progress` after each and `job-done` at the end.
pub fn run_batch(host: &Host, ticket: JobTicket, ids: &[i64], capacity: Capacity) {
    let job = ticket.id;
    let lang = host.lang();
    let mut summary = BatchSummary {
        total: ids.len() as u32,
        renewed: 0,
        already_applied: 0,
        failed: 0,
    };
    let mut done = 0u32;
    let mut cancelled = false;
    let mut error = None;
    for part in ids.chunks(DEFAULT_CHUNK) {
        if ticket.cancelled() {
            cancelled = true;
            break;
        }
        let outcome = host
            .station()
            .renew_many(part, capacity, DEFAULT_CHUNK, &mut |_| {
                ControlFlow::Continue(())
            });
        let outcome = match outcome {
            Ok(o) => o,
            Err(e) => {
                error = Some(AppError::from(e).to_api(lang));
                break;
            }
        };
        summary.renewed += outcome.renewed as u32;
        summary.already_applied += outcome.already_applied as u32;
        summary.failed += outcome.failed as u32;
        done += outcome.items.len() as u32;
        host.emit(
            events::JOB_PROGRESS,
            &JobProgress {
                job: ticket.id,
                kind: "batch_renew".into(),
                done,
                total: summary.total,
                items: outcome
                    .items
                    .iter()
                    .map(|i| RenewResult::from_item(i, lang))
                    .collect(),
            },
        );
    }
    host.finish_job(
        ticket,
        &JobDone {
            job,
            kind: "batch_renew".into(),
            cancelled,
            error,
            batch: Some(summary),
            import: None,
            print: None,
            sync: None,
        },
    );
}

pub fn cancel_job(host: &Host, job: u64) -> AppResult<()> {
    if host.cancel_job(job) {
        Ok(())
    } else {
        Err(AppError::NoSuchJob)
    }
}

pub fn cards_to_replace(host: &Host) -> AppResult<Vec<CardToReplace>> {
    let cards = host.reader().cards_to_replace()?;
    Ok(cards.into_iter().map(CardToReplace::from).collect())
}

pub fn withdraw_card(host: &Host, card_id: i64) -> AppResult<()> {
    Ok(host.station().withdraw_card(card_id)?)
}

/// Verifies a scanned or pasted credential text.
pub fn verify_text(host: &Host, text: &str) -> VerifyResult {
    let verification = host.reader().verify(text.trim());
    let claims = verification.claims.as_ref();
    VerifyResult {
        verdict: verification.verdict.as_str().to_string(),
        reason: verification.reason.clone(),
        masked_name: claims.map(|c| c.masked_name.clone()),
        id_last4: claims.map(|c| c.id_last4.clone()),
        serial: claims.map(|c| display_serial(&c.serial)),
        issued_at: claims.map(|c| format_cst_minute(c.issued_at)),
        expires_at: claims.map(|c| format_cst_minute(c.expires_at)),
        station_id: claims.map(|c| c.station_id.clone()),
    }
}

/// Finds the QR code in a picture and verifies it; `no_qr` when none is readable.
///
/// CPU-heavy (decoding a photo takes up to a second): the command runs it on a blocking thread.
pub fn verify_image(host: &Host, bytes: &[u8]) -> AppResult<VerifyResult> {
    let texts = nac_scan::decode_image(bytes)?;
    // Prefer a NAC credential if the picture holds several codes.
    let text = texts
        .iter()
        .find(|t| t.starts_with("NAC1:"))
        .or_else(|| texts.first());
    Ok(match text {
        Some(t) => verify_text(host, t),
        None => VerifyResult {
            verdict: "no_qr".into(),
            reason: None,
            masked_name: None,
            id_last4: None,
            serial: None,
            issued_at: None,
            expires_at: None,
            station_id: None,
        },
    })
}
