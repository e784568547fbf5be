import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { multiConnectionSkipReason } from '../support/database.js';
import { basic, getRoles, type Harness, postDelivery, seed, startHarness } from '../support/harness.js';
import { type OsrProcess, startOsr, waitFor } from '../support/processes.js';
import { chainedDelivery } from '../support/spec.js';

const UNITS = Array.from({ length: 10 }, (_, i) => String(i + 1).padStart(4, '0'));
const DELIVERIES_PER_UNIT = 20;
const AUTH = basic('erp', 'erp-password');
const skipReason = multiConnectionSkipReason();
if (skipReason) console.warn(`[skipped] worker concurrency with real processes: ${skipReason}`);

describe.skipIf(Boolean(skipReason))('two worker processes on one database', () => {
  let h: Harness;
  const workers: OsrProcess[] = [];
  beforeAll(async () => {
    h = await startHarness({ worker: false });
    await seed(h, {
      clients: [{ id: 'acme', billingUnits: [{ mscnumber: '654321', units: UNITS }] }],
      credentials: [{ clientId: 'acme', username: 'erp', password: 'erp-password' }],
    });
  });
  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.stop('SIGKILL')));
    await h?.close();
  });

  it('processes 200 deliveries over 10 units in per-unit acceptance order: all SUCCESS', async () => {
    // Small batches (at most two units per transaction), and both processes running before the
    // first delivery arrives, so that both always find work.
    const env = {
      DATABASE_URL: h.database.url as string,
      LOG_LEVEL: 'debug',
      OSR_POLL_INTERVAL_MS: '100',
      OSR_WORKER_BATCH_SIZE: '2',
    };
    workers.push(startOsr(['worker'], env), startOsr(['worker'], env));
    await waitFor(
      async () => workers.every((worker) => worker.output().includes('on-site-roles worker running')),
      30_000,
      'both workers running',
    );
    // Accepted round-robin across units, so both workers always find work in several units.
    for (let k = 0; k < DELIVERIES_PER_UNIT; k++) {
      for (const ru of UNITS) {
        const response = await postDelivery(h.app, AUTH, '654321', ru, chainedDelivery(ru, k));
        expect(response.statusCode).toBe(202);
      }
    }

    const { db } = h.database.handle;
    const pending = async () =>
      Number(
        (
          await db
            .selectFrom('deliveries')
            .select(db.fn.countAll().as('n'))
            .where('status', '=', 'PENDING')
            .executeTakeFirstOrThrow()
        ).n,
      );
    await waitFor(async () => (await pending()) === 0, 90_000, 'all deliveries processed');

    const statuses = await db.selectFrom('deliveries').select(['status', 'role_messages']).execute();
    expect(statuses).toHaveLength(UNITS.length * DELIVERIES_PER_UNIT);
    expect(statuses.filter((row) => row.status !== 'SUCCESS')).toEqual([]);

    for (const ru of UNITS) {
      const roles = (await getRoles(h.app, AUTH, '654321', ru)).json().billingunit.residentialunit.roles;
      expect(roles).toHaveLength(DELIVERIES_PER_UNIT);
      expect(roles.at(-1)).toEqual({
        role: 'S-COR',
        from: `${2000 + DELIVERIES_PER_UNIT - 1}-01-01`,
        to: '9999-12-31',
        partner: { pmnumber: `P${DELIVERIES_PER_UNIT - 1}` },
      });
    }
    // Both processes did part of the work (each logs the deliveries it processed at debug level).
    const processedBy = workers.map((worker) => worker.output().split('"delivery processed"').length - 1);
    expect(processedBy.every((count) => count > 0)).toBe(true);
    expect(processedBy.reduce((a, b) => a + b, 0)).toBe(UNITS.length * DELIVERIES_PER_UNIT);
  });
});
