//! The `#[tauri::command]` adapters: each takes the managed [`Host`], calls one body in
//! [`crate::api`] and turns a failure into an [`ApiError`] in the UI language. Nothing else
//! happens here. Commands run off the main thread (`async`) so a slow query never freezes the
//! window.

use crate::api::{codes, files, print, roster, station, sync};
use crate::error::{AppError, AppResult};
use crate::host::Host;
use crate::view::*;
use tauri::State;

fn answer<T>(host: &Host, result: AppResult<T>) -> Result<T, ApiError> {
    result.map_err(|e| e.to_api(host.lang()))
}

#[tauri::command(async)]
pub fn app_info(host: State<'_, Host>) -> Result<AppInfo, ApiError> {
    answer(&host, station::app_info(&host))
}

/// Milliseconds since the Unix epoch when the process started (for the start-up benchmark).
#[tauri::command]
pub fn started_at_ms() -> f64 {
    crate::started_at_ms()
}

#[tauri::command(async)]
pub fn counts(host: State<'_, Host>) -> Result<Counts, ApiError> {
    answer(&host, station::counts(&host))
}

#[tauri::command(async)]
pub fn set_language(host: State<'_, Host>, language: Lang) -> Result<(), ApiError> {
    answer(&host, station::set_language(&host, language))
}

#[tauri::command(async)]
pub fn save_settings(host: State<'_, Host>, settings: Settings) -> Result<AppInfo, ApiError> {
    answer(&host, station::save_settings(&host, &settings))
}

#[tauri::command(async)]
pub fn sync_queue(host: State<'_, Host>) -> Result<SyncQueue, ApiError> {
    answer(&host, sync::sync_queue(&host))
}

#[tauri::command(async)]
pub fn start_sync(host: State<'_, Host>) -> Result<u64, ApiError> {
    answer(&host, sync::start_sync(&host))
}

#[tauri::command(async)]
pub fn enrol_station(host: State<'_, Host>, form: EnrolForm) -> Result<SyncQueue, ApiError> {
    answer(&host, sync::enrol(&host, &form))
}

#[tauri::command(async)]
pub fn household_page(host: State<'_, Host>, query: ListQuery) -> Result<HouseholdPage, ApiError> {
    answer(&host, roster::household_page(&host, &query))
}

#[tauri::command(async)]
pub fn buildings(host: State<'_, Host>) -> Result<Vec<Building>, ApiError> {
    answer(&host, roster::buildings(&host))
}

#[tauri::command(async)]
pub fn household(host: State<'_, Host>, id: i64) -> Result<Household, ApiError> {
    answer(&host, roster::household(&host, id))
}

#[tauri::command(async)]
pub fn add_household(host: State<'_, Host>, form: HouseholdForm) -> Result<i64, ApiError> {
    answer(&host, roster::add_household(&host, &form))
}

#[tauri::command(async)]
pub fn update_household(
    host: State<'_, Host>,
    id: i64,
    form: HouseholdForm,
) -> Result<(), ApiError> {
    answer(&host, roster::update_household(&host, id, &form))
}

#[tauri::command(async)]
pub fn remove_household(host: State<'_, Host>, id: i64) -> Result<(), ApiError> {
    answer(&host, roster::remove_household(&host, id))
}

#[tauri::command(async)]
pub fn household_phone(host: State<'_, Host>, id: i64) -> Result<Option<String>, ApiError> {
    answer(&host, roster::household_phone(&host, id))
}

#[tauri::command(async)]
pub fn add_resident(
    host: State<'_, Host>,
    household_id: i64,
    form: ResidentForm,
) -> Result<i64, ApiError> {
    answer(&host, roster::add_resident(&host, household_id, &form))
}

#[tauri::command(async)]
pub fn update_resident(host: State<'_, Host>, id: i64, form: ResidentForm) -> Result<(), ApiError> {
    answer(&host, roster::update_resident(&host, id, &form))
}

#[tauri::command(async)]
pub fn move_resident(host: State<'_, Host>, id: i64, to_household: i64) -> Result<(), ApiError> {
    answer(&host, roster::move_resident(&host, id, to_household))
}

#[tauri::command(async)]
pub fn remove_resident(host: State<'_, Host>, id: i64) -> Result<(), ApiError> {
    answer(&host, roster::remove_resident(&host, id))
}

#[tauri::command(async)]
pub fn reveal_resident(host: State<'_, Host>, id: i64) -> Result<Revealed, ApiError> {
    answer(&host, roster::reveal_resident(&host, id))
}

#[tauri::command(async)]
pub fn resident(host: State<'_, Host>, id: i64) -> Result<ResidentView, ApiError> {
    answer(&host, codes::resident(&host, id))
}

