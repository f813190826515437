//! Batch renew 1,000 residents: sign + store + outbox, committed (target ≤ 300 ms).

use super::{ms, populate, Figures, Results};
use nac_core::domain::Capacity;
use nac_core::station::ResidentQuery;
use nac_core::ManualClock;
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

pub(super) fn batch_1000(
    dir: &Path,
    runs: usize,
    clock: &Arc<ManualClock>,
    results: &mut Results,
) -> anyhow::Result<()> {
    let mut renew = Figures(Vec::new());
    for run in 0..runs {
        let path = dir.join(format!("renew-{run}.db"));
        let _ = std::fs::remove_file(&path);
        let mut station = populate(&path, 1000, clock.clone())?;
        let ids: Vec<i64> = station
            .residents(&ResidentQuery::default())?
            .into_iter()
            .map(|r| r.id)
            .take(1000)
            .collect();
        anyhow::ensure!(ids.len() == 1000, "demo roster too small: {}", ids.len());
        let start = Instant::now();
        let done = station.renew_many(&ids, Capacity::Volunteer, 1000, &mut |_| {
            ControlFlow::Continue(())
        })?;
        renew.0.push(ms(start));
        anyhow::ensure!(done.renewed == 1000, "only {} renewed", done.renewed);
    }
    results.line(format!(
        "batch renew 1,000 residents:   median {:7.1} ms   max {:7.1} ms   (target ≤ 300 ms)",
        renew.percentile(0.5),
        renew.percentile(1.0)
    ));
    results.figure("renew_1000_ms_median", renew.percentile(0.5));
    Ok(())
}
