//! `nac bench`: the core's speed on generated data, printed as figures (not a pass/fail test).
//!
//! Targets (2-core machine, release build): batch renew 1,000 residents ≤ 0.3 s; import a
//! 10,000-row XLSX ≤ 2 s; search among 100,000 residents ≤ 20 ms p95; open a 100,000-resident
//! database and list the first screen ≤ 100 ms (encrypted: ≤ 150 ms after the key is derived;
//! the Argon2id derivation itself, once per start, is timed on its own).
//!
//! Every generated station is encrypted like a real one, with [`BENCH_PASSPHRASE`].
//!
//! One file per benchmark, run in this order: [`renew`], [`import`], [`search`], [`open`];
//! this file holds the flags, the generated stations and the figures they all share.

mod import;
mod open;
mod renew;
mod search;

use super::Context;
use crate::output::Report;
use anyhow::Context as _;
use nac_core::domain::Capacity;
use nac_core::station::{HouseholdDraft, ResidentDraft, ResidentQuery};
use nac_core::{ManualClock, Station, WriteSource};
use serde_json::json;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

#[derive(clap::Args)]
pub struct BenchArgs {
    /// Residents in the large database used for search and open.
    #[arg(long, default_value_t = 100_000)]
    residents: usize,
    /// Work directory for the generated databases (default: a temporary directory).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Repetitions of each timed step.
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// A directory with `bench-10000.xls` and `bench-10000.xlsx` written by LibreOffice
    /// (`scripts/make-office-fixtures.sh --bench DIR`): times the legacy format against the
    /// same roster as .xlsx (target: .xls within 1.5× of .xlsx).
    #[arg(long)]
    office: Option<PathBuf>,
}

/// The passphrase of the generated stations.
const BENCH_PASSPHRASE: &str = "bench station passphrase";

/// One derivation for every generated file (they share a salt; a real station has its own).
fn bench_key() -> anyhow::Result<&'static nac_core::store::DatabaseKey> {
    static KEY: std::sync::OnceLock<nac_core::store::DatabaseKey> = std::sync::OnceLock::new();
    if let Some(key) = KEY.get() {
        return Ok(key);
    }
    let key = nac_core::store::DatabaseKey::derive(
        &nac_core::store::Passphrase::new(BENCH_PASSPHRASE),
        *b"nac-bench-salt16",
    )
    .map_err(nac_core::Error::from)?;
    Ok(KEY.get_or_init(|| key))
}

/// Timings in milliseconds, one per run or query.
struct Figures(Vec<f64>);

impl Figures {
    fn percentile(&self, p: f64) -> f64 {
        let mut v = self.0.clone();
        v.sort_by(f64::total_cmp);
        if v.is_empty() {
            return 0.0;
        }
        let i = ((v.len() as f64 - 1.0) * p).round() as usize;
        v[i.min(v.len() - 1)]
    }
}

fn ms(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1000.0
}

/// What the benchmarks found: the lines printed and the figures of `--json`, in order.
#[derive(Default)]
struct Results {
    lines: Vec<String>,
    json: serde_json::Map<String, serde_json::Value>,
}

impl Results {
    fn line(&mut self, line: String) {
        self.lines.push(line);
    }

    fn figure(&mut self, key: impl Into<String>, value: f64) {
        self.json.insert(key.into(), json!(value));
    }
}

/// A station with exactly `residents` residents from the demo generator.
fn populate(path: &Path, residents: usize, clock: Arc<ManualClock>) -> anyhow::Result<Station> {
    let mut station = Station::open(path, bench_key()?, clock.clone(), WriteSource::Cli)?;
    let today = nac_core::time::cst_day(station.now());
    let drafts: Vec<(HouseholdDraft, ResidentDraft)> =
        nac_core::demo::roster(residents / 2 + 10, 7)
            .iter()
            .take(residents)
            .filter_map(|r| {
                Some((
                    HouseholdDraft::validate(&r.household).ok()?,
                    ResidentDraft::validate(&r.resident, today).ok()?,
                ))
            })
            .collect();
    station.import_drafts(&drafts)?;
    Ok(station)
}

/// The large station that [`search`] and [`open`] time, written afresh at `path`: `residents`
/// residents, every second one with a code. Returns how many it holds and the residents the
/// search looks for.
fn large_station(
    path: &Path,
    residents: usize,
    clock: Arc<ManualClock>,
) -> anyhow::Result<(usize, Vec<search::Sample>)> {
    let _ = std::fs::remove_file(path);
    let mut station = populate(path, residents, clock)?;
    let rows = station.residents(&ResidentQuery::default())?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).step_by(2).collect();
    station.renew_many(&ids, Capacity::Volunteer, 5_000, &mut |_| {
        ControlFlow::Continue(())
    })?;
    Ok((rows.len(), search::samples(&rows)))
}

pub fn bench(ctx: &Context, a: BenchArgs) -> anyhow::Result<Report> {
    let tmp = tempfile::TempDir::new()?;
    let dir = a.dir.clone().unwrap_or_else(|| tmp.path().to_path_buf());
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let clock = Arc::new(ManualClock::at(nac_core::time::Clock::now(
        &nac_core::SystemClock,
    )));
    let mut results = Results::default();

    // 1. Batch renew 1,000 residents: sign + store + outbox, committed.
    renew::batch_1000(&dir, a.runs, &clock, &mut results)?;

    // 2. Import a 10,000-row XLSX with validation.
    import::xlsx_10k(&dir, a.runs, &clock, &mut results)?;

    // 2b. The same roster as .xls and .xlsx, both written by LibreOffice.
    if let Some(office) = &a.office {
        import::office(&dir, office, a.runs, &mut results)?;
    }

    // 3. A large station: search, then open + first screen.
    let big = dir.join("big.db");
    let (resident_count, samples) = large_station(&big, a.residents, clock.clone())?;
    search::queries(&big, resident_count, &samples, &mut results)?;
    open::open_and_count(&big, resident_count, a.runs, &mut results)?;

    let _ = ctx;
    Ok(Report::ok(
        results.lines.join("\n"),
        serde_json::Value::Object(results.json),
    ))
}
