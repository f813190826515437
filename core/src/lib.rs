//! NAC Station core: everything the rules decide, with no window, no PDF engine and no server.
//! The only network it opens is the station's own sync with its hub (`station::sync`, through
//! the protocol crate's signed client).
//!
//! - [`domain`]: validated values (resident ID with its checksum, names incl. 生僻字, phones,
//!   Shanghai-style addresses, capacities);
//! - [`store`]: the SQLite file (WAL, FULL sync, foreign keys, append-only migrations);
//! - [`station::Station`]: the rules R1–R8 over the store, with an injected [`time::Clock`];
//! - [`roster`]: roster files in and out (CSV in UTF-8 or GB18030, .xlsx, .xls, .ods, .xlsb)
//!   with row-level reports;
//! - [`search`]: name, pinyin initials, last four digits, address fragments;
//! - [`demo`]: a realistic demo roster in its own demo-marked file, for trying the app and
//!   benchmarks;
//! - [`files`]: safe writes of exports (atomic, never a symlink or the station's own files)
//!   and the station's private file modes;
//! - [`keyring`]: a station kept unlocked in the kernel keyring until a time an administrator
//!   chose.
//!
//! The desktop shell and the `nac` CLI are thin layers over [`station::Station`].

pub mod audit;
pub mod demo;
/// Validated values (the `nac-domain` crate).
pub use nac_domain as domain;
pub mod error;
mod error_code;
pub mod files;
/// Identifier formats and random ids (serials, station ids, event ids): the protocol's.
pub use nac_protocol::ids;
pub mod keyring;
/// Roster files in and out (the `nac-roster` crate).
pub use nac_roster as roster;
pub mod search;
pub mod station;
pub mod store;
pub mod time;

pub use error::{Error, ErrorCode, Field, FieldError, Result};
pub use station::{
    HttpTransport, QueueEntry, Station, SyncReport, SyncStatus, Transport, TransportError,
    WriteSource,
};
pub use time::{Clock, ManualClock, SystemClock};
