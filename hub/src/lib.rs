//! NAC Hub: the district sync server that stations push their renewals to and pull other
//! channels' codes from.
//!
//! # Shape
//!
//! ```text
//! main.rs (CLI, anyhow) ─▶ http/ (axum: auth, limits, handlers) ─▶ service.rs (credential
//! checks, enrolment, phone issuing) ─▶ store/ (the Store trait; rules.rs decides, sqlite/ and
//! postgres/ persist)
//! ```
//!
//! * **Depends on `nac-protocol` and `nac-credential` only** among the workspace crates: a server
//!   must not link the station's PDF engine, window or roster code.
//! * **One decision procedure, two databases.** [`store::rules`] decides every pushed event from
//!   a snapshot of the affected rows; each backend only loads that snapshot and writes the
//!   decision, inside one transaction per page. The rules R2 (one active code per person) and R3
//!   (one accepted application per person per CST day) are *also* held by each database's own
//!   constraints (a primary key on the active code's person key, a partial unique index on
//!   accepted applications), so no race between stations can get past them.
//! * **The hub holds no identity, even when its database is stolen**: persons are HMAC keys;
//!   names and numbers never arrive; station credentials are stored sealed for stations
//!   (`nac_protocol::seal_credential`), and every private key — the district secret, the phone
//!   issuing and gateway keys — lives in a key directory apart from the database ([`keys`]).
//!
//! The protocol and the operations guide are in `docs/sync.md`.

pub mod clock;
pub mod console;
pub mod epoch;
pub mod http;
pub mod keys;
pub mod service;
pub mod store;

pub use clock::Clock;
pub use keys::KeyDir;
pub use service::{Hub, Policy, ServiceError};
pub use store::{AnyStore, PgStore, SqliteStore, Store, StoreError};
