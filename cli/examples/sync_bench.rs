//! Sync benchmark, end to end against a real `nac-hub` process on 127.0.0.1 (SQLite):
//!
//! 1. one station pushes 10,000 queued renewals (`Station::sync`'s push stage, pages of 500);
//! 2. the same sync pulls the hub's 10,000 changes back into the station;
//! 3. a second station holding the same 10,000 residents joins and syncs for the first time
//!    (subscribe + adopt 10,000 codes issued elsewhere + pull).
//!
//! ```text
//! cargo build --release -p nac-hub -p nac-cli --examples
//! target/release/examples/sync_bench [--residents 10000] [--runs 3] [--hub target/release/nac-hub]
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Instant;

use nac_core::domain::Capacity;
use nac_core::station::{BatchScope, DueSelection, HouseholdDraft, ResidentDraft, SyncStage};
use nac_core::{HttpTransport, ManualClock, Station, WriteSource};

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

struct HubProcess(Child, String);

impl Drop for HubProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_hub(bin: &Path, data: &Path) -> HubProcess {
    let mut child = Command::new(bin)
        .args([
            "--data",
            data.to_str().unwrap(),
            "serve",
            "--listen",
            "127.0.0.1:0",
        ])
        .args(["--rate", "100000", "--burst", "100000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start nac-hub");
    let stdout = child.stdout.take().unwrap();
    let mut url = String::new();
    for line in BufReader::new(stdout).lines().map_while(Result::ok) {
        if let Some(u) = line.strip_prefix("nac-hub listening on ") {
            url = u.to_string();
            break;
        }
    }
    assert!(!url.is_empty(), "nac-hub did not start");
    HubProcess(child, url)
}

fn station_code(bin: &Path, data: &Path, name: &str) -> String {
    let out = Command::new(bin)
        .args([
            "--data",
            data.to_str().unwrap(),
            "station",
            "add",
            "--name",
            name,
        ])
        .args(["--area", "bench", "--json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["enrolment_code"].as_str().unwrap().to_string()
}

fn enrolled_station(path: &Path, hub: &HubProcess, bin: &Path, data: &Path, n: usize) -> Station {
    let now = nac_core::time::Clock::now(&nac_core::SystemClock);
    let clock = Arc::new(ManualClock::at(now - chrono::Duration::days(1)));
    static KEY: std::sync::OnceLock<nac_core::store::DatabaseKey> = std::sync::OnceLock::new();
    let key = KEY.get_or_init(|| {
        nac_core::store::DatabaseKey::derive(
            &nac_core::store::Passphrase::new("bench station passphrase"),
            *b"nac-bench-salt16",
        )
        .unwrap()
    });
    let mut station = Station::open(path, key, clock, WriteSource::Cli).unwrap();
    let code = station_code(bin, data, &path.display().to_string());
    station
        .enrol(&mut HttpTransport::new(&hub.1), &hub.1, &code)
        .unwrap();
    let today = nac_core::time::cst_day(station.now());
    let drafts: Vec<(HouseholdDraft, ResidentDraft)> = nac_core::demo::roster(n / 2 + 50, 11)
        .iter()
        .filter_map(|r| {
            Some((
                HouseholdDraft::validate(&r.household).ok()?,
                ResidentDraft::validate(&r.resident, today).ok()?,
            ))
        })
        .take(n)
        .collect();
    station.import_drafts(&drafts).unwrap();
    station
}

fn main() {
    let residents: usize = arg("--residents")
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let runs: usize = arg("--runs").and_then(|v| v.parse().ok()).unwrap_or(3);
    let bin = arg("--hub").map(PathBuf::from).unwrap_or_else(|| {
        let exe = std::env::current_exe().unwrap();
        exe.parent().and_then(Path::parent).unwrap().join("nac-hub")
    });
    println!(
        "sync benchmark: {residents} residents, {runs} runs, hub {}",
        bin.display()
    );
    for run in 1..=runs {
        let dir = tempfile::TempDir::new().unwrap();
        let data = dir.path().join("hub.db");
        let hub = start_hub(&bin, &data);
        let mut a = enrolled_station(&dir.path().join("a.db"), &hub, &bin, &data, residents);
        let batch = a
            .renew_batch(
                BatchScope::Station,
                DueSelection::within(7),
                Capacity::Volunteer,
                500,
                &mut |_| ControlFlow::Continue(()),
            )
            .unwrap();
        let queued = batch.renewed;

        let started = Instant::now();
        let mut push_done = None;
        let mut transport = HttpTransport::new(&hub.1);
        let report = a
            .sync(&mut transport, &mut |p| {
                if p.stage == SyncStage::Push {
                    push_done = Some(started.elapsed());
                }
            })
            .unwrap();
        let total = started.elapsed();
        let push = push_done.unwrap_or(total);
        assert_eq!(report.synced as usize, queued, "{report:?}");
        assert!(report.stopped.is_none(), "{report:?}");

        let mut b = enrolled_station(&dir.path().join("b.db"), &hub, &bin, &data, residents);
        let started = Instant::now();
        let report_b = b
            .sync(&mut HttpTransport::new(&hub.1), &mut |_| {})
            .unwrap();
        let join = started.elapsed();
        assert!(report_b.stopped.is_none(), "{report_b:?}");
        assert_eq!(report_b.adopted as usize, queued, "{report_b:?}");
        println!(
            "run {run}: push {queued} events {:.2} s; then subscribe+pull {} changes {:.2} s \
             (whole sync {:.2} s); second station's first sync: {} codes adopted, {} changes \
             pulled in {:.2} s",
            push.as_secs_f64(),
            report.pulled,
            (total - push).as_secs_f64(),
            total.as_secs_f64(),
            report_b.adopted,
            report_b.pulled,
            join.as_secs_f64()
        );
    }
}
