//! NAC Station's desktop shell (Tauri v2).
//!
//! - [`view`]: the request/response types the UI sees (exported to `ui/types.d.ts`);
//! - [`api`]: the command bodies, over a [`host::Host`] that tests can build without a window;
//! - [`commands`]: the thin `#[tauri::command]` adapters;
//! - [`qr`]: the QR preview (SVG) and decoding QR codes from pictures.
//!
//! The data file is `$NAC_DB` or `station.db` in the platform's app-data directory
//! (`~/.local/share/cn.nacstation.station/` on Linux), the same file the `nac` CLI uses. On
//! first start without data a demo roster is created, unless `NAC_NO_DEMO=1`.

pub mod api;
pub mod bindings;
pub mod commands;
pub mod error;
pub mod host;
pub mod qr;
pub mod view;

use host::{EventSink, Host};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use tauri::{Emitter as _, Manager as _};

static STARTED_AT_MS: OnceLock<f64> = OnceLock::new();

/// When this process started, in milliseconds since the Unix epoch.
pub fn started_at_ms() -> f64 {
    *STARTED_AT_MS.get_or_init(now_ms)
}

fn now_ms() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64() * 1000.0)
        .unwrap_or_default()
}

/// Households in the demo roster created on first start.
const DEMO_HOUSEHOLDS: usize = 120;

struct WindowEvents(tauri::AppHandle);

impl EventSink for WindowEvents {
    fn emit(&self, event: &str, payload: serde_json::Value) {
        // A closed window cannot be told; the next screen load reads the state anyway.
        let _ = self.0.emit(event, payload);
    }
}

/// `$NAC_DB`, or `station.db` in the app-data directory.
fn data_file(app: &tauri::App) -> Result<PathBuf, Box<dyn std::error::Error>> {
    if let Some(path) = std::env::var_os("NAC_DB").filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(path));
    }
    Ok(app.path().app_data_dir()?.join("station.db"))
}

/// Creates the demo roster when the data file does not exist yet (skipped with `NAC_NO_DEMO=1`).
fn create_demo_if_new(path: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let skip = std::env::var("NAC_NO_DEMO").is_ok_and(|v| v == "1");
    if skip || path.exists() {
        return Ok(());
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    nac_core::demo::create(path, DEMO_HOUSEHOLDS, chrono::Utc::now())?;
    Ok(())
}

pub fn run() {
    started_at_ms();
    let result = tauri::Builder::default()
        .setup(|app| {
            let path = data_file(app)?;
            create_demo_if_new(&path)?;
            let events = Arc::new(WindowEvents(app.handle().clone()));
            let host = Host::open(&path, Arc::new(nac_core::SystemClock), events)
                .map_err(|e| e.to_api(view::Lang::Zh).message)?;
            app.manage(host);
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::app_info,
            commands::started_at_ms,
            commands::counts,
            commands::set_language,
            commands::save_settings,
            commands::sync_queue,
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
        ])
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("NAC Station 无法启动 / could not start: {e}");
        std::process::exit(1);
    }
}
