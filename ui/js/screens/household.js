// @ts-check
/**
 * One household: its members with status badges, masked ID and phone (a "show" button reveals
 * one resident's full values and is audited), and every action on a member or the household.
 */
import { api, asApiError } from '../api.js';
import { h, replace } from '../dom.js';
import { t } from '../i18n.js';
import { go, toast, isAdmin } from '../shell.js';
import { statusBadges, statusSentence } from '../status.js';
import { openHouseholdForm, openResidentForm, openMoveDialog } from '../forms.js';
import { openRenewDialog, openBatchDialog, openCodeDialog } from '../renew.js';
import { confirm } from '../dialog.js';

/** @param {HTMLElement} main @param {{id: number}} params */
export async function mount(main, params) {
  /** @type {Set<number>} */
  const revealed = new Set();
  let household = await api.household(params.id);
  render();

  function render() {
    const hh = household;
    const due = hh.members.filter((m) => m.status.state !== 'active').length;
    replace(main, h('section', { class: 'household', id: 'household-detail' },
      h('div', { class: 'crumbs' }, h('button', { type: 'button', id: 'back', onclick: () => go('households') }, t('back_to_list'))),
      h('div', { class: 'hh-head' },
        h('div', null,
          h('h1', { id: 'household-address' }, hh.address),
          h('p', { class: 'muted' }, t('household_phone'), ': ', hh.masked_phone || t('none'), ' · ', t('members_count', { n: hh.members.length }))),
        h('div', { class: 'actions' },
          h('button', { type: 'button', id: 'batch-household', class: 'primary', disabled: due === 0, onclick: () => openBatchDialog({ kind: 'household', id: hh.id }, hh.address, reload) },
            t('batch_household', { n: due })),
          h('button', { type: 'button', id: 'add-member', onclick: () => openResidentForm(hh.id, null) }, t('add_member')),
          h('button', { type: 'button', id: 'print-household', onclick: () => go('print', { residents: hh.members.map((m) => m.id), label: hh.address }) }, t('print_household')),
          h('button', { type: 'button', id: 'edit-household', onclick: () => openHouseholdForm(hh) }, t('edit_household')),
          h('button', { type: 'button', id: 'remove-household', class: 'danger', onclick: removeHousehold }, t('remove_household')))),
      hh.members.length === 0
        ? h('p', { class: 'empty', id: 'no-members' }, t('no_members_yet'))
        : h('table', { class: 'table member-table', id: 'members' },
          h('caption', { class: 'sr-only' }, t('members')),
          h('thead', null, h('tr', null, [t('col_name'), t('col_document'), t('col_phone'), t('col_status'), t('col_actions')].map((x) => h('th', { scope: 'col' }, x)))),
          h('tbody', null, hh.members.map(memberRow)))));
  }

  /** @param {import('../../types').Member} m */
  function memberRow(m) {
    return h('tr', { dataset: { resident: String(m.id) } },
      h('th', { scope: 'row', class: 'name' }, m.name, m.notes ? h('div', { class: 'notes' }, m.notes) : null),
      h('td', { class: 'mono', dataset: { role: 'document' } }, m.masked_document),
      h('td', { class: 'mono', dataset: { role: 'phone' } }, m.masked_phone || '—',
        isAdmin() ? h('div', null, h('button', { type: 'button', class: 'link', 'aria-label': t('reveal_for', { name: m.name }), onclick: (/** @type {Event} */ e) => reveal(m, /** @type {HTMLElement} */ (e.target)) }, t('reveal'))) : null),
      h('td', null, statusBadges(m.status), h('div', { class: 'sentence' }, statusSentence(m.status))),
      h('td', null, h('div', { class: 'row-actions' },
        h('button', { type: 'button', class: 'primary', dataset: { action: 'renew' }, onclick: () => openRenewDialog(m, reload) }, t('renew')),
        h('button', { type: 'button', dataset: { action: 'code' }, disabled: !m.status.serial, onclick: () => openCodeDialog(m.id) }, t('show_code')),
        h('button', { type: 'button', dataset: { action: 'edit' }, onclick: () => openResidentForm(household.id, m) }, t('edit')),
        h('button', { type: 'button', dataset: { action: 'move' }, onclick: () => openMoveDialog(m) }, t('move')),
        h('button', { type: 'button', class: 'danger', dataset: { action: 'remove' }, onclick: () => removeMember(m) }, t('remove')))));
  }

  /** @param {import('../../types').Member} m @param {HTMLElement} button */
  async function reveal(m, button) {
    if (revealed.has(m.id)) return;
    try {
      const full = await api.revealResident(m.id);
      revealed.add(m.id);
      const row = main.querySelector(`tr[data-resident="${m.id}"]`);
      const doc = row?.querySelector('[data-role="document"]');
      const phone = row?.querySelector('[data-role="phone"]');
      if (doc) doc.textContent = full.document_number;
      if (phone) phone.textContent = full.phone || '—';
      button.remove();
      toast(t('revealed_logged'));
    } catch (e) { toast(asApiError(e).message, 'error'); }
  }

  /** @param {import('../../types').Member} m */
  async function removeMember(m) {
    if (!(await confirm(t('remove_member_title'), h('p', null, t('remove_member_text', { name: m.name })), t('remove'), 'danger'))) return;
    try { await api.removeResident(m.id); toast(t('removed', { name: m.name })); await reload(); } catch (e) { toast(asApiError(e).message, 'error'); }
  }

  async function removeHousehold() {
    if (!(await confirm(t('remove_household_title'), h('p', null, t('remove_household_text', { address: household.address })), t('remove'), 'danger'))) return;
    try { await api.removeHousehold(household.id); toast(t('household_removed')); go('households'); } catch (e) { toast(asApiError(e).message, 'error'); }
  }

  async function reload() {
    try { household = await api.household(params.id); revealed.clear(); render(); } catch (e) { toast(asApiError(e).message, 'error'); }
  }

  return {
    refresh() { reload(); },
  };
}
