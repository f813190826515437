//! The domain rules R1–R8, each with a test that fails if the rule breaks. The clock is injected
//! so midnight (UTC+08:00) and the 30-day edge are crossed deliberately.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::{count, Fixture};
use nac_core::domain::Capacity;
use nac_core::station::{
    BatchItem, BatchScope, CodeState, DueSelection, PrintRequest, RenewOutcome, ResidentQuery,
    StatusFilter,
};
use nac_core::time::{DAY_SECS, VALIDITY_SECS};
use nac_credential::Verdict;
use rstest::rstest;
use std::ops::ControlFlow;

fn renewed(o: RenewOutcome) -> nac_core::station::Renewal {
    match o {
        RenewOutcome::Renewed(r) => r,
        other => panic!("expected a renewal, got {other:?}"),
    }
}

fn status(f: &Fixture, id: i64) -> nac_core::station::ResidentStatus {
    f.station.resident(id).unwrap().row.status
}

#[test]
fn r1_code_is_valid_for_exactly_30_days() {
    let mut f = Fixture::at_cst(2026, 11, 27, 10, 0, 0);
    let hh = f.household("302");
    let id = f.resident(hh, "张三丰", 1);
    let r = renewed(f.station.renew(id, Capacity::Volunteer).unwrap());
    let issued = r.code.issued_at;
    assert_eq!(
        r.code.expires_at - issued,
        VALIDITY_SECS,
        "30 days = 720 hours"
    );

    f.clock.advance_secs(VALIDITY_SECS - 1);
    let s = status(&f, id);
    assert_eq!(
        s.state,
        CodeState::Expiring,
        "one second before the end it is still valid"
    );
    assert_eq!(s.days_left, Some(1));
    assert_eq!(f.station.verify(&r.code.credential).verdict, Verdict::Valid);

    f.clock.advance_secs(1);
    assert_eq!(
        status(&f, id).state,
        CodeState::Expired,
        "at t+30d the code has expired"
    );
    assert_eq!(
        f.station.verify(&r.code.credential).verdict,
        Verdict::Expired
    );
}

#[test]
fn r1_a_fresh_code_shows_30_days_left() {
    let mut f = Fixture::at_cst(2026, 11, 27, 10, 0, 0);
    let hh = f.household("302");
    let id = f.resident(hh, "张三丰", 1);
    f.station.renew(id, Capacity::Volunteer).unwrap();
    let s = status(&f, id);
    assert_eq!((s.state, s.days_left), (CodeState::Active, Some(30)));
}

#[test]
fn r2_a_new_code_voids_the_old_one() {
    let mut f = Fixture::at_cst(2026, 11, 27, 10, 0, 0);
    let hh = f.household("302");
    let id = f.resident(hh, "张三丰", 1);
    let first = renewed(f.station.renew(id, Capacity::Volunteer).unwrap());
    f.clock.advance_secs(DAY_SECS);
    let second = renewed(f.station.renew(id, Capacity::Family).unwrap());

    assert_eq!(
        second.superseded.as_deref(),
        Some(first.code.serial.as_str())
    );
    let conn = f.station.connection();
    assert_eq!(
        count(
            conn,
            &format!("SELECT count(*) FROM codes WHERE resident_id = {id} AND state = 'active'")
        ),
        1,
        "at most one active code per person"
    );
    assert_eq!(
        f.station.verify(&first.code.credential).verdict,
        Verdict::Superseded
    );
    assert_eq!(
        f.station.verify(&second.code.credential).verdict,
        Verdict::Valid
    );
    assert_eq!(
        f.station.active_code(id).unwrap().unwrap().serial,
        second.code.serial
    );
}

