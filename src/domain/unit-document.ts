import { OPEN_END } from './delivery-schema.js';
import type { StoredPartner } from './response-schema.js';
import { sortTimeline, type Timeline } from './timeline.js';

/**
 * E2's answer (spec section 6), rendered here and nowhere else. The worker renders a unit's
 * `roles` and `partners` members whenever it changes them and stores the text with them; E2 then
 * only wraps that text with the timestamp and the references, without parsing or serialising
 * the stored roles per request.
 */

/** A partner as stored per residential unit: E2's partner without the `reference` wrapper. */
export type PartnerRecord = Omit<StoredPartner, 'reference'> & { pmnumber: string };

const byPmnumber = (a: PartnerRecord, b: PartnerRecord) =>
  a.pmnumber < b.pmnumber ? -1 : a.pmnumber > b.pmnumber ? 1 : 0;

/**
 * The compact JSON text of E2's `roles` and `partners` members (keys in the order of the E2
 * schema): every role of a type the profile shows, in E2's sort order (by `from`, then type:
 * `timelineOrder` in timeline.ts), an open `to` as 9999-12-31; every stored partner those roles
 * reference, by pmnumber. null when the unit has no such role (E2 then answers "No on-site-roles
 * found in residential unit.").
 */
export function renderUnitDocument(
  roles: Timeline,
  partners: Iterable<PartnerRecord>,
  shownRoleTypes: ReadonlySet<string>,
): string | null {
  const shown = sortTimeline(roles.filter((role) => shownRoleTypes.has(role.role)));
  if (shown.length === 0) return null;
  const referenced = new Set(shown.map((role) => role.pmnumber));
  const shownPartners = [...partners].filter((partner) => referenced.has(partner.pmnumber)).sort(byPmnumber);
  const roleList = shown.map((role) => ({
    role: role.role,
    from: role.from,
    to: role.to ?? OPEN_END,
    partner: { pmnumber: role.pmnumber },
  }));
  const partnerList = shownPartners.map((partner) => ({
    reference: { pmnumber: partner.pmnumber },
    name: partner.name,
    firstname: partner.firstname,
    additionalname: partner.additionalname,
    commercial: partner.commercial,
    email: partner.email,
    taxnumber: partner.taxnumber,
    phonenumbers: partner.phonenumbers.map(({ number, type }) => ({ number, type })),
  }));
  return `"roles":${JSON.stringify(roleList)},"partners":${JSON.stringify(partnerList)}`;
}

export interface UnitReference {
  mscnumber: string;
  pmnumber: string | null;
}

/** The whole E2 body around a stored document. */
export function renderCurrentRoles(answer: {
  timestamp: Date;
  billingUnit: UnitReference;
  residentialUnit: UnitReference;
  document: string;
}): string {
  const reference = ({ pmnumber, mscnumber }: UnitReference) => JSON.stringify({ pmnumber, mscnumber });
  return (
    `{"timestamp":${JSON.stringify(answer.timestamp.toISOString())},` +
    `"billingunit":{"reference":${reference(answer.billingUnit)},` +
    `"residentialunit":{"reference":${reference(answer.residentialUnit)},${answer.document}}}}`
  );
}
