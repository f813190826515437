// @ts-check
/**
 * Household and resident forms. Every field is validated by the core; its messages come back
 * per field and are shown under the field (in the UI language), all at once.
 */
import { api, asApiError } from './api.js';
import { h, replace } from './dom.js';
import { t } from './i18n.js';
import { openDialog } from './dialog.js';
import { go, toast, isAdmin } from './shell.js';

/**
 * @param {string} name @param {string} label @param {string} value
 * @param {{type?: string, required?: boolean, help?: string, options?: [string, string][]}} [opts]
 */
function field(name, label, value, opts = {}) {
  const id = `f-${name}`;
  const control = opts.options
    ? h('select', { id, name }, opts.options.map(([v, l]) => h('option', { value: v, selected: v === value }, l)))
    : h('input', { id, name, type: opts.type || 'text', value, autocomplete: 'off', 'aria-describedby': `${id}-error` });
  return h('div', { class: 'field', dataset: { field: name } },
    h('label', { for: id }, label, opts.required ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : null),
    control,
    opts.help ? h('small', { class: 'help' }, opts.help) : null,
    h('div', { class: 'field-error', id: `${id}-error`, role: 'alert' }));
}

/** @param {HTMLElement} form @param {string} name */
function value(form, name) {
  const el = /** @type {HTMLInputElement | null} */ (form.querySelector(`[name="${name}"]`));
  return el ? (el.type === 'checkbox' ? String(el.checked) : el.value) : '';
}

/**
 * Shows the core's field messages under their fields; focuses the first bad field.
 * @param {HTMLElement} form @param {import('../types').ApiError} error @param {Record<string, string>} [alias]
 */
function showErrors(form, error, alias = {}) {
  for (const el of form.querySelectorAll('.field-error')) el.textContent = '';
  for (const el of form.querySelectorAll('.field')) el.classList.remove('invalid');
  const general = /** @type {HTMLElement} */ (form.querySelector('.form-error'));
  general.textContent = error.message;
  let first = null;
  for (const f of error.fields) {
    const name = alias[f.field] || f.field;
    const box = form.querySelector(`.field[data-field="${name}"]`);
    if (!box) { general.textContent += ` ${f.message}`; continue; }
    box.classList.add('invalid');
    const err = box.querySelector('.field-error');
    if (err) err.textContent = f.message;
    first = first || box.querySelector('input, select');
  }
  /** @type {HTMLElement | null} */ (first)?.focus();
}

/**
 * Add (household null) or edit a household.
 * @param {import('../types').Household | null} household
 */
export async function openHouseholdForm(household) {
  let phone = '';
  // Administrators edit the full phone; a volunteer sees it masked, and an untouched masked
  // value keeps the stored phone (the core compares it with the mask).
  if (household && isAdmin()) {
    try { phone = (await api.householdPhone(household.id)) || ''; } catch (e) { toast(asApiError(e).message, 'error'); }
  } else if (household) {
    phone = household.masked_phone || '';
  }
  const v = household || { district: '', road: '', lane: '', number: '', room: '' };
  const form = h('form', { class: 'form', id: 'household-form', novalidate: true },
    h('div', { class: 'form-error', role: 'alert' }),
    h('div', { class: 'grid' },
      field('district', t('f_district'), v.district, { required: true, help: t('f_district_help') }),
      field('road', t('f_road'), v.road, { required: true, help: t('f_road_help') }),
      field('lane', t('f_lane'), v.lane, { help: t('f_lane_help') }),
      field('number', t('f_number'), v.number, { required: true, help: t('f_number_help') }),
      field('room', t('f_room'), v.room, { help: t('f_room_help') }),
      field('phone', t('f_household_phone'), phone, { type: 'tel' })));
  const d = openDialog(household ? t('edit_household') : t('add_household'), form, [
    { label: t('save'), kind: 'primary', id: 'save-household', onclick: () => save() },
    { label: t('cancel') },
  ]);
  form.addEventListener('submit', (e) => { e.preventDefault(); save(); });
  async function save() {
    /** @type {import('../types').HouseholdForm} */
    const input = { district: value(form, 'district'), road: value(form, 'road'), lane: value(form, 'lane'), number: value(form, 'number'), room: value(form, 'room'), phone: value(form, 'phone') };
    try {
      if (household) {
        await api.updateHousehold(household.id, input);
        d.close();
        toast(t('saved'));
        go('household', { id: household.id });
      } else {
        const id = await api.addHousehold(input);
        d.close();
        toast(t('household_added'));
        go('household', { id });
      }
    } catch (e) {
      const err = asApiError(e);
      if (err.code === 'duplicate_address') err.fields = [{ field: 'room', message: err.message }];
      showErrors(form, err, { household_phone: 'phone' });
    }
  }
}

