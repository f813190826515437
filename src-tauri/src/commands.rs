//! The `#[tauri::command]` adapters: each takes the open station's [`Host`] from the managed
//! [`Gate`] (a locked station answers `locked`), calls one body in
//! [`crate::api`] and turns a failure into an [`ApiError`] in the UI language. Nothing else
//! happens here. Commands run off the main thread (`async`) so a slow query never freezes the
//! window.

use crate::api::{accounts, codes, files, print, roster, station, sync};
use crate::error::{AppError, AppResult};
use crate::gate::Gate;
use crate::host::Host;
use crate::view::*;
use tauri::State;

fn answer<T>(host: &Host, result: AppResult<T>) -> Result<T, ApiError> {
    result.map_err(|e| e.to_api(host.lang()))
}

#[tauri::command(async)]
pub fn app_info(gate: State<'_, Gate>) -> Result<AppInfo, ApiError> {
    let host = gate.host()?;
    answer(&host, station::app_info(&host))
}

/// Milliseconds since the Unix epoch when the process started (for the start-up benchmark).
#[tauri::command]
pub fn started_at_ms() -> f64 {
    crate::started_at_ms()
}

#[tauri::command(async)]
pub fn counts(gate: State<'_, Gate>) -> Result<Counts, ApiError> {
    let host = gate.host()?;
    answer(&host, station::counts(&host))
}

#[tauri::command(async)]
pub fn set_language(gate: State<'_, Gate>, language: Lang) -> Result<(), ApiError> {
    let host = gate.host()?;
    answer(&host, station::set_language(&host, language))
}

#[tauri::command(async)]
pub fn save_settings(gate: State<'_, Gate>, settings: Settings) -> Result<AppInfo, ApiError> {
    let host = gate.host()?;
    answer(&host, station::save_settings(&host, &settings))
}

#[tauri::command(async)]
pub fn sync_queue(gate: State<'_, Gate>) -> Result<SyncQueue, ApiError> {
    let host = gate.host()?;
    answer(&host, sync::sync_queue(&host))
}

#[tauri::command(async)]
pub fn start_sync(gate: State<'_, Gate>) -> Result<u64, ApiError> {
    let host = gate.host()?;
    answer(&host, sync::start_sync(&host))
}

#[tauri::command(async)]
pub fn enrol_station(gate: State<'_, Gate>, form: EnrolForm) -> Result<SyncQueue, ApiError> {
    let host = gate.host()?;
    answer(&host, sync::enrol(&host, &form))
}

#[tauri::command(async)]
pub fn household_page(gate: State<'_, Gate>, query: ListQuery) -> Result<HouseholdPage, ApiError> {
    let host = gate.host()?;
    answer(&host, roster::household_page(&host, &query))
}

#[tauri::command(async)]
pub fn buildings(gate: State<'_, Gate>) -> Result<Vec<Building>, ApiError> {
    let host = gate.host()?;
    answer(&host, roster::buildings(&host))
}

#[tauri::command(async)]
pub fn household(gate: State<'_, Gate>, id: i64) -> Result<Household, ApiError> {
    let host = gate.host()?;
    answer(&host, roster::household(&host, id))
}

#[tauri::command(async)]
pub fn add_household(gate: State<'_, Gate>, form: HouseholdForm) -> Result<i64, ApiError> {
    let host = gate.host()?;
    answer(&host, roster::add_household(&host, &form))
}

#[tauri::command(async)]
pub fn update_household(
    gate: State<'_, Gate>,
    id: i64,
    form: HouseholdForm,
) -> Result<(), ApiError> {
    let host = gate.host()?;
    answer(&host, roster::update_household(&host, id, &form))
}

#[tauri::command(async)]
pub fn remove_household(gate: State<'_, Gate>, id: i64) -> Result<(), ApiError> {
    let host = gate.host()?;
    answer(&host, roster::remove_household(&host, id))
}

#[tauri::command(async)]
pub fn household_phone(gate: State<'_, Gate>, id: i64) -> Result<Option<String>, ApiError> {
    let host = gate.host()?;
    answer(&host, roster::household_phone(&host, id))
}

