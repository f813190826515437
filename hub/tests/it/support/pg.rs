//! Databases on the test PostgreSQL server: `NAC_TEST_PG_URL` if set, else one started through
//! `scripts/pg-test.sh` (stopped when the test process exits; see `nac_test_support::pg`).
//! Under `CI=true` a missing or unstartable PostgreSQL fails the test; elsewhere the PostgreSQL
//! tests are skipped loudly.

pub use nac_test_support::pg::server_url;

/// A fresh, empty database on the test server; returns its URL.
pub async fn fresh_database() -> Option<String> {
    let admin = server_url()?;
    let name = format!("nac_t_{}", nac_protocol::random_hex(8).unwrap());
    let (client, conn) = tokio_postgres::connect(&admin, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to {admin}: {e}"));
    let task = tokio::spawn(conn);
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    drop(client);
    let _ = task.await;
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
    Some(format!("{base}/{name}"))
}
