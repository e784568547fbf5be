import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../src/auth/authenticator.js';
import { hashPassword } from '../../src/auth/password.js';
import { type AcceptBatcher, createAcceptBatcher } from '../../src/db/accept-batcher.js';
import { type DatabaseHandle, openDatabase } from '../../src/db/connection.js';
import { addClient, addCredential } from '../../src/db/repositories/admin.js';
import type { Checked } from '../../src/db/repositories/credentials.js';
import { acceptDelivery, unitKey } from '../../src/db/repositories/deliveries.js';
import type { DeliveryBody } from '../../src/domain/delivery-schema.js';
import { createTestDatabase, multiConnectionSkipReason, type TestDatabase } from '../support/database.js';
import { chainedDelivery } from '../support/spec.js';

/**
 * E1's group commit (src/db/accept-batcher.ts, osr_accept_batch): concurrent accepts are stored
 * in batches, within a unit in each process's call order, each answered only once its row is
 * committed; a row whose credential changed, or that cannot be stored, affects only its request.
 */
const BU = '654321';
const UNITS = Array.from({ length: 10 }, (_, i) => String(i + 1).padStart(4, '0'));
const skipReason = multiConnectionSkipReason();
if (skipReason) console.warn(`[skipped] group commit across connections: ${skipReason}`);

let database: TestDatabase;
let erp: Principal;
let other: Principal;
beforeAll(async () => {
  database = await createTestDatabase();
  await addClient(database.handle.db, 'acme', undefined);
  const credential = async (username: string): Promise<Principal> => {
    const passwordHash = await hashPassword(`${username}-password`);
    await addCredential(database.handle.db, {
      clientId: 'acme',
      username,
      password: `${username}-password`,
      passwordHash,
      readOnly: false,
    });
    return { username, clientId: 'acme', readOnly: false, passwordHash };
  };
  erp = await credential('erp');
  other = await credential('other');
});
afterAll(async () => {
  await database?.destroy();
});

const newDelivery = (ru: string, k = 0) => ({
  id: randomUUID(),
  billingUnit: BU,
  residentialUnit: ru,
  body: chainedDelivery(ru, k) as unknown as DeliveryBody,
  requestId: `req-${ru}-${k}`,
});

/** The stored ids of a unit, in `seq` order. */
const storedOrder = async (ru: string) =>
  (
    await sql<{ id: string }>`SELECT id FROM deliveries WHERE unit_key = ${unitKey(BU, ru)} ORDER BY seq`.execute(
      database.handle.db,
    )
  ).rows.map((row) => row.id);

const isStored = async (id: string) =>
  (await sql`SELECT 1 FROM deliveries WHERE id = ${id}`.execute(database.handle.db)).rows.length === 1;

const stored: Checked<void> = { credentialCurrent: true, value: undefined };

/** A batcher and the sizes of the batches it sent. */
const recordingBatcher = (handle: DatabaseHandle) => {
  const batches: number[] = [];
  const batcher = createAcceptBatcher(handle.db, { onBatch: (size) => batches.push(size) });
  return { batcher, batches };
};

/** Sends `count` accepts round-robin over the units, all at once; the ids in call order by unit. */
const acceptConcurrently = (batcher: AcceptBatcher, count: number, answered: (id: string) => Promise<void>) => {
  const callOrder = new Map<string, string[]>(UNITS.map((ru) => [ru, []]));
  const answers = Array.from({ length: count }, (_, k) => {
    const ru = UNITS[k % UNITS.length] as string;
    const delivery = newDelivery(ru, k);
    callOrder.get(ru)?.push(delivery.id);
    return batcher.accept(erp, delivery).then(async (answer) => {
      expect(answer).toEqual(stored);
      await answered(delivery.id);
    });
  });
  return { callOrder, done: Promise.all(answers) };
};

it('stores concurrent accepts in batches, within a unit in call order', async () => {
  const { batcher, batches } = recordingBatcher(database.handle);
  const { callOrder, done } = acceptConcurrently(batcher, 100, async () => {});
  await done;
  expect(batches.reduce((sum, size) => sum + size, 0)).toBe(100);
  // The first goes alone; what arrived meanwhile goes together, 64 rows at most.
  expect(batches[0]).toBe(1);
  expect(batches.slice(1)).toEqual([64, 35]);
  for (const ru of UNITS) expect(await storedOrder(ru)).toEqual(callOrder.get(ru));
});

