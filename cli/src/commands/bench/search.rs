//! Search in the large station: about 50 residents looked for by name, name fragment, pinyin
//! initials, the last 4 characters of their document and an address fragment (target p95
//! ≤ 20 ms for each kind).

use super::{bench_key, ms, Figures, Results};
use nac_core::station::{ResidentQuery, ResidentRow};
use nac_core::{Station, SystemClock, WriteSource};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

/// A resident the search looks for, in each of the ways a volunteer might type.
pub(super) struct Sample {
    name: String,
    initials: String,
    last4: String,
    road: String,
}

/// About 50 residents spread over `rows`.
pub(super) fn samples(rows: &[ResidentRow]) -> Vec<Sample> {
    rows.iter()
        .step_by(rows.len().max(50) / 50)
        .map(|r| Sample {
            name: r.name.clone(),
            initials: nac_core::search::initials(&r.name),
            last4: r
                .masked_document
                .chars()
                .rev()
                .take(4)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect(),
            road: r.address.split(' ').nth(1).unwrap_or_default().to_string(),
        })
        .collect()
}

/// Every kind of query for every sample, in the station at `big` (`resident_count` residents).
pub(super) fn queries(
    big: &Path,
    resident_count: usize,
    samples: &[Sample],
    results: &mut Results,
) -> anyhow::Result<()> {
    let station = Station::open(big, bench_key()?, Arc::new(SystemClock), WriteSource::Cli)?;
    let mut kinds: Vec<(&str, Figures)> = Vec::new();
    for (kind, pick) in [
        (
            "name",
            (|s: &Sample| s.name.clone()) as fn(&Sample) -> String,
        ),
        ("name fragment", |s| s.name.chars().skip(1).collect()),
        ("pinyin initials", |s| s.initials.clone()),
        ("last 4 digits", |s| s.last4.clone()),
        ("address fragment", |s| s.road.clone()),
    ] {
        let mut f = Figures(Vec::new());
        for s in samples {
            let query = ResidentQuery {
                search: Some(pick(s)),
                limit: Some(200),
                ..Default::default()
            };
            let start = Instant::now();
            let found = station.residents(&query)?;
            f.0.push(ms(start));
            anyhow::ensure!(!found.is_empty(), "no result for a {kind} query");
        }
        kinds.push((kind, f));
    }
    drop(station);
    for (kind, f) in &kinds {
        results.line(format!(
            "search {:<17} ({resident_count} residents): p50 {:6.2} ms   p95 {:6.2} ms   (target p95 ≤ 20 ms)",
            kind,
            f.percentile(0.5),
            f.percentile(0.95)
        ));
        results.figure(
            format!("search_{}_p95_ms", kind.replace(' ', "_")),
            f.percentile(0.95),
        );
    }
    Ok(())
}
