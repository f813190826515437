//! A PostgreSQL server for the tests: `NAC_TEST_PG_URL` if set, else one started through
//! `scripts/pg-test.sh` (stopped when the test process exits). Under `CI=true` a missing or
//! unstartable PostgreSQL fails the test; elsewhere the PostgreSQL tests are skipped loudly.

use std::sync::OnceLock;

static SERVER: OnceLock<Option<String>> = OnceLock::new();

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

fn start_cluster() -> Result<String, String> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/pg-test.sh");
    let out = std::process::Command::new("bash")
        .arg(script)
        .args(["start", "--watch", &std::process::id().to_string()])
        .output()
        .map_err(|e| format!("cannot run {script}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{script} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// The admin URL of the test server, or `None` (skip) outside CI when there is none.
pub fn server_url() -> Option<String> {
    SERVER
        .get_or_init(|| {
            if let Ok(url) = std::env::var("NAC_TEST_PG_URL") {
                return Some(url);
            }
            match start_cluster() {
                Ok(url) => Some(url),
                Err(e) if in_ci() => panic!("PostgreSQL is required under CI=true: {e}"),
                Err(e) => {
                    eprintln!("SKIPPING PostgreSQL tests: {e}");
                    None
                }
            }
        })
        .clone()
}

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
