//! The CLI's integration tests, one test binary (`cargo test -p nac-cli --test it`; a module
//! of it: `--test it -- sync::`). The seeded sync simulation has a main of its own
//! (`--test sync_simulation`, see its file).

mod common;

mod accounts;
mod audit_text;
mod cli;
mod crash;
mod custody;
mod district_trust;
mod hub_tls;
mod import_limits;
mod keep_unlocked;
mod key_rotation;
mod leaks;
mod print;
mod rekey;
mod station_file;
mod sync;
