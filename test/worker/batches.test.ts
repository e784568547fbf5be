import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rerenderUnitDocuments } from '../../src/db/repositories/unit-documents.js';
import { DEFAULT_PROFILE } from '../../src/domain/process-delivery.js';
import { processNextBatch } from '../../src/worker/apply-delivery.js';
import { basic, getResult, getRoles, type Harness, postDelivery, seed, startHarness } from '../support/harness.js';
import { delivery, MESSAGE, MUSTERMANN, moveInMustermann } from '../support/spec.js';

/**
 * The worker claims and stores several deliveries per transaction. These tests call one batch
 * directly (no worker running) to pin down what a batch may hold and what happens when one of
 * its deliveries fails unexpectedly.
 */

const BU = '654321';
const AUTH = basic('acme-erp', 'acme-password');
const UNITS = ['0001', '0002', '0003', '0004', '0005'];

describe('worker batches', () => {
  let h: Harness;
  const post = async (ru: string, body: unknown) => {
    const response = await postDelivery(h.app, AUTH, BU, ru, body);
    expect(response.statusCode).toBe(202);
    return response.json().dataDeliveryId as string;
  };
  const statusOf = async (id: string) => (await getResult(h.app, AUTH, BU, id)).json().status as string;
  const pending = async () =>
    (
      await h.database.handle.db
        .selectFrom('deliveries')
        .select(sql<number>`count(*)::int`.as('n'))
        .where('status', '=', 'PENDING')
        .executeTakeFirstOrThrow()
    ).n;

  beforeAll(async () => {
    h = await startHarness({ worker: false });
    await seed(h, {
      clients: [{ id: 'acme', billingUnits: [{ mscnumber: BU, units: UNITS }] }],
      credentials: [{ clientId: 'acme', username: 'acme-erp', password: 'acme-password' }],
    });
  });
  afterAll(() => h?.close());

  it('holds only the oldest pending delivery of each unit, and keeps each unit in order', async () => {
    const firstA = await post('0001', moveInMustermann({ ru: '0001' }));
    const secondA = await post('0001', moveInMustermann({ ru: '0001' })); // same unit, after the first
    const firstB = await post('0002', moveInMustermann({ ru: '0002' }));

    const batch = await processNextBatch(h.database.handle.db, DEFAULT_PROFILE, 32);
    expect(batch.batchError).toBeUndefined();
    expect(batch.processed.map((p) => p.id)).toEqual([firstA, firstB]);
    expect(await statusOf(secondA)).toBe('PENDING');

    // the second delivery of unit 0001 comes next and sees the first one applied: the same
    // move-in again is refused
    const next = await processNextBatch(h.database.handle.db, DEFAULT_PROFILE, 32);
    expect(next.processed.map((p) => p.id)).toEqual([secondA]);
    expect(next.processed[0]?.status).toBe('FAIL');
    expect(await pending()).toBe(0);
  });

  it('respects the limit and processes in acceptance order', async () => {
    const ids = [];
    for (const ru of ['0003', '0004', '0005']) {
      ids.push(
        await post(
          ru,
          delivery(
            [
              {
                role: 'S-COR',
                change: 'INSERT',
                from: '2020-01-01',
                partner: { pmnumber: MUSTERMANN.reference.pmnumber },
              },
            ],
            [MUSTERMANN],
            { ru },
          ),
        ),
      );
    }
    const batch = await processNextBatch(h.database.handle.db, DEFAULT_PROFILE, 2);
    expect(batch.processed.map((p) => p.id)).toEqual(ids.slice(0, 2));
    expect((await processNextBatch(h.database.handle.db, DEFAULT_PROFILE, 2)).processed.map((p) => p.id)).toEqual(
      ids.slice(2),
    );
    expect((await processNextBatch(h.database.handle.db, DEFAULT_PROFILE, 2)).processed).toEqual([]);
  });

  it('one delivery failing unexpectedly rolls the batch back; each is then processed alone with its own result', async () => {
    const { db } = h.database.handle;
    await sql`
      CREATE FUNCTION osr_test_batch_boom() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'boom (batch test trigger)';
      END $$;
      CREATE TRIGGER osr_test_batch_boom BEFORE INSERT ON roles FOR EACH ROW
      WHEN (NEW.partner_pmnumber = 'BOOM') EXECUTE FUNCTION osr_test_batch_boom();
    `.execute(db);
    try {
      const boom = { ...MUSTERMANN, reference: { pmnumber: 'BOOM' } };
      const move = (pmnumber: string, from: string) => [
        { role: 'S-COR', change: 'INSERT', from, partner: { pmnumber } },
      ];
      // Each unit's open role since 2020 ends with 2020; unit 0004 then moves BOOM in (its trigger raises).
      const close2020 = {
        role: 'S-COR',
        change: 'UPDATE',
        from: '2020-01-01',
        to: '2020-12-31',
        partner: { pmnumber: MUSTERMANN.reference.pmnumber },
      };
      const good1 = await post('0003', delivery([close2020], [MUSTERMANN], { ru: '0003' }));
      const bad = await post(
        '0004',
        delivery([close2020, ...move('BOOM', '2021-01-01')], [MUSTERMANN, boom], { ru: '0004' }),
      );
      const good2 = await post('0005', delivery([close2020], [MUSTERMANN], { ru: '0005' }));

      const batch = await processNextBatch(db, DEFAULT_PROFILE, 32);
      expect(String((batch.batchError as Error | undefined)?.message)).toContain('boom (batch test trigger)');
      expect(batch.processed.map((p) => [p.id, p.status])).toEqual([
        [good1, 'SUCCESS'],
        [bad, 'FAIL'],
        [good2, 'SUCCESS'],
      ]);
      const failed = (await getResult(h.app, AUTH, BU, bad)).json();
      expect(failed.roleMessages).toEqual([
        {
          ...MESSAGE.INSERT_UNEXPECTED,
          role: 'S-COR',
          from: '2021-01-01',
          to: '9999-12-31',
          partner: { pmnumber: 'BOOM', mscnumber: null },
        },
      ]);
      // nothing of the failed delivery was applied: its UPDATE before the failing INSERT is rolled back
      const unit4 = await db
        .selectFrom('roles')
        .innerJoin('residential_units', 'residential_units.id', 'roles.residential_unit')
        .select(['roles.from_date', 'roles.to_date'])
        .where('residential_units.mscnumber', '=', '0004')
        .execute();
      expect(unit4).toEqual([{ from_date: '2020-01-01', to_date: null }]);
      expect(await pending()).toBe(0);
    } finally {
      await sql`DROP TRIGGER IF EXISTS osr_test_batch_boom ON roles`.execute(db);
    }
  });

  it("leaves every unit's stored E2 document equal to one rebuilt from its roles and partners", async () => {
    const { db } = h.database.handle;
    const stored = await db.selectFrom('residential_units').select('roles_document').execute();
    expect(stored.filter((unit) => unit.roles_document !== null)).toHaveLength(UNITS.length);
    // rendering every unit again from its roles and partners tables changes nothing
    expect(await rerenderUnitDocuments(db, DEFAULT_PROFILE.supportedRoles)).toEqual([]);
    // and it is what E2 sends: valid JSON of the schema's roles and partners
    const roles = (await getRoles(h.app, AUTH, BU, '0004')).json().billingunit.residentialunit;
    expect(roles.roles).toEqual([
      { role: 'S-COR', from: '2020-01-01', to: '9999-12-31', partner: { pmnumber: MUSTERMANN.reference.pmnumber } },
    ]);
    expect(roles.partners).toEqual([{ ...MUSTERMANN, additionalname: null, email: null, taxnumber: null }]);
  });
});
