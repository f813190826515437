//! The Sync screen and the link with NAC Hub: enrolment, "sync now" as a background job, and
//! the automatic sync every minute.
//!
//! A sync runs on a connection of its own ([`Host::job_station`]), never on the writer: it
//! waits on the network for seconds at a time, and a volunteer renewing meanwhile must not
//! wait for it. Its writes are short transactions; its change events reach the UI like any
//! other. One sync at a time: the automatic one skips its turn while "sync now" runs.

use crate::error::{AppError, AppResult};
use crate::host::{events, Host};
use crate::view::{
    pick, EnrolForm, JobDone, JobProgress, Lang, StationChanged, SyncError, SyncQueue, SyncSummary,
};
use nac_core::time::format_cst_minute;
use nac_core::{SyncReport, WriteSource};
use std::time::Duration;

/// How often the app tries to sync on its own (and sooner never: a failure's backoff decides).
pub const AUTO_SYNC_EVERY: Duration = Duration::from_secs(60);

pub fn sync_queue(host: &Host) -> AppResult<SyncQueue> {
    let lang = host.lang();
    let station = host.reader();
    let status = station.sync_status()?;
    let problems = station
        .queue(true, 500)?
        .into_iter()
        .filter(|e| matches!(e.state.as_str(), "rejected" | "error"))
        .rev()
        .take(200)
        .map(|e| SyncError {
            resident_id: e.resident_id,
            name: e.name.unwrap_or_default(),
            state: e.state,
            reason: e.reason.unwrap_or_default(),
            message: e.message.map(|m| pick(lang, &m)).unwrap_or_default(),
            serial: e.serial.unwrap_or_default(),
            attempts: e.attempts,
            next_retry: e.next_attempt_at.map(format_cst_minute),
        })
        .collect();
    Ok(SyncQueue {
        enrolled: status.enrolled,
        demo: station.is_demo(),
        station_id: status.station_id.clone(),
        hub_url: status.hub_url,
        queued: status.queued,
        sending: status.sending,
        synced: status.synced,
        rejected: status.rejected,
        error: status.error,
        local: status.local,
        last_synced_at: status.last_sync_at.map(format_cst_minute),
        last_error: status.last_error.map(|m| pick(lang, &m)),
        next_sync_at: status.next_sync_at.map(format_cst_minute),
        trust_list_at: status.trust_list_at.map(format_cst_minute),
        audit_anchored_row: status.audit_anchored_seq,
        audit_anchored_at: status.audit_anchored_at.map(format_cst_minute),
        syncing: host.sync_running(),
        errors: problems,
    })
}

/// Enrols the station with the hub (once), then syncs in the background.
pub fn enrol(host: &Host, form: &EnrolForm) -> AppResult<SyncQueue> {
    let hub_url = form.hub_url.trim();
    host.station()
        .enrol_with_hub(hub_url, &form.code, Some(&form.hub_ca))?;
    let _ = start_sync(host);
    sync_queue(host)
}

/// "Sync now": starts a sync job; progress and the result arrive as `job-progress` and
/// `job-done` (kind `sync`). Refused when not enrolled or a demo.
pub fn start_sync(host: &Host) -> AppResult<u64> {
    {
        let station = host.reader();
        station.ensure_not_demo()?;
        if !station.is_enrolled() {
            return Err(nac_core::Error::NotEnrolled.into());
        }
    }
    let ticket = host.start_job();
    let job = ticket.id;
    let worker = host.clone();
    std::thread::Builder::new()
        .name(format!("sync-{job}"))
        .spawn(move || {
            let outcome = run_sync(&worker, Some(job));
            let lang = worker.lang();
            let (sync, error) = match outcome {
                Ok(Some(report)) => (Some(summary(&report, lang)), None),
                Ok(None) => (
                    None,
                    Some(AppError::from(nac_core::Error::SyncRunning).to_api(lang)),
                ),
                Err(e) => (None, Some(e.to_api(lang))),
            };
            worker.finish_job(
                ticket,
                &JobDone {
                    job,
                    kind: "sync".into(),
                    cancelled: false,
                    error,
                    batch: None,
                    import: None,
                    print: None,
                    sync,
                },
            );
        })?;
    Ok(job)
}

/// One sync on a connection of its own; `None` when another sync is running.
pub fn run_sync(host: &Host, job: Option<u64>) -> AppResult<Option<SyncReport>> {
    let Some(_running) = host.try_begin_sync() else {
        return Ok(None);
    };
    let mut station = host.job_station(WriteSource::Sync)?;
    let hub = station.hub_url()?.ok_or(nac_core::Error::NotEnrolled)?;
    let mut transport = station.hub_transport(&hub)?;
    let report = station.sync(&mut transport, &mut |p| {
        if let Some(job) = job {
            host.emit(
                events::JOB_PROGRESS,
                &JobProgress {
                    job,
                    kind: "sync".into(),
                    done: p.done,
                    total: p.total.max(p.done),
                    items: Vec::new(),
                },
            );
        }
    })?;
    // The Sync screen and the header refresh on this.
    host.emit(
        events::STATION_CHANGED,
        &StationChanged {
            kind: "sync".into(),
            residents: report.residents.clone(),
        },
    );
    Ok(Some(report))
}

/// The automatic sync: every [`AUTO_SYNC_EVERY`], when enrolled and not a demo, unless a
/// failure's backoff says to wait longer. Runs until the process ends.
pub fn start_auto_sync(host: &Host) {
    if host.is_demo() {
        return;
    }
    let worker = host.clone();
    let _ = std::thread::Builder::new()
        .name("auto-sync".into())
        .spawn(move || loop {
            std::thread::sleep(AUTO_SYNC_EVERY);
            if worker.is_closed() {
                // The station was locked: this thread lets go of its connections.
                break;
            }
            let due = {
                let station = worker.reader();
                let now = station.now();
                station.is_enrolled()
                    && station
                        .next_sync_at()
                        .ok()
                        .flatten()
                        .is_none_or(|next| next <= now)
            };
            if due {
                // Failures are recorded in the station (last error, next attempt) and shown
                // on the Sync screen; nothing to do with them here.
                let _ = run_sync(&worker, None);
            }
        });
}

fn summary(r: &SyncReport, lang: Lang) -> SyncSummary {
    SyncSummary {
        pushed: r.pushed,
        synced: r.synced,
        rejected: r.rejected,
        failed: r.failed,
        adopted: r.adopted,
        pulled: r.pulled,
        stopped: r.stopped.as_ref().map(|m| pick(lang, m)),
        next_attempt_at: r.next_attempt_at.map(format_cst_minute),
    }
}
