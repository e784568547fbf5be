import { isDeepStrictEqual } from 'node:util';
import type { Kysely } from 'kysely';
import type { Database } from '../../../src/db/schema.js';
import type { DeliveryBody } from '../../../src/domain/delivery-schema.js';
import { DEFAULT_PROFILE, type ProcessingProfile, processDelivery } from '../../../src/domain/process-delivery.js';
import { applyChanges } from '../../../src/domain/role-diff.js';
import { sortTimeline, type TimelineRole } from '../../../src/domain/timeline.js';
import { type PartnerRecord, renderUnitDocument } from '../../../src/domain/unit-document.js';
import { unitWrites } from '../../../src/domain/unit-writes.js';

export interface ReplayReport {
  /** Every stored delivery, in acceptance order. */
  stored: { id: string; status: string }[];
  /** Each difference between what is stored and what the pure rules give (the first 200). */
  problems: string[];
  /** Deliveries with more role changes in the history than the replay gives. */
  appliedTwice: number;
  /** How often each message of `messages` and `roleMessages` was stored, by `key message`. */
  messageCounts: Record<string, number>;
}

export interface ReplayOptions {
  /** The profile the workers ran with (default `kalo`). */
  profile?: ProcessingProfile;
  /**
   * The billing unit's closed-until when this delivery was processed; default the stored one
   * (right when it never changed while deliveries were processed).
   */
  closedUntilOf?: (delivery: { id: string; billingUnit: string }) => string | null;
}

interface UnitState {
  roles: TimelineRole[];
  partners: Map<string, PartnerRecord>;
}

const MAX_PROBLEMS = 200;
const orNull = <T>(items: T[]) => (items.length === 0 ? null : items);
/** As stored in jsonb and read back: undefined members dropped. */
const asStored = (value: unknown) => (value === undefined ? undefined : JSON.parse(JSON.stringify(value)));
const roleText = (r: TimelineRole) => `${r.role} ${r.from}…${r.to ?? 'open'} ${r.pmnumber}`;

/**
 * Replays every stored delivery in acceptance order through the pure rules (processDelivery with
 * the given profile, then unitWrites), starting from units without roles, and compares the whole
 * store with the result: each delivery's status and message lists, the change history each
 * delivery wrote (entity, change, before, after), and per residential unit its roles, partners,
 * E2 document and references. Deliveries to paths that name no unit are replayed too (D1–D6).
 */
