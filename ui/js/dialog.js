// @ts-check
/** One modal dialog at a time (native <dialog>: focus is trapped, Esc closes it). */
import { h, byId, replace } from './dom.js';
import { t } from './i18n.js';

/**
 * Opens the dialog with a title, a body and action buttons; resolves when it closes.
 * @param {string} title
 * @param {Node | Node[]} body
 * @param {{label: string, kind?: string, id?: string, onclick?: (close: () => void) => void}[]} [actions]
 * @returns {{ close: () => void, body: HTMLElement, actions: HTMLElement, closed: Promise<void> }}
 */
export function openDialog(title, body, actions) {
  const dialog = /** @type {HTMLDialogElement} */ (byId('dialog'));
  if (dialog.open) dialog.close();
  const bodyEl = h('div', { class: 'dialog-body' }, body);
  const close = () => { if (dialog.open) dialog.close(); };
  const actionsEl = h('div', { class: 'dialog-actions' });
  for (const a of actions || [{ label: t('close'), onclick: close }]) {
    actionsEl.append(h('button', { type: 'button', class: a.kind || '', id: a.id, onclick: () => (a.onclick ? a.onclick(close) : close()) }, a.label));
  }
  replace(dialog, h('h2', { id: 'dialog-title' }, title), bodyEl, actionsEl);
  const closed = new Promise((resolve) => dialog.addEventListener('close', () => resolve(undefined), { once: true }));
  dialog.showModal();
  const first = /** @type {HTMLElement | null} */ (bodyEl.querySelector('input, select, textarea, button') || actionsEl.querySelector('button'));
  first?.focus();
  return { close, body: bodyEl, actions: actionsEl, closed };
}

/**
 * A yes/no question; resolves true for yes.
 * @param {string} title @param {Node | Node[]} body @param {string} yes @param {string} [kind]
 * @returns {Promise<boolean>}
 */
export function confirm(title, body, yes, kind = 'primary') {
  return new Promise((resolve) => {
    let answer = false;
    const d = openDialog(title, body, [
      { label: yes, kind, id: 'confirm-yes', onclick: (close) => { answer = true; close(); } },
      { label: t('cancel'), id: 'confirm-no' },
    ]);
    d.closed.then(() => resolve(answer));
  });
}
