// @ts-check
/**
 * Print: choose members and a layout, preview (the real PDF in the system viewer, not
 * recorded), then save a PDF or send it to a printer. Cards come from the print engine; the core
 * records every job in the print ledger before anything is written (pending) and marks it sent
 * or failed after. A demo station's cards carry the "演示 DEMO" mark.
 * Without a selection from another screen, it offers everyone whose valid code has no card yet.
 */
import { api, runJob, asApiError } from '../api.js';
import { h, replace } from '../dom.js';
import { t } from '../i18n.js';
import { toast } from '../shell.js';

/** @param {HTMLElement} main @param {{residents?: number[], label?: string} | undefined} params */
export async function mount(main, params) {
  const [options, candidates] = await Promise.all([api.printOptions(), api.printCandidates(params?.residents ?? [])]);
  const layout = /** @type {HTMLSelectElement} */ (h('select', { id: 'print-layout' },
    options.layouts.map((l) => h('option', { value: l, selected: l === (params?.residents?.length === 1 ? 'large' : 'a4-8up') }, t(`layout_${l}`)))));
  const pdfPath = /** @type {HTMLInputElement} */ (h('input', { type: 'text', id: 'print-path', value: options.default_pdf_path }));
  const printer = /** @type {HTMLSelectElement} */ (h('select', { id: 'print-printer', disabled: options.printers.length === 0 },
    options.printers.map((p) => h('option', { value: p.name, selected: p.is_default }, p.name))));
  const status = h('div', { id: 'print-status', 'aria-live': 'polite' });
  const checks = candidates.map((c) => /** @type {HTMLInputElement} */ (h('input', { type: 'checkbox', value: String(c.id), checked: !!c.serial, disabled: !c.serial, 'aria-label': c.name })));
  /** @type {(() => void)[]} */
  let stop = [];

  replace(main, h('section', { class: 'print' },
    h('h1', null, t('print_title')),
    h('p', { class: 'lead' }, params?.label ? t('print_chosen', { who: params.label, n: candidates.length }) : t('print_unprinted', { n: candidates.length })),
    candidates.length === 0 ? h('p', { class: 'empty', id: 'print-nobody' }, t('print_nobody')) :
      h('table', { class: 'table', id: 'print-list' },
        h('thead', null, h('tr', null, [t('print_col_pick'), t('col_name'), t('col_address'), t('h_serial'), t('valid_until_label')].map((x) => h('th', { scope: 'col' }, x)))),
        h('tbody', null, candidates.map((c, i) => h('tr', null,
          h('td', null, checks[i]), h('th', { scope: 'row' }, c.name), h('td', null, c.address),
          h('td', { class: 'mono' }, c.serial || t('renew_first')), h('td', null, c.expires_at || '—'))))),
    h('div', { class: 'print-form' },
      h('div', { class: 'field' }, h('label', { for: 'print-layout' }, t('print_layout')), layout),
      h('div', { class: 'field' }, h('label', { for: 'print-path' }, t('print_pdf_path')), pdfPath),
      h('div', { class: 'field' }, h('label', { for: 'print-printer' }, t('print_printer')), printer,
        options.printers.length === 0 ? h('small', { class: 'help' }, options.printers_problem || t('print_no_printer')) : null)),
    h('div', { class: 'actions' },
      h('button', { type: 'button', id: 'print-preview', onclick: () => start({ kind: 'preview' }) }, t('print_preview')),
      h('button', { type: 'button', id: 'print-save', class: 'primary', onclick: () => start({ kind: 'pdf', path: pdfPath.value }) }, t('print_save_pdf')),
      h('button', { type: 'button', id: 'print-send', class: 'primary', disabled: options.printers.length === 0, onclick: () => start({ kind: 'printer', name: printer.value }) }, t('print_send'))),
    status));

  /** @param {import('../../types').PrintDestination} destination */
  async function start(destination) {
    const residents = checks.filter((c) => c.checked).map((c) => Number(c.value));
    if (residents.length === 0) { toast(t('print_pick_someone'), 'error'); return; }
    stop.forEach((f) => f());
    stop = [];
    const bar = /** @type {HTMLProgressElement} */ (h('progress', { id: 'print-progress' }));
    const cancel = h('button', { type: 'button', id: 'print-cancel', class: 'danger' }, t('batch_cancel'));
    replace(status, bar, ' ', cancel);
    /** @type {number | null} */
    let job = null;
    cancel.addEventListener('click', () => { if (job !== null) api.cancelJob(job).catch(() => {}); cancel.setAttribute('disabled', ''); });
    try {
      const started = await runJob(() => api.startPrint({ residents, layout: layout.value, destination }), {
        progress: (p) => {
          if (p.total === 0) return;
          bar.max = p.total;
          bar.value = p.done;
        },
        done: (done) => {
          const p = done.print;
          if (done.cancelled) replace(status, h('p', { id: 'print-result' }, t('print_cancelled')));
          else if (done.error) replace(status, h('p', { class: 'form-error', id: 'print-result' }, done.error.message));
          else if (p) {
            replace(status, h('p', { class: 'lead', id: 'print-result' },
              t(p.recorded ? 'print_done' : 'print_previewed', { cards: p.cards, pages: p.pages, path: p.path }),
              p.printer_job ? ` ${t('print_sent', { job: p.printer_job })}` : '',
              p.skipped ? ` ${t('print_skipped', { n: p.skipped })}` : ''));
          }
        },
      });
      job = started.job;
      stop.push(started.stop);
    } catch (e) {
      replace(status, h('p', { class: 'form-error', id: 'print-result' }, asApiError(e).message));
    }
  }

  return { unmount() { stop.forEach((f) => f()); } };
}
