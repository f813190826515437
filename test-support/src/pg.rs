//! The test PostgreSQL server: `NAC_TEST_PG_URL` if set, else one started through
//! `scripts/pg-test.sh` (stopped when the test process exits), once per test process. Under
//! `CI=true` a missing or unstartable PostgreSQL fails the test; elsewhere the PostgreSQL tests
//! are skipped loudly. Creating databases on it is left to the tests (the hub's use
//! `tokio-postgres`, `hub::postgres_database` runs `psql`).

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use crate::in_ci;

/// `scripts/pg-test.sh`.
const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/pg-test.sh");

/// Runs `pg-test.sh start ARGS --watch <this process>`: its stdout (the URL) and stderr.
fn start_cluster(args: &[&str]) -> Result<(String, String), String> {
    let out = Command::new("bash")
        .arg(SCRIPT)
        .arg("start")
        .args(args)
        .args(["--watch", &std::process::id().to_string()])
        .output()
        .map_err(|e| format!("cannot run {SCRIPT}: {e}"))?;
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if !out.status.success() {
        return Err(format!(
            "{SCRIPT} start{} failed ({}): {stderr}",
            args.iter().map(|a| format!(" {a}")).collect::<String>(),
            out.status
        ));
    }
    Ok((
        String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        stderr,
    ))
}

/// The admin URL of the test server, or `None` (skip) outside CI when there is none.
pub fn server_url() -> Option<String> {
    static SERVER: OnceLock<Option<String>> = OnceLock::new();
    SERVER
        .get_or_init(|| {
            if let Ok(url) = std::env::var("NAC_TEST_PG_URL") {
                return Some(url);
            }
            match start_cluster(&[]) {
                Ok((url, _)) => Some(url),
                Err(e) if in_ci() => panic!("PostgreSQL is required under CI=true: {e}"),
                Err(e) => {
                    eprintln!("SKIPPING PostgreSQL tests: {e}");
                    None
                }
            }
        })
        .clone()
}

/// A PostgreSQL cluster that also speaks TLS (`scripts/pg-test.sh start --tls`: a throwaway
/// CA, a server certificate for IP 127.0.0.1): its admin URL (no `sslmode`: plain connections
/// are accepted too) and its files.
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

fn start_tls() -> Result<TlsCluster, String> {
    let (url, stderr) = start_cluster(&["--tls"])?;
    let dir = stderr
        .lines()
        .find_map(|l| l.strip_prefix("pg-test: cluster in "))
        .ok_or_else(|| format!("{SCRIPT} did not say where the cluster is: {stderr}"))?;
    Ok(TlsCluster {
        url,
        dir: PathBuf::from(dir.trim()),
    })
}

/// The TLS cluster (one per test process, never `NAC_TEST_PG_URL`'s), or `None` (skip) outside
/// CI when none can start.
pub fn tls_cluster() -> Option<TlsCluster> {
    static CLUSTER: OnceLock<Option<TlsCluster>> = OnceLock::new();
    CLUSTER
        .get_or_init(|| match start_tls() {
            Ok(c) => Some(c),
            Err(e) if in_ci() => panic!("PostgreSQL with TLS is required under CI=true: {e}"),
            Err(e) => {
                eprintln!("SKIPPING PostgreSQL TLS tests: {e}");
                None
            }
        })
        .clone()
}
