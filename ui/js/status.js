// @ts-check
/** How a resident's code status reads on screen: a badge word plus a sentence, never colour alone. */
import { h } from './dom.js';
import { t } from './i18n.js';

/**
 * Badge text for a code state (with days left for valid codes).
 * @param {import('../types').CodeState} state
 * @param {number | null} daysLeft
 */
export function stateLabel(state, daysLeft) {
  switch (state) {
    case 'active': return t('state_active_days', { days: daysLeft ?? 0 });
    case 'expiring': return t('state_expiring_days', { days: daysLeft ?? 0 });
    case 'expired': return t('state_expired');
    default: return t('state_never');
  }
}

/**
 * The badges of one member: state, and queued / rejected / applied today / cards to replace.
 * @param {import('../types').Status} s
 * @returns {HTMLElement}
 */
export function statusBadges(s) {
  return h('span', { class: 'badges' },
    h('span', { class: `badge state-${s.state}` }, stateLabel(s.state, s.days_left)),
    s.rejected && h('span', { class: 'badge state-rejected' }, t('badge_rejected')),
    s.queued_for_sync > 0 && h('span', { class: 'badge queued' }, t('badge_queued')),
    s.applied_today && h('span', { class: 'badge today' }, t('badge_applied_today')),
    s.cards_to_replace > 0 && h('span', { class: 'badge cards' }, t('badge_cards', { n: s.cards_to_replace })),
  );
}

/** @param {import('../types').Status} s */
export function statusSentence(s) {
  if (s.state === 'never') return t('sentence_never');
  if (s.state === 'expired') return t('sentence_expired');
  return t('sentence_valid_until', { date: s.expires_at ?? '', days: s.days_left ?? 0 });
}
