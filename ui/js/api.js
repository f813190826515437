// @ts-check
/**
 * The commands of the shell (src-tauri/src/commands.rs), typed with the generated ui/types.d.ts.
 * Every failure is rejected with an ApiError `{code, message, fields}` in the UI language.
 * @typedef {import('../types').ApiError} ApiError
 * @typedef {import('../types').AppInfo} AppInfo
 * @typedef {import('../types').Counts} Counts
 * @typedef {import('../types').ListQuery} ListQuery
 * @typedef {import('../types').HouseholdPage} HouseholdPage
 * @typedef {import('../types').HouseholdRow} HouseholdRow
 * @typedef {import('../types').Building} Building
 * @typedef {import('../types').Household} Household
 * @typedef {import('../types').HouseholdForm} HouseholdForm
 * @typedef {import('../types').ResidentForm} ResidentForm
 * @typedef {import('../types').Member} Member
 * @typedef {import('../types').Revealed} Revealed
 * @typedef {import('../types').ResidentView} ResidentView
 * @typedef {import('../types').Capacity} Capacity
 * @typedef {import('../types').RenewResult} RenewResult
 * @typedef {import('../types').BatchRequest} BatchRequest
 * @typedef {import('../types').BatchPreview} BatchPreview
 * @typedef {import('../types').JobProgress} JobProgress
 * @typedef {import('../types').JobDone} JobDone
 * @typedef {import('../types').CardToReplace} CardToReplace
 * @typedef {import('../types').VerifyResult} VerifyResult
 * @typedef {import('../types').SyncQueue} SyncQueue
 * @typedef {import('../types').EnrolForm} EnrolForm
 * @typedef {import('../types').Settings} Settings
 * @typedef {import('../types').Lang} Lang
 * @typedef {import('../types').ExportRequest} ExportRequest
 * @typedef {import('../types').ExportResult} ExportResult
 * @typedef {import('../types').StationChanged} StationChanged
 * @typedef {import('../types').PrintOptions} PrintOptions
 * @typedef {import('../types').PrintCandidate} PrintCandidate
 * @typedef {import('../types').PrintJobRequest} PrintJobRequest
 * @typedef {import('../types').UnlockStatus} UnlockStatus
 * @typedef {import('../types').BackupDone} BackupDone
 * @typedef {import('../types').AccountView} AccountView
 * @typedef {import('../types').AccountForm} AccountForm
 * @typedef {import('../types').AuditView} AuditView
 * @typedef {import('../types').AuditExportDone} AuditExportDone
 */

/** @type {((code: string) => void) | null} */
let lockedOut = null;

/**
 * Called when any command is refused because the volunteer is signed out (`signed_out`: the
 * backend's idle lock, which holds even when the page's own timer did not fire) or the
 * station is closed (`locked`): the app shows the start screen.
 * @param {(code: string) => void} handler
 */
export function whenLockedOut(handler) { lockedOut = handler; }

/** @returns {any} */
function tauri() {
  const t = /** @type {any} */ (window).__TAURI__;
  if (!t) throw new Error('This page runs inside NAC Station (window.__TAURI__ is missing).');
  return t;
}

/**
 * @template T
 * @param {string} cmd
 * @param {any} [args]
 * @param {any} [options]
 * @returns {Promise<T>}
 */
function call(cmd, args, options) {
  return tauri().core.invoke(cmd, args, options).catch((/** @type {any} */ e) => {
    const code = /** @type {Partial<ApiError> | undefined} */ (e)?.code;
    if (lockedOut && (code === 'signed_out' || code === 'locked')) lockedOut(code);
    throw e;
  });
}

