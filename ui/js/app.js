// @ts-check
/**
 * The app frame: header (station name, counts, language switch), the tab bar, the router that
 * mounts one screen at a time into <main>, the idle lock, and the station's change events, which
 * make the open screen and the header refresh. Screens reach these through shell.js (which this
 * module fills in at start), never by importing this module: imports point one way.
 */
import { api, on, asApiError, whenLockedOut } from './api.js';
import { t, setLang, setDemo, getLang, applyStatic } from './i18n.js';
import { byId, replace, h } from './dom.js';
import * as households from './screens/households.js';
import * as household from './screens/household.js';
import * as verify from './screens/verify.js';
import * as cards from './screens/cards.js';
import * as print from './screens/print.js';
import * as sync from './screens/sync.js';
import * as files from './screens/files.js';
import * as settings from './screens/settings.js';
import { openStation } from './unlock.js';
import { metrics, appInfo, setAppInfo, toast, attachFrame } from './shell.js';

/**
 * @typedef {{ unmount?: () => void, refresh?: (change: import('./api.js').StationChanged) => void, relabel?: () => void }} Mounted
 * @typedef {{ mount: (main: HTMLElement, params: any) => Mounted | void | Promise<Mounted | void> }} Screen
 */

// Script errors are kept where the end-to-end tests can read them (and shown to the volunteer).
const errors = /** @type {string[]} */ ((/** @type {any} */ (window)).__nacErrors = []);
window.addEventListener('error', (e) => errors.push(String(e.message)));
window.addEventListener('unhandledrejection', (e) => errors.push(String(e.reason?.message ?? e.reason)));

/** @type {Record<string, Screen>} */
const screens = { households, household, verify, cards, print, sync, files, settings };

/** @type {{name: string, params: any, mounted: Mounted | null}} */
const current = { name: '', params: null, mounted: null };

let navigation = 0;

/**
 * Shows a screen. `households` keeps its search, filters and scroll position when you come back.
 * @param {string} name
 * @param {any} [params]
 */
async function go(name, params) {
  current.mounted?.unmount?.();
  current.mounted = null;
  current.name = name;
  current.params = params;
  const token = ++navigation;
  // Each visit mounts into its own element: a slow screen that finishes loading after the
  // volunteer has already moved on writes into a detached element, never over the new screen.
  const main = byId('main');
  const root = h('div', { class: 'screen' });
  replace(main, root);
  main.dataset.screen = name;
  for (const tab of document.querySelectorAll('nav.tabs button')) {
    const el = /** @type {HTMLElement} */ (tab);
    const active = el.dataset.screen === name || (name === 'household' && el.dataset.screen === 'households');
    if (active) el.setAttribute('aria-current', 'page'); else el.removeAttribute('aria-current');
  }
  try {
    const mounted = await screens[name].mount(root, params);
    if (token === navigation) current.mounted = mounted || null;
    else mounted?.unmount?.();
  } catch (e) {
    if (token === navigation) toast(asApiError(e).message, 'error');
  }
}

async function refreshHeader() {
  try {
    const [i, c] = await Promise.all([api.appInfo(), api.counts()]);
    setAppInfo(i);
    byId('station-name').textContent = i.station_name;
    // The built-in account's name is an identifier ("station"): the header says what it is.
    byId('signed-in').textContent = i.volunteer === 'station'
      ? t('signed_in_builtin')
      : t(i.role === 'admin' ? 'signed_in_admin' : 'signed_in_volunteer', { name: i.volunteer });
    byId('header-counts').textContent = t('header_counts', {
      households: c.households, residents: c.residents, expired: c.expired, expiring: c.expiring, never: c.never,
    });
  } catch (e) {
    toast(asApiError(e).message, 'error');
  }
}

/** @param {import('./api.js').Lang} lang */
async function switchLanguage(lang) {
  setLang(lang);
  applyStatic();
  byId('lang-switch').textContent = lang === 'zh' ? 'English' : '中文';
  byId('lang-switch').setAttribute('lang', lang === 'zh' ? 'en' : 'zh-CN');
  try { await api.setLanguage(lang); } catch (e) { toast(asApiError(e).message, 'error'); }
  await refreshHeader();
  await go(current.name || 'households', current.params);
}

