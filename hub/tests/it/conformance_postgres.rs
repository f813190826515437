//! The conformance suite on PostgreSQL (a fresh database per test on the test server: see
//! `support/pg.rs`), plus what only PostgreSQL can show.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::{conformance, support};

use nac_hub::{Hub, PgStore};
use support::*;

async fn pg_hub() -> Option<(Hub<PgStore>, tempfile::TempDir)> {
    let url = pg::fresh_database().await?;
    let store = PgStore::connect(&url, T0).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    Some((open_hub(store, dir.path(), T0).await, dir))
}

conformance_suite!(pg_hub());

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_database_itself_refuses_a_second_application_per_day_and_a_second_active_code() {
    let Some(url) = pg::fresh_database().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let hub = open_hub(PgStore::connect(&url, T0).await.unwrap(), dir.path(), T0).await;
    let st = enrol(&hub, 1).await;
    push(&hub, &st, &[event(&st, 1, &nth_person(1), "S1", T0)], T0).await;
    let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    let second_same_day = client
        .execute(
            "INSERT INTO applications (serial, kid, event_id, person_key, day, issued_at,
                 expires_at, channel, capacity, volunteer, credential, supersedes, status, reason,
                 received_at, epoch_no)
             SELECT 'S2', kid, 'e2', person_key, day, issued_at, expires_at, channel, capacity,
                 volunteer, credential, supersedes, 'accepted', NULL, received_at, epoch_no
             FROM applications WHERE serial = 'S1'",
            &[],
        )
        .await;
    assert!(second_same_day.is_err(), "R3 index");
    let second_active = client
        .execute(
            "INSERT INTO active_codes SELECT person_key, application_id FROM active_codes",
            &[],
        )
        .await;
    assert!(second_active.is_err(), "R2 key");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newer_schema_is_refused_and_reconnecting_keeps_the_keys() {
    let Some(url) = pg::fresh_database().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let first = open_hub(PgStore::connect(&url, T0).await.unwrap(), dir.path(), T0).await;
    let issuer = first.keys.phone_issuer().unwrap().kid();
    let again = open_hub(PgStore::connect(&url, T0).await.unwrap(), dir.path(), T0).await;
    assert_eq!(again.keys.phone_issuer().unwrap().kid(), issuer);
    assert_eq!(again.epoch(), first.epoch());
    // Another key directory is not this database's: refused, nothing changed.
    let stranger = tempfile::tempdir().unwrap();
    let keys = nac_hub::KeyDir::open(stranger.path().join("keys")).unwrap();
    keys.create_missing().unwrap();
    let refused = Hub::open(
        PgStore::connect(&url, T0).await.unwrap(),
        nac_hub::Clock::starting_at(T0),
        keys,
        nac_hub::Policy::default(),
    )
    .await;
    assert!(matches!(
        refused,
        Err(nac_hub::ServiceError::KeysMismatch(_))
    ));
    let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    client
        .execute("INSERT INTO schema_migrations VALUES (999, 0)", &[])
        .await
        .unwrap();
    let err = PgStore::connect(&url, T0).await.err().expect("refused");
    assert!(err.to_string().contains("newer"), "{err}");
}
