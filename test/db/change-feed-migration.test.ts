import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseHandle, openDatabase } from '../../src/db/connection.js';
import { callFunction } from '../../src/db/functions.js';
import { migrateTo, migrateToLatest, readMigrationFiles } from '../../src/db/migrate.js';
import { readChanges } from '../../src/db/repositories/change-feed.js';
import { type ChangeFeedEntry, changeFeedEntries } from '../../src/domain/change-feed.js';

/**
 * migrations/0009_change_feed.sql on a database that already has applied changes: the feed then
 * starts with them, in the order of their history entries and in the form src/domain/change-feed.ts
 * gives, and the changes applied after the migration follow.
 */

const MOVE_IN = '00000000-0000-4000-8000-000000000001';
const UC1 = '00000000-0000-4000-8000-000000000002';
const UC3 = '00000000-0000-4000-8000-000000000003';
const MAX = {
  pmnumber: '12345611',
  name: 'Mustermann',
  firstname: 'Max',
  additionalname: null,
  commercial: 'NON_COMMERCIAL',
  email: null,
  taxnumber: null,
  phonenumbers: [{ number: '0176-55555555', type: 'MOBILE' }],
};
const MEIKE = { ...MAX, pmnumber: '12345612', name: 'Musterfrau', firstname: 'Meike', email: 'meike@example.org' };
const role = (from: string, to: string | null, pmnumber: string) => ({ role: 'S-COR', from, to, pmnumber });

describe('the change feed of a database migrated with changes already applied', () => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await openDatabase({ dataDir: 'memory://' });
    const db = handle.db;
    await migrateTo(
      db,
      readMigrationFiles().filter((file) => file.name < '0009'),
    );
    await sql`
      INSERT INTO clients (id) VALUES ('acme');
      INSERT INTO billing_units (mscnumber, client_id) VALUES ('654321', 'acme');
      INSERT INTO residential_units (billing_unit, mscnumber) VALUES ('654321', '0001');
    `.execute(db);
    const [unit] = (await sql<{ id: string }>`SELECT id FROM residential_units`.execute(db)).rows;
    for (const [id, at] of [
      [MOVE_IN, '2026-01-01T10:00:00Z'],
      [UC1, '2026-02-01T10:00:00Z'],
      [UC3, '2026-03-01T10:00:00Z'],
    ] as const) {
      await sql`
        INSERT INTO deliveries (id, client_id, credential, billing_unit, residential_unit, unit_key, body, status, processed_at)
        VALUES (${id}, 'acme', 'erp', '654321', '0001', '654321/0001', '{}', 'SUCCESS', ${at})`.execute(db);
    }
    // As the worker wrote them: each role entry, then the partner entry of its INSERT or UPDATE.
    const history: [string, string, string, unknown, unknown][] = [
      [MOVE_IN, 'role', 'INSERT', null, role('2018-05-01', null, '12345611')],
      [MOVE_IN, 'partner', 'INSERT', null, MAX],
      [UC1, 'role', 'UPDATE', role('2018-05-01', null, '12345611'), role('2018-05-01', '2022-05-31', '12345611')],
      [UC1, 'partner', 'UPDATE', MAX, MAX],
      [UC1, 'role', 'INSERT', null, role('2022-06-01', '2022-12-31', '12345612')],
      [UC1, 'partner', 'INSERT', null, MEIKE],
      [UC3, 'role', 'DELETE', role('2022-06-01', '2022-12-31', '12345612'), null],
    ];
    for (const [delivery, entity, change, before, after] of history) {
      await sql`
        INSERT INTO change_history (residential_unit, delivery_id, credential, changed_at, entity, change, before, after)
        SELECT ${unit?.id}, ${delivery}, 'erp', processed_at, ${entity}, ${change},
               ${before === null ? null : JSON.stringify(before)}::jsonb, ${after === null ? null : JSON.stringify(after)}::jsonb
        FROM deliveries WHERE id = ${delivery}`.execute(db);
    }
    await migrateToLatest(db);
  }, 60_000);
  afterAll(() => handle?.close());

  it('starts with the changes applied before, as the worker would have published them', async () => {
    const page = await readChanges(handle.db, undefined, 100);
    const expected = [
      ...changeFeedEntries([
        {
          roleIndex: 0,
          change: 'INSERT',
          before: null,
          after: role('2018-05-01', null, '12345611'),
          partner: { reference: { pmnumber: '12345611' }, ...MAX } as never,
        },
      ]),
      ...changeFeedEntries([
        {
          roleIndex: 0,
          change: 'UPDATE',
          before: role('2018-05-01', null, '12345611'),
          after: role('2018-05-01', '2022-05-31', '12345611'),
          partner: { reference: { pmnumber: '12345611' }, ...MAX } as never,
        },
        {
          roleIndex: 1,
          change: 'INSERT',
          before: null,
          after: role('2022-06-01', '2022-12-31', '12345612'),
          partner: { reference: { pmnumber: '12345612' }, ...MEIKE } as never,
        },
      ]),
      ...changeFeedEntries([
        {
          roleIndex: 0,
          change: 'DELETE',
          before: role('2022-06-01', '2022-12-31', '12345612'),
          after: null,
          partner: null,
        },
      ]),
    ];
    const unit = { client: 'acme', billingUnit: '654321', residentialUnit: '0001' };
    expect(page?.changes.map(({ cursor: _, ...change }) => change)).toEqual([
      { dataDeliveryId: MOVE_IN, ...unit, appliedAt: '2026-01-01T10:00:00.000Z', ...expected[0] },
      { dataDeliveryId: UC1, ...unit, appliedAt: '2026-02-01T10:00:00.000Z', ...expected[1] },
      { dataDeliveryId: UC1, ...unit, appliedAt: '2026-02-01T10:00:00.000Z', ...expected[2] },
      { dataDeliveryId: UC3, ...unit, appliedAt: '2026-03-01T10:00:00.000Z', ...expected[3] },
    ]);
    // the partner in E2's member order, as the worker renders it
    expect(JSON.stringify(page?.changes[2]?.partner)).toBe(JSON.stringify(expected[2]?.partner));
  });

  it('then continues with the changes applied after the migration', async () => {
    const before = await readChanges(handle.db, undefined, 100);
    await handle.db.transaction().execute((trx) =>
      callFunction(trx, 'osr_store_outcomes', {
        p_outcomes: [],
        p_changes: [
          {
            deliveryId: UC3,
            client: 'acme',
            billingUnit: '654321',
            residentialUnit: '0001',
            ...(changeFeedEntries([
              { roleIndex: 0, change: 'INSERT', before: null, after: role('2023-01-01', null, '9'), partner: null },
            ])[0] as ChangeFeedEntry),
          },
        ],
      }),
    );
    const after = await readChanges(handle.db, undefined, 100);
    expect(after?.changes.slice(0, 4)).toEqual(before?.changes);
    expect(after?.changes).toHaveLength(5);
    expect(after?.changes[4]?.after).toEqual({
      role: 'S-COR',
      from: '2023-01-01',
      to: '9999-12-31',
      partner: { pmnumber: '9' },
    });
  });
});
