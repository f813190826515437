//! A PostgreSQL cluster that also speaks TLS, for the tests of the hub's TLS connections: one
//! started through `scripts/pg-test.sh start --tls` (a throwaway CA, a server certificate for
//! IP 127.0.0.1; stopped when the test process exits). As for `pg.rs`: under `CI=true` a
//! cluster that cannot start fails the test; elsewhere the test is skipped, loudly.

use std::path::PathBuf;
use std::sync::OnceLock;

/// The TLS cluster: its admin URL (no `sslmode`: plain connections are accepted too) and its
/// files.
#[derive(Debug, Clone)]
pub struct TlsCluster {
    /// `postgresql://nac@127.0.0.1:PORT/postgres`.
    pub url: String,
    /// The cluster's directory (`tls/root.crt`, `tls/server.crt` inside).
    pub dir: PathBuf,
}

impl TlsCluster {
    /// The CA certificate that issued the server's.
    pub fn root_cert(&self) -> PathBuf {
        self.dir.join("tls/root.crt")
    }

    /// The server's own certificate (not a CA).
    pub fn server_cert(&self) -> PathBuf {
        self.dir.join("tls/server.crt")
    }
}

static CLUSTER: OnceLock<Option<TlsCluster>> = OnceLock::new();

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

fn start() -> Result<TlsCluster, String> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/pg-test.sh");
    let out = std::process::Command::new("bash")
        .arg(script)
        .args(["start", "--tls", "--watch", &std::process::id().to_string()])
        .output()
        .map_err(|e| format!("cannot run {script}: {e}"))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        return Err(format!(
            "{script} start --tls failed ({}): {stderr}",
            out.status
        ));
    }
    let dir = stderr
        .lines()
        .find_map(|l| l.strip_prefix("pg-test: cluster in "))
        .ok_or_else(|| format!("{script} did not say where the cluster is: {stderr}"))?;
    Ok(TlsCluster {
        url: String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        dir: PathBuf::from(dir.trim()),
    })
}

/// The TLS cluster, or `None` (skip) outside CI when none can start.
pub fn cluster() -> Option<TlsCluster> {
    CLUSTER
        .get_or_init(|| match start() {
            Ok(c) => Some(c),
            Err(e) if in_ci() => panic!("PostgreSQL with TLS is required under CI=true: {e}"),
            Err(e) => {
                eprintln!("SKIPPING PostgreSQL TLS tests: {e}");
                None
            }
        })
        .clone()
}

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
