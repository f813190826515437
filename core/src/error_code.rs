//! The kinds of core failure as the UI and the CLI branch on them: one enum, [`ErrorCode`], not
//! strings, so a renamed or misspelt code fails to compile (or the UI's type check) rather than
//! silently stop matching. Apart from [`Error`](crate::Error) so that the lower modules' own
//! errors (files, the hub transport, the keyring) can name their codes without depending on the
//! error type that wraps them.

use serde::Serialize;

/// Declares [`ErrorCode`] from one list, so [`ErrorCode::ALL`] and [`ErrorCode::as_str`] cannot
/// miss a variant.
macro_rules! error_codes {
    ($($variant:ident => $code:literal,)*) => {
        /// The kind of a core failure, as the UI and the CLI branch on it ([`Error::code`](crate::Error::code)).
        /// Serialized (and [`Display`](std::fmt::Display)ed) as its stable snake_case string.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum ErrorCode {
            $($variant,)*
        }

        impl ErrorCode {
            /// Every code, in declaration order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The code as the UI and the CLI's JSON see it.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $code,)*
                }
            }
        }
    };
}

error_codes! {
    // Store, roster and station rules ([`Error`]).
    SchemaTooNew => "schema_too_new",
    WrongPassphrase => "wrong_passphrase",
    WeakPassphrase => "weak_passphrase",
    InUse => "in_use",
    BadBackup => "bad_backup",
    Database => "database",
    Invalid => "invalid",
    NotFound => "not_found",
    DuplicateDocument => "duplicate_document",
    DuplicateAddress => "duplicate_address",
    HouseholdNotEmpty => "household_not_empty",
    Credential => "credential",
    Cancelled => "cancelled",
    RosterFile => "roster_file",
    Io => "io",
    UncoveredText => "uncovered_text",
    Print => "print",
    NothingToPrint => "nothing_to_print",
    DemoStation => "demo_station",
    NotADemo => "not_a_demo",
    DemoNotEmpty => "demo_not_empty",
    DamagedKey => "damaged_key",
    RandomFailed => "random_failed",
    OtherStation => "other_station",
    NotEnrolled => "not_enrolled",
    AlreadyEnrolled => "already_enrolled",
    CodesBeforeEnrolment => "codes_before_enrolment",
    SyncRunning => "sync_running",
    NotAllowed => "not_allowed",
    WrongPin => "wrong_pin",
    SigninWait => "signin_wait",
    AccountDisabled => "account_disabled",
    AccountExists => "account_exists",
    WeakPin => "weak_pin",
    LastAdministrator => "last_administrator",
    StationDisabled => "station_disabled",
    ClockOff => "clock_off",
    ClockBehind => "clock_behind",
    // Writing files ([`crate::files::FileError`]).
    FileExtension => "file_extension",
    StationFile => "station_file",
    Symlink => "symlink",
    IsDirectory => "is_directory",
    // Talking to the hub ([`crate::station::TransportError`]).
    HubUnreachable => "hub_unreachable",
    HubRefused => "hub_refused",
    HubAnswer => "hub_answer",
    HubCertificate => "hub_certificate",
    // Keeping a station unlocked ([`crate::keyring::KeyringError`]).
    KeyringUnavailable => "keyring_unavailable",
    Keyring => "keyring",
    KeepUntil => "keep_until",
}

impl ErrorCode {
    /// The code spelt `code`, if there is one.
    pub fn from_code(code: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.iter().copied().find(|c| c.as_str() == code)
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// For assertions written against the strings (`assert_eq!(err.code(), "not_found")`); code
/// that branches compares values (`e.code() == ErrorCode::NotFound`). A string that is no
/// code at all panics in debug builds rather than silently never matching.
impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        debug_assert!(
            ErrorCode::from_code(other).is_some(),
            "{other:?} is not an error code"
        );
        self.as_str() == *other
    }
}
