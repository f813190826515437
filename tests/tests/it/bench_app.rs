//! Benchmarks of the real app with 50,000 residents (ignored by default; `scripts/bench-app.sh`
//! runs them under Xvfb with a release build):
//!
//! - cold start to an interactive household list (target ≤ 1.5 s): from the process start
//!   (recorded by the binary) to the moment the list's first page is on screen and focusable
//!   (`window.__nac.ready`), and from the WebDriver session request (which launches the app);
//! - search: each keystroke typed through WebDriver, timed in the page from the `input` event
//!   to the re-rendered list (target ≤ 100 ms), including the 15 ms debounce.
//!
//! The 50,000-resident database is generated once with the demo roster and reused
//! (`$NAC_BENCH_DB`, a demo file, default `<target>/bench/demo-station.db`).
#![allow(
    clippy::disallowed_methods,
    reason = "these tests drive real processes and hubs that read the system clock"
)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use nac_e2e::{skip_unless_ready, target_dir, App};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const HOUSEHOLDS: usize = 20_000;

fn bench_db() -> PathBuf {
    let path = std::env::var_os("NAC_BENCH_DB")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            target_dir()
                .join("bench")
                .join(nac_core::demo::DEMO_FILE_NAME)
        });
    if !path.exists() {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("bench dir");
        }
        let started = Instant::now();
        let key = nac_core::demo::key(&path).expect("demo key");
        let summary = nac_core::demo::create(&path, &key, HOUSEHOLDS, chrono::Utc::now())
            .expect("demo roster");
        eprintln!(
            "generated {} households, {} residents in {:.1} s",
            summary.households,
            summary.residents,
            started.elapsed().as_secs_f64()
        );
    }
    path
}

fn now_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64() * 1000.0)
        .unwrap_or_default()
}

fn metrics(app: &App) -> Value {
    app.script("return window.__nac || null", json!([]))
        .unwrap_or(Value::Null)
}

#[test]
#[ignore = "benchmark: run scripts/bench-app.sh"]
fn cold_start_and_search_with_50000_residents() {
    let _alone = crate::one_at_a_time();
    let Some((binary, driver)) = skip_unless_ready() else {
        return;
    };
    let db = bench_db();
    let residents: i64 = rusqlite_count(&db);
    eprintln!("database {} with {residents} residents", db.display());
    assert!(
        residents >= 50_000,
        "the benchmark needs 50,000 residents, found {residents}"
    );
    // The app opens the demo (with its published passphrase) beside the station file it is
    // given: the start includes deriving the key, as every start does.
    let station = db
        .with_file_name("station.db")
        .to_string_lossy()
        .to_string();

    let mut starts = Vec::new();
    for run in 0..3 {
        let requested = now_ms();
        let app = App::launch(
            &binary,
            &driver,
            &[("NAC_DB", station.as_str()), ("NAC_DEMO", "1")],
        )
        .expect("launch");
        let deadline = Instant::now() + Duration::from_secs(30);
        let m = loop {
            let m = metrics(&app);
            if m["ready"].as_f64().unwrap_or(0.0) > 0.0 {
                break m;
            }
            assert!(
                Instant::now() < deadline,
                "the list never became interactive"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        let ready = m["ready"].as_f64().unwrap_or_default();
        let from_process = ready - m["startedAtMs"].as_f64().unwrap_or_default();
        let from_request = ready - requested;
        eprintln!(
            "cold start #{run}: {from_process:.0} ms from process start, {from_request:.0} ms from the WebDriver session request"
        );
        starts.push(from_process);
        if run == 2 {
            app.screenshot("bench-50k-list").expect("screenshot");
            search_latency(&app);
        }
    }
    starts.sort_by(f64::total_cmp);
    eprintln!("cold start median: {:.0} ms (target ≤ 1500 ms)", starts[1]);
}

fn search_latency(app: &App) {
    app.set_window(1366, 768).expect("window");
    let queries = [
        "z", "s", "f", "\u{E003}", "\u{E003}", "\u{E003}", "王", "\u{E003}", "1", "2", "3", "4",
    ];
    let mut samples = Vec::new();
    for key in queries {
        let before = metrics(app)["search"].as_array().map_or(0, Vec::len);
        app.type_into("#search", key).expect("type");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let m = metrics(app);
            let list = m["search"].as_array().cloned().unwrap_or_default();
            if list.len() > before {
                let ms = list.last().and_then(Value::as_f64).unwrap_or_default();
                let value = app
                    .script("return document.getElementById('search').value", json!([]))
                    .unwrap_or(Value::Null);
                let status = app.text("#list-status").unwrap_or_default();
                eprintln!("search {value}: {ms:.1} ms → {status}");
                samples.push(ms);
                break;
            }
            assert!(Instant::now() < deadline, "no search result for {key:?}");
            std::thread::sleep(Duration::from_millis(10));
        }
        std::thread::sleep(Duration::from_millis(150));
    }
    app.screenshot("bench-50k-search").expect("screenshot");
    samples.sort_by(f64::total_cmp);
    let median = samples[samples.len() / 2];
    let worst = samples.last().copied().unwrap_or_default();
    eprintln!("search keystroke → updated list: median {median:.1} ms, worst {worst:.1} ms (target ≤ 100 ms)");
}

fn rusqlite_count(path: &std::path::Path) -> i64 {
    let station = nac_core::Station::open(
        path,
        &nac_core::demo::key(path).expect("demo key"),
        std::sync::Arc::new(nac_core::SystemClock),
        nac_core::WriteSource::Cli,
    )
    .expect("open bench db");
    i64::from(station.counts(None).expect("counts").residents)
}