async function start() {
  attachFrame({ go, refreshHeader, switchLanguage, lockScreen });
  metrics.startedAtMs = await api.startedAtMs().catch(() => 0);
  const status = await api.unlockStatus();
  if (status.state !== 'open') {
    setLang(status.language);
    applyStatic();
    document.body.classList.add('locked');
    await openStation(status);
    document.body.classList.remove('locked');
  }
  const info = await api.appInfo();
  setAppInfo(info);
  setLang(info.language);
  setDemo(info.demo);
  byId('demo-banner').hidden = !info.demo;
  applyStatic();
  byId('lang-switch').textContent = info.language === 'zh' ? 'English' : '中文';
  byId('lang-switch').addEventListener('click', () => switchLanguage(getLang() === 'zh' ? 'en' : 'zh'));
  for (const tab of document.querySelectorAll('nav.tabs button')) {
    const el = /** @type {HTMLElement} */ (tab);
    el.addEventListener('click', () => go(el.dataset.screen || 'households'));
  }
  on('station-changed', (/** @type {import('./api.js').StationChanged} */ change) => {
    scheduleHeaderRefresh();
    current.mounted?.refresh?.(change);
  });
  byId('lock-button').addEventListener('click', () => lockScreen('lock'));
  document.addEventListener('keydown', (e) => {
    if (e.ctrlKey && (e.key === 'l' || e.key === 'L')) { e.preventDefault(); lockScreen('lock'); }
  });
  for (const kind of ['keydown', 'mousedown', 'mousemove', 'wheel', 'touchstart']) {
    document.addEventListener(kind, () => { lastInput = Date.now(); reportInput(); }, { passive: true });
  }
  // The backend refuses every command once it has heard of no input for the idle time; its
  // refusal (or the station closing) brings the start screen, whatever this page's timer did.
  whenLockedOut(() => {
    if (appInfo() && !locking && !document.body.classList.contains('locked')) lockScreen('idle');
  });
  setInterval(() => {
    const now = appInfo();
    if (!locking && now && Date.now() - lastInput > now.idle_lock_seconds * 1000) lockScreen('idle');
  }, 1000);
  refreshHeader();
  await go('households');
}

let lastInput = Date.now();
let lastReported = 0;
let locking = false;

/**
 * Tells the backend the volunteer is there (input, at most every few seconds: a quarter of
 * the idle time, and never less often than every 5 s), so its idle lock counts from the last
 * input as this page's does. Screens that reload by themselves do not count.
 */
function reportInput() {
  const info = appInfo();
  if (!info || locking || document.body.classList.contains('locked')) return;
  const every = Math.min(5000, info.idle_lock_seconds * 250);
  if (Date.now() - lastReported < every) return;
  lastReported = Date.now();
  api.touch().catch(() => { /* refused: the start screen follows (whenLockedOut) */ });
}

/**
 * Locks the screen (the Lock button, Ctrl+L, or no input for the idle time): the volunteer
 * is signed out and the sign-in screen covers everything until someone signs in again.
 * @param {'lock' | 'idle'} reason
 */
async function lockScreen(reason) {
  if (locking) return;
  locking = true;
  try {
    current.mounted?.unmount?.();
    current.mounted = null;
    closeOpenDialog();
    try { await api.lock(reason); } catch (e) { /* already signed out: the sign-in screen follows */ }
    document.body.classList.add('locked');
    await openStation(await api.unlockStatus());
    document.body.classList.remove('locked');
    setAppInfo(await api.appInfo());
    lastInput = Date.now();
    lastReported = Date.now();
    await refreshHeader();
    await go(current.name || 'households', current.params);
  } finally {
    locking = false;
  }
}

/** A dialog left open (a form, a code) must not stay on screen over the sign-in. */
function closeOpenDialog() {
  const dialog = /** @type {HTMLDialogElement} */ (byId('dialog'));
  if (dialog.open) dialog.close();
}

let headerTimer = 0;
function scheduleHeaderRefresh() {
  clearTimeout(headerTimer);
  headerTimer = /** @type {any} */ (setTimeout(refreshHeader, 150));
}

start().catch((e) => toast(asApiError(e).message, 'error'));
