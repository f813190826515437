//! The start screen ([`crate::gate`]): opening the station with its passphrase, and signing in.
//! The passphrase and PINs never appear in `Debug` output.

use super::Lang;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Whether the station is open, and what the start screen must ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum UnlockState {
    /// An existing station: its passphrase opens it.
    Locked,
    /// No station file yet: choose the passphrase that will protect it.
    New,
    /// Open, but the station has no administrator who can sign in yet: create one.
    CreateAdmin,
    /// Open; a volunteer signs in (at start, and after the screen locked).
    SignIn,
    /// Open and signed in (a demo signs in by itself).
    Open,
}

/// What the start screen shows before the station is open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct UnlockStatus {
    pub state: UnlockState,
    pub language: Lang,
    pub data_file: String,
    /// The shortest passphrase a new station accepts.
    pub min_passphrase_chars: u32,
    /// Seconds before another attempt is answered (after wrong passphrases).
    pub wait_seconds: u32,
    /// The accounts that can sign in (for the sign-in screen), once the station is open.
    pub accounts: Vec<String>,
}

/// A volunteer signing in, or the first administrator being created.
#[derive(Clone, PartialEq, Eq, Deserialize, TS)]
pub struct SignInForm {
    pub name: String,
    pub pin: String,
}

impl std::fmt::Debug for SignInForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignInForm")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// The passphrase typed on the start screen (never stored, logged or sent back).
#[derive(Clone, PartialEq, Eq, Deserialize, TS)]
pub struct UnlockForm {
    pub passphrase: String,
}

impl std::fmt::Debug for UnlockForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UnlockForm(..)")
    }
}