/**
 * Add a member to a household (member null) or edit one (full values are revealed for the
 * form, which the core records in the audit log).
 * @param {number} householdId
 * @param {import('../types').Member | null} member
 */
export async function openResidentForm(householdId, member) {
  let documentNumber = '';
  let phone = '';
  if (member && isAdmin()) {
    try {
      const full = await api.revealResident(member.id);
      documentNumber = full.document_number;
      phone = full.phone || '';
    } catch (e) { toast(asApiError(e).message, 'error'); return; }
  } else if (member) {
    documentNumber = member.masked_document;
    phone = member.masked_phone || '';
  }
  const docTypes = /** @type {[string, string][]} */ ([
    ['resident_id', t('doc_resident_id')], ['hk_macau_permit', t('doc_hk_macau')], ['taiwan_permit', t('doc_taiwan')], ['passport', t('doc_passport')]]);
  const smart = h('input', { type: 'checkbox', id: 'f-has_smartphone', name: 'has_smartphone', checked: member?.has_smartphone });
  const form = h('form', { class: 'form', id: 'resident-form', novalidate: true },
    h('div', { class: 'form-error', role: 'alert' }),
    h('div', { class: 'grid' },
      field('name', t('f_name'), member?.name || '', { required: true }),
      field('document_type', t('f_document_type'), member?.document_type || 'resident_id', { options: docTypes }),
      field('document_number', t('f_document_number'), documentNumber, { required: true, help: t('f_document_number_help') }),
      field('phone', t('f_phone'), phone, { type: 'tel', help: t('f_phone_help') }),
      field('notes', t('f_notes'), member?.notes || ''),
      h('div', { class: 'field' }, h('label', { class: 'check' }, smart, h('span', null, t('f_has_smartphone'))))));
  const d = openDialog(member ? t('edit_member_title', { name: member.name }) : t('add_member'), form, [
    { label: t('save'), kind: 'primary', id: 'save-resident', onclick: () => save() },
    { label: t('cancel') },
  ]);
  form.addEventListener('submit', (e) => { e.preventDefault(); save(); });
  async function save() {
    /** @type {import('../types').ResidentForm} */
    const input = {
      name: value(form, 'name'), document_type: value(form, 'document_type'), document_number: value(form, 'document_number'),
      phone: value(form, 'phone'), notes: value(form, 'notes'), has_smartphone: /** @type {HTMLInputElement} */ (smart).checked,
    };
    try {
      if (member) await api.updateResident(member.id, input); else await api.addResident(householdId, input);
      d.close();
      toast(member ? t('saved') : t('member_added', { name: input.name.trim() }));
      go('household', { id: householdId });
    } catch (e) {
      const err = asApiError(e);
      if (err.code === 'duplicate_document') err.fields = [{ field: 'document_number', message: err.message }];
      showErrors(form, err);
    }
  }
}

/**
 * Moves a member to another household, found by address or a member's name.
 * @param {import('../types').Member} member
 */
export function openMoveDialog(member) {
  const input = /** @type {HTMLInputElement} */ (h('input', { type: 'search', id: 'move-search', placeholder: t('move_search_placeholder') }));
  const results = h('div', { class: 'move-results', role: 'list' });
  const d = openDialog(t('move_title', { name: member.name }), [
    h('label', { for: 'move-search' }, t('move_search_label')), input, results,
  ], [{ label: t('cancel') }]);
  let seq = 0;
  input.addEventListener('input', async () => {
    const mine = ++seq;
    if (!input.value.trim()) { replace(results); return; }
    try {
      const page = await api.householdPage({ search: input.value, expired: false, expiring: false, expiring_within_days: null, never: false, rejected: false, cards_to_replace: false, place: null, offset: 0, limit: 8 });
      if (mine !== seq) return;
      replace(results, ...page.rows.filter((r) => r.id !== member.household_id).map((r) =>
        h('button', { type: 'button', role: 'listitem', class: 'move-target', onclick: async () => {
          try {
            await api.moveResident(member.id, r.id);
            d.close();
            toast(t('moved', { name: member.name }));
            go('household', { id: r.id });
          } catch (e) { toast(asApiError(e).message, 'error'); }
        } }, `${r.building} ${r.room}`, h('span', { class: 'muted' }, ` ${r.members.map((m) => m.name).join('、')}`))));
    } catch (e) { toast(asApiError(e).message, 'error'); }
  });
}
