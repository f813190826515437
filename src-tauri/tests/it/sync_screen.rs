//! The Sync screen's command bodies against the real `nac-hub` process: enrolment from the
//! app, "sync now" as a job with its `job-done`, a rejected renewal listed with its reason and
//! shown on the household list, and the automatic sync's single-flight claim.
#![allow(
    clippy::disallowed_methods,
    reason = "these tests drive real processes and hubs that read the system clock"
)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use nac_core::ManualClock;
use nac_station::api::{codes, roster, sync};
use nac_station::host::{events, EventSink, Host};
use nac_station::view::{Capacity, EnrolForm, HouseholdForm, ListQuery, ResidentForm};
use nac_test_support::hub::{
    raw_connection, resident_id, station_key, Hub, HubData, HubTime, Rng, DAY,
};
use nac_test_support::tls;
use serde_json::Value;
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

struct Done(Mutex<mpsc::Sender<Value>>);

impl EventSink for Done {
    fn emit(&self, event: &str, payload: Value) {
        if event == events::JOB_DONE {
            if let Ok(tx) = self.0.lock() {
                let _ = tx.send(payload);
            }
        }
    }
}

#[test]
fn enrol_sync_now_and_a_rejected_renewal_on_the_screens() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::at_cst(2026, 11, 27, 10, 0, 0);
    let hub = Hub::start(
        HubData::Sqlite(dir.path().join("hub.db")),
        dir.path(),
        HubTime::following(&clock),
    );
    let (tx, done) = mpsc::channel();
    let host = Host::open(
        &dir.path().join("station.db"),
        &station_key(&dir.path().join("station.db")),
        Arc::new(clock.clone()),
        Arc::new(Done(Mutex::new(tx))),
    )
    .unwrap();

    let q = sync::sync_queue(&host).unwrap();
    assert!(!q.enrolled && !q.demo);
    assert_eq!(
        sync::start_sync(&host)
            .unwrap_err()
            .to_api(Default::default())
            .code,
        "not_enrolled"
    );
    let bad = sync::enrol(
        &host,
        &EnrolForm {
            hub_url: hub.url.clone(),
            code: "0000-0000-0000-0000".into(),
            hub_ca: String::new(),
        },
    )
    .unwrap_err()
    .to_api(Default::default());
    assert_eq!(bad.code, "hub_refused", "{}", bad.message);

    let q = sync::enrol(
        &host,
        &EnrolForm {
            hub_url: hub.url.clone(),
            code: hub.station_code("app"),
            hub_ca: String::new(),
        },
    )
    .unwrap();
    assert!(q.enrolled && q.station_id.starts_with("ST-"), "{q:?}");
    assert_eq!(q.hub_url.as_deref(), Some(hub.url.as_str()));
    // Enrolment starts a sync; wait for it so the next one is not refused as running.
    done.recv_timeout(Duration::from_secs(30)).unwrap();

    let household = roster::add_household(
        &host,
        &HouseholdForm {
            district: "徐汇区".into(),
            road: "天钥桥路".into(),
            lane: "100".into(),
            number: "5".into(),
            room: "302".into(),
            phone: String::new(),
        },
    )
    .unwrap();
    let resident = roster::add_resident(
        &host,
        household,
        &ResidentForm {
            name: "张三丰".into(),
            document_number: resident_id(9),
            ..Default::default()
        },
    )
    .unwrap();
    codes::renew(&host, resident, Capacity::Volunteer).unwrap();
    assert_eq!(sync::sync_queue(&host).unwrap().queued, 1);

    sync::start_sync(&host).unwrap();
    let d = done.recv_timeout(Duration::from_secs(30)).unwrap();
    assert_eq!(d["kind"], "sync");
    assert_eq!(d["sync"]["synced"], 1, "{d}");
    let q = sync::sync_queue(&host).unwrap();
    assert!(
        q.audit_anchored_row.is_some() && q.audit_anchored_at.is_some(),
        "the sync anchored the audit head: {q:?}"
    );
    assert_eq!((q.queued, q.synced, q.rejected), (0, 1, 0));
    assert!(q.last_synced_at.is_some() && q.trust_list_at.is_some());

    // Next day the resident renews on the phone first; the station, not knowing, renews too.
    clock.advance_secs(DAY);
    let secret_hex: String = raw_connection(&dir.path().join("station.db"))
        .query_row(
            "SELECT value FROM settings WHERE key = 'district_secret'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let secret = nac_protocol::DistrictSecret::from_hex(&secret_hex).unwrap();
    let key = nac_protocol::person_key(&secret, "resident_id", &resident_id(9));
    let now = nac_core::Clock::now(&clock).timestamp();
    let phone = hub.phone_renew(key.as_str(), now - 60, &Rng::new(9).event_id());
    assert_eq!(phone["result"]["status"], "accepted", "{phone}");
    codes::renew(&host, resident, Capacity::Volunteer).unwrap();

    // The single-flight claim: while one sync runs, another is refused.
    let claim = host.try_begin_sync().unwrap();
    assert!(host.try_begin_sync().is_none());
    assert!(sync::sync_queue(&host).unwrap().syncing);
    drop(claim);

    sync::start_sync(&host).unwrap();
    let d = done.recv_timeout(Duration::from_secs(30)).unwrap();
    assert_eq!(d["sync"]["rejected"], 1, "{d}");
    let q = sync::sync_queue(&host).unwrap();
    assert_eq!(q.rejected, 1);
    assert_eq!(q.errors.len(), 1);
    assert_eq!(q.errors[0].reason, "already_applied_today");
    assert_eq!(q.errors[0].name, "张三丰");
    let page = roster::household_page(
        &host,
        &ListQuery {
            rejected: true,
            limit: 50,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(page.total, 1);
    assert_eq!(page.rows[0].rejected, 1);
    let detail = codes::resident(&host, resident).unwrap();
    let active = detail.active_code.expect("the hub's code was adopted");
    let line = detail
        .history
        .iter()
        .find(|h| h.code.serial == active.serial)
        .expect("the adopted code is in the history");
    assert_eq!(line.channel, "phone");
    assert_eq!(line.sync_state.as_deref(), Some("from_hub"));
    assert!(detail
        .history
        .iter()
        .any(|h| h.sync_state.as_deref() == Some("rejected")));
}

#[test]
fn enrol_over_https_with_the_districts_certificate_from_the_form() {
    let dir = tempfile::tempdir().unwrap();
    let tls::TlsHub { hub, cert_pem, .. } = tls::self_signed_hub(dir.path());
    let (tx, done) = mpsc::channel();
    let db = dir.path().join("station.db");
    let host = Host::open(
        &db,
        &station_key(&db),
        Arc::new(ManualClock::at(chrono::Utc::now())),
        Arc::new(Done(Mutex::new(tx))),
    )
    .unwrap();
    let code = hub.station_code("app over tls");
    let form = |hub_ca: &str| EnrolForm {
        hub_url: hub.url.clone(),
        code: code.clone(),
        hub_ca: hub_ca.into(),
    };
    let refused = |hub_ca: &str| {
        sync::enrol(&host, &form(hub_ca))
            .unwrap_err()
            .to_api(Default::default())
            .code
    };
    assert_eq!(
        refused(""),
        "hub_unreachable",
        "the hub's certificate is not trusted"
    );
    assert_eq!(refused("not a certificate"), "hub_certificate");
    assert_eq!(refused(&"A".repeat(70 * 1024)), "hub_certificate");
    assert!(
        !sync::sync_queue(&host).unwrap().enrolled,
        "nothing changed"
    );

    let q = sync::enrol(&host, &form(&cert_pem)).unwrap();
    assert!(q.enrolled, "{q:?}");
    let d = done.recv_timeout(Duration::from_secs(30)).unwrap();
    assert_eq!(d["kind"], "sync");
    assert!(
        d["error"].is_null(),
        "the automatic sync reached the hub over TLS: {d}"
    );
    assert!(sync::sync_queue(&host).unwrap().last_synced_at.is_some());
}
