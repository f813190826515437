// @ts-check
/**
 * Verify: a USB QR scanner "types" the code into the field and presses Enter; a volunteer can
 * also paste the text, or open a picture (a phone screenshot, a photo of a paper card). The
 * verdict is shown in large type with the masked identity the code carries.
 */
import { api, asApiError } from '../api.js';
import { h, replace, filePicker } from '../dom.js';
import { t } from '../i18n.js';
import { toast } from '../shell.js';

/** @param {HTMLElement} main */
export function mount(main) {
  const input = /** @type {HTMLInputElement} */ (h('input', { type: 'text', id: 'verify-input', autocomplete: 'off', spellcheck: 'false', placeholder: t('verify_placeholder') }));
  const picker = filePicker('verify-file', 'image/png,image/jpeg', t('verify_image_button'), t('no_file'));
  const file = picker.input;
  const result = h('div', { class: 'verdict-box', id: 'verify-result', 'aria-live': 'assertive' });
  replace(main, h('section', { class: 'verify' },
    h('h1', null, t('verify_title')),
    h('p', null, t('verify_help')),
    h('form', { class: 'verify-form', onsubmit: (/** @type {Event} */ e) => { e.preventDefault(); check(); } },
      h('label', { for: 'verify-input', class: 'label' }, t('verify_label')), input,
      h('button', { type: 'submit', class: 'primary', id: 'verify-button' }, t('verify_button'))),
    h('div', { class: 'verify-file' }, h('span', null, t('verify_image_label')), picker.root),
    result));
  input.focus();

  async function check() {
    const text = input.value.trim();
    if (!text) return;
    try { show(await api.verifyText(text)); } catch (e) { toast(asApiError(e).message, 'error'); }
    input.select();
  }

  file.addEventListener('change', async () => {
    const f = file.files?.[0];
    if (!f) return;
    try {
      const bytes = new Uint8Array(await f.arrayBuffer());
      show(await api.verifyImage(bytes));
    } catch (e) { toast(asApiError(e).message, 'error'); }
    file.value = '';
  });

  /**
   * Only `valid` is shown as good; `cannot_check` (the station's data could not be read) is
   * refused too, with its technical reason, so a failure never looks like a pass.
   * @param {import('../../types').VerifyResult} r
   */
  function show(r) {
    const good = r.verdict === 'valid';
    replace(result,
      h('p', { class: `verdict ${good ? 'ok' : 'refused'}` }, t(`verdict_${r.verdict}`)),
      h('p', { class: 'verdict-help' }, t(`verdict_${r.verdict}_help`)),
      r.reason ? h('p', { class: 'verdict-help' }, `${t('verify_reason')}: ${r.reason}`) : null,
      r.masked_name ? h('dl', { class: 'facts' },
        h('dt', null, t('f_name')), h('dd', null, r.masked_name),
        h('dt', null, t('id_last4')), h('dd', null, r.id_last4 || ''),
        h('dt', null, t('h_serial')), h('dd', null, r.serial || ''),
        h('dt', null, t('verify_issued_at')), h('dd', null, r.issued_at || ''),
        h('dt', null, t('valid_until_label')), h('dd', null, r.expires_at || ''),
        h('dt', null, t('issuing_station')), h('dd', null, r.station_id || '')) : null);
  }
}
