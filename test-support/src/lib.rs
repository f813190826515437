//! The test kit of the NAC Station workspace: what the crates' integration tests share, as a
//! dev-dependency (never a dependency of a shipped crate).
//!
//! - `hub` (feature `hub`): the real `nac-hub` process on 127.0.0.1 over SQLite or
//!   PostgreSQL, a hub clock the stations sign with, a transport that injects faults, and
//!   residents with valid ID numbers (the CLI's, the app's and the E2E sync tests);
//! - `tls` (feature `tls`): that hub serving HTTPS with a self-signed certificate;
//! - `pg`: the test PostgreSQL server (`NAC_TEST_PG_URL`, or one `scripts/pg-test.sh` starts);
//! - `pdf`: rendered PDFs checked with the real tools (poppler rasterises, zbarimg decodes).
//!
//! Paths are resolved from this crate's directory (`CARGO_MANIFEST_DIR`, a direct child of the
//! workspace root like every crate's), so they hold whichever crate's tests link the kit.

#[cfg(feature = "hub")]
pub mod hub;
pub mod pdf;
pub mod pg;
#[cfg(feature = "tls")]
pub mod tls;

/// The workspace's root directory.
pub const WORKSPACE_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

/// Whether the tests run under CI (`CI=true` or `CI=1`), where a missing prerequisite
/// (PostgreSQL, the kernel keyring, …) fails a test instead of skipping it.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}
