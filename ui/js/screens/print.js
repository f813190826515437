// @ts-check
/**
 * Print: waits for the printing engine (the `nac-print` crate). Until the shell can render
 * cards, this screen says so plainly instead of pretending to print; the residents chosen on
 * another screen are listed so the volunteer knows what is waiting.
 */
import { h, replace } from '../dom.js';
import { t } from '../i18n.js';

/** @param {HTMLElement} main @param {{residents?: number[], label?: string} | undefined} params */
export function mount(main, params) {
  replace(main, h('section', { class: 'print' },
    h('h1', null, t('print_title')),
    params?.label ? h('p', { class: 'lead' }, t('print_chosen', { who: params.label, n: params.residents?.length ?? 0 })) : null,
    h('p', { class: 'warning', id: 'print-unavailable' }, t('print_unavailable'))));
}
