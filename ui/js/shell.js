// @ts-check
/**
 * What a screen may ask of the app frame — go to another screen, show a toast, who is signed in,
 * refresh the header, switch language, lock — without importing the frame. app.js mounts the
 * screens and hands its actions over here at start (`attachFrame`), so imports point one way:
 * app.js → screens → shell.js, never back from a screen to app.js.
 */
import { byId } from './dom.js';

/** Metrics the benchmarks read through WebDriver. */
export const metrics = /** @type {any} */ (window).__nac = { ready: 0, startedAtMs: 0, search: /** @type {number[]} */ ([]) };

/** @type {import('./api.js').AppInfo | null} */
let info = null;

/** Who is signed in, the station's name and settings, as last read (null before sign-in). */
export function appInfo() { return info; }

/** @param {import('./api.js').AppInfo | null} next */
export function setAppInfo(next) { info = next; }

/** Whether the volunteer signed in may see full numbers, accounts and the audit log. */
export function isAdmin() { return info?.role === 'admin'; }

/** @param {string} message @param {'ok' | 'error'} [kind] */
export function toast(message, kind = 'ok') {
  const el = byId('toast');
  el.textContent = message;
  el.className = `toast show ${kind}`;
  clearTimeout(/** @type {any} */ (el).timer);
  /** @type {any} */ (el).timer = setTimeout(() => { el.className = 'toast'; }, kind === 'error' ? 8000 : 4000);
}

/**
 * @typedef {{
 *   go: (name: string, params?: any) => Promise<void>,
 *   refreshHeader: () => Promise<void>,
 *   switchLanguage: (lang: import('./api.js').Lang) => Promise<void>,
 *   lockScreen: (reason: 'lock' | 'idle') => Promise<void>,
 * }} Frame
 */

/** @type {Frame | null} */
let frame = null;

/** app.js, once at start: the frame's actions the screens call through this module. @param {Frame} f */
export function attachFrame(f) { frame = f; }

/**
 * Shows a screen. `households` keeps its search, filters and scroll position when you come back.
 * @param {string} name
 * @param {any} [params]
 */
export function go(name, params) { return frame ? frame.go(name, params) : Promise.resolve(); }

/** Reads the station's name, who is signed in and the counts into the header again. */
export function refreshHeader() { return frame ? frame.refreshHeader() : Promise.resolve(); }

/** @param {import('./api.js').Lang} lang */
export function switchLanguage(lang) { return frame ? frame.switchLanguage(lang) : Promise.resolve(); }

/** Signs the volunteer out and covers the app with the sign-in screen. @param {'lock' | 'idle'} reason */
export function lockScreen(reason) { return frame ? frame.lockScreen(reason) : Promise.resolve(); }
