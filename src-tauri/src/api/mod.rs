//! The command bodies. Each takes a [`Host`](crate::host::Host), locks the station for as short
//! a time as it can, calls the core and shapes the answer for the UI ([`crate::view`]). No rule
//! is decided here: what "due", "expired" or "already applied today" means is the core's.

pub mod accounts;
pub mod codes;
pub mod files;
pub mod print;
pub mod roster;
pub mod station;
pub mod sync;
