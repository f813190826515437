// @ts-check
/**
 * The start screen of an encrypted station: the passphrase (or, for a new station, the one
 * that will protect it, typed twice). Nothing of the station is shown or loaded before it
 * opens; the shell answers every other command with `locked` until then.
 */
import { api, asApiError } from './api.js';
import { h, replace, byId } from './dom.js';
import { t } from './i18n.js';

/**
 * Shows the start screen in <main> and resolves once the station is open.
 * @param {import('./api.js').UnlockStatus} status
 * @returns {Promise<void>}
 */
export function unlock(status) {
  return new Promise((resolve) => {
    const creating = status.state === 'new';
    const min = status.min_passphrase_chars;
    const pass = /** @type {HTMLInputElement} */ (h('input', { type: 'password', id: 'unlock-passphrase', autocomplete: creating ? 'new-password' : 'current-password', required: true }));
    const again = /** @type {HTMLInputElement} */ (h('input', { type: 'password', id: 'unlock-confirm', autocomplete: 'new-password' }));
    const error = h('div', { class: 'form-error', role: 'alert', id: 'unlock-error' });
    const button = /** @type {HTMLButtonElement} */ (h('button', { type: 'submit', class: 'primary', id: 'unlock-button' }, t(creating ? 'unlock_create' : 'unlock_button')));
    const form = h('form', { class: 'unlock', id: 'unlock-form', onsubmit: (/** @type {Event} */ e) => { e.preventDefault(); submit(); } },
      h('h1', null, t(creating ? 'unlock_new_title' : 'unlock_title')),
      h('p', null, creating ? t('unlock_new_help', { min }) : t('unlock_help')),
      error,
      h('div', { class: 'field' }, h('label', { for: 'unlock-passphrase' }, t('unlock_passphrase')), pass),
      creating ? h('div', { class: 'field' }, h('label', { for: 'unlock-confirm' }, t('unlock_confirm')), again) : null,
      button,
      h('p', { class: 'muted' }, t('data_file'), ': ', h('code', null, status.data_file)));
    replace(byId('main'), form);
    pass.focus();

    async function submit() {
      if (creating && [...pass.value].length < min) { error.textContent = t('unlock_too_short', { min }); pass.focus(); return; }
      if (creating && pass.value !== again.value) { error.textContent = t('unlock_mismatch'); again.focus(); return; }
      button.disabled = true;
      error.textContent = t('unlock_working');
      try {
        await api.unlock(pass.value);
        pass.value = ''; again.value = '';
        resolve();
      } catch (e) {
        error.textContent = asApiError(e).message;
        pass.select();
        pass.focus();
      } finally {
        button.disabled = false;
      }
    }
  });
}
