//! What the CLI's tests share: the test kit's hub harness (`nac_test_support::hub`) and the
//! real `nac`.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::Command;

pub use nac_test_support::hub::*;

/// Runs the real `nac` on the station file `db`, with the test passphrase, in English.
pub fn nac(db: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_nac"))
        .env("NAC_PASSPHRASE", PASSPHRASE)
        .arg("--db")
        .arg(db)
        .args(["--lang", "en"])
        .args(args)
        .output()
        .unwrap()
}