#[tauri::command(async)]
pub fn renew(
    host: State<'_, Host>,
    resident_id: i64,
    capacity: Capacity,
) -> Result<RenewResult, ApiError> {
    answer(&host, codes::renew(&host, resident_id, capacity))
}

#[tauri::command(async)]
pub fn preview_batch(
    host: State<'_, Host>,
    request: BatchRequest,
) -> Result<BatchPreview, ApiError> {
    answer(&host, codes::preview_batch(&host, &request))
}

#[tauri::command(async)]
pub fn start_batch(host: State<'_, Host>, request: BatchRequest) -> Result<u64, ApiError> {
    answer(&host, codes::start_batch(&host, &request))
}

#[tauri::command(async)]
pub fn cancel_job(host: State<'_, Host>, job: u64) -> Result<(), ApiError> {
    answer(&host, codes::cancel_job(&host, job))
}

#[tauri::command(async)]
pub fn cards_to_replace(host: State<'_, Host>) -> Result<Vec<CardToReplace>, ApiError> {
    answer(&host, codes::cards_to_replace(&host))
}

#[tauri::command(async)]
pub fn withdraw_card(host: State<'_, Host>, card_id: i64) -> Result<(), ApiError> {
    answer(&host, codes::withdraw_card(&host, card_id))
}

#[tauri::command(async)]
pub fn verify_text(host: State<'_, Host>, text: String) -> VerifyResult {
    codes::verify_text(&host, &text)
}

/// The picture's bytes arrive as the raw request body. Decoding a photo is CPU work: it runs on
/// a blocking thread, so the window never freezes while it does.
#[tauri::command]
pub async fn verify_image(
    host: State<'_, Host>,
    request: tauri::ipc::Request<'_>,
) -> Result<VerifyResult, ApiError> {
    let result = match raw_body(&request) {
        Ok(bytes) => {
            let bytes = bytes.to_vec();
            on_blocking_thread(&host, move |h| codes::verify_image(h, &bytes)).await
        }
        Err(e) => Err(e),
    };
    answer(&host, result)
}

/// Runs `body` with a clone of the host on the async runtime's blocking pool.
async fn on_blocking_thread<T: Send + 'static>(
    host: &Host,
    body: impl FnOnce(&Host) -> AppResult<T> + Send + 'static,
) -> AppResult<T> {
    let host = host.clone();
    tauri::async_runtime::spawn_blocking(move || body(&host))
        .await
        .map_err(AppError::Task)?
}

/// The roster file's bytes arrive as the raw request body, its name in `x-file-name`
/// (URI-encoded); `x-accept-warnings: 1` writes rows whose warnings the volunteer confirmed.
#[tauri::command]
pub fn import_roster(
    host: State<'_, Host>,
    request: tauri::ipc::Request<'_>,
) -> Result<u64, ApiError> {
    let name = request
        .headers()
        .get("x-file-name")
        .and_then(|v| v.to_str().ok())
        .map(percent_decode)
        .unwrap_or_default();
    let accept_warnings = request
        .headers()
        .get("x-accept-warnings")
        .is_some_and(|v| v.as_bytes() == b"1");
    let result = raw_body(&request)
        .and_then(|b| files::start_import(&host, &name, b.to_vec(), accept_warnings));
    answer(&host, result)
}

#[tauri::command(async)]
pub fn export_roster(
    host: State<'_, Host>,
    request: ExportRequest,
) -> Result<ExportResult, ApiError> {
    answer(&host, files::export(&host, &request))
}

#[tauri::command(async)]
pub fn print_options(host: State<'_, Host>) -> PrintOptions {
    print::options(&host)
}

#[tauri::command(async)]
pub fn print_candidates(
    host: State<'_, Host>,
    residents: Vec<i64>,
) -> Result<Vec<PrintCandidate>, ApiError> {
    answer(&host, print::candidates(&host, &residents))
}

#[tauri::command(async)]
pub fn start_print(host: State<'_, Host>, request: PrintJobRequest) -> Result<u64, ApiError> {
    answer(&host, print::start(&host, &request))
}

#[tauri::command]
pub fn default_export_path() -> String {
    files::default_export_path()
}

fn raw_body<'a>(request: &'a tauri::ipc::Request<'_>) -> AppResult<&'a [u8]> {
    match request.body() {
        tauri::ipc::InvokeBody::Raw(bytes) => Ok(bytes),
        tauri::ipc::InvokeBody::Json(_) => Err(AppError::Image),
    }
}

/// Decodes `%XX` escapes (as `encodeURIComponent` writes them) into UTF-8.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn file_names_are_decoded() {
        assert_eq!(
            super::percent_decode("%E5%90%8D%E5%8D%95.xlsx"),
            "名单.xlsx"
        );
        assert_eq!(super::percent_decode("a%2"), "a%2");
    }
}
