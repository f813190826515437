// @ts-check
/**
 * Renewing: one member, or everyone due in a household or the station (a background job with
 * a progress bar, a per-person result list and a cancel button). The confirmation says what a
 * new code does to the old one and its paper cards (R2, R8) and asks in what capacity (R5);
 * "already applied today" (R3) is shown plainly with the code that stays active.
 */
import { api, runJob, asApiError } from './api.js';
import { h, replace } from './dom.js';
import { t } from './i18n.js';
import { openDialog } from './dialog.js';
import { toast, appInfo } from './shell.js';

/** @param {string} selected */
function capacityPicker(selected = 'volunteer') {
  const options = /** @type {[import('../types').Capacity, string][]} */ ([
    ['self', t('capacity_self')], ['family', t('capacity_family')], ['volunteer', t('capacity_volunteer')]]);
  return h('fieldset', { class: 'capacity' },
    h('legend', null, t('capacity_legend')),
    options.map(([value, label]) => h('label', { class: 'radio' },
      h('input', { type: 'radio', name: 'capacity', value, id: `capacity-${value}`, checked: value === selected }), h('span', null, label))));
}

/** @param {HTMLElement} root @returns {import('../types').Capacity} */
function chosenCapacity(root) {
  const el = /** @type {HTMLInputElement | null} */ (root.querySelector('input[name="capacity"]:checked'));
  return /** @type {any} */ (el?.value || 'volunteer');
}

/** A QR preview image from the shell's SVG. @param {string | null} svg @param {string} alt */
export function qrImage(svg, alt) {
  if (!svg) return null;
  return h('img', { class: 'qr', alt, src: `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}` });
}

/**
 * @param {import('../types').Member} member
 * @param {() => void} [after]
 */
export function openRenewDialog(member, after) {
  const s = member.status;
  const body = h('div', { class: 'renew-confirm' },
    h('p', { class: 'lead' }, t('renew_for', { name: member.name })),
    s.serial
      ? h('p', { class: 'warning', id: 'renew-warning' }, t('renew_voids', { serial: s.serial }))
      : h('p', null, t('renew_first_code')),
    capacityPicker());
  const d = openDialog(t('renew_title'), body, [
    { label: t('renew_confirm'), kind: 'primary', id: 'renew-confirm', onclick: () => submit() },
    { label: t('cancel') },
  ]);
  async function submit() {
    const capacity = chosenCapacity(body);
    try {
      const result = await api.renew(member.id, capacity);
      d.close();
      await showRenewResult(result);
      after?.();
    } catch (e) {
      toast(asApiError(e).message, 'error');
    }
  }
}

/** @param {import('../types').RenewResult} result */
async function showRenewResult(result) {
  if (result.outcome === 'renewed') {
    const view = await api.resident(result.resident_id).catch(() => null);
    openDialog(t('renewed_title'), h('div', { class: 'renew-result ok', id: 'renew-result' },
      h('p', { class: 'verdict ok' }, t('renewed_text', { name: result.name, serial: result.code.serial })),
      h('p', { class: 'big' }, t('valid_until', { date: result.code.expires_at })),
      result.superseded
        ? h('p', { class: 'warning' }, result.cards_invalidated > 0
          ? t('renewed_superseded', { serial: result.superseded, n: result.cards_invalidated })
          // "collect its 0 cards" asked for nothing to be done (issue 18, item 8).
          : t('renewed_superseded_unprinted', { serial: result.superseded }))
        : null,
      qrImage(view?.qr_svg ?? null, t('qr_alt', { name: result.name }))));
  } else if (result.outcome === 'already_applied_today') {
    openDialog(t('already_title'), h('div', { class: 'renew-result refused', id: 'renew-result' },
      h('p', { class: 'verdict refused' }, t('already_text', { name: result.name, time: result.applied_at })),
      result.active ? h('p', { class: 'big' }, t('active_code', { serial: result.active.serial, date: result.active.expires_at })) : null,
      h('p', null, t('already_hint'))));
  } else {
    toast(result.message, 'error');
  }
}

/**
 * Batch renewal for the station, a household, or chosen residents.
 * @param {import('../types').BatchTarget} target
 * @param {string} label  whose (e.g. the household's address)
 * @param {() => void} [after]
 */
