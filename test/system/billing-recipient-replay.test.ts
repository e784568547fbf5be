import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeBillingUnit } from '../../src/db/repositories/billing-units.js';
import { seedMasterData } from '../../src/db/repositories/master-data-seed.js';
import { defaultContracts, profileNamed } from '../../src/domain/profiles.js';
import { type Harness, postDelivery, startHarness } from '../support/harness.js';
import { waitFor } from '../support/processes.js';
import { MESSAGE, type RuleId } from '../support/spec.js';
import { BillingRecipientDeliveries, seededRandom, type Unit } from './support/billing-recipient-deliveries.js';
import { compareWithReplay } from './support/replay.js';
import { systemSize } from './support/size.js';
import { SYSTEM, SYSTEM_AUTH } from './support/system-seed.js';

/**
 * The arge profile's store against the pure rules: random sequences of billing-recipient
 * deliveries (test/system/support/billing-recipient-deliveries.ts, seeded) to six units of two
 * billing units go through E1 and the real worker (two claim loops) on PostgreSQL; then every
 * delivery is replayed in acceptance order through processDelivery with the same profile, and the
 * whole store must be what the replay gives: each delivery's status and messages, its change
 * history, each unit's roles (so its billing-recipient timeline), partners and E2 document. One
 * billing unit's closed-until moves forward between phases (after the queue drained, so each
 * delivery's closed-until is known). `REPLAY_SEED` replays a run.
 */
const ARGE = profileNamed('arge');
const DELIVERIES = systemSize('REPLAY_DELIVERIES', { ci: 600, local: 400 });
const SEED = Number(process.env.REPLAY_SEED ?? Date.now() % 1_000_000);
/** Closed-until of CLOSING during each phase (null: none yet); the other billing unit stays open. */
const CLOSINGS = [null, '2020-12-31', '2021-12-31', '2022-06-30'] as const;
const CLOSING = SYSTEM.billingUnit;
const OPEN = '654322';
const UNITS: Unit[] = [CLOSING, OPEN].flatMap((billingUnit) =>
  ['0001', '0002', '0003'].map((residentialUnit) => ({ billingUnit, residentialUnit })),
);
const BILLING_RECIPIENT_RULES: RuleId[] = ['BR-I1', 'BR-U1', 'BR-U2', 'BR-X1', 'BR-X2', 'BR-X3', 'BR-T1', 'BR-T2'];
/** OSR-2005 is one text for three rows: the change of the echoed role tells them apart. */
const CLOSED_BY_CHANGE: Record<string, RuleId> = { INSERT: 'BR-I1', UPDATE: 'BR-U2', DELETE: 'BR-X2' };

/** How often each rule of 8.3/8.4 decided a stored delivery. */
async function billingRecipientRuleHits(h: Harness): Promise<Partial<Record<RuleId, number>>> {
  type Message = { key: string; message: string; role?: string; from?: string; partner?: { pmnumber: string } };
  type Role = { change: string; role: string; from: string; partner: { pmnumber: string } };
  const rows = await h.database.handle.db
    .selectFrom('deliveries')
    .select(['body', 'messages', 'role_messages'])
    .where('status', '=', 'FAIL')
    .execute();
  const hits: Partial<Record<RuleId, number>> = {};
  const count = (id: RuleId) => {
    hits[id] = (hits[id] ?? 0) + 1;
  };
  for (const row of rows) {
    const roles = (row.body as { billingunit: { residentialunit: { roles: Role[] } } }).billingunit.residentialunit
      .roles;
    for (const message of [...((row.messages as Message[]) ?? []), ...((row.role_messages as Message[]) ?? [])]) {
      const id = BILLING_RECIPIENT_RULES.find(
        (rule) => MESSAGE[rule].key === message.key && MESSAGE[rule].message === message.message,
      );
      if (!id) continue;
      if (message.key !== MESSAGE['BR-I1'].key) {
        count(id);
        continue;
      }
      const echoed = roles.find(
        (role) =>
          role.role === message.role &&
          role.from === message.from &&
          role.partner.pmnumber === message.partner?.pmnumber,
      );
      if (echoed) count(CLOSED_BY_CHANGE[echoed.change] as RuleId);
    }
  }
  return hits;
}

