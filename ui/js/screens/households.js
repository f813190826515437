// @ts-check
/**
 * Households: the list a volunteer scrolls, grouped by road / lane / building.
 *
 * Built for 50,000 residents: rows have a fixed height and only the visible window (plus a
 * little overscan) is in the DOM; pages of 100 households are fetched by offset as they come
 * into view and cached until the query changes. A search or filter change drops the cache,
 * fetches the first page and records keystroke-to-update latency in `window.__nac.search`.
 */
import { api, asApiError } from '../api.js';
import { h, replace } from '../dom.js';
import { t } from '../i18n.js';
import { go, toast, metrics, appInfo } from '../shell.js';
import { stateLabel } from '../status.js';
import { openHouseholdForm } from '../forms.js';
import { openBatchDialog } from '../renew.js';

const ROW_HEIGHT = 64;
const PAGE = 100;
const OVERSCAN = 6;

/** Kept across visits so coming back to the list finds it as it was left. */
const state = {
  /** @type {import('../../types').ListQuery} */
  query: { search: '', expired: false, expiring: false, expiring_within_days: null, never: false, rejected: false, cards_to_replace: false, place: null, offset: 0, limit: PAGE },
  scrollTop: 0,
  focusedIndex: -1,
};

/** @param {HTMLElement} main */
export async function mount(main) {
  const days = appInfo()?.expiring_days ?? 7;
  if (state.query.expiring_within_days === null) state.query.expiring_within_days = days;

  /** @type {Map<number, import('../../types').HouseholdRow[]>} */
  let pages = new Map();
  /** @type {Set<number>} */
  let pending = new Set();
  let total = 0;
  let generation = 0;
  let typedAt = 0;

  const search = /** @type {HTMLInputElement} */ (h('input', {
    type: 'search', id: 'search', value: state.query.search, autocomplete: 'off', spellcheck: 'false',
    placeholder: t('search_placeholder'), 'aria-describedby': 'search-help',
  }));
  const status = h('div', { class: 'list-status', id: 'list-status', 'aria-live': 'polite' });
  const spacer = h('div', { class: 'spacer' });
  const list = h('div', { class: 'vlist', id: 'household-list', role: 'list', 'aria-label': t('households_list') }, spacer);
  const stickyGroup = h('div', { class: 'sticky-group', 'aria-hidden': 'true' });
  const placeChip = h('div', { class: 'place-chip' });
  const tree = h('div', { class: 'tree', id: 'place-tree' }, t('loading'));

  /** @param {string} key @param {string} label */
  const filterBox = (key, label) => h('label', { class: 'check' },
    h('input', { type: 'checkbox', id: `filter-${key}`, checked: /** @type {any} */ (state.query)[key], onchange: (/** @type {Event} */ e) => {
      /** @type {any} */ (state.query)[key] = /** @type {HTMLInputElement} */ (e.target).checked; reload(); } }),
    h('span', null, label));
  const daysInput = /** @type {HTMLInputElement} */ (h('input', {
    type: 'number', min: '1', max: '29', id: 'filter-days', class: 'days', value: String(state.query.expiring_within_days),
    'aria-label': t('filter_days_label'),
    onchange: () => { const n = Number(daysInput.value); if (n >= 1 && n <= 29) { state.query.expiring_within_days = n; reload(); } },
  }));

  replace(main,
    h('section', { class: 'households' },
      h('aside', { class: 'places', 'aria-label': t('places') }, h('h2', null, t('places')), tree),
      h('div', { class: 'list-pane' },
        h('div', { class: 'toolbar' },
          h('label', { class: 'search', for: 'search' }, h('span', { class: 'label' }, t('search')), search),
          h('button', { type: 'button', id: 'add-household', onclick: () => openHouseholdForm(null) }, t('add_household')),
          h('button', { type: 'button', id: 'batch-station', class: 'primary', onclick: () => openBatchDialog({ kind: 'station' }, t('whole_station')) }, t('batch_station')),
        ),
        h('p', { id: 'search-help', class: 'help' }, t('search_help')),
        h('div', { class: 'filters', role: 'group', 'aria-label': t('filters') },
          filterBox('expired', t('filter_expired')),
          h('span', { class: 'check' }, filterBox('expiring', t('filter_expiring')), daysInput, h('span', null, t('days'))),
          filterBox('never', t('filter_never')),
          filterBox('rejected', t('filter_rejected')),
          filterBox('cards_to_replace', t('filter_cards')),
          placeChip,
        ),
        status,
        h('div', { class: 'list-frame' }, stickyGroup, list),
      ),
    ),
  );

  let debounce = 0;
  search.addEventListener('input', () => {
    typedAt = performance.now();
    clearTimeout(debounce);
    debounce = /** @type {any} */ (setTimeout(() => { state.query.search = search.value; reload(typedAt); }, 15));
  });
  search.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown') { e.preventDefault(); focusRow(0); }
    if (e.key === 'Enter') { e.preventDefault(); clearTimeout(debounce); state.query.search = search.value; reload(performance.now()); }
  });
  list.addEventListener('scroll', () => { state.scrollTop = list.scrollTop; render(); }, { passive: true });
  list.addEventListener('keydown', onKey);
  const resize = new ResizeObserver(() => requestAnimationFrame(render));
  resize.observe(list);

  /** @param {number} [startedAt] */
  async function reload(startedAt) {
    const gen = ++generation;
    pages = new Map();
    pending = new Set();
    state.scrollTop = 0;
    list.scrollTop = 0;
    renderPlaceChip();
    await fetchPage(0, gen, startedAt);
  }

  /** @param {number} page @param {number} gen @param {number} [startedAt] */
  async function fetchPage(page, gen, startedAt) {
    if (pending.has(page)) return;
    pending.add(page);
    try {
      const result = await api.householdPage({ ...state.query, offset: page * PAGE, limit: PAGE });
      if (gen !== generation) return;
      total = result.total;
      pages.set(page, result.rows);
      render();
      if (startedAt) {
        const ms = performance.now() - startedAt;
        requestAnimationFrame(() => metrics.search.push(ms));
      }
    } catch (e) {
      toast(asApiError(e).message, 'error');
    } finally {
      pending.delete(page);
    }
  }

  /** @param {number} index */
  function rowAt(index) {
    return pages.get(Math.floor(index / PAGE))?.[index % PAGE];
  }

  function render() {
    spacer.style.height = `${total * ROW_HEIGHT}px`;
    status.textContent = total === 0 ? t('no_households') : t('households_found', { n: total });
    const height = list.clientHeight || 500;
    const first = Math.max(0, Math.floor(list.scrollTop / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(total, Math.ceil((list.scrollTop + height) / ROW_HEIGHT) + OVERSCAN);
    const focused = document.activeElement instanceof HTMLElement && list.contains(document.activeElement)
      ? Number(document.activeElement.dataset.index) : -1;
    const rows = [];
    for (let i = first; i < last; i++) {
      const row = rowAt(i);
      if (!row) { fetchPage(Math.floor(i / PAGE), generation); rows.push(placeholder(i)); continue; }
      rows.push(rowElement(row, i, rowAt(i - 1)));
    }
    replace(spacer, ...rows);
    if (focused >= 0) /** @type {HTMLElement | null} */ (spacer.querySelector(`[data-index="${focused}"]`))?.focus({ preventScroll: true });
    const top = rowAt(Math.floor(list.scrollTop / ROW_HEIGHT));
    stickyGroup.textContent = top ? top.building : '';
  }

  /** @param {number} i */
  function placeholder(i) {
    const el = h('div', { class: 'hh-row placeholder' }, t('loading'));
    el.style.top = `${i * ROW_HEIGHT}px`;
    return el;
  }

  /**
   * @param {import('../../types').HouseholdRow} row
   * @param {number} i
   * @param {import('../../types').HouseholdRow | undefined} previous
   */
  function rowElement(row, i, previous) {
    const firstOfGroup = !previous || previous.building !== row.building;
    const shown = row.members.slice(0, 3);
    const el = h('button', {
      type: 'button', role: 'listitem', class: `hh-row${firstOfGroup ? ' group-start' : ''}`,
      dataset: { index: String(i), id: String(row.id) },
      onclick: () => { state.focusedIndex = i; go('household', { id: row.id }); },
    },
      h('span', { class: 'where' },
        h('span', { class: firstOfGroup ? 'building' : 'building same' }, row.building),
        h('span', { class: 'room' }, row.room || t('no_room'))),
      h('span', { class: 'members' },
        row.members.length === 0 ? h('span', { class: 'muted' }, t('no_members')) : null,
        shown.map((m) => h('span', { class: `chip state-${m.rejected ? 'rejected' : m.state}` },
          h('span', { class: 'name' }, m.name), ' ', h('span', { class: 'word' }, m.rejected ? t('badge_rejected') : stateLabel(m.state, m.days_left)))),
        row.members.length > shown.length ? h('span', { class: 'more' }, t('more_members', { n: row.members.length - shown.length })) : null),
      h('span', { class: 'due' },
        row.expired ? h('span', { class: 'count state-expired' }, t('count_expired', { n: row.expired })) : null,
        row.expiring ? h('span', { class: 'count state-expiring' }, t('count_expiring', { n: row.expiring })) : null,
        row.never ? h('span', { class: 'count state-never' }, t('count_never', { n: row.never })) : null,
        row.cards_to_replace ? h('span', { class: 'count cards' }, t('count_cards', { n: row.cards_to_replace })) : null),
    );
    // Positioned through the CSSOM: the CSP forbids style attributes.
    el.style.top = `${i * ROW_HEIGHT}px`;
    return el;
  }

  /** @param {number} index */
  function focusRow(index) {
    if (total === 0) return;
    const i = Math.max(0, Math.min(total - 1, index));
    const top = i * ROW_HEIGHT;
    if (top < list.scrollTop) list.scrollTop = top;
    else if (top + ROW_HEIGHT > list.scrollTop + list.clientHeight) list.scrollTop = top + ROW_HEIGHT - list.clientHeight;
    render();
    /** @type {HTMLElement | null} */ (spacer.querySelector(`[data-index="${i}"]`))?.focus({ preventScroll: true });
  }

  /** @param {KeyboardEvent} e */
  function onKey(e) {
    const el = /** @type {HTMLElement} */ (e.target);
    const i = Number(el.dataset.index ?? -1);
    const pageRows = Math.max(1, Math.floor(list.clientHeight / ROW_HEIGHT) - 1);
    const moves = { ArrowDown: i + 1, ArrowUp: i - 1, PageDown: i + pageRows, PageUp: i - pageRows, Home: 0, End: total - 1 };
    if (e.key in moves) {
      e.preventDefault();
      if (e.key === 'ArrowUp' && i === 0) { search.focus(); return; }
      focusRow(/** @type {any} */ (moves)[e.key]);
    }
  }

  function renderPlaceChip() {
    const p = state.query.place;
    if (!p) { replace(placeChip); return; }
    const label = [p.road, p.lane ? `${p.lane}${t('lane_unit')}` : '', p.number ? `${p.number}${t('number_unit')}` : ''].filter(Boolean).join(' ');
    replace(placeChip, h('span', null, t('place_only', { place: label })),
      h('button', { type: 'button', id: 'clear-place', onclick: () => { state.query.place = null; reload(); } }, t('clear_place')));
  }

  /** @param {import('../../types').PlaceFilter} place */
  function choosePlace(place) {
    state.query.place = place;
    reload();
  }

  async function loadTree() {
    try {
      const buildings = await api.buildings();
      replace(tree, ...placeTree(buildings, choosePlace));
    } catch (e) {
      replace(tree, asApiError(e).message);
    }
  }

  // First page, then restore where the volunteer was; the tree loads after the list is usable.
  await fetchPage(0, generation);
  renderPlaceChip();
  if (state.scrollTop) { list.scrollTop = state.scrollTop; render(); }
  if (state.focusedIndex >= 0) focusRow(state.focusedIndex); else search.focus();
  if (!metrics.ready) {
    metrics.ready = Date.now();
    // Once, when the list is up: one throw-away search warms SQLite's page cache and the
    // search index, so the volunteer's first keystroke is as fast as the later ones.
    setTimeout(() => api.householdPage({ ...state.query, search: 'a', offset: 0, limit: 1 }).catch(() => {}), 50);
  }
  setTimeout(loadTree, 0);

  return {
    unmount() { resize.disconnect(); clearTimeout(debounce); generation++; },
    refresh() {
      // Keep the scroll position; refetch the pages in view.
      const gen = ++generation;
      pages = new Map();
      pending = new Set();
      const firstPage = Math.floor(list.scrollTop / ROW_HEIGHT / PAGE);
      fetchPage(firstPage, gen);
      loadTree();
    },
  };
}

/**
 * Roads → lanes → buildings, with due counts; built lazily as a volunteer opens a road.
 * @param {import('../../types').Building[]} buildings
 * @param {(p: import('../../types').PlaceFilter) => void} choose
 */
function placeTree(buildings, choose) {
  /** @type {Map<string, {district: string, road: string, lanes: Map<string, import('../../types').Building[]>}>} */
  const roads = new Map();
  for (const b of buildings) {
    const key = `${b.district}\u001f${b.road}`;
    let road = roads.get(key);
    if (!road) { road = { district: b.district, road: b.road, lanes: new Map() }; roads.set(key, road); }
    const lane = road.lanes.get(b.lane) || [];
    lane.push(b);
    road.lanes.set(b.lane, lane);
  }
  /** @param {import('../../types').Building[]} list */
  const sum = (list) => list.reduce((a, b) => ({ expired: a.expired + b.expired, expiring: a.expiring + b.expiring, never: a.never + b.never, households: a.households + b.households }), { expired: 0, expiring: 0, never: 0, households: 0 });
  /** @param {{expired: number, expiring: number, never: number, households: number}} c */
  const counts = (c) => h('span', { class: 'tree-counts' },
    t('tree_households', { n: c.households }),
    c.expired ? h('span', { class: 'count state-expired' }, t('count_expired', { n: c.expired })) : null,
    c.expiring ? h('span', { class: 'count state-expiring' }, t('count_expiring', { n: c.expiring })) : null,
    c.never ? h('span', { class: 'count state-never' }, t('count_never', { n: c.never })) : null);
  if (roads.size === 0) return [h('p', { class: 'muted' }, t('no_households'))];
  return [...roads.values()].map((road) => {
    const all = [...road.lanes.values()].flat();
    const details = h('details', { class: 'road' },
      h('summary', null, h('span', { class: 'tree-name' }, `${road.road}`), h('span', { class: 'muted' }, ` ${road.district}`), counts(sum(all))));
    details.addEventListener('toggle', () => {
      if (!(/** @type {HTMLDetailsElement} */ (details)).open || details.dataset.built) return;
      details.dataset.built = '1';
      details.append(
        h('button', { type: 'button', class: 'tree-pick', onclick: () => choose({ district: road.district, road: road.road, lane: null, number: null }) }, t('whole_road')),
        ...[...road.lanes.entries()].map(([lane, list]) => {
          const laneDetails = h('details', { class: 'lane' },
            h('summary', null, h('span', { class: 'tree-name' }, lane ? `${lane}${t('lane_unit')}` : t('no_lane')), counts(sum(list))));
          laneDetails.addEventListener('toggle', () => {
            if (!(/** @type {HTMLDetailsElement} */ (laneDetails)).open || laneDetails.dataset.built) return;
            laneDetails.dataset.built = '1';
            laneDetails.append(
              h('button', { type: 'button', class: 'tree-pick', onclick: () => choose({ district: road.district, road: road.road, lane, number: null }) }, t('whole_lane')),
              ...list.map((b) => h('button', { type: 'button', class: 'tree-pick building', onclick: () => choose({ district: road.district, road: road.road, lane, number: b.number }) },
                `${b.number}${t('number_unit')}`, counts(b))));
          });
          return laneDetails;
        }));
    });
    return details;
  });
}
