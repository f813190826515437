//! The station: one SQLite file, one clock, one signing key, and the volunteer at the keyboard.
//!
//! Every operation a volunteer can do goes through [`Station`], so the desktop app, the `nac`
//! CLI and the tests exercise the same rules. Writes run in IMMEDIATE transactions and are
//! tagged with their [`WriteSource`]; after each commit a [`Change`] is passed to the listener
//! (the desktop shell forwards it to the UI so open screens refresh).
//!
//! An audited write goes through `Station::write_audited` (or its variant for a subject known
//! only after the write): the change, its audit row and the commit are one step, then the event.
//! So no write can forget its audit row, commit a change without it (or it without the
//! change), audit under another session's name by mistake, or announce a change that was
//! rolled back. The few writes that still do it by hand say why at the spot: a sign-in is
//! audited as the account signing in, a failed backup is recorded after work done outside any
//! transaction, a roster import is audited as the import and only when it changed something, a
//! renewal's audit row belongs to the rules it shares with the batch (which commits in chunks),
//! and whole-file operations write through a connection of their own.

mod accounts;
mod audit_export;
mod handle;
mod households;
mod kept_unlocked;
mod keys;
mod ledger;
mod open;
pub(crate) mod outbox;
mod print_failure;
mod print_job;
mod renew;
mod retention;
mod role;
mod roster;
mod roster_export;
mod roster_import;
pub(crate) mod settings;
mod status;
pub(crate) mod sync;
mod trust;
mod whole_file;

pub use crate::domain::drafts::{HouseholdDraft, HouseholdInput, ResidentDraft, ResidentInput};
pub use crate::roster::{FieldChanges, ImportOutcome};
pub use accounts::{signin_wait_secs, Account, AuditEntry};
pub use audit_export::AuditExport;
pub(crate) use handle::{address_at, audit};
pub use handle::{
    Change, Station, StationInfo, WriteSource, BACKUP_EXTENSIONS, DEFAULT_EXPIRING_DAYS,
    DEFAULT_IDLE_LOCK_MINUTES,
};
pub use households::{
    BuildingCounts, HouseholdListRow, HouseholdPage, HouseholdQuery, MemberBrief, OutboxProblem,
    OutboxSummary, Place, RevealedIdentity,
};
pub use keys::SigningKey;
pub use ledger::{CardToReplace, PrintRequest, PrintedCard};
pub use print_failure::{PrintFailure, PrintFailureKind};
pub use print_job::{CardToPrint, PrintOutcome, PrintPlan, Rendered};
pub use renew::{
    BatchItem, BatchOutcome, BatchProgress, BatchScope, DueSelection, RenewOutcome, Renewal,
    DEFAULT_CHUNK,
};
pub use retention::{DEFAULT_KEEP_PRINTED_DAYS, MAX_KEEP_PRINTED_DAYS};
pub use role::Role;
pub use roster::{HouseholdDetail, HouseholdSummary, IMPORT_REPORT_EVERY};
pub use status::{
    CodeState, CodeView, HistoryEntry, ResidentDetail, ResidentQuery, ResidentRow, ResidentStatus,
    StationCounts, StatusFilter,
};
pub use sync::http::HttpTransport;
pub use sync::KeyRotation;
pub use sync::{
    backoff_secs, AnchorCheck, AnchorProblem, Enrolment, HubHeaders, HubRequest, Method,
    QueueEntry, RequestSigner, SyncProgress, SyncReport, SyncStage, SyncStatus, Transport,
    TransportError, MAX_HUB_CA_BYTES,
};
pub use trust::StationTrust;
pub use whole_file::{restore, FileIdentity, PassphraseChanged, RestoreRequest, Restored};
