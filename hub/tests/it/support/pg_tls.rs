//! A PostgreSQL cluster that also speaks TLS, for the tests of the hub's TLS connections: one
//! started through `scripts/pg-test.sh start --tls` (a throwaway CA, a server certificate for
//! IP 127.0.0.1; stopped when the test process exits; see `nac_test_support::pg`). As for
//! `pg.rs`: under `CI=true` a cluster that cannot start fails the test; elsewhere the test is
//! skipped, loudly.

pub use nac_test_support::pg::tls_cluster as cluster;

/// A fresh, empty database on the server at `admin` (connecting in plain text); its URL.
pub async fn fresh_database_on(admin: &str) -> String {
    let name = format!("nac_t_{}", nac_protocol::random_hex(8).unwrap());
    let (client, conn) = tokio_postgres::connect(admin, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to {admin}: {e}"));
    let task = tokio::spawn(conn);
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    drop(client);
    let _ = task.await;
    let base = admin.rsplit_once('/').map_or(admin, |(b, _)| b);
    format!("{base}/{name}")
}

/// Runs one query on `url` (plain text) and returns the first column of every row as text.
pub async fn query_texts(url: &str, sql: &str) -> Vec<String> {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| {
            panic!(
                "cannot connect to {url}: {e}: {:?}",
                std::error::Error::source(&e)
            )
        });
    let task = tokio::spawn(conn);
    let rows = client.simple_query(sql).await.unwrap();
    drop(client);
    let _ = task.await;
    rows.iter()
        .filter_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(r) => r.get(0).map(str::to_owned),
            _ => None,
        })
        .collect()
}