export async function openBatchDialog(target, label, after) {
  const days = appInfo()?.expiring_days ?? 7;
  /** @type {import('../types').BatchRequest} */
  const request = { target, within_days: days, capacity: 'volunteer' };
  /** @type {import('../types').BatchPreview} */
  let preview;
  try { preview = await api.previewBatch(request); } catch (e) { toast(asApiError(e).message, 'error'); return; }
  if (preview.total === 0) {
    openDialog(t('batch_title'), h('p', { id: 'batch-none' }, t('batch_nobody', { who: label, days })));
    return;
  }
  const names = preview.names.join('、') + (preview.total > preview.names.length ? t('and_more', { n: preview.total - preview.names.length }) : '');
  const body = h('div', { class: 'batch' },
    h('p', { class: 'lead', id: 'batch-summary' }, t('batch_who', { who: label, n: preview.total, days })),
    h('p', null, names),
    preview.with_code > 0 ? h('p', { class: 'warning' }, t('batch_voids', { n: preview.with_code })) : null,
    preview.applied_today > 0 ? h('p', null, t('batch_skips_today', { n: preview.applied_today })) : null,
    capacityPicker());
  const d = openDialog(t('batch_title'), body, [
    { label: t('batch_start', { n: preview.total }), kind: 'primary', id: 'batch-start', onclick: () => start() },
    { label: t('cancel') },
  ]);
  async function start() {
    request.capacity = chosenCapacity(body);
    const bar = /** @type {HTMLProgressElement} */ (h('progress', { max: String(preview.total), value: '0', id: 'batch-progress' }));
    const counter = h('p', { class: 'progress-text', 'aria-live': 'polite' }, t('batch_progress', { done: 0, total: preview.total }));
    const results = h('ol', { class: 'results', id: 'batch-results' });
    const cancel = h('button', { type: 'button', id: 'batch-cancel', class: 'danger' }, t('batch_cancel'));
    const closeBtn = h('button', { type: 'button', id: 'batch-close', disabled: true, onclick: () => d.close() }, t('close'));
    replace(d.body, bar, counter, results);
    replace(d.actions, cancel, closeBtn);
    /** @type {number | null} */
    let job = null;
    cancel.addEventListener('click', () => { if (job !== null) api.cancelJob(job).catch(() => {}); cancel.setAttribute('disabled', ''); });
    try {
      ({ job } = await runJob(() => api.startBatch(request), {
        progress: (p) => {
          bar.value = p.done;
          counter.textContent = t('batch_progress', { done: p.done, total: p.total });
          results.append(...p.items.map(resultLine));
        },
        done: (done) => {
          const b = done.batch;
          counter.textContent = done.error ? done.error.message
            : t(done.cancelled ? 'batch_cancelled' : 'batch_done', { renewed: b?.renewed ?? 0, already: b?.already_applied ?? 0, failed: b?.failed ?? 0, total: b?.total ?? 0 });
          counter.id = 'batch-done';
          cancel.setAttribute('disabled', '');
          closeBtn.removeAttribute('disabled');
          closeBtn.focus();
          after?.();
        },
      }));
    } catch (e) {
      counter.textContent = asApiError(e).message;
      closeBtn.removeAttribute('disabled');
    }
  }
}

/** @param {import('../types').RenewResult} r */
function resultLine(r) {
  if (r.outcome === 'renewed') return h('li', { class: 'ok' }, h('strong', null, r.name), ' ', t('line_renewed', { serial: r.code.serial, date: r.code.expires_at }));
  if (r.outcome === 'already_applied_today') return h('li', { class: 'refused' }, h('strong', null, r.name), ' ', t('line_already'));
  return h('li', { class: 'failed' }, h('strong', null, r.name), ' ', r.message);
}

/**
 * One resident's active code as a QR preview, with the application history.
 * @param {number} residentId
 */
export async function openCodeDialog(residentId) {
  let view;
  try { view = await api.resident(residentId); } catch (e) { toast(asApiError(e).message, 'error'); return; }
  const code = view.active_code;
  openDialog(t('code_title', { name: view.member.name }), h('div', { class: 'code-view', id: 'code-view' },
    h('div', { class: 'code-main' },
      qrImage(view.qr_svg, t('qr_alt', { name: view.member.name })),
      h('div', null,
        code && view.member.status.state === 'expired'
          ? h('p', { class: 'big warning' }, t('code_expired_on', { serial: code.serial, date: code.expires_at }))
          : code ? h('p', { class: 'big' }, t('active_code', { serial: code.serial, date: code.expires_at })) : h('p', { class: 'big' }, t('no_active_code')),
        h('p', null, view.address),
        h('p', null, `${view.member.masked_document}`))),
    h('h3', null, t('history')),
    view.history.length === 0 ? h('p', { class: 'muted' }, t('no_history')) :
      h('table', { class: 'table' },
        h('thead', null, h('tr', null, [t('h_applied_at'), t('h_serial'), t('h_capacity'), t('h_state'), t('h_cards'), t('h_sync')].map((x) => h('th', { scope: 'col' }, x)))),
        h('tbody', null, view.history.map((line) => h('tr', null,
          h('td', null, line.applied_at), h('td', null, line.code.serial), h('td', null, line.capacity ? t(`capacity_${line.capacity}`) : line.channel === 'phone' ? t('from_phone') : t('from_other_station', { id: line.channel })),
          h('td', null, t(`code_state_${line.code.state}`)), h('td', null, String(line.cards_printed)),
          h('td', null, line.sync_state ? t(`sync_${line.sync_state}`) : '—')))))));
}
