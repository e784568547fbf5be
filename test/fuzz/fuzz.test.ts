import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeBillingUnit } from '../../src/db/repositories/billing-units.js';
import { defaultContracts } from '../../src/domain/profiles.js';
import { BASE, basic, type Harness, seed, startHarness } from '../support/harness.js';
import { waitFor } from '../support/processes.js';
import { compareWithReplay } from '../system/support/replay.js';
import { PROFILES } from '../system/support/system-seed.js';
import { checkProcessedDeliveries, fuzzApp } from './run.js';

/**
 * Property-based fuzzing of E1–E3, a quick batch per profile (test/system/fuzz.test.ts runs the
 * full size): never a 5xx, always JSON with the documented shape, and whatever was accepted is
 * processed without an unexpected error and exactly as the pure rules replay it. Under `arge` the
 * valid deliveries mostly change billing recipients, on a billing unit closed until 2010-12-31
 * (so that OSR-2005 is reachable).
 */
const REQUESTS = { kalo: 2_000, arge: 1_000 } as const;

describe.each(PROFILES)('fuzzed requests (OSR_PROFILE=$name)', (profile) => {
  let h: Harness;
  const auth = basic('erp', 'erp-password');
  const billingRecipients = profile.supportedRoles.has('S-BIR');
  beforeAll(async () => {
    h = await startHarness({ checkLogs: false, profile });
    await seed(h, {
      clients: [
        {
          id: 'acme',
          billingUnits: [{ mscnumber: '654321', contracts: defaultContracts(profile), units: ['0001', '1234'] }],
        },
      ],
      credentials: [{ clientId: 'acme', username: 'erp', password: 'erp-password' }],
    });
    if (billingRecipients) await closeBillingUnit(h.database.handle.db, '654321', '2010-12-31');
  });
  afterAll(() => h?.close());

  it(`${REQUESTS[profile.name].toLocaleString('en-US')} generated requests: no 5xx, every answer well-formed, every accepted delivery processed cleanly and as replayed`, {
    timeout: 120_000,
  }, async () => {
    const count = REQUESTS[profile.name];
    const report = await fuzzApp(h.app, {
      base: BASE,
      auth,
      count,
      seed: Number(process.env.FUZZ_SEED ?? 20261128),
      billingRecipients,
    });
    expect(report.violations).toEqual([]);
    expect(report.byStatus[202]).toBeGreaterThan(count / 40); // the generator does reach the queue
    expect(report.byStatus[400]).toBeGreaterThan(count / 40);
    const { db } = h.database.handle;
    await waitFor(async () => (await checkProcessedDeliveries(db)).pending === 0, 60_000, 'deliveries processed');
    expect((await checkProcessedDeliveries(db)).unexpected).toBe(0);
    const replay = await compareWithReplay(db, { profile });
    expect(replay.problems.slice(0, 10)).toEqual([]);
  });
});