#[test]
fn r2_and_r3_are_held_by_the_database_itself() {
    let mut f = Fixture::at_cst(2026, 11, 27, 10, 0, 0);
    let hh = f.household("302");
    let id = f.resident(hh, "张三丰", 1);
    renewed(f.station.renew(id, Capacity::Volunteer).unwrap());
    let conn = f.station.connection();
    let same_day = conn.execute(
        "INSERT INTO applications (event_id, resident_id, day, applied_at, capacity, channel)
         VALUES ('e2', ?1, '2026-11-27', 0, 'self', 'x')",
        [id],
    );
    let err = same_day.expect_err("a second application the same day must be impossible");
    assert!(
        err.to_string().contains("applications.resident_id"),
        "{err}"
    );

    conn.execute(
        "INSERT INTO applications (event_id, resident_id, day, applied_at, capacity, channel)
         VALUES ('e3', ?1, '2000-01-01', 0, 'self', 'x')",
        [id],
    )
    .unwrap();
    let app = conn.last_insert_rowid();
    let second_active = conn.execute(
        "INSERT INTO codes (serial, resident_id, application_id, issued_at, expires_at, station_id, kid, credential)
         VALUES ('SERIAL2', ?1, ?2, 1, 2, 's', 'k', 'c')",
        [id, app],
    );
    let err = second_active.expect_err("a second active code for one person must be impossible");
    assert!(err.to_string().contains("codes.resident_id"), "{err}");
}

#[rstest]
// 23:59:59 and 00:00:00 the next day (CST) are two days: both allowed.
#[case((2026, 11, 27, 23, 59, 59), 1, true)]
// 07:30 CST is still the previous UTC date; 08:30 CST is the next UTC date, same CST day.
#[case((2026, 11, 27, 7, 30, 0), 3600, false)]
// Midnight UTC is 08:00 CST: not a day boundary here.
#[case((2026, 11, 27, 7, 59, 59), 1, false)]
fn r3_once_per_cst_day(
    #[case] start: (i32, u32, u32, u32, u32, u32),
    #[case] later_by_secs: i64,
    #[case] second_allowed: bool,
) {
    let (y, mo, d, h, mi, s) = start;
    let mut f = Fixture::at_cst(y, mo, d, h, mi, s);
    let hh = f.household("302");
    let id = f.resident(hh, "张三丰", 1);
    let first = renewed(f.station.renew(id, Capacity::Volunteer).unwrap());
    f.clock.advance_secs(later_by_secs);
    let second = f.station.renew(id, Capacity::Family).unwrap();
    match (second, second_allowed) {
        (RenewOutcome::Renewed(_), true) => {}
        (RenewOutcome::AlreadyAppliedToday { active, .. }, false) => {
            assert_eq!(
                active.map(|c| c.serial),
                Some(first.code.serial),
                "the refusal shows the code that is active"
            );
        }
        (other, expected) => panic!("second application allowed={expected}, got {other:?}"),
    }
}

#[test]
fn r3_refusal_changes_no_row() {
    let mut f = Fixture::at_cst(2026, 11, 27, 9, 0, 0);
    let hh = f.household("302");
    let id = f.resident(hh, "张三丰", 1);
    renewed(f.station.renew(id, Capacity::Own).unwrap());
    f.clock.advance_secs(5 * 3600);
    let before = f.dump();
    for capacity in [Capacity::Own, Capacity::Family, Capacity::Volunteer] {
        let again = f.station.renew(id, capacity).unwrap();
        assert!(matches!(again, RenewOutcome::AlreadyAppliedToday { .. }));
    }
    assert_eq!(
        before,
        f.dump(),
        "a refused application must not change any row"
    );
}

#[test]
fn r4_expired_code_never_becomes_valid_again_and_renewal_is_ordinary() {
    let mut f = Fixture::at_cst(2026, 11, 1, 10, 0, 0);
    let hh = f.household("302");
    let id = f.resident(hh, "张三丰", 1);
    let old = renewed(f.station.renew(id, Capacity::Volunteer).unwrap());
    f.clock.advance_secs(VALIDITY_SECS + 3 * DAY_SECS);
    assert_eq!(status(&f, id).state, CodeState::Expired);
    assert_eq!(
        f.station.verify(&old.code.credential).verdict,
        Verdict::Expired
    );

    let new = renewed(f.station.renew(id, Capacity::Volunteer).unwrap());
    assert_eq!(status(&f, id).state, CodeState::Active);
    assert_ne!(
        f.station.verify(&old.code.credential).verdict,
        Verdict::Valid
    );
    assert_eq!(
        f.station.verify(&new.code.credential).verdict,
        Verdict::Valid
    );
}

