//! Crash safety: a batch renewal killed with SIGKILL at random moments leaves a consistent
//! database — integrity check passes, every renewal reported as done is present exactly once
//! with its outbox event, and no half-written renewal exists.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

fn nac(db: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_nac"));
    c.env("NAC_PASSPHRASE", common::PASSPHRASE);
    c.arg("--db").arg(db).args(["--lang", "en"]);
    c
}

fn count(conn: &rusqlite::Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn sigkill_mid_batch_leaves_a_consistent_database() {
    let dir = tempfile::TempDir::new().unwrap();
    let template = dir.path().join("template.db");
    let status = nac(&template)
        .args(["demo", "--households", "300"])
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());

    let mut killed_mid_batch = 0;
    let mut reported_total = 0;
    // Kill after increasing delays so some runs die early, some late, some not at all.
    for (run, delay_ms) in [30u64, 80, 150, 250, 400, 600, 900, 1400]
        .into_iter()
        .enumerate()
    {
        let db = dir.path().join(format!("run-{run}.db"));
        std::fs::copy(&template, &db).unwrap();
        let mut child = nac(&db)
            .args(["renew", "--due-within", "30", "--chunk", "7"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel::<String>();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let start = Instant::now();
        while start.elapsed() < Duration::from_millis(delay_ms) {
            std::thread::sleep(Duration::from_millis(5));
        }
        let still_running = child.try_wait().unwrap().is_none();
        child.kill().ok(); // SIGKILL
        child.wait().unwrap();
        reader.join().unwrap();
        let lines: Vec<String> = rx.try_iter().collect();
        let reported: Vec<String> = lines
            .iter()
            .filter(|l| l.starts_with("renewed\t"))
            .map(|l| l.split('\t').nth(2).unwrap().to_string())
            .collect();
        if still_running && !reported.is_empty() {
            killed_mid_batch += 1;
        }
        reported_total += reported.len();

        let conn = common::raw_connection(&db);
        let integrity: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(integrity, "ok", "run {run}: database damaged");
        for serial in &reported {
            let n = count(
                &conn,
                &format!(
                    "SELECT count(*) FROM codes c JOIN applications a ON a.id = c.application_id
                     JOIN outbox o ON o.application_id = a.id AND o.event_id = a.event_id
                     WHERE c.serial = '{serial}'"
                ),
            );
            assert_eq!(n, 1, "run {run}: reported renewal {serial} must be stored exactly once with its outbox event");
        }
        // No half-written renewal: every application has its code and its event, and no
        // person has two active codes.
        let apps = count(&conn, "SELECT count(*) FROM applications");
        let whole = count(
            &conn,
            "SELECT count(*) FROM applications a
             WHERE (SELECT count(*) FROM codes c WHERE c.application_id = a.id) = 1
               AND (SELECT count(*) FROM outbox o WHERE o.application_id = a.id) = 1",
        );
        assert_eq!(
            apps, whole,
            "run {run}: an application without its code or event"
        );
        let doubled = count(
            &conn,
            "SELECT count(*) FROM (SELECT resident_id FROM codes WHERE state = 'active'
             GROUP BY resident_id HAVING count(*) > 1)",
        );
        assert_eq!(doubled, 0);
        let fk: i64 = conn
            .prepare("PRAGMA foreign_key_check")
            .unwrap()
            .query_map([], |_| Ok(()))
            .unwrap()
            .count() as i64;
        assert_eq!(fk, 0, "run {run}: dangling references");
    }
    assert!(
        killed_mid_batch >= 1,
        "at least one run must have been killed mid-batch after reporting renewals \
         (reported {reported_total} in all) — otherwise this test proves nothing"
    );
}