#[tauri::command(async)]
pub fn add_resident(
    gate: State<'_, Gate>,
    household_id: i64,
    form: ResidentForm,
) -> Result<i64, ApiError> {
    let host = gate.host()?;
    answer(&host, roster::add_resident(&host, household_id, &form))
}

#[tauri::command(async)]
pub fn update_resident(gate: State<'_, Gate>, id: i64, form: ResidentForm) -> Result<(), ApiError> {
    let host = gate.host()?;
    answer(&host, roster::update_resident(&host, id, &form))
}

#[tauri::command(async)]
pub fn move_resident(gate: State<'_, Gate>, id: i64, to_household: i64) -> Result<(), ApiError> {
    let host = gate.host()?;
    answer(&host, roster::move_resident(&host, id, to_household))
}

#[tauri::command(async)]
pub fn remove_resident(gate: State<'_, Gate>, id: i64) -> Result<(), ApiError> {
    let host = gate.host()?;
    answer(&host, roster::remove_resident(&host, id))
}

#[tauri::command(async)]
pub fn reveal_resident(gate: State<'_, Gate>, id: i64) -> Result<Revealed, ApiError> {
    let host = gate.host()?;
    answer(&host, roster::reveal_resident(&host, id))
}

#[tauri::command(async)]
pub fn resident(gate: State<'_, Gate>, id: i64) -> Result<ResidentView, ApiError> {
    let host = gate.host()?;
    answer(&host, codes::resident(&host, id))
}

#[tauri::command(async)]
pub fn renew(
    gate: State<'_, Gate>,
    resident_id: i64,
    capacity: Capacity,
) -> Result<RenewResult, ApiError> {
    let host = gate.host()?;
    answer(&host, codes::renew(&host, resident_id, capacity))
}

#[tauri::command(async)]
pub fn preview_batch(
    gate: State<'_, Gate>,
    request: BatchRequest,
) -> Result<BatchPreview, ApiError> {
    let host = gate.host()?;
    answer(&host, codes::preview_batch(&host, &request))
}

#[tauri::command(async)]
pub fn start_batch(gate: State<'_, Gate>, request: BatchRequest) -> Result<u64, ApiError> {
    let host = gate.host()?;
    answer(&host, codes::start_batch(&host, &request))
}

#[tauri::command(async)]
pub fn cancel_job(gate: State<'_, Gate>, job: u64) -> Result<(), ApiError> {
    let host = gate.host()?;
    answer(&host, codes::cancel_job(&host, job))
}

#[tauri::command(async)]
pub fn cards_to_replace(gate: State<'_, Gate>) -> Result<Vec<CardToReplace>, ApiError> {
    let host = gate.host()?;
    answer(&host, codes::cards_to_replace(&host))
}

#[tauri::command(async)]
pub fn withdraw_card(gate: State<'_, Gate>, card_id: i64) -> Result<(), ApiError> {
    let host = gate.host()?;
    answer(&host, codes::withdraw_card(&host, card_id))
}

#[tauri::command(async)]
pub fn verify_text(gate: State<'_, Gate>, text: String) -> Result<VerifyResult, ApiError> {
    let host = gate.host()?;
    Ok(codes::verify_text(&host, &text))
}

/// The picture's bytes arrive as the raw request body. Decoding a photo is CPU work: it runs on
/// a blocking thread, so the window never freezes while it does.
#[tauri::command]
pub async fn verify_image(
    gate: State<'_, Gate>,
    request: tauri::ipc::Request<'_>,
) -> Result<VerifyResult, ApiError> {
    let host = gate.host()?;
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
    gate: State<'_, Gate>,
    request: tauri::ipc::Request<'_>,
) -> Result<u64, ApiError> {
    let host = gate.host()?;
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
    gate: State<'_, Gate>,
    request: ExportRequest,
) -> Result<ExportResult, ApiError> {
    let host = gate.host()?;
    answer(&host, files::export(&host, &request))
}

#[tauri::command(async)]
pub fn print_options(gate: State<'_, Gate>) -> Result<PrintOptions, ApiError> {
    let host = gate.host()?;
    Ok(print::options(&host))
}

