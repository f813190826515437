// @ts-check
/** Settings: station name, expiring threshold (R6, default 7 days), language; where the data file is. */
import { api, asApiError } from '../api.js';
import { h, replace } from '../dom.js';
import { t, getLang } from '../i18n.js';
import { toast, refreshHeader, switchLanguage } from '../app.js';

/** @param {HTMLElement} main */
export async function mount(main) {
  const info = await api.appInfo();
  const name = /** @type {HTMLInputElement} */ (h('input', { type: 'text', id: 's-name', value: info.station_name }));
  const days = /** @type {HTMLInputElement} */ (h('input', { type: 'number', id: 's-days', min: '1', max: '29', value: String(info.expiring_days) }));
  const lang = /** @type {HTMLSelectElement} */ (h('select', { id: 's-lang' },
    h('option', { value: 'zh', selected: info.language === 'zh' }, '中文'), h('option', { value: 'en', selected: info.language === 'en' }, 'English')));
  const error = h('div', { class: 'form-error', role: 'alert' });
  const backupPath = /** @type {HTMLInputElement} */ (h('input', { type: 'text', id: 'backup-path', value: await api.defaultBackupPath() }));
  replace(main, h('section', { class: 'settings' },
    h('h1', null, t('settings_title')),
    h('form', { class: 'form narrow', id: 'settings-form', onsubmit: (/** @type {Event} */ e) => { e.preventDefault(); save(); } },
      error,
      h('div', { class: 'field' }, h('label', { for: 's-name' }, t('s_station_name')), name),
      h('div', { class: 'field' }, h('label', { for: 's-days' }, t('s_expiring_days')), days, h('small', { class: 'help' }, t('s_expiring_help'))),
      h('div', { class: 'field' }, h('label', { for: 's-lang' }, t('s_language')), lang),
      h('button', { type: 'submit', class: 'primary', id: 'save-settings' }, t('save'))),
    h('h2', null, t('data_title')),
    h('p', null, t('data_file'), ': ', h('code', { id: 'data-file' }, info.data_file)),
    h('form', { class: 'form narrow', id: 'backup-form', onsubmit: (/** @type {Event} */ e) => { e.preventDefault(); backup(); } },
      h('div', { class: 'field' }, h('label', { for: 'backup-path' }, t('backup_path')), backupPath),
      h('button', { type: 'submit', id: 'backup-now' }, t('backup_now')),
      h('small', { class: 'help' }, t('backup_help'))),
    h('p', { class: 'muted' }, t('station_id'), ': ', info.station_id, ' · ', t('version'), ' ', info.version)));

  async function backup() {
    try {
      const done = await api.backupStation(backupPath.value);
      toast(t('backup_done', { path: done.path, kb: Math.ceil(done.bytes / 1024) }));
    } catch (e) { toast(asApiError(e).message, 'error'); }
  }

  async function save() {
    const language = /** @type {import('../../types').Lang} */ (lang.value);
    try {
      await api.saveSettings({ station_name: name.value, expiring_days: Number(days.value), language });
      error.textContent = '';
      toast(t('saved'));
      if (language !== getLang()) await switchLanguage(language); else await refreshHeader();
    } catch (e) { const err = asApiError(e); error.textContent = err.fields.map((f) => f.message).join(' ') || err.message; }
  }
}
