//! One conformance suite for every storage backend: each function takes a fresh, empty hub and
//! asserts what any backend must do. `conformance_sqlite.rs` and `conformance_postgres.rs`
//! instantiate every function (see `conformance_suite!`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use nac_credential::{Revocation, StationKey};
use nac_hub::store::{EnrolRefusal, RotateRefusal, StationStatus};
use nac_hub::ServiceError;
use nac_hub::{Hub, Store};
use nac_protocol::auth::rotation_proof;
use nac_protocol::*;

use crate::support::*;

mod console;
pub use console::*;

/// Instantiates every conformance test for a backend; `$make` is an async expression giving
/// `Option<(Hub<S>, guard)>` (`None`: backend unavailable, test skipped).
#[macro_export]
macro_rules! conformance_suite {
    ($make:expr; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                let Some((hub, _guard)) = $make.await else { return };
                conformance::$name(hub).await;
            }
        )*
    };
    ($make:expr) => {
        conformance_suite!($make;
            push_same_batch_repeatedly_is_idempotent,
            same_id_different_content_is_a_conflict,
            r3_second_application_same_cst_day_is_rejected,
            r3_day_is_the_cst_day,
            r2_the_code_accepted_last_wins,
            refused_events_change_nothing,
            concurrent_stations_same_person_same_day_one_accepted,
            pull_is_paged_and_scoped_to_subscriptions,
            subscribe_returns_active_codes,
            phone_renewal_reaches_subscribed_station,
            revocations_are_paged,
            trust_list_is_paged_and_tracks_disable,
            enrolment_code_single_use_and_expiry,
            nonces_are_single_use,
            idempotency_records_kept_sixty_days,
            reopening_keeps_state_and_secrets_hold,
            key_rotation_keeps_old_codes_genuine_and_refuses_late_ones,
            audit_anchors_keep_the_first_hash_per_row,
            a_serial_is_per_key_so_another_station_cannot_revoke_a_code,
            subscriptions_are_bounded_rated_expired_and_shown,
            rekey_retires_every_key_and_the_district_sees_it,
            resent_codes_keep_their_epochs_place,
            trust_feed_misses_no_entry_under_concurrent_enrolments,
            a_disabled_station_pushes_what_it_issued_before,
            pull_misses_no_change_under_concurrent_pushes,
            console_accounts_and_sessions,
            console_audit_is_a_chain,
            console_counts_follow_what_the_hub_records,
        );
    };
}

fn limits() -> nac_hub::store::SubscribeLimits {
    nac_hub::store::SubscribeLimits {
        max_total: 5_000,
        max_new_per_day: 5_000,
        alert_new_per_day: 500,
    }
}

fn answers_status(answers: &[EventAnswer]) -> Vec<Outcome> {
    answers.iter().map(|a| a.status).collect()
}

pub async fn push_same_batch_repeatedly_is_idempotent<S: Store>(hub: Hub<S>) {
    let st = enrol(&hub, 1).await;
    let secret = hub.keys.district_secret().unwrap();
    let batch: Vec<Event> = (0..3)
        .map(|i| {
            event(
                &st,
                i as u64,
                &person(&secret, i),
                &format!("S{i}"),
                T0 + i as i64,
            )
        })
        .collect();
    let first = push_raw(&hub, &st, &batch, T0 + 10).await;
    let first_parsed: Vec<EventAnswer> = first
        .iter()
        .map(|a| serde_json::from_str(a).unwrap())
        .collect();
    assert_eq!(answers_status(&first_parsed), vec![Outcome::Accepted; 3]);
    let after_first = hub.store.dump().await.unwrap();
    let mut replies = Vec::new();
    for n in 0..4 {
        let again = push_raw(&hub, &st, &batch, T0 + 20 + n).await;
        replies.push(again.clone());
        for (answer, original) in again.iter().zip(&first) {
            let parsed: EventAnswer = serde_json::from_str(answer).unwrap();
            assert_eq!(parsed.status, Outcome::Duplicate);
            // The first answer, byte for byte.
            assert_eq!(parsed.original.as_ref().unwrap().get(), original);
            assert!(answer.contains(&format!("\"original\":{original}")));
        }
        assert_eq!(
            hub.store.dump().await.unwrap(),
            after_first,
            "a duplicate changes nothing"
        );
    }
    assert!(
        replies.windows(2).all(|w| w[0] == w[1]),
        "identical answers every time"
    );
    // One renewal each.
    let dump = hub.store.dump().await.unwrap();
    assert_eq!(
        dump.lines()
            .filter(|l| l.starts_with("applications|"))
            .count(),
        3
    );
}

pub async fn same_id_different_content_is_a_conflict<S: Store>(hub: Hub<S>) {
    let st = enrol(&hub, 1).await;
    let secret = hub.keys.district_secret().unwrap();
    let original = event(&st, 1, &person(&secret, 0), "S1", T0);
    assert_eq!(
        push(&hub, &st, std::slice::from_ref(&original), T0).await[0].status,
        Outcome::Accepted
    );
    let before = hub.store.dump().await.unwrap();
    let mut other = event(&st, 1, &person(&secret, 1), "S2", T0 + DAY);
    other.event_id = original.event_id.clone();
    let mut changed_volunteer = original.clone();
    changed_volunteer.volunteer = Some("other".into());
    for e in [other, changed_volunteer] {
        let answer = &push(&hub, &st, &[e], T0 + DAY).await[0];
        assert_eq!(answer.status, Outcome::Conflict);
        assert!(answer.active.is_none() && answer.original.is_none());
        assert_eq!(hub.store.dump().await.unwrap(), before);
    }
}