#[tauri::command(async)]
pub fn print_candidates(
    gate: State<'_, Gate>,
    residents: Vec<i64>,
) -> Result<Vec<PrintCandidate>, ApiError> {
    let host = gate.host()?;
    answer(&host, print::candidates(&host, &residents))
}

#[tauri::command(async)]
pub fn start_print(gate: State<'_, Gate>, request: PrintJobRequest) -> Result<u64, ApiError> {
    let host = gate.host()?;
    answer(&host, print::start(&host, &request))
}

#[tauri::command]
pub fn default_export_path(gate: State<'_, Gate>) -> Result<String, ApiError> {
    let host = gate.host()?;
    Ok(files::default_export_path(&host))
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

#[tauri::command(async)]
pub fn unlock_status(gate: State<'_, Gate>) -> UnlockStatus {
    gate.status()
}

#[tauri::command(async)]
pub fn unlock(gate: State<'_, Gate>, form: UnlockForm) -> Result<AppInfo, ApiError> {
    gate.unlock(&form)
}

#[tauri::command(async)]
pub fn backup_station(gate: State<'_, Gate>, path: String) -> Result<BackupDone, ApiError> {
    let host = gate.host()?;
    answer(&host, station::backup(&host, &path))
}

#[tauri::command(async)]
pub fn export_audit(gate: State<'_, Gate>, path: String) -> Result<AuditExportDone, ApiError> {
    let host = gate.host()?;
    answer(&host, accounts::export_audit(&host, &path))
}

#[tauri::command(async)]
pub fn default_audit_export_path(gate: State<'_, Gate>) -> Result<String, ApiError> {
    let host = gate.host()?;
    answer(&host, accounts::default_audit_export_path(&host))
}

#[tauri::command(async)]
pub fn default_backup_path(gate: State<'_, Gate>) -> Result<String, ApiError> {
    let host = gate.host()?;
    answer(&host, station::default_backup_path(&host))
}

#[tauri::command(async)]
pub fn sign_in(gate: State<'_, Gate>, form: SignInForm) -> Result<AppInfo, ApiError> {
    gate.sign_in(&form)
}

#[tauri::command(async)]
pub fn create_administrator(gate: State<'_, Gate>, form: SignInForm) -> Result<AppInfo, ApiError> {
    gate.create_administrator(&form)
}

#[tauri::command(async)]
pub fn lock(gate: State<'_, Gate>, reason: String) -> Result<(), ApiError> {
    gate.lock(&reason)
}

/// The window saw input (sent at most every few seconds): the backend's idle time restarts.
#[tauri::command(async)]
pub fn touch(gate: State<'_, Gate>) -> Result<(), ApiError> {
    gate.touch()
}

#[tauri::command(async)]
pub fn keep_unlocked(gate: State<'_, Gate>, form: KeepUnlockedForm) -> Result<AppInfo, ApiError> {
    let host = gate.host()?;
    answer(&host, station::keep_unlocked(&host, &form))
}

#[tauri::command(async)]
pub fn lock_station(gate: State<'_, Gate>) -> Result<(), ApiError> {
    gate.lock_station()
}

#[tauri::command(async)]
pub fn accounts(gate: State<'_, Gate>) -> Result<Vec<AccountView>, ApiError> {
    let host = gate.host()?;
    answer(&host, accounts::accounts(&host))
}

#[tauri::command(async)]
pub fn add_account(gate: State<'_, Gate>, form: AccountForm) -> Result<Vec<AccountView>, ApiError> {
    let host = gate.host()?;
    answer(&host, accounts::add_account(&host, &form))
}

#[tauri::command(async)]
pub fn disable_account(gate: State<'_, Gate>, name: String) -> Result<Vec<AccountView>, ApiError> {
    let host = gate.host()?;
    answer(&host, accounts::disable_account(&host, &name))
}

#[tauri::command(async)]
pub fn audit_log(gate: State<'_, Gate>) -> Result<AuditView, ApiError> {
    let host = gate.host()?;
    answer(&host, accounts::audit(&host))
}