describe('billing recipients under arge: the store equals a replay through the pure rules', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ profile: ARGE, workerLoops: 2 });
    h.logs.remember(SYSTEM.password);
    await seedMasterData(h.database.handle.db, {
      clients: [
        {
          id: SYSTEM.client,
          billingUnits: [CLOSING, OPEN].map((mscnumber) => ({
            mscnumber,
            contracts: defaultContracts(ARGE),
            residentialUnits: ['0001', '0002', '0003'],
          })),
        },
      ],
      credentials: [{ clientId: SYSTEM.client, username: SYSTEM.username, password: SYSTEM.password }],
    });
  });
  afterAll(() => h?.close());

  it(`${DELIVERIES} random deliveries in ${CLOSINGS.length} phases: statuses, messages, history, roles, partners and E2 as replayed`, async () => {
    const { db } = h.database.handle;
    const random = seededRandom(SEED);
    const traffic = new BillingRecipientDeliveries(
      random,
      ARGE,
      { id: SYSTEM.client, contracts: defaultContracts(ARGE) },
      CLOSINGS.filter((day) => day !== null),
    );
    const closedUntilOf = new Map<string, string | null>();
    const started = Date.now();
    for (const [phase, closedUntil] of CLOSINGS.entries()) {
      if (closedUntil) expect(await closeBillingUnit(db, CLOSING, closedUntil)).toBe('set');
      const count = Math.floor(DELIVERIES / CLOSINGS.length) + (phase < DELIVERIES % CLOSINGS.length ? 1 : 0);
      for (let i = 0; i < count; i++) {
        const unit = UNITS[Math.floor(random() * UNITS.length)] as Unit;
        const body = traffic.next(unit);
        const response = await postDelivery(h.app, SYSTEM_AUTH, unit.billingUnit, unit.residentialUnit, body);
        expect(response.statusCode, response.body).toBe(202);
        const unitClosedUntil = unit.billingUnit === CLOSING ? closedUntil : null;
        closedUntilOf.set(response.json().dataDeliveryId, unitClosedUntil);
        traffic.accepted(unit, body, unitClosedUntil);
      }
      // drained before closed-until moves: every delivery of the phase saw this phase's date
      await waitFor(
        async () =>
          (await db.selectFrom('deliveries').select('id').where('status', '=', 'PENDING').limit(1).execute()).length ===
          0,
        60_000,
        `phase ${phase + 1} processed`,
      );
    }
    const sentMs = Date.now() - started;

    const replay = await compareWithReplay(db, {
      profile: ARGE,
      closedUntilOf: ({ id }) => closedUntilOf.get(id) ?? null,
    });
    const statuses: Record<string, number> = {};
    for (const { status } of replay.stored) statuses[status] = (statuses[status] ?? 0) + 1;
    const ruleHits = await billingRecipientRuleHits(h);
    const hits = (id: RuleId) => ruleHits[id] ?? 0;
    const roles = await db.selectFrom('roles').select('role').execute();
    console.log(
      [
        `billing-recipient replay (seed ${SEED}; REPLAY_SEED=${SEED} repeats it): ${replay.stored.length} deliveries ` +
          `sent and processed in ${(sentMs / 1000).toFixed(1)} s, ${JSON.stringify(statuses)}`,
        `8.3/8.4 messages: ${JSON.stringify(ruleHits)}; other messages: ${
          Object.entries(replay.messageCounts).filter(([text]) => !text.startsWith('OSR-200')).length
        } kinds`,
        `roles stored at the end: ${roles.length}; differences from the replay: ${replay.problems.length}`,
      ].join('\n'),
    );

    expect(replay.stored).toHaveLength(DELIVERIES);
    expect(replay.problems.slice(0, 20), 'differences between the store and the replay').toEqual([]);
    expect(replay.appliedTwice).toBe(0);
    // the run reached every rule of 8.3 and 8.4, and both outcomes
    for (const id of BILLING_RECIPIENT_RULES) expect(hits(id), `${id} never happened`).toBeGreaterThan(0);
    expect(statuses.SUCCESS ?? 0, 'SUCCESS deliveries').toBeGreaterThan(DELIVERIES / 10);
    expect(statuses.FAIL ?? 0, 'FAIL deliveries').toBeGreaterThan(DELIVERIES / 10);
    expect(roles.filter(({ role }) => role === 'S-BIR' || role === 'S-BVA').length).toBeGreaterThan(0);
  });
});
