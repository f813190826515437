// @ts-check
/**
 * Import and export roster files. An import runs in the background; its row-level report
 * (which row, which column, the masked value, what is wrong) is shown as a table.
 */
import { api, on, asApiError } from '../api.js';
import { h, replace, filePicker } from '../dom.js';
import { t } from '../i18n.js';
import { toast } from '../app.js';

/** @param {HTMLElement} main */
export async function mount(main) {
  const picker = filePicker('import-file', '.csv,.xlsx,.tsv,.txt,.xlsm', t('import_choose'), t('no_file'));
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
      h('label', { class: 'check' }, unmasked, h('span', null, t('export_unmasked'))),
      h('button', { type: 'submit', class: 'primary', id: 'export-button' }, t('export_button'))),
    exportResult));

  file.addEventListener('change', async () => {
    const f = file.files?.[0];
    if (!f) return;
    const bar = /** @type {HTMLProgressElement} */ (h('progress', { id: 'import-progress' }));
    const cancel = h('button', { type: 'button', class: 'danger', id: 'import-cancel' }, t('import_cancel'));
    replace(report, h('p', null, bar, ' ', t('importing', { file: f.name }), ' ', cancel));
    /** @type {number | null} */
    let job = null;
    cancel.addEventListener('click', () => { if (job !== null) api.cancelJob(job).catch(() => {}); cancel.setAttribute('disabled', ''); });
    stop?.();
    const stopProgress = await on('job-progress', (/** @type {import('../../types').JobProgress} */ p) => {
      if (p.job !== job || p.total === 0) return;
      bar.max = p.total; bar.value = p.done;
    });
    const stopDone = await on('job-done', (/** @type {import('../../types').JobDone} */ done) => {
      if (done.job !== job) return;
      stop?.(); stop = null;
      if (done.cancelled) { replace(report, h('p', { id: 'import-summary' }, t('import_cancelled'))); return; }
      if (done.error) { replace(report, h('p', { class: 'form-error' }, done.error.message)); return; }
      if (done.import) showReport(done.import);
    });
    stop = () => { stopProgress(); stopDone(); };
    try {
      job = await api.importRoster(f.name, new Uint8Array(await f.arrayBuffer()));
    } catch (e) { replace(report, h('p', { class: 'form-error' }, asApiError(e).message)); }
    file.value = '';
  });

  /** @param {import('../../types').ImportSummary} r */
  function showReport(r) {
    replace(report,
      h('p', { class: 'lead', id: 'import-summary' }, t('import_summary', {
        file: r.file, read: r.rows_read, imported: r.rows_imported, rejected: r.rows_rejected,
        households: r.households_added, added: r.residents_added, updated: r.residents_updated, unchanged: r.residents_unchanged })),
      r.ignored_columns.length ? h('p', null, t('import_ignored', { cols: r.ignored_columns.join('、') })) : null,
      r.errors.length === 0 ? null : h('table', { class: 'table', id: 'import-errors' },
        h('thead', null, h('tr', null, [t('h_row'), t('h_column'), t('h_value'), t('h_problem')].map((x) => h('th', { scope: 'col' }, x)))),
        h('tbody', null, r.errors.map((e) => h('tr', null, h('td', null, String(e.row)), h('td', null, e.column), h('td', { class: 'mono' }, e.value), h('td', null, e.message))))));
  }

  async function doExport() {
    try {
      const r = await api.exportRoster({ path: path.value, unmasked: unmasked.checked });
      exportResult.textContent = t('exported', { n: r.rows, path: r.path });
    } catch (e) { toast(asApiError(e).message, 'error'); }
  }

  return { unmount() { stop?.(); } };
}
