//! The desktop app's integration tests (its command bodies, the gate, the Sync screen against
//! the real `nac-hub`, the UI's strings and the Tauri configuration), one test binary:
//! `cargo test -p nac-station --test it`.

mod commands;
mod hardening;
mod station_secrets;
mod sync_screen;
mod ui_strings;
