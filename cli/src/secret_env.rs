//! The secrets a script may hand `nac` in its environment — `$NAC_PASSPHRASE`, `$NAC_PIN`,
//! `$NAC_NEW_PIN`, `$NAC_NEW_PASSPHRASE` — are read once, at the top of `main`, and removed from
//! the process environment at once.
//!
//! Why: every program `nac` starts would otherwise inherit them (`lp`, `lpstat`, `fc-match`,
//! `xdg-open` and the PDF viewer it starts, which outlives `nac` with the passphrase readable in
//! its `/proc/PID/environ`). The print crate also starts each child with an allowlisted
//! environment (`nac_print::child_command`); removing the values here covers a child started any
//! other way, now or later.

use crate::commands::secrets::{NEW_PASSPHRASE_ENV, NEW_PIN_ENV, PASSPHRASE_ENV, PIN_ENV};
use std::sync::OnceLock;
use zeroize::Zeroizing;

/// Every environment variable that may hold a secret.
const SECRET_VARIABLES: [&str; 4] = [PASSPHRASE_ENV, PIN_ENV, NEW_PIN_ENV, NEW_PASSPHRASE_ENV];

/// The values taken out of the environment, by variable name.
static TAKEN: OnceLock<Vec<(&'static str, Zeroizing<String>)>> = OnceLock::new();

/// Reads the secret variables and removes them from the environment. Runs at the top of `main`,
/// before any thread exists: removing a variable while another thread reads the environment is
/// undefined behaviour in C's `getenv` (hence `unsafe` in edition 2024). Later calls do nothing.
pub fn take() {
    TAKEN.get_or_init(|| {
        SECRET_VARIABLES
            .iter()
            .filter_map(|&name| {
                let value = std::env::var_os(name)?;
                std::env::remove_var(name);
                Some((name, Zeroizing::new(value.to_string_lossy().into_owned())))
            })
            .collect()
    });
}

/// The value `name` held when `nac` started, if any.
pub fn get(name: &str) -> Option<Zeroizing<String>> {
    take();
    TAKEN
        .get()?
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value.clone())
}
