// @ts-check
/**
 * The screens before anything of the station is shown: the passphrase of the encrypted
 * station (or, for a new station, the one that will protect it, typed twice), then the first
 * administrator (first start) or a volunteer's sign-in with their PIN (every start, and after
 * the screen locked). The shell answers every other command with `locked` / `signed_out`.
 */
import { api, asApiError } from './api.js';
import { h, replace, byId } from './dom.js';
import { t } from './i18n.js';

/**
 * Shows whatever the station still needs and resolves once a volunteer is signed in.
 * @param {import('./api.js').UnlockStatus} status
 * @returns {Promise<void>}
 */
export async function openStation(status) {
  while (status.state !== 'open') {
    if (status.state === 'locked' || status.state === 'new') await passphraseScreen(status);
    else if (status.state === 'create_admin') await accountScreen(status, true);
    else await accountScreen(status, false);
    status = await api.unlockStatus();
  }
}

/**
 * One form on the start screen: `fields` are [id, label, type, autocomplete]; `submit` gets
 * their values and resolves when done, or throws an ApiError shown above the fields.
 * @param {string} title @param {string} help
 * @param {(HTMLElement | null)[]} fields
 * @param {string} buttonLabel
 * @param {() => string | null} check  a message that stops the submit, or null
 * @param {() => Promise<void>} submit
 * @returns {Promise<void>}
 */
function startForm(title, help, fields, buttonLabel, check, submit) {
  return new Promise((resolve) => {
    const error = h('div', { class: 'form-error', role: 'alert', id: 'unlock-error' });
    const button = /** @type {HTMLButtonElement} */ (h('button', { type: 'submit', class: 'primary', id: 'unlock-button' }, buttonLabel));
    const form = h('form', { class: 'unlock', id: 'unlock-form', onsubmit: (/** @type {Event} */ e) => { e.preventDefault(); go(); } },
      h('h1', null, title), h('p', null, help), error, ...fields, button);
    replace(byId('main'), form);
    /** @type {HTMLElement | null} */ (form.querySelector('input, select'))?.focus();

    async function go() {
      const problem = check();
      if (problem) { error.textContent = problem; return; }
      button.disabled = true;
      error.textContent = t('unlock_working');
      try {
        await submit();
        resolve();
      } catch (e) {
        // The station closed meanwhile (the time it was kept unlocked until passed): the
        // passphrase screen comes next.
        if (asApiError(e).code === 'locked' && !form.querySelector('#unlock-passphrase')) { resolve(); return; }
        error.textContent = asApiError(e).message;
        const secret = /** @type {HTMLInputElement | null} */ (form.querySelector('input[type=password]'));
        secret?.select();
        secret?.focus();
      } finally {
        button.disabled = false;
      }
    }
  });
}

/** @param {string} id @param {string} label @param {HTMLElement} input */
function labelled(id, label, input) {
  return h('div', { class: 'field' }, h('label', { for: id }, label), input);
}

/** @param {string} id @param {string} autocomplete */
function secretInput(id, autocomplete) {
  return /** @type {HTMLInputElement} */ (h('input', { type: 'password', id, autocomplete, required: true }));
}

/** @param {import('./api.js').UnlockStatus} status */
function passphraseScreen(status) {
  const creating = status.state === 'new';
  const min = status.min_passphrase_chars;
  const pass = secretInput('unlock-passphrase', creating ? 'new-password' : 'current-password');
  const again = secretInput('unlock-confirm', 'new-password');
  return startForm(
    t(creating ? 'unlock_new_title' : 'unlock_title'),
    creating ? t('unlock_new_help', { min }) : t('unlock_help'),
    [creating ? h('p', { class: 'notice', id: 'unlock-admins' }, t('unlock_new_admins')) : null,
      labelled('unlock-passphrase', t('unlock_passphrase'), pass),
      creating ? labelled('unlock-confirm', t('unlock_confirm'), again) : null,
      h('p', { class: 'muted' }, t('data_file'), ': ', h('code', null, status.data_file))],
    t(creating ? 'unlock_create' : 'unlock_button'),
    () => {
      if (creating && [...pass.value].length < min) return t('unlock_too_short', { min });
      if (creating && pass.value !== again.value) return t('unlock_mismatch');
      return null;
    },
    async () => { await api.unlock(pass.value); pass.value = ''; again.value = ''; });
}

/**
 * The first administrator (`creating`) or a volunteer signing in.
 * @param {import('./api.js').UnlockStatus} status @param {boolean} creating
 */
function accountScreen(status, creating) {
  const name = creating
    ? /** @type {HTMLInputElement} */ (h('input', { type: 'text', id: 'signin-name', autocomplete: 'username', required: true }))
    : /** @type {HTMLSelectElement} */ (h('select', { id: 'signin-name' }, status.accounts.map((a) => h('option', { value: a }, a))));
  const pin = secretInput('signin-pin', creating ? 'new-password' : 'current-password');
  const again = secretInput('signin-confirm', 'new-password');
  pin.setAttribute('inputmode', 'numeric');
  return startForm(
    t(creating ? 'admin_title' : 'signin_title'),
    t(creating ? 'admin_help' : 'signin_help'),
    [labelled('signin-name', t('signin_name'), name),
      labelled('signin-pin', t('signin_pin'), pin),
      creating ? labelled('signin-confirm', t('unlock_confirm'), again) : null],
    t(creating ? 'admin_create' : 'signin_button'),
    () => (creating && pin.value !== again.value ? t('unlock_mismatch') : null),
    async () => {
      if (creating) await api.createAdministrator(name.value, pin.value);
      else await api.signIn(name.value, pin.value);
      pin.value = ''; again.value = '';
    });
}
