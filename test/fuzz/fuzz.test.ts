import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE, basic, type Harness, seed, startHarness } from '../support/harness.js';
import { waitFor } from '../support/processes.js';
import { checkProcessedDeliveries, fuzzApp } from './run.js';

/**
 * Property-based fuzzing of E1–E3, a quick batch (test/system/fuzz.test.ts runs 100,000 in CI):
 * never a 5xx, always JSON with the documented shape, and whatever was accepted is processed
 * without an unexpected error.
 */
describe('fuzzed requests', () => {
  let h: Harness;
  const auth = basic('erp', 'erp-password');
  beforeAll(async () => {
    h = await startHarness({ checkLogs: false });
    await seed(h, {
      clients: [{ id: 'acme', billingUnits: [{ mscnumber: '654321', units: ['0001', '1234'] }] }],
      credentials: [{ clientId: 'acme', username: 'erp', password: 'erp-password' }],
    });
  });
  afterAll(() => h?.close());

  it('2,000 generated requests: no 5xx, every answer well-formed, every accepted delivery processed cleanly', {
    timeout: 120_000,
  }, async () => {
    const report = await fuzzApp(h.app, {
      base: BASE,
      auth,
      count: 2_000,
      seed: Number(process.env.FUZZ_SEED ?? 20261128),
    });
    expect(report.violations).toEqual([]);
    expect(report.byStatus[202]).toBeGreaterThan(50); // the generator does reach the queue
    expect(report.byStatus[400]).toBeGreaterThan(50);
    const { db } = h.database.handle;
    await waitFor(async () => (await checkProcessedDeliveries(db)).pending === 0, 60_000, 'deliveries processed');
    expect((await checkProcessedDeliveries(db)).unexpected).toBe(0);
  });
});