describe.skipIf(Boolean(skipReason))('across connections (real PostgreSQL)', () => {
  const handles: DatabaseHandle[] = [];
  const openPool = async () => {
    const handle = await openDatabase({ databaseUrl: database.url as string, dataDir: '' });
    handles.push(handle);
    return handle;
  };
  afterAll(async () => {
    await Promise.all(handles.map((handle) => handle.close()));
  });

  /** Holds a unit's lock (as osr_accept takes it) on its own connection until `release`. */
  const holdUnitLock = async (ru: string) => {
    const client = new pg.Client({ connectionString: database.url as string });
    await client.connect();
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(1, hashtext($1))', [unitKey(BU, ru)]);
    return async () => {
      await client.query('COMMIT');
      await client.end();
    };
  };

  it('two processes: 300 accepts over 10 units all stored, each in its call order, visible when answered', async () => {
    await sql`DELETE FROM deliveries`.execute(database.handle.db);
    const first = recordingBatcher(await openPool());
    const second = recordingBatcher(await openPool());
    // Every answer is checked from a third connection the moment it arrives.
    const invisible: string[] = [];
    const visibleElsewhere = async (id: string) => {
      if (!(await isStored(id))) invisible.push(id);
    };
    const a = acceptConcurrently(first.batcher, 150, visibleElsewhere);
    const b = acceptConcurrently(second.batcher, 150, visibleElsewhere);
    await Promise.all([a.done, b.done]);

    expect(invisible).toEqual([]);
    for (const ru of UNITS) {
      const order = await storedOrder(ru);
      expect(order).toHaveLength(30);
      for (const { callOrder } of [a, b]) {
        const mine = new Set(callOrder.get(ru));
        expect(order.filter((id) => mine.has(id))).toEqual(callOrder.get(ru));
      }
    }
    for (const { batches } of [first, second]) {
      expect(batches.reduce((sum, size) => sum + size, 0)).toBe(150);
      expect(Math.max(...batches)).toBeGreaterThan(1);
    }
  });

  it('a row whose credential was revoked in between: that request answered not current, the others stored', async () => {
    const { batcher, batches } = recordingBatcher(await openPool());
    // The first accept waits for the held lock; the next three queue behind it as one batch.
    const release = await holdUnitLock('0001');
    const held = newDelivery('0001');
    const revoked = newDelivery('0002');
    const before = newDelivery('0003');
    const after = newDelivery('0003', 1);
    const answers = Promise.all([
      batcher.accept(erp, held),
      batcher.accept(erp, before),
      batcher.accept(other, revoked),
      batcher.accept(erp, after),
    ]);
    await sql`UPDATE credentials SET revoked_at = now() WHERE username = 'other'`.execute(database.handle.db);
    await release();

    expect(await answers).toEqual([stored, stored, { credentialCurrent: false }, stored]);
    expect(batches).toEqual([1, 3]);
    expect(await isStored(revoked.id)).toBe(false);
    const order = await storedOrder('0003');
    expect(order.indexOf(before.id)).toBeLessThan(order.indexOf(after.id));
    await sql`UPDATE credentials SET revoked_at = NULL WHERE username = 'other'`.execute(database.handle.db);
  });

  it('a row the batch cannot store (duplicate id): its request gets the error, the others are stored one by one', async () => {
    const { batcher, batches } = recordingBatcher(await openPool());
    const existing = newDelivery('0004');
    expect(await acceptDelivery(database.handle.db, erp, existing)).toEqual(stored);

    const release = await holdUnitLock('0001');
    const held = newDelivery('0001');
    const before = newDelivery('0005');
    const duplicate = { ...newDelivery('0005', 1), id: existing.id };
    const after = newDelivery('0005', 2);
    const answers = [held, before, duplicate, after].map((delivery) =>
      batcher.accept(erp, delivery).then(
        (answer) => ({ answer }),
        (error: { code?: string }) => ({ error: error.code }),
      ),
    );
    await release();

    expect(await Promise.all(answers)).toEqual([
      { answer: stored },
      { answer: stored },
      { error: '23505' }, // unique_violation
      { answer: stored },
    ]);
    expect(batches).toEqual([1, 3]);
    const order = await storedOrder('0005');
    expect(order.filter((id) => id === before.id || id === after.id)).toEqual([before.id, after.id]);
    expect(order).not.toContain(existing.id);
  });
});
