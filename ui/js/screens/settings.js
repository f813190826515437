// @ts-check
/**
 * Settings: station name, expiring threshold (R6, default 7 days), language, idle lock, how
 * long printed PDFs are kept; where the data file is. Administrators also keep the station
 * unlocked until a time today (or lock it now), and see the backup, the accounts and the
 * audit log.
 */
import { api, asApiError } from '../api.js';
import { h, replace } from '../dom.js';
import { t, getLang } from '../i18n.js';
import { toast, refreshHeader, switchLanguage, isAdmin, lockScreen } from '../shell.js';

/** The station's built-in administrator (the `nac` command line acts as it). */
const BUILT_IN_ACCOUNT = 'station';

/** @param {HTMLElement} main */
export async function mount(main) {
  const info = await api.appInfo();
  const name = /** @type {HTMLInputElement} */ (h('input', { type: 'text', id: 's-name', value: info.station_name, disabled: !isAdmin() }));
  const days = /** @type {HTMLInputElement} */ (h('input', { type: 'number', id: 's-days', min: '1', max: '29', value: String(info.expiring_days) }));
  const lang = /** @type {HTMLSelectElement} */ (h('select', { id: 's-lang' },
    h('option', { value: 'zh', selected: info.language === 'zh' }, '中文'), h('option', { value: 'en', selected: info.language === 'en' }, 'English')));
  const idle = /** @type {HTMLInputElement} */ (h('input', { type: 'number', id: 's-idle', min: '1', max: '120', value: String(info.idle_lock_minutes), disabled: !isAdmin() }));
  const keepPrinted = /** @type {HTMLInputElement} */ (h('input', { type: 'number', id: 's-keep-printed', min: '0', max: '90', value: String(info.keep_printed_days), disabled: !isAdmin() }));
  const keepUntil = /** @type {HTMLInputElement} */ (h('input', { type: 'time', id: 'keep-until', value: info.kept_until ? info.kept_until.slice(11, 16) : '23:59', required: true }));
  const keptStatus = h('p', { id: 'kept-status', 'aria-live': 'polite' });
  const error = h('div', { class: 'form-error', role: 'alert' });
  const admin = isAdmin();
  const backupPath = /** @type {HTMLInputElement} */ (h('input', { type: 'text', id: 'backup-path', value: admin ? await api.defaultBackupPath() : '' }));
  const accountsBox = h('div', { id: 'accounts' });
  const auditBox = h('div', { id: 'audit' });
  const auditPath = /** @type {HTMLInputElement} */ (h('input', { type: 'text', id: 'audit-export-path', value: admin ? await api.defaultAuditExportPath() : '' }));
  replace(main, h('section', { class: 'settings' },
    h('h1', null, t('settings_title')),
    h('form', { class: 'form narrow', id: 'settings-form', onsubmit: (/** @type {Event} */ e) => { e.preventDefault(); save(); } },
      error,
      h('div', { class: 'field' }, h('label', { for: 's-name' }, t('s_station_name')), name),
      h('div', { class: 'field' }, h('label', { for: 's-days' }, t('s_expiring_days')), days, h('small', { class: 'help' }, t('s_expiring_help'))),
      h('div', { class: 'field' }, h('label', { for: 's-lang' }, t('s_language')), lang),
      h('div', { class: 'field' }, h('label', { for: 's-idle' }, t('s_idle_minutes')), idle, h('small', { class: 'help' }, t('s_idle_help'))),
      h('div', { class: 'field' }, h('label', { for: 's-keep-printed' }, t('s_keep_printed_days')), keepPrinted, h('small', { class: 'help' }, t('s_keep_printed_help'))),
      h('button', { type: 'submit', class: 'primary', id: 'save-settings' }, t('save'))),
    admin ? h('h2', { id: 'keep-title' }, t('keep_title')) : null,
    admin ? h('p', { class: 'help' }, t('keep_help')) : null,
    admin ? keptStatus : null,
    admin ? h('form', { class: 'form narrow', id: 'keep-form', onsubmit: (/** @type {Event} */ e) => { e.preventDefault(); keep(); } },
      h('div', { class: 'field' }, h('label', { for: 'keep-until' }, t('keep_until')), keepUntil),
      h('button', { type: 'submit', id: 'keep-unlocked' }, t('keep_button'))) : null,
    admin ? h('p', null,
      h('button', { type: 'button', class: 'danger', id: 'lock-station', onclick: () => lockStation() }, t('lock_station')),
      ' ', h('small', { class: 'help' }, t('lock_station_help'))) : null,
    h('h2', null, t('data_title')),
    h('p', null, t('data_file'), ': ', h('code', { id: 'data-file' }, info.data_file)),
    admin ? h('form', { class: 'form narrow', id: 'backup-form', onsubmit: (/** @type {Event} */ e) => { e.preventDefault(); backup(); } },
      h('div', { class: 'field' }, h('label', { for: 'backup-path' }, t('backup_path')), backupPath),
      h('button', { type: 'submit', id: 'backup-now' }, t('backup_now')),
      h('small', { class: 'help' }, t('backup_help'))) : null,
    admin ? h('h2', null, t('accounts_title')) : null,
    admin ? accountsBox : null,
    admin ? h('h2', null, t('audit_title')) : null,
    admin ? auditBox : null,
    admin ? h('form', { class: 'form narrow', id: 'audit-export-form', onsubmit: (/** @type {Event} */ e) => { e.preventDefault(); exportAudit(); } },
      h('div', { class: 'field' }, h('label', { for: 'audit-export-path' }, t('audit_export_path')), auditPath),
      h('button', { type: 'submit', id: 'audit-export' }, t('audit_export')),
      h('small', { class: 'help' }, t('audit_export_help'))) : null,
    h('p', { class: 'muted' }, t('station_id'), ': ', info.station_id, ' · ', t('version'), ' ', info.version)));

  showKept(info.kept_until);
  if (admin) {
    await showAccounts(await api.accounts());
    await showAudit();
  }

  /** @param {string | null} until */
  function showKept(until) {
    keptStatus.textContent = until ? t('kept_until', { until }) : t('kept_none');
    keptStatus.className = until ? 'ok' : 'muted';
  }

  async function keep() {
    try {
      const updated = await api.keepUnlocked(keepUntil.value);
      showKept(updated.kept_until);
      toast(t('keep_done', { until: updated.kept_until ?? keepUntil.value }));
      await showAudit();
    } catch (e) { toast(asApiError(e).message, 'error'); }
  }

  async function lockStation() {
    try {
      await api.lockStation();
    } catch (e) { toast(asApiError(e).message, 'error'); return; }
    // The station is closed: the passphrase screen.
    await lockScreen('lock');
  }

  /** @param {import('../../types').AccountView[]} accounts */
  function showAccounts(accounts) {
    const newName = /** @type {HTMLInputElement} */ (h('input', { type: 'text', id: 'acc-name', autocomplete: 'off' }));
    const newRole = /** @type {HTMLSelectElement} */ (h('select', { id: 'acc-role' },
      h('option', { value: 'volunteer' }, t('role_volunteer')), h('option', { value: 'admin' }, t('role_admin'))));
    const newPin = /** @type {HTMLInputElement} */ (h('input', { type: 'password', id: 'acc-pin', autocomplete: 'new-password', inputmode: 'numeric' }));
    const accError = h('div', { class: 'form-error', role: 'alert' });
    replace(accountsBox,
      h('table', { class: 'table', id: 'accounts-table' },
        h('thead', null, h('tr', null, [t('signin_name'), t('role'), t('account_state'), ''].map((x) => h('th', { scope: 'col' }, x)))),
        h('tbody', null, accounts.map((a) => h('tr', { dataset: { account: a.name } },
          h('th', { scope: 'row' }, a.name),
          h('td', null, t(a.role === 'admin' ? 'role_admin' : 'role_volunteer')),
          h('td', null, a.disabled ? t('account_disabled') : a.can_sign_in ? t('account_active') : t('account_no_pin')),
          h('td', null, a.disabled ? null : a.name === BUILT_IN_ACCOUNT
            ? h('small', { class: 'help' }, t('account_builtin'))
            : h('button', { type: 'button', class: 'danger', dataset: { action: 'disable' }, onclick: () => disable(a.name) }, t('account_disable'))))))),
      h('form', { class: 'form narrow', id: 'account-form', onsubmit: (/** @type {Event} */ e) => { e.preventDefault(); add(); } },
        accError,
        h('div', { class: 'field' }, h('label', { for: 'acc-name' }, t('signin_name')), newName),
        h('div', { class: 'field' }, h('label', { for: 'acc-role' }, t('role')), newRole),
        h('div', { class: 'field' }, h('label', { for: 'acc-pin' }, t('signin_pin')), newPin, h('small', { class: 'help' }, t('pin_help'))),
        h('button', { type: 'submit', id: 'add-account' }, t('account_add'))));

    async function add() {
      try {
        showAccounts(await api.addAccount({ name: newName.value, role: newRole.value, pin: newPin.value }));
        toast(t('saved'));
        await showAudit();
      } catch (e) { accError.textContent = asApiError(e).message; }
    }
  }

  /** @param {string} account */
  async function disable(account) {
    try { showAccounts(await api.disableAccount(account)); await showAudit(); } catch (e) { toast(asApiError(e).message, 'error'); }
  }

  async function showAudit() {
    try {
      const log = await api.auditLog();
      replace(auditBox,
        h('p', { id: 'audit-check', class: log.problem ? 'form-error' : 'ok' },
          log.problem ? log.problem : t('audit_intact', { rows: log.rows })),
        h('div', { class: 'scroll-box' },
          h('table', { class: 'table compact', id: 'audit-table' },
            h('thead', null, h('tr', null, [t('audit_when'), t('signin_name'), t('audit_action'), t('audit_subject')].map((x) => h('th', { scope: 'col' }, x)))),
            h('tbody', null, log.entries.map((e) => h('tr', null,
              h('td', { class: 'mono' }, e.at), h('td', null, e.volunteer), h('td', { class: 'mono' }, e.action), h('td', null, e.subject)))))));
    } catch (e) { toast(asApiError(e).message, 'error'); }
  }

  async function exportAudit() {
    try {
      const done = await api.exportAudit(auditPath.value);
      toast(t(done.intact ? 'audit_exported' : 'audit_exported_broken', { rows: done.rows, path: done.path }), done.intact ? undefined : 'error');
      await showAudit();
    } catch (e) { toast(asApiError(e).message, 'error'); }
  }

  async function backup() {
    try {
      const done = await api.backupStation(backupPath.value);
      toast(t('backup_done', { path: done.path, kb: Math.ceil(done.bytes / 1024) }));
    } catch (e) { toast(asApiError(e).message, 'error'); }
  }

  async function save() {
    const language = /** @type {import('../../types').Lang} */ (lang.value);
    try {
      await api.saveSettings({ station_name: name.value, expiring_days: Number(days.value), language, idle_lock_minutes: Number(idle.value), keep_printed_days: Number(keepPrinted.value) });
      error.textContent = '';
      toast(t('saved'));
      if (language !== getLang()) await switchLanguage(language); else await refreshHeader();
    } catch (e) { const err = asApiError(e); error.textContent = err.fields.map((f) => f.message).join(' ') || err.message; }
  }
}
