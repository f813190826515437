//! The real `nac-hub` binary as a child process on 127.0.0.1, port 0.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `nac-hub serve`; killed when dropped.
pub struct HubProcess {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// Where its stderr (the log) goes.
    pub log: PathBuf,
}

/// Where the hub's data lives: a SQLite file or a PostgreSQL URL.
#[derive(Debug, Clone)]
pub enum DataArg {
    Sqlite(PathBuf),
    /// A database URL and the hub's key directory (not in the database).
    Postgres(String, PathBuf),
}

impl DataArg {
    pub fn args(&self) -> Vec<String> {
        match self {
            DataArg::Sqlite(p) => vec!["--data".into(), p.display().to_string()],
            DataArg::Postgres(u, keys) => vec![
                "--database".into(),
                u.clone(),
                "--keys".into(),
                keys.display().to_string(),
            ],
        }
    }
}

pub fn hub_command(data: &DataArg) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_nac-hub"));
    cmd.args(data.args());
    cmd.env_remove("RUST_LOG");
    cmd.env_remove("NAC_HUB_FAKE_NOW");
    cmd
}

/// Runs a `nac-hub` admin command; returns stdout (panics on failure).
pub fn run_hub(data: &DataArg, args: &[&str], env: &[(&str, String)]) -> String {
    let mut cmd = hub_command(data);
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run nac-hub");
    assert!(
        out.status.success(),
        "nac-hub {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

impl HubProcess {
    /// Starts `nac-hub serve` with extra args and environment; waits for its address line.
    pub fn start(data: &DataArg, log_dir: &Path, extra: &[&str], env: &[(&str, String)]) -> Self {
        let log = log_dir.join(format!("hub-{}.log", nac_protocol::random_hex(4).unwrap()));
        let mut cmd = hub_command(data);
        cmd.args(["serve", "--listen", "127.0.0.1:0"]).args(extra);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("spawn nac-hub");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("nac-hub listening on ") {
                    let _ = tx.send(url.to_owned());
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(60);
        let url = loop {
            if let Ok(url) = rx.recv_timeout(Duration::from_millis(100)) {
                break url;
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!(
                    "nac-hub exited ({status}): {}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                );
            }
            assert!(Instant::now() < deadline, "nac-hub did not start");
        };
        Self { child, url, log }
    }

    /// The log so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Stops the process (SIGKILL: it must survive that anyway).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for HubProcess {
    fn drop(&mut self) {
        self.kill();
    }
}
