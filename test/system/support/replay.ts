import { isDeepStrictEqual } from 'node:util';
import type { Kysely } from 'kysely';
import type { Database } from '../../../src/db/schema.js';
import type { DeliveryBody } from '../../../src/domain/delivery-schema.js';
import { processDelivery } from '../../../src/domain/process-delivery.js';
import type { TimelineRole } from '../../../src/domain/timeline.js';
import { SYSTEM } from './system-seed.js';

export interface ReplayReport {
  /** Every stored delivery, in acceptance order. */
  stored: { id: string; status: string }[];
  /** Each difference between what is stored and what the pure rules give. */
  problems: string[];
  /** Deliveries with more role changes in the history than the replay gives. */
  appliedTwice: number;
}

/**
 * Replays each unit's stored deliveries in acceptance order with the pure rules, from an empty
 * unit, and compares every delivery's status and role messages, the number of role changes in
 * the change history per delivery, and the unit's final roles with what is stored.
 */
export async function compareWithReplay(
  db: Kysely<Database>,
  residentialUnits: readonly string[],
): Promise<ReplayReport> {
  const problems: string[] = [];
  const stored = await db
    .selectFrom('deliveries')
    .select(['id', 'residential_unit', 'body', 'status', 'role_messages'])
    .orderBy('seq')
    .execute();
  const history = await db.selectFrom('change_history').select(['delivery_id']).where('entity', '=', 'role').execute();
  const changesByDelivery = new Map<string, number>();
  for (const entry of history) {
    changesByDelivery.set(entry.delivery_id, (changesByDelivery.get(entry.delivery_id) ?? 0) + 1);
  }

  let appliedTwice = 0;
  for (const ru of residentialUnits) {
    let timeline: TimelineRole[] = [];
    for (const row of stored.filter((r) => r.residential_unit === ru)) {
      const decision = processDelivery(
        {
          clientId: SYSTEM.client,
          billingUnitPath: SYSTEM.billingUnit,
          residentialUnitPath: ru,
          body: row.body as DeliveryBody,
        },
        { billingUnit: { clientId: SYSTEM.client, contracts: ['S-COR'] }, residentialUnit: { roles: timeline } },
      );
      if (decision.status !== row.status) problems.push(`${row.id}: expected ${decision.status}, stored ${row.status}`);
      const expectedMessages = decision.roleMessages.length ? decision.roleMessages : null;
      if (!isDeepStrictEqual(expectedMessages, row.role_messages)) problems.push(`${row.id}: role messages differ`);
      const expectedChanges = decision.status === 'SUCCESS' ? decision.changes.length : 0;
      const recorded = changesByDelivery.get(row.id) ?? 0;
      if (recorded !== expectedChanges) {
        problems.push(`${row.id}: ${recorded} role changes recorded, expected ${expectedChanges}`);
        if (recorded > expectedChanges) appliedTwice += 1;
      }
      for (const change of decision.status === 'SUCCESS' ? decision.changes : []) {
        if (change.before) {
          timeline = timeline.filter((r) => !(r.role === change.before?.role && r.from === change.before.from));
        }
        if (change.after) timeline = [...timeline, change.after];
      }
    }
    const roles = await db
      .selectFrom('roles')
      .innerJoin('residential_units', 'residential_units.id', 'roles.residential_unit')
      .select(['role', 'from_date', 'to_date', 'partner_pmnumber'])
      .where('residential_units.billing_unit', '=', SYSTEM.billingUnit)
      .where('residential_units.mscnumber', '=', ru)
      .orderBy('from_date')
      .execute();
    const actual = roles.map((r) => `${r.role} ${r.from_date}…${r.to_date ?? 'open'} ${r.partner_pmnumber}`);
    const expected = [...timeline]
      .sort((a, b) => (a.from < b.from ? -1 : 1))
      .map((r) => `${r.role} ${r.from}…${r.to ?? 'open'} ${r.pmnumber}`);
    if (!isDeepStrictEqual(actual, expected)) problems.push(`unit ${ru}: final roles differ from the replay`);
  }
  return { stored: stored.map(({ id, status }) => ({ id, status })), problems, appliedTwice };
}
