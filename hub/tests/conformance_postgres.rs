//! The conformance suite on PostgreSQL (a fresh database per test on the test server: see
//! `support/pg.rs`), plus what only PostgreSQL can show.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod conformance;
mod support;

use nac_hub::{Clock, Hub, PgStore, Store};
use support::*;

async fn pg_hub() -> Option<(Hub<PgStore>, ())> {
    let url = pg::fresh_database().await?;
    let store = PgStore::connect(&url, T0).await.unwrap();
    Some((Hub::new(store, Clock::starting_at(T0)), ()))
}

conformance_suite!(pg_hub());

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_database_itself_refuses_a_second_application_per_day_and_a_second_active_code() {
    let Some(url) = pg::fresh_database().await else {
        return;
    };
    let hub = Hub::new(
        PgStore::connect(&url, T0).await.unwrap(),
        Clock::starting_at(T0),
    );
    let st = enrol(&hub, 1).await;
    push(&hub, &st, &[event(&st, 1, &nth_person(1), "S1", T0)], T0).await;
    let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    let second_same_day = client
        .execute(
            "INSERT INTO applications SELECT 'S2', 'e2', person_key, day, issued_at, expires_at, kid,
                 channel, capacity, volunteer, credential, supersedes, 'accepted', NULL, received_at
             FROM applications WHERE serial = 'S1'",
            &[],
        )
        .await;
    assert!(second_same_day.is_err(), "R3 index");
    let second_active = client
        .execute(
            "INSERT INTO active_codes SELECT person_key, 'S1', 0 FROM active_codes",
            &[],
        )
        .await;
    assert!(second_active.is_err(), "R2 key");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newer_schema_is_refused_and_reconnecting_keeps_secrets() {
    let Some(url) = pg::fresh_database().await else {
        return;
    };
    let first = PgStore::connect(&url, T0).await.unwrap();
    let secret = first.hub_secrets().district_secret.clone();
    let again = PgStore::connect(&url, T0).await.unwrap();
    assert_eq!(again.hub_secrets().district_secret, secret);
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
