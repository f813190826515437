//! NAC Station's desktop shell (Tauri v2).
//!
//! - [`view`]: the request/response types the UI sees (exported to `ui/types.d.ts`);
//! - [`api`]: the command bodies, over a [`host::Host`] that tests can build without a window;
//! - [`commands`]: the thin `#[tauri::command]` adapters;
//! - [`qr`]: the QR preview (SVG); pictures are decoded by `nac_scan`.
//!
//! The data file is `$NAC_DB` or `station.db` in the platform's app-data directory
//! (`~/.local/share/cn.nacstation.station/` on Linux), the same file the `nac` CLI uses; a
//! real station starts empty. With `--demo` (or `NAC_DEMO=1`) the app opens the demo instead:
//! `demo-station.db` beside that file, created with a fictional roster on first use and marked
//! as a demo in the database itself, in the window title, by a banner and on every card (see
//! `nac_core::demo`). Demo data never enters the real station file.
//!
//! The station file is encrypted: the app starts on the passphrase screen and opens the
//! station once it is given ([`gate`]); the demo opens straight away.

pub mod api;
pub mod bindings;
pub mod commands;
pub mod error;
pub mod gate;
pub mod host;
pub mod qr;
pub mod view;

use host::EventSink;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use tauri::{Emitter as _, Manager as _};

static STARTED_AT_MS: OnceLock<f64> = OnceLock::new();

/// When this process started, in milliseconds since the Unix epoch.
pub fn started_at_ms() -> f64 {
    *STARTED_AT_MS.get_or_init(now_ms)
}

#[allow(
    clippy::disallowed_methods,
    reason = "the process's start, compared with the window's own wall clock in bench_app"
)]
fn now_ms() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64() * 1000.0)
        .unwrap_or_default()
}

/// Households in the demo roster.
const DEMO_HOUSEHOLDS: usize = 120;

/// The window title; a demo says so first.
pub const TITLE: &str = "NAC Station 核酸码服务站";
pub const DEMO_TITLE: &str = "演示 DEMO — NAC Station 核酸码服务站";

struct WindowEvents(tauri::AppHandle);

impl EventSink for WindowEvents {
    fn emit(&self, event: &str, payload: serde_json::Value) {
        // A closed window cannot be told; the next screen load reads the state anyway.
        let _ = self.0.emit(event, payload);
    }
}

/// Whether the demo was asked for: `--demo` on the command line or `NAC_DEMO=1`.
pub fn demo_requested(args: impl IntoIterator<Item = String>, env: Option<String>) -> bool {
    args.into_iter().any(|a| a == "--demo") || env.is_some_and(|v| v == "1")
}

/// `$NAC_DB`, or `station.db` in the app-data directory (created owner-only; a directory
/// left `0755` by an older version is made owner-only: it is the station's own).
fn station_file(app: &tauri::App) -> Result<PathBuf, Box<dyn std::error::Error>> {
    if let Some(path) = std::env::var_os("NAC_DB").filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(path));
    }
    let dir = app.path().app_data_dir()?;
    nac_core::files::create_private_dir(&dir)?;
    nac_core::files::set_private_dir_mode(&dir)?;
    Ok(dir.join("station.db"))
}

/// The file the app opens: the station file, or with `demo` the demo beside it (created with
/// its roster when it does not exist yet; an existing real station there is refused).
pub fn data_file(station_file: &Path, demo: bool) -> Result<PathBuf, nac_core::Error> {
    if !demo {
        return Ok(station_file.to_path_buf());
    }
    let path = nac_core::demo::path_beside(station_file);
    if !path.exists() {
        let key = nac_core::demo::key(&path)?;
        nac_core::demo::create(
            &path,
            &key,
            DEMO_HOUSEHOLDS,
            nac_core::time::Clock::now(&nac_core::SystemClock),
        )?;
    }
    Ok(path)
}

pub fn run() {
    started_at_ms();
    let result = tauri::Builder::default()
        .setup(|app| {
            // Roster copies older versions left in $TMPDIR (a crash, a kill): plaintext.
            api::files::remove_import_leftovers(&std::env::temp_dir());
            let demo = demo_requested(std::env::args(), std::env::var("NAC_DEMO").ok());
            let path = data_file(&station_file(app)?, demo)?;
            let events = Arc::new(WindowEvents(app.handle().clone()));
            let window = app.get_webview_window("main");
            let gate = gate::Gate::new(
                &path,
                Arc::new(nac_core::SystemClock),
                events,
                move |host| {
                    if let Some(window) = &window {
                        // A title that cannot be set leaves the default one; nothing else.
                        let _ = window.set_title(if host.is_demo() { DEMO_TITLE } else { TITLE });
                    }
                    // Previews of earlier sessions, printed PDFs past the station's retention.
                    api::print::clean_up(host);
                    api::sync::start_auto_sync(host);
                },
            );
            if demo {
                let host = gate
                    .open_demo()
                    .map_err(|e| e.to_api(view::Lang::Zh).message)?;
                if !host.is_demo() {
                    return Err(nac_core::Error::NotADemo {
                        path: path.display().to_string(),
                    }
                    .into());
                }
            }
            app.manage(gate);
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::app_info,
            commands::started_at_ms,
            commands::counts,
            commands::set_language,
            commands::save_settings,
            commands::sync_queue,
            commands::start_sync,
            commands::enrol_station,
            commands::household_page,
            commands::buildings,
            commands::household,
            commands::add_household,
            commands::update_household,
            commands::remove_household,
            commands::household_phone,
            commands::add_resident,
            commands::update_resident,
            commands::move_resident,
            commands::remove_resident,
            commands::reveal_resident,
            commands::resident,
            commands::renew,
            commands::preview_batch,
            commands::start_batch,
            commands::cancel_job,
            commands::cards_to_replace,
            commands::withdraw_card,
            commands::verify_text,
            commands::verify_image,
            commands::import_roster,
            commands::export_roster,
            commands::default_export_path,
            commands::print_options,
            commands::print_candidates,
            commands::start_print,
            commands::unlock_status,
            commands::unlock,
            commands::backup_station,
            commands::default_backup_path,
            commands::export_audit,
            commands::default_audit_export_path,
            commands::sign_in,
            commands::create_administrator,
            commands::lock,
            commands::touch,
            commands::keep_unlocked,
            commands::lock_station,
            commands::accounts,
            commands::add_account,
            commands::disable_account,
            commands::audit_log,
        ])
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("NAC Station 无法启动 / could not start: {e}");
        std::process::exit(1);
    }
}