export const api = {
  /** @returns {Promise<AppInfo>} */ appInfo: () => call('app_info'),
  /** @returns {Promise<UnlockStatus>} */ unlockStatus: () => call('unlock_status'),
  /** @param {string} passphrase @returns {Promise<AppInfo>} */ unlock: (passphrase) => call('unlock', { form: { passphrase } }),
  /** @param {string} path @returns {Promise<BackupDone>} */ backupStation: (path) => call('backup_station', { path }),
  /** @returns {Promise<string>} */ defaultBackupPath: () => call('default_backup_path'),
  /** @param {string} name @param {string} pin @returns {Promise<AppInfo>} */ signIn: (name, pin) => call('sign_in', { form: { name, pin } }),
  /** @param {string} name @param {string} pin @returns {Promise<AppInfo>} */ createAdministrator: (name, pin) => call('create_administrator', { form: { name, pin } }),
  /** @param {'lock' | 'idle'} reason @returns {Promise<void>} */ lock: (reason) => call('lock', { reason }),
  /** @returns {Promise<void>} */ touch: () => call('touch'),
  /** @param {string} until @returns {Promise<AppInfo>} */ keepUnlocked: (until) => call('keep_unlocked', { form: { until } }),
  /** @returns {Promise<void>} */ lockStation: () => call('lock_station'),
  /** @returns {Promise<AccountView[]>} */ accounts: () => call('accounts'),
  /** @param {AccountForm} form @returns {Promise<AccountView[]>} */ addAccount: (form) => call('add_account', { form }),
  /** @param {string} name @returns {Promise<AccountView[]>} */ disableAccount: (name) => call('disable_account', { name }),
  /** @returns {Promise<AuditView>} */ auditLog: () => call('audit_log'),
  /** @param {string} path @returns {Promise<AuditExportDone>} */ exportAudit: (path) => call('export_audit', { path }),
  /** @returns {Promise<string>} */ defaultAuditExportPath: () => call('default_audit_export_path'),
  /** @returns {Promise<number>} */ startedAtMs: () => call('started_at_ms'),
  /** @returns {Promise<Counts>} */ counts: () => call('counts'),
  /** @param {Lang} language @returns {Promise<void>} */ setLanguage: (language) => call('set_language', { language }),
  /** @param {Settings} settings @returns {Promise<AppInfo>} */ saveSettings: (settings) => call('save_settings', { settings }),
  /** @returns {Promise<SyncQueue>} */ syncQueue: () => call('sync_queue'),
  /** @returns {Promise<number>} */ startSync: () => call('start_sync'),
  /** @param {EnrolForm} form @returns {Promise<SyncQueue>} */ enrolStation: (form) => call('enrol_station', { form }),
  /** @param {ListQuery} query @returns {Promise<HouseholdPage>} */ householdPage: (query) => call('household_page', { query }),
  /** @returns {Promise<Building[]>} */ buildings: () => call('buildings'),
  /** @param {number} id @returns {Promise<Household>} */ household: (id) => call('household', { id }),
  /** @param {HouseholdForm} form @returns {Promise<number>} */ addHousehold: (form) => call('add_household', { form }),
  /** @param {number} id @param {HouseholdForm} form @returns {Promise<void>} */ updateHousehold: (id, form) => call('update_household', { id, form }),
  /** @param {number} id @returns {Promise<void>} */ removeHousehold: (id) => call('remove_household', { id }),
  /** @param {number} id @returns {Promise<string | null>} */ householdPhone: (id) => call('household_phone', { id }),
  /** @param {number} householdId @param {ResidentForm} form @returns {Promise<number>} */ addResident: (householdId, form) => call('add_resident', { householdId, form }),
  /** @param {number} id @param {ResidentForm} form @returns {Promise<void>} */ updateResident: (id, form) => call('update_resident', { id, form }),
  /** @param {number} id @param {number} toHousehold @returns {Promise<void>} */ moveResident: (id, toHousehold) => call('move_resident', { id, toHousehold }),
  /** @param {number} id @returns {Promise<void>} */ removeResident: (id) => call('remove_resident', { id }),
  /** @param {number} id @returns {Promise<Revealed>} */ revealResident: (id) => call('reveal_resident', { id }),
  /** @param {number} id @returns {Promise<ResidentView>} */ resident: (id) => call('resident', { id }),
  /** @param {number} residentId @param {Capacity} capacity @returns {Promise<RenewResult>} */ renew: (residentId, capacity) => call('renew', { residentId, capacity }),
  /** @param {BatchRequest} request @returns {Promise<BatchPreview>} */ previewBatch: (request) => call('preview_batch', { request }),
  /** @param {BatchRequest} request @returns {Promise<number>} */ startBatch: (request) => call('start_batch', { request }),
  /** @param {number} job @returns {Promise<void>} */ cancelJob: (job) => call('cancel_job', { job }),
  /** @returns {Promise<CardToReplace[]>} */ cardsToReplace: () => call('cards_to_replace'),
  /** @param {number} cardId @returns {Promise<void>} */ withdrawCard: (cardId) => call('withdraw_card', { cardId }),
  /** @param {string} text @returns {Promise<VerifyResult>} */ verifyText: (text) => call('verify_text', { text }),
  /** @param {Uint8Array} bytes @returns {Promise<VerifyResult>} */ verifyImage: (bytes) => call('verify_image', bytes),
  /** @param {string} fileName @param {Uint8Array} bytes @param {boolean} [acceptWarnings] @returns {Promise<number>} */
  importRoster: (fileName, bytes, acceptWarnings = false) => call('import_roster', bytes, { headers: { 'x-file-name': encodeURIComponent(fileName), 'x-accept-warnings': acceptWarnings ? '1' : '0' } }),
  /** @param {ExportRequest} request @returns {Promise<ExportResult>} */ exportRoster: (request) => call('export_roster', { request }),
  /** @returns {Promise<string>} */ defaultExportPath: () => call('default_export_path'),
  /** @returns {Promise<PrintOptions>} */ printOptions: () => call('print_options'),
  /** @param {number[]} residents @returns {Promise<PrintCandidate[]>} */ printCandidates: (residents) => call('print_candidates', { residents }),
  /** @param {PrintJobRequest} request @returns {Promise<number>} */ startPrint: (request) => call('start_print', { request }),
};

