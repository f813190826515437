// @ts-check
/** Tiny DOM helpers. Text always goes in as text (never as HTML), so roster data cannot inject markup. */

/**
 * Creates an element. `attrs` keys: `class`, `on<event>` handlers, `dataset`, booleans, others as attributes.
 * @param {string} tag
 * @param {Record<string, any> | null} [attrs]
 * @param {...(Node | string | number | null | undefined | false | (Node | string | null | undefined | false)[])} children
 * @returns {HTMLElement}
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else if (key === 'style') {
      throw new Error('style attributes are blocked by the CSP; set el.style.* instead');
    } else if (key === 'class') {
      el.className = value;
    } else if (key === 'dataset') {
      Object.assign(el.dataset, value);
    } else if (key === 'value') {
      /** @type {any} */ (el).value = value;
    } else if (key === 'checked') {
      /** @type {any} */ (el).checked = !!value;
    } else if (value === true) {
      el.setAttribute(key, '');
    } else {
      el.setAttribute(key, String(value));
    }
  }
  append(el, children);
  return el;
}

/** @param {HTMLElement} el @param {any[]} children */
function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : String(child));
  }
}

/** Replaces the element's children. @param {HTMLElement} el @param {...any} children */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

/** @param {string} id @returns {HTMLElement} */
export function byId(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} missing`);
  return el;
}

/**
 * A file picker that reads in the UI language: a button (keyboard-reachable) that opens a
 * hidden native file input, and the chosen file's name next to it.
 * @param {string} id  the input's id
 * @param {string} accept
 * @param {string} label  the button text
 * @param {string} none  shown before a file is chosen
 * @returns {{ root: HTMLElement, input: HTMLInputElement }}
 */
export function filePicker(id, accept, label, none) {
  const input = /** @type {HTMLInputElement} */ (h('input', { type: 'file', id, accept, hidden: true }));
  const name = h('span', { class: 'file-name' }, none);
  input.addEventListener('change', () => { name.textContent = input.files?.[0]?.name || none; });
  const button = h('button', { type: 'button', id: `${id}-button`, onclick: () => input.click() }, label);
  return { root: h('span', { class: 'file-picker' }, button, ' ', name, input), input };
}
