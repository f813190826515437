//! The end-to-end scenarios, one test binary (`cargo test -p nac-e2e --test it`; scripts/e2e.sh
//! runs it under Xvfb with `--test-threads=1`). Each scenario drives the real app through
//! tauri-driver on one display, so they run one at a time whatever `--test-threads` says (when
//! every scenario had a binary of its own, cargo ran them one after the other).

use std::sync::{Mutex, MutexGuard, PoisonError};

mod bench_app;
mod console;
mod demo_station;
mod sign_in;
mod station_secrets;
mod sync_flow;
mod volunteer_flow;

/// Held for the whole of a scenario: the next one starts when it is over (passed or failed).
fn one_at_a_time() -> MutexGuard<'static, ()> {
    static ONE: Mutex<()> = Mutex::new(());
    ONE.lock().unwrap_or_else(PoisonError::into_inner)
}
