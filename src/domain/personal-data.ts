/**
 * Spec 10.4, personal data over time: what `osr purge --older-than <days>` takes out of old change
 * history and change-feed entries. Decided here; src/db/repositories/operator.ts only applies it.
 *
 *   - A partner's personal data are its names (name, firstname, additionalname), e-mail, phone
 *     numbers and tax number; its pmnumber (which the roles name) and `commercial` stay.
 *   - Purged: history entries and feed entries whose change was applied more than `days` days
 *     before the purge runs (a whole number ≥ 0). The change itself stays (role, dates, pmnumber);
 *     a purged feed entry shows `partner: null`.
 *   - Never purged: what E2 shows for the current roles (the unit's partners and its document).
 */
export const PARTNER_PERSONAL_FIELDS = [
  'name',
  'firstname',
  'additionalname',
  'email',
  'phonenumbers',
  'taxnumber',
] as const;