pub async fn r3_second_application_same_cst_day_is_rejected<S: Store>(hub: Hub<S>) {
    let a = enrol(&hub, 1).await;
    let b = enrol(&hub, 2).await;
    let secret = hub.keys.district_secret().unwrap();
    let p = person(&secret, 0);
    let first = push(&hub, &a, &[event(&a, 1, &p, "A1", T0)], T0).await;
    assert_eq!(first[0].status, Outcome::Accepted);
    let second = push(
        &hub,
        &b,
        &[event(&b, 2, &p, "B1", T0 + 5 * 3600)],
        T0 + 5 * 3600,
    )
    .await;
    assert_eq!(second[0].status, Outcome::Rejected);
    assert_eq!(second[0].reason, Some(RejectReason::AlreadyAppliedToday));
    let active = second[0].active.as_ref().unwrap();
    assert_eq!(active.serial, "A1");
    assert_eq!(active.channel, Channel::Station(a.id.clone()));
    assert!(active.credential.starts_with(SEALED_PREFIX));
    // The same station again the same day: rejected too.
    let third = push(&hub, &a, &[event(&a, 3, &p, "A2", T0 + 3600)], T0 + 3600).await;
    assert_eq!(third[0].reason, Some(RejectReason::AlreadyAppliedToday));
    // B learns it by pulling, and the revocation list says rejected.
    let pulled = hub.store.pull(&b.id, 0, 100).await.unwrap();
    assert!(pulled
        .items
        .iter()
        .any(|c| c.kind == ChangeKind::Rejected && c.serial == "B1"));
    assert!(pulled
        .items
        .iter()
        .any(|c| c.kind == ChangeKind::Issued && c.serial == "A1"));
    let revoked = hub.store.revocations(0, 100).await.unwrap().items;
    assert!(revoked.contains(&RevokedSerial {
        serial: "B1".into(),
        kid: b.key.kid(),
        status: Revocation::Rejected
    }));
    assert!(!revoked.iter().any(|r| r.serial == "A1"));
    // Next day is fine.
    let next = push(&hub, &b, &[event(&b, 4, &p, "B2", T0 + DAY)], T0 + DAY).await;
    assert_eq!(next[0].status, Outcome::Accepted);
    assert_eq!(next[0].active.as_ref().unwrap().serial, "B2");
}

pub async fn r3_day_is_the_cst_day<S: Store>(hub: Hub<S>) {
    let st = enrol(&hub, 1).await;
    let p = nth_person(7);
    // 2026-01-01T23:59:59+08:00 and 2026-01-02T00:00:00+08:00: two CST days, one UTC day.
    let midnight_cst = 1_767_283_200; // 2026-01-02T00:00:00+08:00
    let late = event(&st, 1, &p, "LATE", midnight_cst - 1);
    let early = event(&st, 2, &p, "EARLY", midnight_cst);
    let answers = push(&hub, &st, &[late, early], midnight_cst + 60).await;
    assert_eq!(
        answers_status(&answers),
        vec![Outcome::Accepted, Outcome::Accepted]
    );
    // 00:00 and 23:59:59 of the same CST day (different UTC days): one day.
    let q = nth_person(8);
    let morning = event(&st, 3, &q, "M", midnight_cst);
    let night = event(&st, 4, &q, "N", midnight_cst + DAY - 1);
    let answers = push(&hub, &st, &[morning, night], midnight_cst + DAY).await;
    assert_eq!(
        answers_status(&answers),
        vec![Outcome::Accepted, Outcome::Rejected]
    );
}

pub async fn r2_the_code_accepted_last_wins<S: Store>(hub: Hub<S>) {
    let a = enrol(&hub, 1).await;
    let b = enrol(&hub, 2).await;
    let p = nth_person(1);
    // B (online) renews on day 3; A (offline since day 1) syncs its day-1 renewal afterwards.
    let day3 = push(
        &hub,
        &b,
        &[event(&b, 1, &p, "DAY3", T0 + 2 * DAY)],
        T0 + 2 * DAY,
    )
    .await;
    assert_eq!(day3[0].active.as_ref().unwrap().serial, "DAY3");
    let day1 = push(&hub, &a, &[event(&a, 2, &p, "DAY1", T0)], T0 + 3 * DAY).await;
    assert_eq!(day1[0].status, Outcome::Accepted);
    assert_eq!(
        day1[0].active.as_ref().unwrap().serial,
        "DAY1",
        "the hub's acceptance order decides, not the codes' dates (station clocks)"
    );
    let revoked = hub.store.revocations(0, 100).await.unwrap().items;
    assert_eq!(
        revoked,
        vec![RevokedSerial {
            serial: "DAY3".into(),
            kid: b.key.kid(),
            status: Revocation::Superseded
        }]
    );
    // Dated an hour before DAY1 but accepted after it: it supersedes DAY1.
    let later = push(
        &hub,
        &b,
        &[event(&b, 3, &p, "EARLIER", T0 - 3600 + DAY)],
        T0 + 3 * DAY,
    )
    .await;
    assert_eq!(later[0].active.as_ref().unwrap().serial, "EARLIER");
    let pulled = hub.store.pull(&b.id, 0, 100).await.unwrap().items;
    assert!(pulled.iter().any(|c| c.kind == ChangeKind::Superseded
        && c.serial == "DAY1"
        && c.kid == a.key.kid()
        && c.by.as_deref() == Some("EARLIER")
        && c.by_kid == Some(b.key.kid())));
    let dump = hub.store.dump().await.unwrap();
    assert_eq!(
        dump.lines()
            .filter(|l| l.starts_with("active_codes|"))
            .count(),
        1
    );
}

pub async fn refused_events_change_nothing<S: Store>(hub: Hub<S>) {
    let st = enrol(&hub, 1).await;
    let other = enrol(&hub, 2).await;
    let p = nth_person(1);
    assert_eq!(
        push(&hub, &st, &[event(&st, 1, &p, "TAKEN", T0)], T0).await[0].status,
        Outcome::Accepted
    );
    let before = hub.store.dump().await.unwrap();
    // Signed by another station's key.
    let mut forged = event(&other, 2, &nth_person(2), "F1", T0);
    forged.channel = Channel::Station(st.id.clone());
    forged.volunteer = Some(format!("{}/v-1", st.id));
    // A credential whose claims do not match the event.
    let mut mismatched = event(&st, 3, &nth_person(3), "M1", T0);
    mismatched.code.serial = "M2".into();
    // A serial already recorded (another station's serial cannot be revoked this way).
    let reuse = event(&st, 5, &nth_person(5), "TAKEN", T0 + DAY);
    // Breaks R1's window.
    let mut window = event(&st, 6, &nth_person(6), "W1", T0);
    window.code.expires_at += 1;
    let answers = push(
        &hub,
        &st,
        &[forged, mismatched, reuse, window],
        T0 + DAY + 60,
    )
    .await;
    let reasons: Vec<_> = answers.iter().map(|a| (a.status, a.reason)).collect();
    assert_eq!(
        reasons,
        vec![
            (Outcome::Rejected, Some(RejectReason::InvalidCredential)),
            (Outcome::Rejected, Some(RejectReason::InvalidCredential)),
            (Outcome::Rejected, Some(RejectReason::SerialInUse)),
            (Outcome::Rejected, Some(RejectReason::InvalidEvent)),
        ]
    );
    assert_eq!(
        hub.store.dump().await.unwrap(),
        before,
        "refusals of what is not the station's genuine code record nothing"
    );
    // The station's own genuine code dated ahead of the hub's clock is refused and recorded:
    // its revocation is published (it must be valid nowhere), a re-send is a duplicate.
    let future = event(&st, 7, &nth_person(7), "FUT2", T0 + 2 * DAY);
    let answer = &push(&hub, &st, std::slice::from_ref(&future), T0 + DAY).await[0];
    assert_eq!(answer.reason, Some(RejectReason::IssuedInFuture));
    let revoked = hub.store.revocations(0, 100).await.unwrap().items;
    assert!(revoked.contains(&RevokedSerial {
        serial: "FUT2".into(),
        kid: st.key.kid(),
        status: Revocation::Rejected,
    }));
    let again = &push(&hub, &st, &[future], T0 + 3 * DAY).await[0];
    assert_eq!(again.status, Outcome::Duplicate);
}

