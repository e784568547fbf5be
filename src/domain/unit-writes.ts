import type { DeliveryPartner } from './delivery-schema.js';
import type { AppliedChange } from './process-delivery.js';
import { applyChanges, diffRoles, type RoleDiff } from './role-diff.js';
import type { Timeline } from './timeline.js';
import { type PartnerRecord, renderUnitDocument } from './unit-document.js';

/**
 * What a SUCCESS delivery writes to its residential unit (spec 5.3, last paragraph): the net role
 * changes, the delivered partner data of every INSERT and UPDATE, an append-only history entry
 * per change (before/after), and the unit's new E2 document. Pure: the worker only stores it.
 */
export interface UnitWrites {
  roles: RoleDiff;
  partners: PartnerRecord[];
  history: HistoryEntry[];
  rolesDocument: string | null;
}

export interface HistoryEntry {
  entity: 'role' | 'partner';
  change: string;
  before: unknown;
  after: unknown;
}

/** The delivered partner data as stored (missing fields as null, commercial by default NON_COMMERCIAL). */
export function toPartnerRecord(pmnumber: string, partner: DeliveryPartner): PartnerRecord {
  return {
    pmnumber,
    name: partner.name ?? null,
    firstname: partner.firstname ?? null,
    additionalname: partner.additionalname ?? null,
    commercial: partner.commercial ?? 'NON_COMMERCIAL',
    email: partner.email ?? null,
    taxnumber: partner.taxnumber ?? null,
    phonenumbers: partner.phonenumbers ?? [],
  };
}

export function unitWrites(
  unit: { roles: Timeline; partners: readonly PartnerRecord[] },
  changes: readonly AppliedChange[],
  shownRoleTypes: ReadonlySet<string>,
): UnitWrites {
  const partners = new Map(unit.partners.map((partner) => [partner.pmnumber, partner]));
  const written = new Map<string, PartnerRecord>();
  const history: HistoryEntry[] = [];
  for (const change of changes) {
    history.push({ entity: 'role', change: change.change, before: change.before, after: change.after });
    const pmnumber = change.after?.pmnumber;
    if (change.partner && pmnumber) {
      const record = toPartnerRecord(pmnumber, change.partner);
      const before = partners.get(pmnumber) ?? null;
      history.push({ entity: 'partner', change: before ? 'UPDATE' : 'INSERT', before, after: record });
      partners.set(pmnumber, record);
      written.set(pmnumber, record);
    }
  }
  return {
    roles: diffRoles(unit.roles, changes),
    partners: [...written.values()],
    history,
    rolesDocument: renderUnitDocument(applyChanges(unit.roles, changes), partners.values(), shownRoleTypes),
  };
}
