//! The conformance suite on SQLite, plus what only SQLite can show (its file and schema).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::{conformance, support};

use nac_hub::{Hub, SqliteStore};
use support::*;

async fn sqlite_hub() -> Option<(Hub<SqliteStore>, tempfile::TempDir)> {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("hub.db"), T0)
        .await
        .unwrap();
    Some((open_hub(store, dir.path(), T0).await, dir))
}

conformance_suite!(sqlite_hub());

#[tokio::test]
async fn the_database_itself_refuses_a_second_application_per_day_and_a_second_active_code() {
    let (hub, dir) = sqlite_hub().await.unwrap();
    let st = enrol(&hub, 1).await;
    push(&hub, &st, &[event(&st, 1, &nth_person(1), "S1", T0)], T0).await;
    let conn = rusqlite::Connection::open(dir.path().join("hub.db")).unwrap();
    let second_same_day = conn.execute(
        "INSERT INTO applications (serial, kid, event_id, person_key, day, issued_at, expires_at,
             channel, capacity, volunteer, credential, supersedes, status, reason, received_at,
             epoch_no)
         SELECT 'S2', kid, 'e2', person_key, day, issued_at, expires_at, channel, capacity,
             volunteer, credential, supersedes, 'accepted', NULL, received_at, epoch_no
         FROM applications WHERE serial = 'S1'",
        [],
    );
    assert!(second_same_day.is_err(), "R3 index");
    let same_code_again = conn.execute(
        "INSERT INTO applications (serial, kid, event_id, person_key, day, issued_at, expires_at,
             channel, capacity, volunteer, credential, supersedes, status, reason, received_at,
             epoch_no)
         SELECT serial, kid, 'e3', person_key, day + 1, issued_at, expires_at, channel, capacity,
             volunteer, credential, supersedes, 'accepted', NULL, received_at, epoch_no
         FROM applications WHERE serial = 'S1'",
        [],
    );
    assert!(same_code_again.is_err(), "one row per (kid, serial)");
    let second_active = conn.execute(
        "INSERT INTO active_codes SELECT person_key, application_id FROM active_codes",
        [],
    );
    assert!(second_active.is_err(), "R2 key");
}

#[tokio::test]
async fn a_newer_schema_is_refused_and_reopening_keeps_the_keys() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hub.db");
    let first = open_hub(SqliteStore::open(&path, T0).await.unwrap(), dir.path(), T0).await;
    let secret = first.keys.district_secret().unwrap();
    let epoch = first.epoch();
    drop(first);
    let again = open_hub(SqliteStore::open(&path, T0).await.unwrap(), dir.path(), T0).await;
    assert_eq!(again.keys.district_secret().unwrap(), secret);
    assert_eq!(again.epoch(), epoch, "reopening is not a restore");
    drop(again);
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute("INSERT INTO schema_migrations VALUES (999, 0)", [])
        .unwrap();
    drop(conn);
    let err = SqliteStore::open(&path, T0).await.err().expect("refused");
    assert!(err.to_string().contains("newer"), "{err}");
}

#[tokio::test]
async fn wal_foreign_keys_and_busy_timeout_are_on() {
    let (_hub, dir) = sqlite_hub().await.unwrap();
    let conn = rusqlite::Connection::open(dir.path().join("hub.db")).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

#[tokio::test]
async fn an_audit_row_edited_in_the_file_breaks_the_chain_at_that_row() {
    use nac_hub::store::console::{ConsoleStore, NewAuditEntry};
    let (hub, dir) = sqlite_hub().await.unwrap();
    for n in 1..=4 {
        hub.store
            .append_audit(NewAuditEntry {
                at: T0 + n,
                actor: "console:li".into(),
                action: "station.disable".into(),
                subject: format!("ST-{n}"),
                address: "127.0.0.1".into(),
            })
            .await
            .unwrap();
    }
    assert_eq!(hub.store.check_audit().await.unwrap().broken_at, None);
    let conn = rusqlite::Connection::open(dir.path().join("hub.db")).unwrap();
    conn.execute(
        "UPDATE hub_audit SET actor = 'console:someone' WHERE seq = 3",
        [],
    )
    .unwrap();
    assert_eq!(hub.store.check_audit().await.unwrap().broken_at, Some(3));
    conn.execute("DELETE FROM hub_audit WHERE seq >= 3", [])
        .unwrap();
    assert_eq!(
        hub.store.check_audit().await.unwrap().broken_at,
        None,
        "cutting the tail is not seen by the chain alone: the row count is shown beside it"
    );
}
