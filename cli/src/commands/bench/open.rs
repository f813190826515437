//! Starting on the large station: deriving the key from the passphrase (Argon2id, once per
//! start; target 500-1000 ms, and what it costs a guesser), opening the encrypted file and
//! listing the first screen (target ≤ 150 ms after the key), and the station's counts.

use super::{ms, Figures, Results, BENCH_PASSPHRASE};
use nac_core::station::ResidentQuery;
use nac_core::store::KdfParams;
use nac_core::{Station, SystemClock, WriteSource};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

/// At least 5 runs (or `runs`) against the station at `big` (`resident_count` residents).
pub(super) fn open_and_count(
    big: &Path,
    resident_count: usize,
    runs: usize,
    results: &mut Results,
) -> anyhow::Result<()> {
    let mut open = Figures(Vec::new());
    let mut count = Figures(Vec::new());
    let mut derive = Figures(Vec::new());
    for _ in 0..runs.max(5) {
        // What a start costs (and an attacker per guess): the cost new stations are given.
        let salt = KdfParams::STANDARD
            .fresh_salt()
            .map_err(nac_core::Error::from)?;
        let passphrase = nac_core::store::Passphrase::new(BENCH_PASSPHRASE);
        let start = Instant::now();
        nac_core::store::DatabaseKey::derive(&passphrase, salt).map_err(nac_core::Error::from)?;
        derive.0.push(ms(start));
        let key = nac_core::store::DatabaseKey::for_file(big, &passphrase)
            .map_err(nac_core::Error::from)?;
        let start = Instant::now();
        let station = Station::open(big, &key, Arc::new(SystemClock), WriteSource::Cli)?;
        let first = station.residents(&ResidentQuery {
            limit: Some(50),
            ..Default::default()
        })?;
        open.0.push(ms(start));
        anyhow::ensure!(first.len() == 50);
        let start = Instant::now();
        let counts = station.counts(None)?;
        count.0.push(ms(start));
        anyhow::ensure!(counts.residents as usize == resident_count);
    }
    results.line(format!(
        "derive the key (Argon2id {} MiB, t={}, 1 lane): median {:6.1} ms   max {:6.1} ms   (once per start; target 500-1000 ms)",
        KdfParams::STANDARD.memory_kib / 1024,
        KdfParams::STANDARD.passes,
        derive.percentile(0.5),
        derive.percentile(1.0)
    ));
    let guesses = 1000.0 / derive.percentile(0.5).max(0.001);
    results.line(format!(
        "passphrase guesses against a stolen file:   {guesses:6.2} per second per core (and {} MiB of memory each)",
        KdfParams::STANDARD.memory_kib / 1024
    ));
    results.figure("derive_key_ms_median", derive.percentile(0.5));
    results.figure("guesses_per_second_per_core", guesses);
    results.line(format!(
        "open encrypted {resident_count}-resident db + first screen: median {:6.1} ms   max {:6.1} ms   (target ≤ 150 ms after the key)",
        open.percentile(0.5),
        open.percentile(1.0)
    ));
    results.line(format!(
        "station counts over {resident_count} residents:  median {:6.1} ms   max {:6.1} ms",
        count.percentile(0.5),
        count.percentile(1.0)
    ));
    results.figure("open_first_screen_ms_median", open.percentile(0.5));
    results.figure("counts_ms_median", count.percentile(0.5));
    Ok(())
}
