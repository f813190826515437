//! The console's storage, the same on every backend: accounts, sessions, the hub's audit
//! chain, and the counts the pages show (kept by the database as applications are recorded).

use nac_hub::store::console::{AdminRole, ConsoleStore, NewAuditEntry, CHART_DAYS};
use nac_hub::{Hub, Store};
use nac_protocol::*;

use crate::support::*;

fn audit_entry(n: i64) -> NewAuditEntry {
    NewAuditEntry {
        at: T0 + n,
        actor: "console:li".into(),
        action: "station.disable".into(),
        subject: format!("ST-{n}: lost laptop"),
        address: "127.0.0.1".into(),
    }
}

pub async fn console_accounts_and_sessions<S: Store + ConsoleStore>(hub: Hub<S>) {
    let store = &hub.store;
    assert!(store
        .add_admin("li", AdminRole::Admin, "hash-1", T0)
        .await
        .unwrap());
    assert!(
        !store
            .add_admin("li", AdminRole::Viewer, "hash-x", T0)
            .await
            .unwrap(),
        "a name is taken once"
    );
    store
        .add_admin("wang", AdminRole::Viewer, "hash-2", T0)
        .await
        .unwrap();
    let li = store.admin("li").await.unwrap().unwrap();
    assert_eq!(li.password_hash, "hash-1");
    assert!(
        li.account.must_change,
        "a new account's password is one-time"
    );
    assert_eq!(li.account.role, AdminRole::Admin);
    let names: Vec<String> = store
        .admins()
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.name)
        .collect();
    assert_eq!(names, ["li", "wang"]);

    // Wrong passwords count and set the backoff; a good one clears both.
    store.note_signin("li", false, T0 + 30).await.unwrap();
    store.note_signin("li", false, T0 + 60).await.unwrap();
    let li = store.admin("li").await.unwrap().unwrap().account;
    assert_eq!((li.failed_signins, li.next_signin_at), (2, T0 + 60));
    store.note_signin("li", true, 0).await.unwrap();
    let li = store.admin("li").await.unwrap().unwrap().account;
    assert_eq!((li.failed_signins, li.next_signin_at), (0, 0));

    // Sessions: found while used within the idle window, touched at most once a minute.
    store
        .create_session("s1", "li", "csrf-1", "127.0.0.1", T0)
        .await
        .unwrap();
    store
        .create_session("s2", "li", "csrf-2", "127.0.0.1", T0)
        .await
        .unwrap();
    let s = store
        .session("s1", T0 - 1800, T0 + 30)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((s.csrf.as_str(), s.last_seen_at), ("csrf-1", T0));
    let s = store
        .session("s1", T0 - 1800, T0 + 90)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        s.last_seen_at, T0,
        "the answer shows the use before this one"
    );
    let s = store.session("s1", T0, T0 + 100).await.unwrap().unwrap();
    assert_eq!(s.last_seen_at, T0 + 90, "touched at T0+90");
    assert!(
        store
            .session("s2", T0 + 1, T0 + 2000)
            .await
            .unwrap()
            .is_none(),
        "idle since before the window: ended"
    );
    assert!(store.session("nope", 0, T0).await.unwrap().is_none());

    // A password change ends the account's other sessions, keeps the one that changed it.
    assert!(store
        .set_admin_password("li", "hash-3", false, Some("s1"))
        .await
        .unwrap());
    assert!(store.session("s1", 0, T0 + 200).await.unwrap().is_some());
    assert!(store.session("s2", 0, T0 + 200).await.unwrap().is_none());
    let li = store.admin("li").await.unwrap().unwrap();
    assert!(!li.account.must_change);
    assert_eq!(li.password_hash, "hash-3");

    // Disabling ends every session at once and hides the account from sign-in.
    assert!(store
        .set_admin_disabled("li", Some(T0 + 300))
        .await
        .unwrap());
    assert!(store.session("s1", 0, T0 + 301).await.unwrap().is_none());
    let li = store.admin("li").await.unwrap().unwrap().account;
    assert_eq!(li.disabled_at, Some(T0 + 300));
    assert!(store.set_admin_disabled("li", None).await.unwrap());
    assert!(!store.set_admin_disabled("nobody", None).await.unwrap());

    store
        .create_session("s3", "wang", "c", "::1", T0)
        .await
        .unwrap();
    store.end_session("s3").await.unwrap();
    assert!(store.session("s3", 0, T0).await.unwrap().is_none());
    store
        .create_session("s4", "wang", "c", "::1", T0)
        .await
        .unwrap();
    assert_eq!(
        store.purge_sessions(T0 + 1).await.unwrap(),
        1,
        "s4 (s1 ended when li was disabled)"
    );
}

