//! A print job is in the ledger before anything leaves the machine: `pending`, then `sent` or
//! `failed`; a failed job's cards never count as printed (R8).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod station;

use nac_core::domain::Capacity;
use nac_print::{Fonts, Layout};
use nac_print_job::{print_cards, render_and_send};
use station::{count, Fixture};
use std::ops::ControlFlow;

fn fonts() -> Fonts {
    Fonts::system().expect("a CJK font for printing (fonts-noto-cjk)")
}

fn go_on(_: nac_print::Progress) -> ControlFlow<()> {
    ControlFlow::Continue(())
}

/// A station with one resident holding a valid code.
fn station_with_code() -> (Fixture, i64) {
    let mut f = Fixture::at_cst(2026, 11, 27, 10, 0, 0);
    let hh = f.household("302");
    let id = f.resident(hh, "张三丰", 1);
    f.station.renew(id, Capacity::Volunteer).unwrap();
    (f, id)
}

fn cards_of_job(f: &Fixture, job: i64) -> i64 {
    count(
        f.station.connection(),
        &format!("SELECT count(*) FROM printed_cards WHERE job_id = {job}"),
    )
}

#[test]
fn a_job_is_pending_before_it_is_rendered_then_sent() {
    let (mut f, id) = station_with_code();
    let out = f.dir.path().join("cards.pdf");
    let plan = f
        .station
        .plan_print(&[id], Layout::A4Grid8.as_str(), &out, None)
        .unwrap();
    // Recorded, with its card, before the file exists.
    assert!(!out.exists());
    assert_eq!(f.station.print_job_state(plan.job_id).unwrap(), "pending");
    assert_eq!(cards_of_job(&f, plan.job_id), 1);
    assert!(
        f.station.residents_without_card().unwrap().is_empty(),
        "a pending card counts as handed out"
    );

    let result = render_and_send(&plan, &fonts(), &mut go_on);
    let job = plan.job_id;
    let outcome = f.station.finish_print(plan, result).unwrap();
    assert_eq!(outcome.job_id, job);
    assert_eq!(outcome.cards, 1);
    assert!(out.exists());
    assert_eq!(f.station.print_job_state(job).unwrap(), "sent");
    assert_eq!(cards_of_job(&f, job), 1);
}

#[test]
fn a_failed_send_leaves_a_failed_job_whose_cards_do_not_count() {
    let (mut f, id) = station_with_code();
    let out = f.dir.path().join("to-printer.pdf");
    let err = print_cards(
        &mut f.station,
        &[id],
        Layout::Large,
        &fonts(),
        &out,
        Some("nac-test-no-such-printer"),
        &mut go_on,
    )
    .unwrap_err();
    assert_eq!(err.code(), "print", "{err}");
    let conn = f.station.connection();
    let (job, state, error): (i64, String, Option<String>) = conn
        .query_row(
            "SELECT id, state, error FROM print_jobs ORDER BY id DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(state, "failed");
    assert!(error.is_some_and(|e| !e.is_empty()));
    assert_eq!(cards_of_job(&f, job), 0);
    assert_eq!(f.station.residents_without_card().unwrap(), vec![id]);

    // The code is superseded the next day: a card that never printed is nothing to replace.
    f.clock.advance_secs(24 * 3600);
    f.station.renew(id, Capacity::Volunteer).unwrap();
    assert!(f.station.cards_to_replace().unwrap().is_empty());
    assert_eq!(
        f.station.resident(id).unwrap().row.status.cards_to_replace,
        0
    );
}

#[test]
fn a_sent_card_of_a_superseded_code_is_to_replace() {
    // The counterpart of the failed job above: the same steps with a successful print.
    let (mut f, id) = station_with_code();
    let out = f.dir.path().join("cards.pdf");
    print_cards(
        &mut f.station,
        &[id],
        Layout::Large,
        &fonts(),
        &out,
        None,
        &mut go_on,
    )
    .unwrap();
    f.clock.advance_secs(24 * 3600);
    f.station.renew(id, Capacity::Volunteer).unwrap();
    assert_eq!(f.station.cards_to_replace().unwrap().len(), 1);
}

#[test]
fn a_cancelled_render_fails_the_job_and_leaves_no_file() {
    let (mut f, id) = station_with_code();
    let out = f.dir.path().join("cards.pdf");
    let err = print_cards(
        &mut f.station,
        &[id],
        Layout::A4Grid8,
        &fonts(),
        &out,
        None,
        &mut |_| ControlFlow::Break(()),
    )
    .unwrap_err();
    assert_eq!(err.code(), "cancelled");
    assert!(!out.exists());
    let state: String = f
        .station
        .connection()
        .query_row("SELECT state FROM print_jobs", [], |r| r.get(0))
        .unwrap();
    assert_eq!(state, "failed");
    assert_eq!(f.station.residents_without_card().unwrap(), vec![id]);
}

#[test]
fn a_pdf_is_never_written_over_the_station() {
    let (mut f, id) = station_with_code();
    let db = f.dir.path().join("station.db");
    let err = f
        .station
        .plan_print(&[id], Layout::A4Grid8.as_str(), &db, None)
        .unwrap_err();
    assert_eq!(err.code(), "file_extension");
    assert_eq!(
        count(f.station.connection(), "SELECT count(*) FROM print_jobs"),
        0
    );
}
