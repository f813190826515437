// @ts-check
/**
 * Import and export roster files. An import runs in the background; its row-level report
 * (which row, which column, the masked value, what is wrong) is shown as a table.
 */
import { api, runJob, asApiError } from '../api.js';
import { h, replace, filePicker } from '../dom.js';
import { t } from '../i18n.js';
import { toast, isAdmin } from '../shell.js';

/** @param {HTMLElement} main */
export async function mount(main) {
  const picker = filePicker('import-file', '.xlsx,.xls,.ods,.xlsb,.xlsm,.et,.csv,.tsv,.txt', t('import_choose'), t('no_file'));
  const file = picker.input;
  const report = h('div', { id: 'import-report', 'aria-live': 'polite' });
  const path = /** @type {HTMLInputElement} */ (h('input', { type: 'text', id: 'export-path', value: await api.defaultExportPath().catch(() => '') }));
  const unmasked = /** @type {HTMLInputElement} */ (h('input', { type: 'checkbox', id: 'export-unmasked' }));
  const exportResult = h('p', { id: 'export-result', 'aria-live': 'polite' });
  /** @type {(() => void) | null} */
  let stop = null;

  replace(main, h('section', { class: 'files' },
    h('h1', null, t('files_title')),
    h('h2', null, t('import_title')),
    h('p', null, t('import_help')),
    h('div', { class: 'verify-file' }, picker.root),
    report,
    h('h2', null, t('export_title')),
    h('form', { class: 'export-form', onsubmit: (/** @type {Event} */ e) => { e.preventDefault(); doExport(); } },
      h('label', { for: 'export-path' }, t('export_path')), path,
      // Only an administrator may export full numbers: a volunteer is not offered the box.
      isAdmin() ? h('label', { class: 'check' }, unmasked, h('span', null, t('export_unmasked'))) : null,
      h('button', { type: 'submit', class: 'primary', id: 'export-button' }, t('export_button'))),
    exportResult));

  file.addEventListener('change', async () => {
    const f = file.files?.[0];
    if (!f) return;
    const bytes = new Uint8Array(await f.arrayBuffer());
    file.value = '';
    await startImport(f.name, bytes, false);
  });

  /**
   * Imports the file; with `acceptWarnings` the rows whose warnings the volunteer confirmed are
   * written too (the rest of the file is unchanged by a second import).
   * @param {string} name @param {Uint8Array} bytes @param {boolean} acceptWarnings
   */
  async function startImport(name, bytes, acceptWarnings) {
    const bar = /** @type {HTMLProgressElement} */ (h('progress', { id: 'import-progress' }));
    const cancel = h('button', { type: 'button', class: 'danger', id: 'import-cancel' }, t('import_cancel'));
    replace(report, h('p', null, bar, ' ', t('importing', { file: name }), ' ', cancel));
    /** @type {number | null} */
    let job = null;
    cancel.addEventListener('click', () => { if (job !== null) api.cancelJob(job).catch(() => {}); cancel.setAttribute('disabled', ''); });
    stop?.();
    stop = null;
    try {
      const started = await runJob(() => api.importRoster(name, bytes, acceptWarnings), {
        progress: (p) => {
          if (p.total === 0) return;
          bar.max = p.total; bar.value = p.done;
        },
        done: (done) => {
          stop = null;
          if (done.cancelled) { replace(report, h('p', { id: 'import-summary' }, t('import_cancelled'))); return; }
          if (done.error) { replace(report, h('p', { class: 'form-error' }, done.error.message)); return; }
          if (done.import) showReport(done.import, () => startImport(name, bytes, true));
        },
      });
      job = started.job;
      stop = started.stop;
    } catch (e) { replace(report, h('p', { class: 'form-error' }, asApiError(e).message)); }
  }

  /** @param {import('../../types').ImportRowError[]} rows @param {string} id */
  function rowTable(rows, id) {
    return h('table', { class: 'table', id },
      h('thead', null, h('tr', null, [t('h_row'), t('h_column'), t('h_value'), t('h_problem')].map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', null, rows.map((e) => h('tr', null, h('td', { class: 'num' }, String(e.row)), h('td', null, e.column), h('td', { class: 'mono' }, e.value), h('td', null, e.message)))));
  }

  /** @param {import('../../types').ImportSummary} r @param {() => void} confirm */
  function showReport(r, confirm) {
    const held = r.rows_held > 0;
    replace(report,
      ...r.notices.map((n) => h('p', { class: 'notice', role: 'alert' }, n)),
      h('p', { class: 'lead', id: 'import-summary' }, t('import_summary', {
        file: r.file, read: r.rows_read, imported: r.rows_imported, rejected: r.rows_rejected,
        households: r.households_added, added: r.residents_added, updated: r.residents_updated, unchanged: r.residents_unchanged })),
      r.sheet ? h('p', { id: 'import-sheet' }, t('import_sheet', { sheet: r.sheet, row: r.header_row })) : null,
      r.changes ? h('p', { id: 'import-changes' }, r.changes) : null,
      r.ignored_columns.length ? h('p', null, t('import_ignored', { cols: r.ignored_columns.join('、') })) : null,
      r.warnings.length === 0 ? null : h('div', { class: 'import-warnings' },
        h('h3', null, held ? t('import_held', { n: r.rows_held }) : t('import_warnings_confirmed')),
        rowTable(r.warnings, 'import-warnings'),
        held ? h('button', { type: 'button', class: 'primary', id: 'import-confirm', onclick: confirm }, t('import_confirm')) : null),
      r.errors.length === 0 ? null : rowTable(r.errors, 'import-errors'));
  }

  async function doExport() {
    try {
      const r = await api.exportRoster({ path: path.value, unmasked: unmasked.checked });
      exportResult.textContent = t('exported', { n: r.rows, path: r.path });
    } catch (e) { toast(asApiError(e).message, 'error'); }
  }

  return { unmount() { stop?.(); } };
}
