//! A demo station is its own, marked file that can never reach the hub, and a real station is
//! never filled with demo data.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::count;
use nac_core::domain::Capacity;
use nac_core::{ManualClock, Station, WriteSource};
use std::path::Path;
use std::sync::Arc;

fn now() -> chrono::DateTime<chrono::Utc> {
    nac_core::Clock::now(&ManualClock::at_cst(2026, 11, 27, 10, 0, 0))
}

fn open(path: &Path) -> Station {
    Station::open(
        path,
        common::key(),
        Arc::new(ManualClock::at_cst(2026, 11, 27, 12, 0, 0)),
        WriteSource::Ui,
    )
    .unwrap()
}

#[test]
fn the_demo_lives_beside_the_station_file() {
    let station = Path::new("/data/cn.nacstation.station/station.db");
    assert_eq!(
        nac_core::demo::path_beside(station),
        Path::new("/data/cn.nacstation.station/demo-station.db")
    );
}

#[test]
fn a_demo_is_marked_and_its_renewals_are_never_queued_for_the_hub() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(nac_core::demo::DEMO_FILE_NAME);
    let summary = nac_core::demo::create(&path, common::key(), 12, now()).unwrap();
    assert!(summary.codes_issued > 0 && summary.cards_printed > 0);

    let mut station = open(&path);
    assert!(station.is_demo());
    assert!(station.info().unwrap().demo);
    let err = station.ensure_not_demo().unwrap_err();
    assert_eq!(err.code(), "demo_station");
    assert!(err.to_string().contains("演示站点"), "{err}");

    let conn = station.connection();
    assert_eq!(
        count(
            conn,
            "SELECT count(*) FROM settings WHERE key = 'demo' AND value = '1'"
        ),
        1
    );
    let events = count(conn, "SELECT count(*) FROM outbox");
    assert_eq!(
        events,
        i64::from(summary.codes_issued),
        "every renewal has its event"
    );
    assert_eq!(
        count(conn, "SELECT count(*) FROM outbox WHERE state <> 'demo'"),
        0
    );
    assert_eq!(station.counts(None).unwrap().queued_for_sync, 0);
    assert_eq!(station.outbox_summary().unwrap().queued, 0);

    // A renewal made in the demo later is filed as a demo event too.
    let due = station
        .residents(&Default::default())
        .unwrap()
        .into_iter()
        .find(|r| !r.status.applied_today)
        .unwrap();
    station.renew(due.id, Capacity::Volunteer).unwrap();
    let conn = station.connection();
    assert_eq!(
        count(conn, "SELECT count(*) FROM outbox WHERE state <> 'demo'"),
        0
    );
    let detail = station.resident(due.id).unwrap();
    assert_eq!(detail.history[0].sync_state.as_deref(), Some("demo"));

    // Neither the events nor the mark can be talked out of it.
    let conn = station.connection();
    assert!(conn
        .execute("UPDATE outbox SET state = 'queued'", [])
        .is_err());
    assert!(conn
        .execute("DELETE FROM settings WHERE key = 'demo'", [])
        .is_err());
    assert!(conn
        .execute("UPDATE settings SET value = '0' WHERE key = 'demo'", [])
        .is_err());
    assert_eq!(
        count(conn, "SELECT count(*) FROM outbox WHERE state <> 'demo'"),
        0
    );

    // Its cards carry the demo mark.
    let ids: Vec<i64> = station
        .residents(&Default::default())
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();
    let (cards, _) = station.cards_to_print(&ids).unwrap();
    assert!(!cards.is_empty() && cards.iter().all(|c| c.demo));
}

#[test]
fn a_real_station_is_never_filled_with_demo_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("station.db");
    let station = open(&path);
    assert!(!station.is_demo());
    station.ensure_not_demo().unwrap();
    let id = station.station_id().to_string();
    drop(station);

    let err = nac_core::demo::create(&path, common::key(), 3, now()).unwrap_err();
    assert_eq!(err.code(), "not_a_demo");
    assert!(err.to_string().contains("real station"), "{err}");
    let station = open(&path);
    assert_eq!(station.station_id(), id);
    assert!(!station.is_demo());
    assert_eq!(station.counts(None).unwrap().residents, 0);
    assert_eq!(
        count(
            station.connection(),
            "SELECT count(*) FROM settings WHERE key = 'demo'"
        ),
        0
    );
}

#[test]
fn a_real_station_records_its_renewals_for_the_hub_never_as_demo() {
    let mut f = common::Fixture::at_cst(2026, 11, 27, 10, 0, 0);
    let hh = f.household("302");
    let id = f.resident(hh, "张三丰", 1);
    f.station.renew(id, Capacity::Volunteer).unwrap();
    // Not enrolled yet: kept as local history (an enrolled station queues; cli/tests/sync.rs).
    assert_eq!(
        count(
            f.station.connection(),
            "SELECT count(*) FROM outbox WHERE state = 'local'"
        ),
        1
    );
    // Nothing waits for a hub the station has not joined.
    assert_eq!(f.station.counts(None).unwrap().queued_for_sync, 0);
}

#[test]
fn a_demo_is_created_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo-station.db");
    nac_core::demo::create(&path, common::key(), 2, now()).unwrap();
    let err = nac_core::demo::create(&path, common::key(), 2, now()).unwrap_err();
    assert_eq!(err.code(), "demo_not_empty");
    // Opening the demo again (the app's next start) keeps it a demo.
    assert!(Station::open_demo(
        &path,
        common::key(),
        Arc::new(ManualClock::at_cst(2026, 11, 28, 9, 0, 0)),
        WriteSource::Ui
    )
    .unwrap()
    .is_demo());
}