export async function compareWithReplay(db: Kysely<Database>, options: ReplayOptions = {}): Promise<ReplayReport> {
  const profile = options.profile ?? DEFAULT_PROFILE;
  const problems: string[] = [];
  const problem = (text: string) => problems.length < MAX_PROBLEMS && problems.push(text);

  const deliveries = await db
    .selectFrom('deliveries')
    .select([
      'id',
      'client_id',
      'billing_unit',
      'residential_unit',
      'body',
      'status',
      'messages',
      'role_messages',
      'partner_messages',
    ])
    .orderBy('seq')
    .execute();
  const billingUnits = new Map(
    (await db.selectFrom('billing_units').selectAll().execute()).map((row) => [row.mscnumber, row]),
  );
  const residentialUnits = await db.selectFrom('residential_units').selectAll().execute();
  const unitByPath = new Map(residentialUnits.map((row) => [`${row.billing_unit}/${row.mscnumber}`, row]));
  const historyByDelivery = new Map<string, unknown[]>();
  for (const entry of await db.selectFrom('change_history').selectAll().orderBy('id').execute()) {
    const entries = historyByDelivery.get(entry.delivery_id) ?? [];
    entries.push({ entity: entry.entity, change: entry.change, before: entry.before, after: entry.after });
    historyByDelivery.set(entry.delivery_id, entries);
  }

  const states = new Map<string, UnitState>(); // by residential unit id
  const stateOf = (id: string) => {
    const state = states.get(id) ?? { roles: [], partners: new Map() };
    states.set(id, state);
    return state;
  };
  /**
   * The residential unit's reference as its last SUCCESS delivery sent it (kept when it sent
   * none); for a billing unit, every reference its units' SUCCESS deliveries sent: deliveries of
   * different units may commit out of acceptance order when several workers run.
   */
  const expectedPmnumber = {
    billingUnits: new Map<string, Set<string>>(),
    residentialUnits: new Map<string, string>(),
  };
  const messageCounts: Record<string, number> = {};
  let appliedTwice = 0;

  for (const delivery of deliveries) {
    const body = delivery.body as DeliveryBody;
    const billingUnit = billingUnits.get(delivery.billing_unit);
    const unit = billingUnit ? unitByPath.get(`${delivery.billing_unit}/${delivery.residential_unit}`) : undefined;
    const state = unit ? stateOf(unit.id) : undefined;
    const closedUntil = options.closedUntilOf
      ? options.closedUntilOf({ id: delivery.id, billingUnit: delivery.billing_unit })
      : (billingUnit?.closed_until ?? null);
    let decision: ReturnType<typeof processDelivery>;
    try {
      decision = processDelivery(
        {
          clientId: delivery.client_id,
          billingUnitPath: delivery.billing_unit,
          residentialUnitPath: delivery.residential_unit,
          body,
        },
        {
          billingUnit: billingUnit
            ? { clientId: billingUnit.client_id, contracts: billingUnit.contracts, closedUntil }
            : null,
          residentialUnit: state ? { roles: state.roles } : null,
        },
        profile,
      );
    } catch (error) {
      problem(`${delivery.id}: the pure rules threw ${(error as Error).message}`);
      continue;
    }
    for (const list of [delivery.messages, delivery.role_messages] as ({ key: string; message: string }[] | null)[]) {
      for (const { key, message } of list ?? []) {
        messageCounts[`${key} ${message}`] = (messageCounts[`${key} ${message}`] ?? 0) + 1;
      }
    }
    if (decision.status !== delivery.status) {
      problem(`${delivery.id}: the replay gives ${decision.status}, stored ${delivery.status}`);
    }
    for (const [name, expected, actual] of [
      ['messages', decision.messages, delivery.messages],
      ['roleMessages', decision.roleMessages, delivery.role_messages],
      ['partnerMessages', decision.partnerMessages, delivery.partner_messages],
    ] as const) {
      if (!isDeepStrictEqual(asStored(orNull([...expected])), actual)) {
        problem(`${delivery.id}: ${name} differ: replay ${JSON.stringify(expected)}, stored ${JSON.stringify(actual)}`);
      }
    }

    const recorded = historyByDelivery.get(delivery.id) ?? [];
    let expectedHistory: unknown[] = [];
    if (decision.status === 'SUCCESS' && unit && state) {
      const writes = unitWrites(
        { roles: state.roles, partners: [...state.partners.values()] },
        decision.changes,
        profile.supportedRoles,
      );
      expectedHistory = asStored(writes.history);
      state.roles = applyChanges(state.roles, decision.changes);
      for (const partner of writes.partners) state.partners.set(partner.pmnumber, partner);
      const { reference, residentialunit } = body.billingunit;
      if (reference.pmnumber != null) {
        const sent = expectedPmnumber.billingUnits.get(delivery.billing_unit) ?? new Set();
        expectedPmnumber.billingUnits.set(delivery.billing_unit, sent.add(reference.pmnumber));
      }
      if (residentialunit.reference.pmnumber != null) {
        expectedPmnumber.residentialUnits.set(unit.id, residentialunit.reference.pmnumber);
      }
    }
    if (!isDeepStrictEqual(recorded, expectedHistory)) {
      problem(
        `${delivery.id}: ${recorded.length} history entries, the replay gives ${expectedHistory.length} (or others)`,
      );
      const roleEntries = (entries: unknown[]) => entries.filter((e) => (e as { entity: string }).entity === 'role');
      if (roleEntries(recorded).length > roleEntries(expectedHistory).length) appliedTwice += 1;
    }
  }

  // The store at the end, per residential unit: roles, partners, E2 document, references.
  const storedRoles = await db.selectFrom('roles').selectAll().execute();
  const storedPartners = await db.selectFrom('partners').selectAll().execute();
  for (const unit of residentialUnits) {
    const where = `unit ${unit.billing_unit}/${unit.mscnumber}`;
    const state = stateOf(unit.id);
    const actualRoles = sortTimeline(
      storedRoles
        .filter((r) => r.residential_unit === unit.id)
        .map((r) => ({ role: r.role, from: r.from_date, to: r.to_date, pmnumber: r.partner_pmnumber })),
    ).map(roleText);
    const expectedRoles = sortTimeline(state.roles).map(roleText);
    if (!isDeepStrictEqual(actualRoles, expectedRoles)) {
      problem(`${where}: roles ${JSON.stringify(actualRoles)}, the replay gives ${JSON.stringify(expectedRoles)}`);
    }
    const byPmnumber = (a: { pmnumber: string }, b: { pmnumber: string }) => (a.pmnumber < b.pmnumber ? -1 : 1);
    const actualPartners = storedPartners
      .filter((p) => p.residential_unit === unit.id)
      .map(({ residential_unit: _, ...partner }) => partner)
      .sort(byPmnumber);
    const expectedPartners = asStored([...state.partners.values()].sort(byPmnumber));
    if (!isDeepStrictEqual(asStored(actualPartners), expectedPartners)) problem(`${where}: partners differ`);
    const document = renderUnitDocument(state.roles, state.partners.values(), profile.supportedRoles);
    if (unit.roles_document !== document) problem(`${where}: E2 document differs from the replay`);
    const pmnumber = expectedPmnumber.residentialUnits.get(unit.id) ?? null;
    if (unit.pmnumber !== pmnumber) problem(`${where}: pmnumber ${unit.pmnumber}, the replay gives ${pmnumber}`);
  }
  for (const [mscnumber, billingUnit] of billingUnits) {
    const sent = expectedPmnumber.billingUnits.get(mscnumber);
    if (sent ? !sent.has(billingUnit.pmnumber as string) : billingUnit.pmnumber !== null) {
      problem(`billing unit ${mscnumber}: pmnumber ${billingUnit.pmnumber}, not one its SUCCESS deliveries sent`);
    }
  }
  return { stored: deliveries.map(({ id, status }) => ({ id, status })), problems, appliedTwice, messageCounts };
}
