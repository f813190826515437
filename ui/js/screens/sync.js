// @ts-check
/** Sync: the outbox by state, the last successful sync, and events the hub refused or that keep failing. */
import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { t } from '../i18n.js';
import { appInfo } from '../app.js';

/** @param {HTMLElement} main */
export async function mount(main) {
  async function load() {
    const q = await api.syncQueue();
    const cell = (/** @type {string} */ label, /** @type {number} */ n, /** @type {string} */ cls) =>
      h('div', { class: `stat ${cls}` }, h('span', { class: 'n' }, String(n)), h('span', null, label));
    replace(main, h('section', { class: 'sync' },
      h('h1', null, t('sync_title')),
      h('div', { class: 'stats', id: 'sync-stats' },
        cell(t('sync_queued'), q.queued, 'queued'), cell(t('sync_sending'), q.sending, 'queued'), cell(t('sync_synced'), q.synced, 'ok'),
        cell(t('sync_rejected'), q.rejected, 'state-rejected'), cell(t('sync_error'), q.error, 'state-expired')),
      h('p', null, t('last_sync'), ': ', q.last_synced_at || t('never_synced')),
      h('p', { class: 'muted' }, t('sync_pending_feature')),
      appInfo()?.demo ? h('p', { class: 'warning', id: 'sync-demo' }, t('sync_demo_station')) : null,
      q.errors.length === 0 ? null : h('table', { class: 'table' },
        h('thead', null, h('tr', null, [t('col_name'), t('h_state'), t('h_reason'), t('h_attempts')].map((x) => h('th', { scope: 'col' }, x)))),
        h('tbody', null, q.errors.map((e) => h('tr', null, h('th', { scope: 'row' }, e.name), h('td', null, t(`sync_${e.state}`)), h('td', null, e.reason), h('td', null, String(e.attempts))))))));
  }
  await load();
  return { refresh() { load().catch(() => {}); } };
}