#[test]
fn r5_application_records_whom_by_whom_capacity_and_channel() {
    let mut f = Fixture::at_cst(2026, 11, 27, 10, 0, 0);
    let hh = f.household("302");
    let id = f.resident(hh, "张三丰", 1);
    f.station.use_volunteer("li.mei").unwrap();
    renewed(f.station.renew(id, Capacity::Family).unwrap());
    let detail = f.station.resident(id).unwrap();
    let h = &detail.history[0];
    assert_eq!(h.capacity, "family");
    assert_eq!(h.volunteer.as_deref(), Some("li.mei"));
    assert_eq!(h.channel, f.station.station_id());
    assert_eq!(h.day, "2026-11-27");
    assert_eq!(
        h.sync_state.as_deref(),
        Some("local"),
        "before enrolment the application is local history, never sent"
    );
}

/// A hub that answers the enrolment request and nothing else (the real hub is exercised in
/// cli/tests/sync.rs).
struct EnrolOnly;

impl nac_core::Transport for EnrolOnly {
    fn send(
        &mut self,
        request: &nac_core::station::HubRequest,
    ) -> Result<Vec<u8>, nac_core::TransportError> {
        assert_eq!(request.path_and_query, nac_protocol::PATH_ENROL);
        let answer = nac_protocol::EnrolResponse {
            v: nac_protocol::V1,
            station: "ST-TEST01".into(),
            district_secret_sealed: nac_protocol::seal_district_secret(
                "CODE",
                "ST-TEST01",
                &nac_protocol::DistrictSecret([7; 32]),
            )
            .unwrap(),
            issuers: Vec::new(),
        };
        Ok(serde_json::to_vec(&answer).unwrap())
    }
}