pub async fn concurrent_stations_same_person_same_day_one_accepted<S: Store>(hub: Hub<S>) {
    let mut stations = Vec::new();
    for seed in 1..=10 {
        stations.push(enrol(&hub, seed).await);
    }
    let p = nth_person(42);
    for round in 0..3u64 {
        let mut tasks = Vec::new();
        for (i, st) in stations.iter().enumerate() {
            let hub = hub.clone();
            let st = st.clone();
            let p = p.clone();
            tasks.push(tokio::spawn(async move {
                let e = event(
                    &st,
                    round * 100 + i as u64,
                    &p,
                    &format!("R{round}S{i}"),
                    T0 + round as i64 * DAY + i as i64,
                );
                push(&hub, &st, &[e], T0 + round as i64 * DAY + 60)
                    .await
                    .remove(0)
            }));
        }
        let mut accepted = 0;
        for t in tasks {
            let answer = t.await.unwrap();
            match answer.status {
                Outcome::Accepted => accepted += 1,
                Outcome::Rejected => {
                    assert_eq!(answer.reason, Some(RejectReason::AlreadyAppliedToday))
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(accepted, 1, "round {round}: exactly one accepted");
    }
    let dump = hub.store.dump().await.unwrap();
    assert_eq!(
        dump.lines()
            .filter(|l| l.starts_with("active_codes|"))
            .count(),
        1
    );
}

pub async fn pull_is_paged_and_scoped_to_subscriptions<S: Store>(hub: Hub<S>) {
    let a = enrol(&hub, 1).await;
    let b = enrol(&hub, 2).await;
    let events: Vec<Event> = (0..25)
        .map(|i| event(&a, i, &nth_person(i as usize), &format!("A{i}"), T0))
        .collect();
    push(&hub, &a, &events, T0).await;
    push(&hub, &b, &[event(&b, 100, &nth_person(100), "B0", T0)], T0).await;
    let mut since = 0;
    let mut sizes = Vec::new();
    let mut serials = Vec::new();
    loop {
        let page = hub.store.pull(&a.id, since, 10).await.unwrap();
        sizes.push(page.items.len());
        serials.extend(page.items.iter().map(|c| c.serial.clone()));
        assert!(page.next >= since);
        since = page.next;
        if !page.more {
            break;
        }
    }
    assert_eq!(sizes, vec![10, 10, 5]);
    assert_eq!(
        serials,
        (0..25).map(|i| format!("A{i}")).collect::<Vec<_>>()
    );
    assert!(
        !serials.contains(&"B0".to_string()),
        "not subscribed to B's person"
    );
    // Caught up: an empty page, same cursor.
    let empty = hub.store.pull(&a.id, since, 10).await.unwrap();
    assert!(empty.items.is_empty() && !empty.more);
    assert_eq!(empty.next, since);
    // Issued changes carry the code.
    let first = hub.store.pull(&a.id, 0, 1).await.unwrap();
    let code = first.items[0].code.as_ref().unwrap();
    assert_eq!(code.channel, Channel::Station(a.id.clone()));
    assert!(code.credential.starts_with(SEALED_PREFIX));
    assert_eq!(
        open_credential(&a.secret, &code.kid, &code.serial, &code.credential)
            .unwrap()
            .get(..5),
        Some("NAC1:"),
        "a station opens it"
    );
}

pub async fn subscribe_returns_active_codes<S: Store>(hub: Hub<S>) {
    let a = enrol(&hub, 1).await;
    let b = enrol(&hub, 2).await;
    push(&hub, &a, &[event(&a, 1, &nth_person(1), "A1", T0)], T0).await;
    let keys = vec![nth_person(2), nth_person(1), nth_person(1)];
    let first = hub
        .store
        .subscribe(&b.id, keys.clone(), limits(), T0)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.added, 2);
    assert_eq!(first.active.len(), 1);
    assert_eq!(first.active[0].serial, "A1");
    assert!(
        first.active[0].credential.starts_with(SEALED_PREFIX),
        "the hub hands on the sealed credential only"
    );
    let again = hub
        .store
        .subscribe(&b.id, keys, limits(), T0)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.added, 0, "idempotent");
    // Now B sees A's next renewal of that person.
    let cursor = hub.store.pull(&b.id, 0, 1000).await.unwrap().next;
    push(
        &hub,
        &a,
        &[event(&a, 2, &nth_person(1), "A2", T0 + DAY)],
        T0 + DAY,
    )
    .await;
    let page = hub.store.pull(&b.id, cursor, 1000).await.unwrap();
    let kinds: Vec<_> = page
        .items
        .iter()
        .map(|c| (c.kind, c.serial.as_str()))
        .collect();
    assert_eq!(
        kinds,
        vec![(ChangeKind::Issued, "A2"), (ChangeKind::Superseded, "A1")]
    );
}

pub async fn phone_renewal_reaches_subscribed_station<S: Store>(hub: Hub<S>) {
    let st = enrol(&hub, 1).await;
    let p = nth_person(9);
    hub.store
        .subscribe(&st.id, vec![p.clone()], limits(), T0)
        .await
        .unwrap()
        .unwrap();
    let now = hub.clock.now();
    let req = PhoneRenewRequest {
        v: V1,
        event_id: event_id(77),
        person_key: p.clone(),
        capacity: Capacity::Family,
        issued_at: now,
    };
    let answer: EventAnswer = serde_json::from_str(&hub.phone_renew(&req).await.unwrap()).unwrap();
    assert_eq!(answer.status, Outcome::Accepted);
    let code = answer.active.unwrap();
    assert_eq!(code.channel, Channel::Phone);
    // The credential verifies against the published trust list (the hub's phone key).
    let mut trust = nac_credential::TrustList::new();
    for entry in hub.full_trust_list().await.unwrap() {
        trust.add_issuer(entry.public_key, entry.station);
    }
    assert_eq!(
        nac_credential::verify(&code.credential, &trust, now).verdict,
        nac_credential::Verdict::Valid
    );
    // A retry of the same request is a duplicate.
    let retry: EventAnswer = serde_json::from_str(&hub.phone_renew(&req).await.unwrap()).unwrap();
    assert_eq!(retry.status, Outcome::Duplicate);
    // The station pulls it.
    let pulled = hub.store.pull(&st.id, 0, 100).await.unwrap().items;
    assert_eq!(pulled.len(), 1);
    assert_eq!(pulled[0].code.as_ref().unwrap().channel, Channel::Phone);
    // A station renewal the same CST day is rejected with the phone's code.
    let same_day = push(&hub, &st, &[event(&st, 5, &p, "ST1", now)], now).await;
    assert_eq!(same_day[0].reason, Some(RejectReason::AlreadyAppliedToday));
    assert_eq!(same_day[0].active.as_ref().unwrap().channel, Channel::Phone);
    // The phone cannot act as a volunteer.
    let volunteer = PhoneRenewRequest {
        capacity: Capacity::Volunteer,
        event_id: event_id(78),
        ..req
    };
    assert!(hub.phone_renew(&volunteer).await.is_err());
}

pub async fn revocations_are_paged<S: Store>(hub: Hub<S>) {
    let st = enrol(&hub, 1).await;
    let p = nth_person(1);
    // 7 renewals on 7 days: 6 superseded.
    let events: Vec<Event> = (0..7)
        .map(|d| event(&st, d, &p, &format!("D{d}"), T0 + d as i64 * DAY))
        .collect();
    push(&hub, &st, &events, T0 + 7 * DAY).await;
    let first = hub.store.revocations(0, 4).await.unwrap();
    assert_eq!(first.items.len(), 4);
    assert!(first.more);
    let second = hub.store.revocations(first.next, 4).await.unwrap();
    assert_eq!(second.items.len(), 2);
    assert!(!second.more);
    let all: Vec<_> = first
        .items
        .iter()
        .chain(&second.items)
        .map(|r| r.serial.clone())
        .collect();
    assert_eq!(all, (0..6).map(|d| format!("D{d}")).collect::<Vec<_>>());
    assert!(hub
        .store
        .revocations(second.next, 4)
        .await
        .unwrap()
        .items
        .is_empty());
}

pub async fn trust_list_is_paged_and_tracks_disable<S: Store>(hub: Hub<S>) {
    let a = enrol(&hub, 1).await;
    let b = enrol(&hub, 2).await;
    let (pending, _) = hub.add_station("never enrolled", "x").await.unwrap();
    let first = hub.store.trust_entries(0, 2).await.unwrap();
    assert_eq!(first.items.len(), 2);
    assert!(first.more);
    let second = hub.store.trust_entries(first.next, 2).await.unwrap();
    assert_eq!(second.items.len(), 1);
    assert!(!second.more);
    let all = hub.full_trust_list().await.unwrap();
    let stations: Vec<_> = all.iter().map(|e| e.station.as_str()).collect();
    assert_eq!(stations, vec![PHONE_CHANNEL, a.id.as_str(), b.id.as_str()]);
    assert_eq!(all[1].kid, a.key.kid());
    assert!(!stations.contains(&pending.id.as_str()));
    assert!(hub
        .store
        .disable_station(&a.id, hub.clock.now())
        .await
        .unwrap());
    assert!(!hub
        .store
        .disable_station("ST-NOPE", hub.clock.now())
        .await
        .unwrap());
    assert!(
        !hub.store
            .disable_station(PHONE_CHANNEL, hub.clock.now())
            .await
            .unwrap(),
        "the gateway is no station"
    );
    let disabled_at = hub.clock.now();
    let all = hub.full_trust_list().await.unwrap();
    let entry = |all: &[TrustEntry], kid| all.iter().find(|e| e.kid == kid).cloned().unwrap();
    assert_eq!(entry(&all, a.key.kid()).status, IssuerStatus::Disabled);
    assert_eq!(entry(&all, a.key.kid()).not_after, Some(disabled_at));
    assert_eq!(entry(&all, b.key.kid()).status, IssuerStatus::Active);
    assert_eq!(entry(&all, b.key.kid()).not_after, None);
    // The change is a new entry at the end of the feed: a station past the old position
    // still learns it.
    let after = hub.store.trust_entries(second.next, 10).await.unwrap();
    assert_eq!(after.items.len(), 1);
    assert_eq!(after.items[0].kid, a.key.kid());
    assert_eq!(after.items[0].status, IssuerStatus::Disabled);
    let principal = hub.store.principal(&a.id).await.unwrap().unwrap();
    assert_eq!(principal.status, StationStatus::Disabled);
    let listed = hub.store.list_stations().await.unwrap();
    assert_eq!(listed.len(), 3);
    assert_eq!(listed[0].status, StationStatus::Disabled);
    assert_eq!(listed[2].status, StationStatus::Pending);

    // Enabled again: active, its key trusted again; only a disabled station can be enabled.
    assert!(hub
        .store
        .enable_station(&a.id, hub.clock.now())
        .await
        .unwrap());
    assert!(
        !hub.store
            .enable_station(&a.id, hub.clock.now())
            .await
            .unwrap(),
        "already enabled"
    );
    assert!(!hub
        .store
        .enable_station(&pending.id, hub.clock.now())
        .await
        .unwrap());
    let principal = hub.store.principal(&a.id).await.unwrap().unwrap();
    assert_eq!(principal.status, StationStatus::Active);
    let all = hub.full_trust_list().await.unwrap();
    assert_eq!(entry(&all, a.key.kid()).status, IssuerStatus::Active);
    assert_eq!(entry(&all, a.key.kid()).not_after, None);
    // A station disabled before it ever enrolled goes back to pending, not active.
    assert!(hub
        .store
        .disable_station(&pending.id, hub.clock.now())
        .await
        .unwrap());
    assert!(hub
        .store
        .enable_station(&pending.id, hub.clock.now())
        .await
        .unwrap());
    let listed = hub.store.list_stations().await.unwrap();
    assert_eq!(listed[2].status, StationStatus::Pending);
}

pub async fn enrolment_code_single_use_and_expiry<S: Store>(hub: Hub<S>) {
    let now = hub.clock.now();
    let (station, code) = hub.add_station("s", "a").await.unwrap();
    let key = StationKey::from_secret_bytes(&[5; 32]);
    let enrolment = |code: &str, key: &StationKey, at: i64| nac_hub::store::Enrolment {
        code_hash: nac_hub::service::enrolment_code_hash(code),
        device_name: "laptop".into(),
        public_key: key.public_key(),
        now: at,
    };
    let ttl = nac_hub::service::ENROLMENT_CODE_TTL_SECS;
    // Lowercase and without dashes is the same code; the last second still works.
    let typed = code.to_lowercase().replace('-', "");
    let enrolled = hub
        .store
        .enrol(enrolment(&typed, &key, now + ttl - 1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(enrolled.station, station.id);
    assert!(!enrolled.rekeyed);
    // The district secret comes sealed under the code, and only the code opens it.
    assert_eq!(
        open_district_secret(&typed, &station.id, &enrolled.sealed_secret).unwrap(),
        hub.keys.district_secret().unwrap()
    );
    assert!(
        open_district_secret("AAAA-BBBB-CCCC-DDDD", &station.id, &enrolled.sealed_secret).is_err()
    );
    assert!(
        !hub.store
            .dump()
            .await
            .unwrap()
            .contains(&enrolled.sealed_secret),
        "a used code's sealed secret is deleted"
    );
    let other = StationKey::from_secret_bytes(&[6; 32]);
    assert_eq!(
        hub.store
            .enrol(enrolment(&code, &other, now))
            .await
            .unwrap(),
        Err(EnrolRefusal::AlreadyUsed)
    );
    let (_, code2) = hub.add_station("s2", "a").await.unwrap();
    let before = hub.store.dump().await.unwrap();
    assert_eq!(
        hub.store
            .enrol(enrolment(&code2, &other, now + ttl))
            .await
            .unwrap(),
        Err(EnrolRefusal::Expired)
    );
    assert_eq!(
        hub.store
            .enrol(enrolment("NOPE-NOPE", &other, now))
            .await
            .unwrap(),
        Err(EnrolRefusal::Unknown)
    );
    assert_eq!(
        hub.store.enrol(enrolment(&code2, &key, now)).await.unwrap(),
        Err(EnrolRefusal::KeyInUse)
    );
    assert_eq!(
        hub.store.dump().await.unwrap(),
        before,
        "refused enrolments change nothing"
    );
    // A bad proof never reaches the store.
    let mut req = enrol_request(&other, &code2);
    req.proof = enrol_request(&key, &code2).proof;
    assert!(matches!(
        hub.enrol(&req).await,
        Err(nac_hub::service::ServiceError::BadProof)
    ));
    assert!(hub.enrol(&enrol_request(&other, &code2)).await.is_ok());
}

pub async fn nonces_are_single_use<S: Store>(hub: Hub<S>) {
    let st = enrol(&hub, 1).await;
    assert!(hub
        .store
        .remember_nonce(&st.id, "aa", T0, None)
        .await
        .unwrap());
    assert!(!hub
        .store
        .remember_nonce(&st.id, "aa", T0 + 1, None)
        .await
        .unwrap());
    assert!(
        hub.store
            .remember_nonce(PHONE_CHANNEL, "aa", T0, None)
            .await
            .unwrap(),
        "per principal"
    );
    let report = hub.store.purge(T0 + 3600).await.unwrap();
    assert_eq!(report.nonces, 2);
}

pub async fn idempotency_records_kept_sixty_days<S: Store>(hub: Hub<S>) {
    let st = enrol(&hub, 1).await;
    let e = event(&st, 1, &nth_person(1), "S1", T0);
    push(&hub, &st, std::slice::from_ref(&e), T0).await;
    let purged = hub
        .store
        .purge(T0 + IDEMPOTENCY_RETENTION_SECS)
        .await
        .unwrap();
    assert_eq!(purged.records, 0);
    assert_eq!(
        push(
            &hub,
            &st,
            std::slice::from_ref(&e),
            T0 + IDEMPOTENCY_RETENTION_SECS
        )
        .await[0]
            .status,
        Outcome::Duplicate
    );
    let purged = hub
        .store
        .purge(T0 + IDEMPOTENCY_RETENTION_SECS + 2 * DAY)
        .await
        .unwrap();
    assert_eq!(purged.records, 1);
    // After the retention the code still cannot be recorded twice.
    let before = hub.store.dump().await.unwrap();
    let late = push(&hub, &st, &[e], T0 + IDEMPOTENCY_RETENTION_SECS + 2 * DAY).await;
    assert_eq!(late[0].reason, Some(RejectReason::SerialInUse));
    assert_eq!(hub.store.dump().await.unwrap(), before);
}

pub async fn reopening_keeps_state_and_secrets_hold<S: Store>(hub: Hub<S>) {
    // Secrets are well-formed and distinct.
    let issuer = hub.keys.phone_issuer().unwrap();
    let gateway_key = hub.keys.phone_gateway().unwrap();
    assert_ne!(issuer.kid(), gateway_key.kid());
    let gateway = hub.store.principal(PHONE_CHANNEL).await.unwrap().unwrap();
    assert_eq!(gateway.public_key, Some(gateway_key.public_key()));
    assert_eq!(gateway.kind, nac_hub::store::PrincipalKind::PhoneGateway);
    assert!(hub.store.principal("ST-NOPE").await.unwrap().is_none());
}

fn rotation(station: &TestStation, new_key: &StationKey) -> RotateKeyRequest {
    RotateKeyRequest {
        v: V1,
        station: station.id.clone(),
        public_key: new_key.public_key(),
        kid: new_key.kid(),
        proof: rotation_proof(new_key, &station.id),
    }
}

pub async fn key_rotation_keeps_old_codes_genuine_and_refuses_late_ones<S: Store>(hub: Hub<S>) {
    let st = enrol(&hub, 1).await;
    let other = enrol(&hub, 2).await;
    let now = hub.clock.now();
    let old_key = st.key.clone();
    let new_key = StationKey::from_secret_bytes(&[101; 32]);
    let principal = hub.store.principal(&st.id).await.unwrap().unwrap();

    // The proof must be the new key's, for this station; the key must be new to the hub.
    let mut forged = rotation(&st, &new_key);
    forged.proof = rotation_proof(&new_key, &other.id);
    assert!(matches!(
        hub.rotate_key(&principal, &forged).await,
        Err(ServiceError::BadRotationProof)
    ));
    assert!(matches!(
        hub.rotate_key(&principal, &rotation(&st, &other.key)).await,
        Err(ServiceError::RotateRefused(RotateRefusal::KeyInUse))
    ));
    let before = hub.store.dump().await.unwrap();
    let answer = hub
        .rotate_key(&principal, &rotation(&st, &new_key))
        .await
        .unwrap();
    assert_eq!(answer.kid, new_key.kid());
    assert_eq!(answer.replaced_kid, old_key.kid());
    let rotated_at = answer.rotated_at;
    assert!((rotated_at - now).abs() < 60, "rotated at the hub's clock");
    let after = hub.store.dump().await.unwrap();
    assert_ne!(before, after);

    // The answer was lost: the station asks again, still signing with the old key, and gets the
    // same answer; nothing changes. Asking for yet another key that way is refused.
    let mut principal = hub.store.principal(&st.id).await.unwrap().unwrap();
    assert_eq!(principal.public_key, Some(new_key.public_key()));
    assert_eq!(
        principal.previous_key,
        Some(old_key.public_key()),
        "the old key still signs"
    );
    principal.signed_with_previous = true;
    assert_eq!(
        hub.rotate_key(&principal, &rotation(&st, &new_key))
            .await
            .unwrap(),
        answer
    );
    assert_eq!(
        hub.store.dump().await.unwrap(),
        after,
        "a retried rotation changes nothing"
    );
    let third = StationKey::from_secret_bytes(&[103; 32]);
    assert!(matches!(
        hub.rotate_key(&principal, &rotation(&st, &third)).await,
        Err(ServiceError::RotateRefused(RotateRefusal::Unfinished))
    ));

    // Both keys are in the trust list, so cards signed before the rotation still verify.
    let trusted: Vec<_> = hub
        .full_trust_list()
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.station == st.id)
        .map(|e| (e.kid, e.status))
        .collect();
    assert_eq!(
        trusted,
        vec![
            (old_key.kid(), IssuerStatus::Active),
            (new_key.kid(), IssuerStatus::Active)
        ]
    );

    // Until the station signs with its new key, codes signed with the old one are its codes.
    let secret = hub.keys.district_secret().unwrap();
    let answers = push(
        &hub,
        &st,
        &[event_signed(
            &st,
            &old_key,
            1,
            &person(&secret, 0),
            "R1",
            rotated_at + 60,
        )],
        rotated_at + 60,
    )
    .await;
    assert_eq!(answers[0].status, Outcome::Accepted);

    // It signed with the new key at `retired`: a code signed with the old key before then (queued
    // offline, pushed late) is accepted; one signed after is not — whoever still holds the old
    // key mints nothing.
    let retired = rotated_at + 120;
    hub.store
        .retire_previous_key(&st.id, retired)
        .await
        .unwrap();
    let principal = hub.store.principal(&st.id).await.unwrap().unwrap();
    assert_eq!(
        principal.previous_key, None,
        "the old key signs no more requests"
    );
    let answers = push(
        &hub,
        &st,
        &[
            event_signed(&st, &old_key, 2, &person(&secret, 1), "R2", retired - 30),
            event_signed(&st, &new_key, 3, &person(&secret, 2), "R3", retired + 10),
            event_signed(&st, &old_key, 4, &nth_person(4), "R4", retired + 3600),
        ],
        retired + 3600,
    )
    .await;
    assert_eq!(answers[0].status, Outcome::Accepted);
    assert_eq!(answers[1].status, Outcome::Accepted);
    assert_eq!(answers[2].status, Outcome::Rejected);
    assert_eq!(answers[2].reason, Some(RejectReason::KeyWithdrawn));
    // The trust list carries the retirement, so every verifier refuses such a code too.
    let old = hub
        .full_trust_list()
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.kid == old_key.kid())
        .unwrap();
    assert_eq!(old.status, IssuerStatus::Retired);
    assert_eq!(
        old.not_after,
        Some(retired + MAX_REQUEST_SKEW_SECS),
        "retired when the station first signed with its new key, plus the clock skew verifiers \
         allow"
    );
    // Another station's key is never this station's, retired or not.
    let answers = push(
        &hub,
        &st,
        &[event_signed(
            &st,
            &other.key,
            5,
            &nth_person(5),
            "R5",
            retired,
        )],
        retired,
    )
    .await;
    assert_eq!(answers[0].reason, Some(RejectReason::InvalidCredential));

    let retired_keys = hub.store.retired_keys(&st.id).await.unwrap();
    assert_eq!(retired_keys.len(), 1);
    assert_eq!(retired_keys[0].public_key, old_key.public_key());
    assert_eq!(
        retired_keys[0].retired_at,
        Some(retired + MAX_REQUEST_SKEW_SECS)
    );
    assert!(hub.store.retired_keys(&other.id).await.unwrap().is_empty());

    // A disabled station cannot rotate (its requests are refused before; the store says so too).
    assert!(hub
        .store
        .disable_station(&other.id, hub.clock.now())
        .await
        .unwrap());
    let refused = hub
        .store
        .rotate_key(nac_hub::store::KeyRotation {
            station: other.id.clone(),
            new_key: StationKey::from_secret_bytes(&[102; 32]).public_key(),
            now,
        })
        .await
        .unwrap();
    assert_eq!(refused, Err(RotateRefusal::NotActive));
}

pub async fn audit_anchors_keep_the_first_hash_per_row<S: Store>(hub: Hub<S>) {
    let st = enrol(&hub, 1).await;
    let other = enrol(&hub, 2).await;
    let anchor = |seq: i64, fill: char, at: i64| AuditAnchor {
        seq,
        hash: fill.to_string().repeat(64),
        received_at: at,
    };
    assert!(hub
        .store
        .add_audit_anchor(&st.id, anchor(5, 'a', 100))
        .await
        .unwrap());
    assert!(hub
        .store
        .add_audit_anchor(&st.id, anchor(9, 'b', 200))
        .await
        .unwrap());
    assert!(
        hub.store
            .add_audit_anchor(&st.id, anchor(9, 'b', 250))
            .await
            .unwrap(),
        "the same head again"
    );
    assert!(
        !hub.store
            .add_audit_anchor(&st.id, anchor(5, 'c', 300))
            .await
            .unwrap(),
        "a different hash for a recorded row is reported"
    );
    assert_eq!(
        hub.store.audit_anchors(&st.id, 100).await.unwrap(),
        vec![anchor(5, 'a', 100), anchor(9, 'b', 200)],
        "the first hash per row is kept, oldest first"
    );
    assert_eq!(
        hub.store.audit_anchors(&st.id, 1).await.unwrap(),
        vec![anchor(9, 'b', 200)]
    );
    assert!(hub
        .store
        .audit_anchors(&other.id, 100)
        .await
        .unwrap()
        .is_empty());
}

pub async fn a_serial_is_per_key_so_another_station_cannot_revoke_a_code<S: Store>(hub: Hub<S>) {
    let a = enrol(&hub, 1).await;
    let b = enrol(&hub, 2).await;
    let p = nth_person(1);
    let q = nth_person(2);
    // B learns of A's serial before A synced, pushes a code of its own under it, then
    // supersedes that code.
    let squat = push(&hub, &b, &[event(&b, 1, &q, "A-SERIAL", T0)], T0).await;
    assert_eq!(squat[0].status, Outcome::Accepted);
    push(&hub, &b, &[event(&b, 2, &q, "B-NEXT", T0 + DAY)], T0 + DAY).await;
    // A's genuine code is a different code: accepted, not `serial_in_use`.
    let genuine = push(&hub, &a, &[event(&a, 3, &p, "A-SERIAL", T0 + 60)], T0 + DAY).await;
    assert_eq!(genuine[0].status, Outcome::Accepted, "{genuine:?}");
    // The revocation list names B's code only, by its key.
    let revoked = hub.store.revocations(0, 100).await.unwrap().items;
    assert_eq!(
        revoked,
        vec![RevokedSerial {
            serial: "A-SERIAL".into(),
            kid: b.key.kid(),
            status: Revocation::Superseded,
        }]
    );
    // The same station cannot use a serial twice.
    let again = push(
        &hub,
        &a,
        &[event(&a, 4, &q, "A-SERIAL", T0 + DAY)],
        T0 + DAY,
    )
    .await;
    assert_eq!(again[0].reason, Some(RejectReason::SerialInUse));
}

pub async fn subscriptions_are_bounded_rated_expired_and_shown<S: Store>(hub: Hub<S>) {
    let st = enrol(&hub, 1).await;
    let owner = enrol(&hub, 2).await;
    let secret = hub.keys.district_secret().unwrap();
    // One real resident with a code at the hub, among 1,000 candidate keys for one birth date.
    let p = person(&secret, 0);
    push(&hub, &owner, &[event(&owner, 1, &p, "O1", T0)], T0).await;
    let mut candidates: Vec<PersonKey> = (0..999).map(|n| nth_person(10_000 + n)).collect();
    candidates.push(p.clone());
    let tight = nac_hub::store::SubscribeLimits {
        max_total: 300,
        max_new_per_day: 300,
        alert_new_per_day: 100,
    };
    let before = hub.store.dump().await.unwrap();
    let refused = hub
        .store
        .subscribe(&st.id, candidates.clone(), tight, T0)
        .await
        .unwrap();
    assert_eq!(
        refused,
        Err(nac_hub::store::SubscribeRefusal::TooMany { allowed: 300 })
    );
    let after: String = hub
        .store
        .dump()
        .await
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("district_events|"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(after, before, "a refused look-up subscribes nothing");
    let shown = hub.store.district_events(0, 100).await.unwrap();
    let refusal = shown
        .iter()
        .find(|e| e.kind == "subscription_refused")
        .unwrap();
    assert_eq!(refusal.station.as_deref(), Some(st.id.as_str()));
    assert!(
        refusal
            .detail
            .contains("1000 new person keys (1 with a code at the hub)"),
        "{}",
        refusal.detail
    );
    assert!(
        !refusal.detail.contains(p.as_str()),
        "no person key in an event"
    );
    // Within the allowance, but many at once: allowed and shown as a bulk look-up.
    let wide = limits();
    let done = hub
        .store
        .subscribe(&st.id, candidates, wide, T0)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((done.added, done.active.len()), (1000, 1));
    let shown = hub.store.district_events(0, 100).await.unwrap();
    assert!(shown.iter().any(|e| e.kind == "bulk_lookup"));
    // Rated: no more new keys today beyond the daily allowance.
    let daily = nac_hub::store::SubscribeLimits {
        max_total: 5_000,
        max_new_per_day: 1_050,
        alert_new_per_day: 500,
    };
    let more: Vec<PersonKey> = (0..100).map(|n| nth_person(20_000 + n)).collect();
    assert_eq!(
        hub.store
            .subscribe(&st.id, more.clone(), daily, T0 + 60)
            .await
            .unwrap(),
        Err(nac_hub::store::SubscribeRefusal::TooFast { allowed: 1_050 })
    );
    assert!(hub
        .store
        .subscribe(&st.id, more, daily, T0 + DAY + 60)
        .await
        .unwrap()
        .is_ok());
    // Expired: not refreshed for 60 days, the look-ups are forgotten; a refreshed key stays.
    hub.store
        .subscribe(&st.id, vec![p.clone()], wide, T0 + 59 * DAY)
        .await
        .unwrap()
        .unwrap();
    let purged = hub.store.purge(T0 + 61 * DAY).await.unwrap();
    // The 999 look-ups of day one and the owner's own key (subscribed by its push then); the
    // 100 of day two have a day to go.
    assert_eq!(purged.subscriptions, 1000, "{purged:?}");
    push(
        &hub,
        &owner,
        &[event(&owner, 2, &p, "O2", T0 + 61 * DAY)],
        T0 + 61 * DAY,
    )
    .await;
    let page = hub.store.pull(&st.id, 0, 1000).await.unwrap();
    assert!(
        page.items.iter().any(|c| c.serial == "O2"),
        "the refreshed key still reaches it"
    );
}

pub async fn rekey_retires_every_key_and_the_district_sees_it<S: Store>(hub: Hub<S>) {
    let st = enrol(&hub, 1).await;
    let now = hub.clock.now();
    let code = hub.rekey_station(&st.id).await.unwrap();
    assert!(matches!(
        hub.rekey_station("ST-NOPE").await,
        Err(ServiceError::EnrolRefused(EnrolRefusal::Unknown))
    ));
    let fresh = StationKey::from_secret_bytes(&[77; 32]);
    let enrolled = hub.enrol(&enrol_request(&fresh, &code)).await.unwrap();
    assert_eq!(enrolled.station, st.id);
    assert!(enrolled.rekeyed);
    assert_eq!(
        open_district_secret(&code, &st.id, &enrolled.sealed_secret).unwrap(),
        st.secret
    );
    let trust = hub.full_trust_list().await.unwrap();
    let old = trust.iter().find(|e| e.kid == st.key.kid()).unwrap();
    assert_eq!(old.status, IssuerStatus::Retired);
    assert!(old.not_after.is_some_and(|t| t >= now));
    let principal = hub.store.principal(&st.id).await.unwrap().unwrap();
    assert_eq!(principal.public_key, Some(fresh.public_key()));
    assert_eq!(
        principal.previous_key, None,
        "the old key signs nothing more"
    );
    // A code the old key dated after the re-key is refused.
    let late = push(
        &hub,
        &st,
        &[event(&st, 1, &nth_person(1), "OLD1", now + 10)],
        now + 20,
    )
    .await;
    assert_eq!(late[0].reason, Some(RejectReason::KeyWithdrawn));
    let kinds: Vec<String> = hub
        .store
        .district_events(0, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert!(
        kinds.contains(&"rekey_code_issued".to_string()),
        "{kinds:?}"
    );
    assert!(kinds.contains(&"station_rekeyed".to_string()), "{kinds:?}");
}

pub async fn resent_codes_keep_their_epochs_place<S: Store>(hub: Hub<S>) {
    let a = enrol(&hub, 1).await;
    let b = enrol(&hub, 2).await;
    let p = nth_person(1);
    let first = hub.epoch();
    // The hub is restored: a new epoch. B renews p on day 3 in it.
    let second = hub.store.new_epoch("restored", T0 + 2 * DAY).await.unwrap();
    assert_eq!(second.no, first.no + 1);
    let now = T0 + 2 * DAY;
    let hub = open_hub(hub.store.clone(), hub.keys.path().parent().unwrap(), now).await;
    assert_eq!(hub.epoch(), second);
    push(&hub, &b, &[event(&b, 1, &p, "B3", now)], now).await;
    // A re-sends its day-1 code the restored hub lost, accepted then in the first epoch: it
    // is taken (older than the offline window would allow, being a re-send) but does not
    // supersede B's code accepted since the restore.
    let resent = push_resent(
        &hub,
        &a,
        &[event(&a, 2, &p, "A1", T0 - 8 * DAY + 3600)],
        Some(&first.name),
        now + 60,
    )
    .await;
    let answer: EventAnswer = serde_json::from_str(&resent[0]).unwrap();
    assert_eq!(answer.status, Outcome::Accepted, "{answer:?}");
    assert_eq!(answer.active.unwrap().serial, "B3");
    // The same code sent as new would be refused: it is outside the offline window.
    let fresh = push(
        &hub,
        &a,
        &[event(&a, 3, &nth_person(2), "A2", T0 - 8 * DAY + 3600)],
        now + 60,
    )
    .await;
    assert_eq!(fresh[0].reason, Some(RejectReason::IssuedTooEarly));
    // A re-send from the current epoch (a restore the stamp could not show) starts a new one.
    let third_before = hub.epoch();
    push_resent(
        &hub,
        &a,
        &[event(&a, 4, &nth_person(3), "A4", now)],
        Some(&third_before.name),
        now + 120,
    )
    .await;
    assert_eq!(hub.epoch().no, third_before.no + 1);
    assert!(hub
        .store
        .district_events(0, 100)
        .await
        .unwrap()
        .iter()
        .any(|e| e.kind == "restore_detected"));
}

pub async fn trust_feed_misses_no_entry_under_concurrent_enrolments<S: Store>(hub: Hub<S>) {
    // A reader follows the feed while stations enrol at once (on PostgreSQL positions used to
    // come from a sequence and commit out of order, so a cursor skipped late commits).
    let mut codes = Vec::new();
    for n in 0..40 {
        codes.push(hub.add_station(&format!("s{n}"), "a").await.unwrap().1);
    }
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let hub = hub.clone();
        let done = done.clone();
        tokio::spawn(async move {
            let mut seen = std::collections::BTreeSet::new();
            let mut since = 0;
            loop {
                let finished = done.load(std::sync::atomic::Ordering::SeqCst);
                loop {
                    let page = hub.store.trust_entries(since, 3).await.unwrap();
                    for e in &page.items {
                        seen.insert(e.kid);
                    }
                    since = page.next;
                    if !page.more {
                        break;
                    }
                }
                if finished {
                    return seen;
                }
                tokio::task::yield_now().await;
            }
        })
    };
    let mut tasks = Vec::new();
    for (n, code) in codes.into_iter().enumerate() {
        let hub = hub.clone();
        tasks.push(tokio::spawn(async move {
            let key = StationKey::from_secret_bytes(&[100 + n as u8; 32]);
            hub.enrol(&enrol_request(&key, &code)).await.unwrap();
            key.kid()
        }));
    }
    let mut kids = Vec::new();
    for t in tasks {
        kids.push(t.await.unwrap());
    }
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let seen = reader.await.unwrap();
    for kid in kids {
        assert!(seen.contains(&kid), "the reader's cursor skipped {kid}");
    }
}

pub async fn a_disabled_station_pushes_what_it_issued_before<S: Store>(hub: Hub<S>) {
    let st = enrol(&hub, 1).await;
    let disabled_at = T0 + 3600;
    assert!(hub
        .store
        .disable_station(&st.id, disabled_at)
        .await
        .unwrap());
    let answers = push(
        &hub,
        &st,
        &[
            event(&st, 1, &nth_person(1), "BEFORE", disabled_at - 60),
            event(&st, 2, &nth_person(2), "AFTER", disabled_at + 60),
        ],
        disabled_at + 600,
    )
    .await;
    assert_eq!(answers[0].status, Outcome::Accepted, "counted for R3");
    assert_eq!(answers[1].reason, Some(RejectReason::KeyWithdrawn));
}

pub async fn pull_misses_no_change_under_concurrent_pushes<S: Store>(hub: Hub<S>) {
    // A station follows the change feed while eight others push at once (on PostgreSQL the
    // feed's positions come from a sequence: without the feed lock held to commit, a reader
    // passes a position whose transaction commits late and never sees that change).
    let reader = enrol(&hub, 1).await;
    let mut pushers = Vec::new();
    for seed in 2..10 {
        pushers.push(enrol(&hub, seed).await);
    }
    let persons: Vec<PersonKey> = (0..8).map(|n| nth_person(500 + n)).collect();
    hub.store
        .subscribe(&reader.id, persons.clone(), limits(), T0)
        .await
        .unwrap()
        .unwrap();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let follower = {
        let hub = hub.clone();
        let done = done.clone();
        let id = reader.id.clone();
        tokio::spawn(async move {
            let mut seen = std::collections::BTreeSet::new();
            let mut since = 0;
            loop {
                let finished = done.load(std::sync::atomic::Ordering::SeqCst);
                loop {
                    let page = hub.store.pull(&id, since, 7).await.unwrap();
                    for c in &page.items {
                        if c.kind == ChangeKind::Issued {
                            seen.insert(c.serial.clone());
                        }
                    }
                    since = page.next;
                    if !page.more {
                        break;
                    }
                }
                if finished {
                    return seen;
                }
                tokio::task::yield_now().await;
            }
        })
    };
    let mut tasks = Vec::new();
    for (i, st) in pushers.into_iter().enumerate() {
        let hub = hub.clone();
        let p = persons[i].clone();
        tasks.push(tokio::spawn(async move {
            let mut serials = Vec::new();
            for day in 0..25u64 {
                let serial = format!("C{i}D{day}");
                let t = T0 + day as i64 * DAY;
                push(
                    &hub,
                    &st,
                    &[event(&st, day * 100 + i as u64, &p, &serial, t)],
                    t + 60,
                )
                .await;
                serials.push(serial);
            }
            serials
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let seen = follower.await.unwrap();
    let missed: Vec<&String> = all.iter().filter(|s| !seen.contains(*s)).collect();
    assert!(
        missed.is_empty(),
        "the follower's cursor skipped {missed:?}"
    );
}
