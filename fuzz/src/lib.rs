//! Shared code of the NAC Station fuzz targets (see `fuzz/README.md`).
//!
//! The `*_check` and `office_wrap` modules are the harnesses proper; the stable regression tests
//! (`core/tests/fuzz_regressions.rs`, `credential/tests/fuzz_regressions.rs`,
//! `scan/tests/fuzz_regressions.rs`) include the same files with `#[path]`, so every saved input
//! replays under `cargo test` through exactly the checks the fuzzer ran.

pub mod credential_check;
pub mod office_wrap;
pub mod protocol_check;
pub mod roster_check;
pub mod scan_check;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

/// Lets panics raised inside third-party crates unwind instead of aborting at once.
///
/// libFuzzer's panic hook (installed by `libfuzzer-sys`) aborts on every panic, even one the
/// code under test catches. But the station catches some panics by design: the roster reader
/// runs calamine inside `catch_unwind` (a damaged workbook becomes `RosterError::Unreadable`),
/// and the scanner runs the QR detector inside `catch_unwind` (`ScanError::Decoder`). Call this
/// from a target's `init` so that a panic located in a dependency's source (a path under
/// `registry/src/`) unwinds to such a handler; one that nothing catches still reaches
/// `libfuzzer-sys`' own `catch_unwind` around the target, which aborts: a crash. A panic in the
/// project's own code, or in the standard library, aborts at once as before. Each new place is
/// logged once as `nac-fuzz: caught? dependency panic at …` (scripts/fuzz.sh lists them).
pub fn let_dependency_panics_unwind() {
    static SEEN: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
    let aborting = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let place = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        if place.contains("/registry/src/") || place.contains("/git/checkouts/") {
            let mut seen = SEEN.lock().unwrap_or_else(|e| e.into_inner());
            if seen.insert(place.clone()) {
                let message = info.payload_as_str().unwrap_or("(non-string payload)");
                eprintln!("nac-fuzz: caught? dependency panic at {place}: {message}");
            }
            return;
        }
        aborting(info);
    }));
}

/// A per-process scratch directory on tmpfs (`/dev/shm` when present, else the temp dir),
/// created once. Directories left by earlier fuzzer processes that are gone are removed then.
fn scratch_dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let shm = PathBuf::from("/dev/shm");
        let base = if shm.is_dir() {
            shm
        } else {
            std::env::temp_dir()
        };
        if let Ok(entries) = std::fs::read_dir(&base) {
            for entry in entries.flatten() {
                let name = entry.file_name();
                let Some(pid) = name
                    .to_str()
                    .and_then(|n| n.strip_prefix("nac-fuzz-"))
                    .and_then(|p| p.parse::<u32>().ok())
                else {
                    continue;
                };
                if !PathBuf::from(format!("/proc/{pid}")).exists() {
                    let _ = std::fs::remove_dir_all(entry.path());
                }
            }
        }
        let dir = base.join(format!("nac-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create the fuzz scratch directory");
        dir
    })
}

/// Writes `data` to the process's scratch file with extension `ext` and returns its path.
pub fn scratch_file(data: &[u8], ext: &str) -> PathBuf {
    let path = scratch_dir().join(format!("input.{ext}"));
    std::fs::write(&path, data).expect("write the fuzz scratch file");
    path
}
