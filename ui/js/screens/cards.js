// @ts-check
/**
 * Cards to replace (R8): printed cards of superseded or rejected codes still in circulation.
 * A volunteer gives the resident a card of the current code (print it) and marks the old one
 * taken back.
 */
import { api, asApiError } from '../api.js';
import { h, replace } from '../dom.js';
import { t } from '../i18n.js';
import { go, toast } from '../shell.js';

/** @param {HTMLElement} main */
export async function mount(main) {
  async function load() {
    const cards = await api.cardsToReplace();
    replace(main, h('section', { class: 'cards' },
      h('h1', null, t('cards_title')),
      h('p', null, t('cards_help')),
      cards.length === 0 ? h('p', { class: 'empty', id: 'no-cards' }, t('cards_none')) :
        h('table', { class: 'table', id: 'cards-table' },
          h('thead', null, h('tr', null, [t('col_name'), t('col_address'), t('h_void_serial'), t('h_printed_at'), t('h_reason'), t('h_current'), t('col_actions')].map((x) => h('th', { scope: 'col' }, x)))),
          h('tbody', null, cards.map((c) => h('tr', null,
            h('th', { scope: 'row' }, c.name), h('td', null, c.address), h('td', { class: 'mono' }, c.serial), h('td', null, c.printed_at),
            h('td', null, t(`code_state_${c.code_state}`)),
            h('td', { class: 'mono' }, c.current_serial || t('renew_first')),
            h('td', null, h('div', { class: 'row-actions' },
              h('button', { type: 'button', class: 'primary', disabled: !c.current_serial, onclick: () => go('print', { residents: [c.resident_id], label: c.name }) }, t('print_current')),
              h('button', { type: 'button', onclick: async () => {
                try { await api.withdrawCard(c.card_id); toast(t('card_withdrawn')); await load(); } catch (e) { toast(asApiError(e).message, 'error'); }
              } }, t('withdraw'))))))))));
  }
  await load();
  return { refresh() { load().catch(() => {}); } };
}
