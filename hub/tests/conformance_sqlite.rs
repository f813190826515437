//! The conformance suite on SQLite, plus what only SQLite can show (its file and schema).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod conformance;
mod support;

use nac_hub::{Clock, Hub, SqliteStore, Store};
use support::*;

async fn sqlite_hub() -> Option<(Hub<SqliteStore>, tempfile::TempDir)> {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("hub.db"), T0)
        .await
        .unwrap();
    Some((Hub::new(store, Clock::starting_at(T0)), dir))
}

conformance_suite!(sqlite_hub());

#[tokio::test]
async fn the_database_itself_refuses_a_second_application_per_day_and_a_second_active_code() {
    let (hub, dir) = sqlite_hub().await.unwrap();
    let st = enrol(&hub, 1).await;
    push(&hub, &st, &[event(&st, 1, &nth_person(1), "S1", T0)], T0).await;
    let conn = rusqlite::Connection::open(dir.path().join("hub.db")).unwrap();
    let second_same_day = conn.execute(
        "INSERT INTO applications SELECT 'S2', 'e2', person_key, day, issued_at, expires_at, kid,
             channel, capacity, volunteer, credential, supersedes, 'accepted', NULL, received_at
         FROM applications WHERE serial = 'S1'",
        [],
    );
    assert!(second_same_day.is_err(), "R3 index");
    let second_active = conn.execute(
        "INSERT INTO active_codes SELECT person_key, 'S1', 0 FROM active_codes",
        [],
    );
    assert!(second_active.is_err(), "R2 key");
}

#[tokio::test]
async fn a_newer_schema_is_refused_and_reopening_keeps_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hub.db");
    let first = SqliteStore::open(&path, T0).await.unwrap();
    let secret = first.hub_secrets().district_secret.clone();
    drop(first);
    let again = SqliteStore::open(&path, T0).await.unwrap();
    assert_eq!(again.hub_secrets().district_secret, secret);
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
