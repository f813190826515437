// @ts-check
/**
 * Sync: the link with the district hub. Not enrolled: the enrolment form. Enrolled: the outbox
 * by state, last and next sync, the age of the offline-verification lists, "sync now" with
 * progress, and every event the hub rejected or that waits to retry, with the reason.
 */
import { api, runJob, asApiError } from '../api.js';
import { filePicker, h, replace } from '../dom.js';
import { t } from '../i18n.js';
import { toast, refreshHeader } from '../shell.js';

/** @param {HTMLElement} main */
export async function mount(main) {
  /** @type {(() => void) | null} */
  let stop = null;
  let running = false;

  async function load() {
    const q = await api.syncQueue();
    const cell = (/** @type {string} */ label, /** @type {number} */ n, /** @type {string} */ cls, /** @type {string} */ id) =>
      h('div', { class: `stat ${cls}`, id }, h('span', { class: 'n' }, String(n)), h('span', null, label));
    const stats = h('div', { class: 'stats', id: 'sync-stats' },
      cell(t('sync_queued'), q.queued, 'queued', 'sync-queued'), cell(t('sync_sending'), q.sending, 'queued', 'sync-sending'),
      cell(t('sync_synced'), q.synced, 'ok', 'sync-synced'), cell(t('sync_rejected'), q.rejected, 'state-rejected', 'sync-rejected'),
      cell(t('sync_error'), q.error, 'state-expired', 'sync-error'));
    if (q.demo) {
      replace(main, h('section', { class: 'sync' }, h('h1', null, t('sync_title')),
        h('p', { class: 'warning', id: 'sync-demo' }, t('sync_demo_station'))));
      return;
    }
    if (!q.enrolled) {
      replace(main, h('section', { class: 'sync' }, h('h1', null, t('sync_title')), enrolForm(q.local)));
      return;
    }
    const status = h('p', { id: 'sync-status', role: 'status' }, q.syncing || running ? t('sync_running') : '');
    const bar = /** @type {HTMLProgressElement} */ (h('progress', { id: 'sync-progress', hidden: true }));
    const button = h('button', { type: 'button', class: 'primary', id: 'sync-now', onclick: () => syncNow(button, bar, status) }, t('sync_now'));
    if (q.syncing || running) button.setAttribute('disabled', '');
    replace(main, h('section', { class: 'sync' },
      h('h1', null, t('sync_title')),
      h('p', null, t('sync_hub'), ': ', h('span', { class: 'mono', id: 'sync-hub' }, q.hub_url || ''), '  ',
        t('sync_station_id'), ': ', h('span', { class: 'mono', id: 'sync-station' }, q.station_id)),
      stats,
      h('p', null, button, ' ', bar),
      status,
      h('dl', { class: 'facts' },
        h('dt', null, t('last_sync')), h('dd', { id: 'sync-last' }, q.last_synced_at || t('never_synced')),
        q.last_error ? [h('dt', null, t('sync_last_error')), h('dd', { class: 'form-error', id: 'sync-last-error' }, q.last_error)] : null,
        q.next_sync_at ? [h('dt', null, t('sync_next')), h('dd', { id: 'sync-next' }, q.next_sync_at)] : null,
        h('dt', null, t('sync_trust_at')), h('dd', { id: 'sync-trust' }, q.trust_list_at || t('never_synced')),
        h('dt', null, t('sync_audit_anchor')), h('dd', { id: 'sync-audit-anchor' },
          q.audit_anchored_row ? t('sync_audit_anchored', { row: q.audit_anchored_row, at: q.audit_anchored_at || '' }) : t('never_synced')),
        q.local > 0 ? [h('dt', null, t('sync_local_count')), h('dd', null, String(q.local))] : null),
      q.errors.length === 0 ? null : [
        h('h2', null, t('sync_problems')),
        h('table', { class: 'table', id: 'sync-problems' },
          h('thead', null, h('tr', null, [t('col_name'), t('h_state'), t('h_serial'), t('h_reason'), t('h_message'), t('h_attempts'), t('h_next_retry')]
            .map((x) => h('th', { scope: 'col' }, x)))),
          h('tbody', null, q.errors.map((e) => h('tr', { class: `state-${e.state}` },
            h('th', { scope: 'row' }, e.name),
            h('td', { class: 'nowrap' }, t(`sync_${e.state}`)),
            h('td', { class: 'mono nowrap' }, e.serial),
            h('td', null, e.reason ? t(`reason_${e.reason}`) : ''),
            // The hub explains in English; a reason the UI already words fully needs no more.
            h('td', null, e.reason === 'already_applied_today' ? '' : e.message),
            h('td', null, String(e.attempts)),
            h('td', null, e.next_retry || '')))))],
    ));
  }

  /** @param {number} local */
  function enrolForm(local) {
    const url = /** @type {HTMLInputElement} */ (h('input', { id: 'enrol-url', type: 'url', value: 'http://', required: true, autocomplete: 'off' }));
    const code = /** @type {HTMLInputElement} */ (h('input', { id: 'enrol-code', required: true, autocomplete: 'off', spellcheck: 'false' }));
    const ca = filePicker('enrol-ca', '.pem,.crt,.cer', t('sync_enrol_ca_choose'), t('sync_enrol_ca_none'));
    const error = h('p', { class: 'form-error', id: 'enrol-error', role: 'alert' });
    const form = h('form', { class: 'form', id: 'enrol-form' },
      h('p', { id: 'sync-not-enrolled' }, t('sync_not_enrolled')),
      h('label', null, t('sync_enrol_url'), url),
      h('label', null, t('sync_enrol_code'), code),
      h('div', { class: 'field' }, h('span', null, t('sync_enrol_ca')), ca.root,
        h('p', { class: 'muted' }, t('sync_enrol_ca_hint'))),
      h('button', { type: 'submit', class: 'primary', id: 'enrol-submit' }, t('sync_enrol')),
      error,
      local > 0 ? h('p', { class: 'muted' }, t('sync_local_count'), ': ', String(local)) : null);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      replace(error);
      try {
        const file = ca.input.files?.[0];
        const hubCa = file ? await file.text() : '';
        const q = await api.enrolStation({ hub_url: url.value.trim(), code: code.value.trim(), hub_ca: hubCa });
        toast(t('sync_enrolled', { id: q.station_id }));
        // The header shows the station's number: the hub's from now on.
        await refreshHeader();
        await load();
      } catch (e) { replace(error, asApiError(e).message); }
    });
    return form;
  }

  /** @param {HTMLElement} button @param {HTMLProgressElement} bar @param {HTMLElement} status */
  async function syncNow(button, bar, status) {
    button.setAttribute('disabled', '');
    bar.hidden = false;
    bar.removeAttribute('value');
    running = true;
    replace(status, t('sync_running'));
    try {
      const started = await runJob(() => api.startSync(), {
        progress: (p) => { if (p.total > 0) { bar.max = p.total; bar.value = p.done; } },
        done: (d) => {
          running = false;
          stop = null;
          if (d.error) toast(d.error.message, 'error');
          else if (d.sync?.stopped) toast(t('sync_stopped', { why: d.sync.stopped, next: d.sync.next_attempt_at || '' }), 'error');
          else if (d.sync) {
            const s = d.sync;
            toast(t('sync_done', { pushed: s.pushed, synced: s.synced, rejected: s.rejected, failed: s.failed, pulled: s.pulled, adopted: s.adopted }));
          }
          load().catch(() => {});
        },
      });
      stop = started.stop;
    } catch (e) {
      running = false;
      toast(asApiError(e).message, 'error');
      load().catch(() => {});
    }
  }

  await load();
  return {
    refresh() { if (!running) load().catch(() => {}); },
    unmount() { stop?.(); },
  };
}