pub async fn console_audit_is_a_chain<S: Store + ConsoleStore>(hub: Hub<S>) {
    let store = &hub.store;
    assert_eq!(store.check_audit().await.unwrap().rows, 0);
    let mut last = String::new();
    for n in 1..=3 {
        let row = store.append_audit(audit_entry(n)).await.unwrap();
        assert_eq!(row.seq, n);
        if n > 1 {
            assert_eq!(row.prev_hash, last, "each row names the one before");
        }
        last = row.hash;
    }
    let rows = store.audit_log(2).await.unwrap();
    assert_eq!(
        rows.iter().map(|r| r.seq).collect::<Vec<_>>(),
        [3, 2],
        "newest first"
    );
    let check = store.check_audit().await.unwrap();
    assert_eq!((check.rows, check.broken_at), (3, None));
    // Concurrent appends stay one chain.
    let tasks: Vec<_> = (10..20)
        .map(|n| {
            let store = store.clone();
            tokio::spawn(async move { store.append_audit(audit_entry(n)).await.unwrap() })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let check = store.check_audit().await.unwrap();
    assert_eq!((check.rows, check.broken_at), (13, None));
}

pub async fn console_counts_follow_what_the_hub_records<S: Store + ConsoleStore>(hub: Hub<S>) {
    let a = enrol(&hub, 1).await;
    let b = enrol(&hub, 2).await;
    let (pending, _) = hub.add_station("never enrolled", "east").await.unwrap();
    let secret = hub.keys.district_secret().unwrap();
    let today = cst_day(T0);
    // Day T0: A renews persons 0 and 1; B renews person 0 again (R3: rejected).
    push(
        &hub,
        &a,
        &[
            event(&a, 1, &person(&secret, 0), "A1", T0),
            event(&a, 2, &person(&secret, 1), "A2", T0),
        ],
        T0,
    )
    .await;
    let refused = push(
        &hub,
        &b,
        &[event(&b, 3, &person(&secret, 0), "B1", T0 + 60)],
        T0 + 60,
    )
    .await;
    assert_eq!(refused[0].reason, Some(RejectReason::AlreadyAppliedToday));
    // Three days earlier (offline, pushed today): B renews person 2.
    push(
        &hub,
        &b,
        &[event(&b, 4, &person(&secret, 2), "B2", T0 - 3 * DAY)],
        T0,
    )
    .await;
    // A resident's phone renews person 1 today: R3 refuses it too.
    let phone = PhoneRenewRequest {
        v: V1,
        event_id: event_id(99),
        person_key: nth_person(5),
        capacity: Capacity::Own,
        issued_at: hub.clock.now(),
    };
    hub.phone_renew(&phone).await.unwrap();

    let store = &hub.store;
    let o = store.overview(today, T0 + 120).await.unwrap();
    assert_eq!((o.active, o.pending, o.disabled), (2, 1, 0));
    assert_eq!(o.never_synced, 2, "no signed request from either yet");
    assert_eq!(
        (o.today.station_accepted, o.today.station_rejected),
        (2, 1),
        "B2 is dated three days back"
    );
    assert_eq!(o.week.station_accepted, 3);
    let phone_day = cst_day(hub.clock.now());
    if phone_day == today {
        assert_eq!(o.today.phone_accepted, 1);
    }
    assert_eq!(o.accepted_per_day.len(), CHART_DAYS as usize);
    assert_eq!(o.accepted_per_day.last().map(|d| d.0), Some(today));
    let three_back = o
        .accepted_per_day
        .iter()
        .find(|(d, _)| *d == today - 3)
        .unwrap();
    assert_eq!(three_back.1, 1);

    // A request with a release name marks the station seen.
    assert!(store
        .remember_nonce(&a.id, "n1", T0 + 100, Some("0.9.1"))
        .await
        .unwrap());
    assert!(store
        .remember_nonce(&a.id, "n2", T0 + 110, None)
        .await
        .unwrap());
    store
        .add_audit_anchor(
            &a.id,
            AuditAnchor {
                seq: 7,
                hash: "c".repeat(64),
                received_at: T0 + 115,
            },
        )
        .await
        .unwrap();
    let activity = store.station_activity(today).await.unwrap();
    let row = |id: &str| activity.iter().find(|s| s.id == id).unwrap().clone();
    let ra = row(&a.id);
    assert_eq!(
        ra.app_version.as_deref(),
        Some("0.9.1"),
        "kept when a later request names none"
    );
    assert_eq!(ra.last_seen_at, Some(T0 + 110));
    assert_eq!((ra.accepted_7d, ra.rejected_7d), (2, 0));
    assert_eq!(ra.anchor_at, Some(T0 + 115));
    let rb = row(&b.id);
    assert_eq!((rb.accepted_7d, rb.rejected_7d), (1, 1));
    assert_eq!(
        row(&pending.id).status,
        nac_hub::store::StationStatus::Pending
    );
    let o = store.overview(today, T0 + 120).await.unwrap();
    assert_eq!(o.never_synced, 1);
    assert_eq!(
        o.oldest_sync.as_ref().map(|s| s.0.as_str()),
        Some(b.id.as_str()),
        "never synced comes first"
    );
    let o = store.overview(today, T0 + 110 + DAY + 1).await.unwrap();
    assert_eq!(o.silent, 1, "A's last request is over 24 h ago");

    let (counts, latest) = store.rejections(today - 29, 10).await.unwrap();
    assert_eq!(counts.len(), 1);
    assert_eq!(
        (
            counts[0].channel.as_str(),
            counts[0].reason.as_str(),
            counts[0].count
        ),
        (b.id.as_str(), "already_applied_today", 1)
    );
    assert_eq!(latest.len(), 1);
    assert_eq!(latest[0].serial, "B1");
    assert_eq!(
        latest[0].person_prefix,
        person(&secret, 0).as_str()[..8],
        "a person shown only as a key prefix"
    );
    let heads = store.anchor_heads().await.unwrap();
    assert_eq!(heads.len(), 1);
    assert_eq!(
        (heads[0].station.as_str(), heads[0].seq),
        (a.id.as_str(), 7)
    );

    assert!(store.disable_station(&b.id, T0 + 200).await.unwrap());
    let events = store.recent_district_events(T0, 10).await.unwrap();
    assert!(events
        .iter()
        .any(|e| e.kind == "station_disabled" && e.station.as_deref() == Some(b.id.as_str())));
    assert!(store
        .recent_district_events(T0 + 201, 10)
        .await
        .unwrap()
        .iter()
        .all(|e| e.at >= T0 + 201));
}