/**
 * Subscribes to a shell event (`station-changed`, `job-progress`, `job-done`).
 * @param {string} event
 * @param {(payload: any) => void} handler
 * @returns {Promise<() => void>} unsubscribe
 */
export function on(event, handler) {
  return tauri().event.listen(event, (/** @type {{payload: any}} */ e) => handler(e.payload));
}

/**
 * Starts a background job (batch renewal, import, print) and follows it to its end without
 * missing an event. The listeners are registered before the job is started, and the events
 * that arrive before `start` has answered with the job's id — a short job can end before its
 * `invoke` returns — are kept by job id and replayed once the id is known. Rejects when the
 * job could not be started (nothing is listened to then).
 * @param {() => Promise<number>} start
 * @param {{ progress?: (p: JobProgress) => void, done: (d: JobDone) => void }} handlers
 * @returns {Promise<{ job: number, stop: () => void }>} `stop` stops listening (the job goes on)
 */
export async function runJob(start, handlers) {
  /** @type {number | null} */
  let job = null;
  let ended = false;
  /** @type {Map<number, { progress: JobProgress[], done: JobDone | null }>} */
  const early = new Map();
  /** @param {number} id */
  const kept = (id) => {
    let k = early.get(id);
    if (!k) { k = { progress: [], done: null }; early.set(id, k); }
    return k;
  };
  /** @type {(() => void)[]} */
  const unlisten = [];
  const stop = () => { ended = true; early.clear(); unlisten.splice(0).forEach((f) => f()); };
  /** @param {JobDone} d */
  const finish = (d) => { stop(); handlers.done(d); };
  unlisten.push(await on('job-progress', (/** @type {JobProgress} */ p) => {
    if (ended) return;
    if (job === null) kept(p.job).progress.push(p);
    else if (p.job === job) handlers.progress?.(p);
  }));
  unlisten.push(await on('job-done', (/** @type {JobDone} */ d) => {
    if (ended) return;
    if (job === null) kept(d.job).done = d;
    else if (d.job === job) finish(d);
  }));
  try {
    job = await start();
  } catch (e) {
    stop();
    throw e;
  }
  const before = early.get(job);
  early.clear();
  if (before) {
    before.progress.forEach((p) => handlers.progress?.(p));
    if (before.done) finish(before.done);
  }
  return { job, stop };
}

/** @param {unknown} e @returns {ApiError} */
export function asApiError(e) {
  if (e && typeof e === 'object' && 'message' in e && 'code' in e) return /** @type {ApiError} */ (e);
  return { code: 'internal', message: String(e), fields: [] };
}
