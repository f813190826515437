// @ts-check
/** Chinese first, English on request. `t(key, {param})` fills `{param}` placeholders. */
import { zh, en } from './strings.js';

/** @type {import('../types').Lang} */
let lang = 'zh';
const tables = { zh, en };

/** @param {import('../types').Lang} l */
export function setLang(l) {
  lang = l === 'en' ? 'en' : 'zh';
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
}

export function getLang() { return lang; }

/**
 * @param {string} key
 * @param {Record<string, string | number>} [params]
 */
export function t(key, params) {
  const text = tables[lang][key] ?? zh[key] ?? key;
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
}

/** Fills elements marked `data-i18n` (text) and `data-i18n-aria` (aria-label). */
export function applyStatic() {
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(/** @type {HTMLElement} */ (el).dataset.i18n || '');
  for (const el of document.querySelectorAll('[data-i18n-aria]')) el.setAttribute('aria-label', t(/** @type {HTMLElement} */ (el).dataset.i18nAria || ''));
  document.title = demo ? t('demo_title') : lang === 'zh' ? 'NAC Station 核酸码服务站' : 'NAC Station';
}

/** A demo station: the title says so (the shell sets the window title the same way). */
let demo = false;

/** @param {boolean} d */
export function setDemo(d) { demo = d; }