#[test]
fn r5_the_event_for_the_hub_says_whom_by_whom_capacity_and_channel_and_no_identity() {
    let mut f = Fixture::at_cst(2026, 11, 27, 10, 0, 0);
    f.station
        .enrol(&mut EnrolOnly, "http://127.0.0.1:9", "CODE")
        .unwrap();
    assert_eq!(f.station.station_id(), "ST-TEST01");
    let hh = f.household("302");
    let id = f.resident(hh, "张三丰", 1);
    f.station.use_volunteer("li.mei").unwrap();
    let code = renewed(f.station.renew(id, Capacity::Family).unwrap());
    let (state, payload): (String, String) = f
        .station
        .connection()
        .query_row("SELECT state, payload FROM outbox", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!(state, "queued", "an enrolled station queues its events");
    let event: nac_protocol::Event = serde_json::from_str(&payload).unwrap();
    event.validate().unwrap();
    // li.mei is a volunteer: the full number is not hers to see; the fixture knows it.
    assert_eq!(
        f.station.reveal_resident(id).unwrap_err().code(),
        "not_allowed"
    );
    let number = common::valid_id("310104", "19450312", 1);
    assert_eq!(
        event.person_key,
        nac_protocol::person_key(
            &nac_protocol::DistrictSecret([7; 32]),
            "resident_id",
            &number
        )
    );
    assert_eq!(event.capacity, nac_protocol::Capacity::Family);
    assert_eq!(event.channel.as_str(), "ST-TEST01");
    let volunteer = event.volunteer.clone().unwrap();
    assert!(!volunteer.contains("li.mei") && volunteer.parse::<i64>().is_err());
    assert!(
        volunteer.starts_with("ST-TEST01/"),
        "a volunteer id names its station: {volunteer}"
    );
    // The hub gets the credential twice: in the clear to verify, sealed to keep; only a
    // holder of the district secret opens the sealed one.
    let sealed = event.code.sealed.clone().unwrap();
    assert_eq!(
        nac_protocol::open_credential(
            &nac_protocol::DistrictSecret([7; 32]),
            &event.code.kid,
            &event.code.serial,
            &sealed
        )
        .unwrap(),
        event.code.credential
    );
    assert_eq!(event.code.serial, code.code.serial);
    for secret in [number.as_str(), "张三丰", "li.mei"] {
        assert!(!payload.contains(secret), "the event carries {secret}");
    }
}

/// Residents in every state, renewed at chosen ages.
fn mixed_station() -> (Fixture, [i64; 5]) {
    let mut f = Fixture::at_cst(2026, 10, 1, 10, 0, 0);
    let hh = f.household("302");
    let never = f.resident(hh, "王秀英", 1);
    let expired = f.resident(hh, "李建国", 2);
    let expiring = f.resident(hh, "陈美华", 3);
    let active = f.resident(hh, "赵德明", 4);
    let edge = f.resident(hh, "周文华", 5);
    // Day 0: expired will be 40 days old at the end.
    renewed(f.station.renew(expired, Capacity::Volunteer).unwrap());
    f.clock.advance_secs(17 * DAY_SECS);
    renewed(f.station.renew(expiring, Capacity::Volunteer).unwrap()); // 23 days old at the end
    f.clock.advance_secs(DAY_SECS);
    renewed(f.station.renew(edge, Capacity::Volunteer).unwrap()); // exactly 22 days old: 8 left
    f.clock.advance_secs(10 * DAY_SECS);
    renewed(f.station.renew(active, Capacity::Volunteer).unwrap()); // 12 days old
    f.clock.advance_secs(12 * DAY_SECS);
    (f, [never, expired, expiring, active, edge])
}

#[test]
fn r6_status_at_a_glance() {
    let (f, [never, expired, expiring, active, edge]) = mixed_station();
    assert_eq!(status(&f, never).state, CodeState::Never);
    assert_eq!(status(&f, expired).state, CodeState::Expired);
    assert_eq!(status(&f, expiring).state, CodeState::Expiring);
    assert_eq!(status(&f, expiring).days_left, Some(7));
    assert_eq!(status(&f, active).state, CodeState::Active);
    assert_eq!(status(&f, edge).days_left, Some(8));
    assert_eq!(
        status(&f, edge).state,
        CodeState::Active,
        "8 days left is not expiring at 7"
    );

    let due: Vec<i64> = f
        .station
        .residents(&ResidentQuery {
            filter: StatusFilter::due(),
            ..Default::default()
        })
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(due, vec![never, expired, expiring]);
    let c = f.station.counts(None).unwrap();
    assert_eq!((c.never, c.expired, c.expiring, c.active), (1, 1, 1, 2));
}

#[test]
fn r6_expiring_threshold_is_configurable() {
    let (mut f, [_, _, _, _, edge]) = mixed_station();
    f.station.set_expiring_days(8).unwrap();
    assert_eq!(status(&f, edge).state, CodeState::Expiring);
    assert!(f.station.set_expiring_days(0).is_err());
}

#[test]
fn r6_batch_renews_exactly_the_due_residents() {
    let (mut f, [never, expired, expiring, active, edge]) = mixed_station();
    let mut reports = 0;
    let outcome = f
        .station
        .renew_batch(
            BatchScope::Station,
            DueSelection::within(7),
            Capacity::Volunteer,
            2,
            &mut |p| {
                reports += 1;
                assert!(p.done <= p.total);
                ControlFlow::Continue(())
            },
        )
        .unwrap();
    assert_eq!((outcome.total, outcome.renewed, outcome.failed), (3, 3, 0));
    assert_eq!(
        reports, 2,
        "3 residents in chunks of 2 → 2 commits, 2 reports"
    );
    let renewed: Vec<i64> = outcome
        .items
        .iter()
        .map(|i| match i {
            BatchItem::Done(o) => o.resident_id(),
            BatchItem::Failed { .. } => panic!("no failure expected"),
        })
        .collect();
    assert_eq!(renewed, vec![never, expired, expiring]);
    for id in [never, expired, expiring, active] {
        assert_eq!(status(&f, id).state, CodeState::Active);
    }
    assert_eq!(status(&f, edge).days_left, Some(8), "not due: untouched");
}

#[test]
fn batch_failure_of_one_resident_keeps_the_others() {
    let mut f = Fixture::at_cst(2026, 11, 27, 10, 0, 0);
    let hh = f.household("302");
    let a = f.resident(hh, "王秀英", 1);
    let gone = f.resident(hh, "李建国", 2);
    let c = f.resident(hh, "陈美华", 3);
    f.station.remove_resident(gone).unwrap();
    let outcome = f
        .station
        .renew_many(&[a, gone, c], Capacity::Volunteer, 10, &mut |_| {
            ControlFlow::Continue(())
        })
        .unwrap();
    assert_eq!((outcome.renewed, outcome.failed), (2, 1));
    assert!(matches!(
        &outcome.items[1],
        BatchItem::Failed {
            code: "not_found",
            ..
        }
    ));
    let conn = f.station.connection();
    assert_eq!(count(conn, "SELECT count(*) FROM applications"), 2);
    assert_eq!(count(conn, "SELECT count(*) FROM outbox"), 2);
}

#[test]
fn batch_can_be_cancelled_between_chunks() {
    let mut f = Fixture::at_cst(2026, 11, 27, 10, 0, 0);
    let hh = f.household("302");
    let ids: Vec<i64> = (1..=5).map(|i| f.resident(hh, "王秀英", i)).collect();
    let outcome = f
        .station
        .renew_many(
            &ids,
            Capacity::Volunteer,
            2,
            &mut |_| ControlFlow::Break(()),
        )
        .unwrap();
    assert!(outcome.cancelled);
    assert_eq!(
        outcome.renewed, 2,
        "the first chunk was committed before cancelling"
    );
    assert_eq!(
        count(f.station.connection(), "SELECT count(*) FROM codes"),
        2
    );
}

#[test]
fn every_application_has_exactly_one_code_and_one_outbox_event() {
    let (f, _) = mixed_station();
    let conn = f.station.connection();
    assert_eq!(
        count(
            conn,
            "SELECT count(*) FROM applications a
             WHERE (SELECT count(*) FROM codes c WHERE c.application_id = a.id) = 1
               AND (SELECT count(*) FROM outbox o WHERE o.application_id = a.id AND o.event_id = a.event_id) = 1"
        ),
        count(conn, "SELECT count(*) FROM applications")
    );
}

fn print(f: &mut Fixture, ids: &[i64]) -> Vec<String> {
    let (cards, missing) = f.station.cards_for(ids).unwrap();
    assert!(missing.is_empty());
    let serials: Vec<String> = cards.iter().map(|c| c.serial.clone()).collect();
    f.station
        .record_print(&PrintRequest {
            layout: "a4-8up".into(),
            destination: "test.pdf".into(),
            serials: serials.clone(),
        })
        .unwrap();
    serials
}

#[test]
fn r7_reprinting_the_active_code_is_not_an_application() {
    let mut f = Fixture::at_cst(2026, 11, 27, 10, 0, 0);
    let hh = f.household("302");
    let id = f.resident(hh, "张三丰", 1);
    renewed(f.station.renew(id, Capacity::Volunteer).unwrap());
    print(&mut f, &[id]);
    let applications = count(f.station.connection(), "SELECT count(*) FROM applications");
    f.clock.advance_secs(DAY_SECS);
    print(&mut f, &[id]);
    print(&mut f, &[id]);
    let conn = f.station.connection();
    assert_eq!(
        count(conn, "SELECT count(*) FROM applications"),
        applications
    );
    assert_eq!(count(conn, "SELECT count(*) FROM printed_cards"), 3);
    assert!(
        matches!(
            f.station.renew(id, Capacity::Volunteer).unwrap(),
            RenewOutcome::Renewed(_)
        ),
        "reprints did not use up the day's application"
    );
}

#[test]
fn r8_cards_of_a_superseded_code_must_be_replaced() {
    let mut f = Fixture::at_cst(2026, 11, 27, 10, 0, 0);
    let hh = f.household("302");
    let id = f.resident(hh, "张三丰", 1);
    let other = f.resident(hh, "王秀英", 2);
    renewed(f.station.renew(id, Capacity::Volunteer).unwrap());
    renewed(f.station.renew(other, Capacity::Volunteer).unwrap());
    let old_serial = print(&mut f, &[id, other])[0].clone();
    assert!(f.station.cards_to_replace().unwrap().is_empty());

    f.clock.advance_secs(DAY_SECS);
    let new = renewed(f.station.renew(id, Capacity::Volunteer).unwrap());
    assert_eq!(new.cards_invalidated, 1);
    let to_replace = f.station.cards_to_replace().unwrap();
    assert_eq!(to_replace.len(), 1, "only the superseded code's card");
    assert_eq!(to_replace[0].serial, old_serial);
    assert_eq!(
        to_replace[0].current_serial.as_deref(),
        Some(new.code.serial.as_str())
    );
    assert_eq!(status(&f, id).cards_to_replace, 1);

    f.clock.advance_secs(60);
    print(&mut f, &[id]);
    assert!(
        f.station.cards_to_replace().unwrap().is_empty(),
        "printing the current code replaces the old card"
    );
}

#[test]
fn r8_withdrawn_card_leaves_the_list() {
    let mut f = Fixture::at_cst(2026, 11, 27, 10, 0, 0);
    let hh = f.household("302");
    let id = f.resident(hh, "张三丰", 1);
    renewed(f.station.renew(id, Capacity::Volunteer).unwrap());
    print(&mut f, &[id]);
    f.clock.advance_secs(DAY_SECS);
    renewed(f.station.renew(id, Capacity::Volunteer).unwrap());
    let card = f.station.cards_to_replace().unwrap()[0].card_id;
    f.station.withdraw_card(card).unwrap();
    assert!(f.station.cards_to_replace().unwrap().is_empty());
}

#[test]
fn printing_needs_a_valid_code() {
    let mut f = Fixture::at_cst(2026, 11, 27, 10, 0, 0);
    let hh = f.household("302");
    let id = f.resident(hh, "张三丰", 1);
    let (cards, missing) = f.station.cards_for(&[id]).unwrap();
    assert!(cards.is_empty());
    assert_eq!(missing, vec![id]);
}

#[test]
fn a_failed_revocation_lookup_is_cannot_check_never_valid() {
    let mut f = Fixture::at_cst(2026, 11, 27, 10, 0, 0);
    let hh = f.household("302");
    let id = f.resident(hh, "张三丰", 1);
    let r = renewed(f.station.renew(id, Capacity::Volunteer).unwrap());
    assert_eq!(f.station.verify(&r.code.credential).verdict, Verdict::Valid);

    // The `codes` table can no longer be read: the revocation lookup fails.
    f.station
        .connection()
        .execute_batch("ALTER TABLE codes RENAME TO codes_elsewhere")
        .unwrap();
    let v = f.station.verify(&r.code.credential);
    assert_eq!(v.verdict, Verdict::CannotCheck, "{v:?}");
    let reason = v.reason.unwrap_or_default();
    assert!(reason.contains("no such table: codes"), "{reason}");

    // Nor may a failed issuer lookup pass for an unknown issuer.
    f.station
        .connection()
        .execute_batch("ALTER TABLE trusted_issuers RENAME TO issuers_elsewhere")
        .unwrap();
    let v = f.station.verify(&r.code.credential);
    assert_eq!(v.verdict, Verdict::CannotCheck, "{v:?}");
    assert_eq!(v.claims, None);
}

#[test]
fn a_damaged_issuer_key_is_cannot_check_not_unknown_issuer() {
    let mut f = Fixture::at_cst(2026, 11, 27, 10, 0, 0);
    let hh = f.household("302");
    let id = f.resident(hh, "张三丰", 1);
    let r = renewed(f.station.renew(id, Capacity::Volunteer).unwrap());
    f.station
        .connection()
        // 32 zero bytes: the right length, but a small-order point, never a usable key.
        .execute_batch("UPDATE trusted_issuers SET public = zeroblob(32)")
        .unwrap();
    let v = f.station.verify(&r.code.credential);
    assert_eq!(v.verdict, Verdict::CannotCheck, "{v:?}");
    let reason = v.reason.unwrap_or_default();
    assert!(reason.contains("Ed25519"), "{reason}");
}
