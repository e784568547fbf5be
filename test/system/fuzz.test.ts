import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeBillingUnit } from '../../src/db/repositories/billing-units.js';
import type { ProfileName } from '../../src/domain/profiles.js';
import { checkProcessedDeliveries, fuzzApp } from '../fuzz/run.js';
import { BASE, type Harness, startHarness } from '../support/harness.js';
import { waitFor } from '../support/processes.js';
import { compareWithReplay } from './support/replay.js';
import { systemSize } from './support/size.js';
import { PROFILES, SYSTEM, SYSTEM_AUTH, seedSystemDatabase } from './support/system-seed.js';

/**
 * Property-based fuzzing of E1–E3 at full size, once per profile, in batches of 10,000 requests
 * with a seed each (test/fuzz/ runs a quick batch with the default suite): never a 5xx, always
 * JSON with the documented shape, whatever was accepted is processed by the worker without an
 * unexpected error, and the store is what the pure rules give when every accepted delivery is
 * replayed in acceptance order. `kalo`: 100,000 requests in CI (the size from before the arge
 * profile). `arge`: 20,000 — its valid deliveries mostly change the billing recipients (S-BIR,
 * S-BVA) of a billing unit closed until 2010-12-31; a fifth of the size keeps the system run
 * from doubling. `FUZZ_SEED` replays a run.
 */
const SIZES: Record<ProfileName, number> = {
  kalo: systemSize('FUZZ_REQUESTS', { ci: 100_000, local: 10_000 }),
  arge: systemSize('FUZZ_REQUESTS_ARGE', { ci: 20_000, local: 5_000 }),
};
const BATCH = 10_000;
const FIRST_SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000);
const DRAIN_MS = 300_000;

describe.each(PROFILES)('fuzzed requests at full size (OSR_PROFILE=$name)', (profile) => {
  const REQUESTS = SIZES[profile.name];
  const billingRecipients = profile.supportedRoles.has('S-BIR');
  let h: Harness;
  beforeAll(async () => {
    // Warnings only: a trace log of every request would fill the memory.
    h = await startHarness({
      checkLogs: false,
      logLevel: 'warn',
      workerLoops: 2,
      requestsPerMinute: 10_000_000,
      profile,
    });
    await seedSystemDatabase(h.database.handle.db, ['0001', '1234'], profile);
    if (billingRecipients) await closeBillingUnit(h.database.handle.db, SYSTEM.billingUnit, '2010-12-31');
  });
  afterAll(() => h?.close());

  it(`${REQUESTS.toLocaleString('en-US')} generated requests: no 5xx, every answer well-formed, every accepted delivery processed cleanly and as replayed`, {
    timeout: REQUESTS * 15 + DRAIN_MS + 120_000,
  }, async () => {
    const totals: Record<number, number> = {};
    const violations: string[] = [];
    const started = Date.now();
    for (let done = 0, batch = 0; done < REQUESTS; done += BATCH, batch++) {
      const report = await fuzzApp(h.app, {
        base: BASE,
        auth: SYSTEM_AUTH,
        count: Math.min(BATCH, REQUESTS - done),
        seed: FIRST_SEED + batch,
        billingRecipients,
      });
      for (const [status, n] of Object.entries(report.byStatus))
        totals[Number(status)] = (totals[Number(status)] ?? 0) + n;
      violations.push(...report.violations);
      console.log(
        `[${profile.name}] batch ${batch + 1} (seed ${FIRST_SEED + batch}): ${report.requests} requests, ${report.violations.length} violations`,
      );
    }
    const { db } = h.database.handle;
    await waitFor(async () => (await checkProcessedDeliveries(db)).pending === 0, DRAIN_MS, 'deliveries processed');
    const processed = await checkProcessedDeliveries(db);
    const fuzzedMs = Date.now() - started;
    const replay = await compareWithReplay(db, { profile });
    const statuses: Record<string, number> = {};
    for (const { status } of replay.stored) statuses[status] = (statuses[status] ?? 0) + 1;
    const billingRecipientMessages = Object.entries(replay.messageCounts)
      .filter(([text]) => /^OSR-200[3-7] /.test(text))
      .reduce((n, [, count]) => n + count, 0);
    const fiveHundreds = Object.entries(totals)
      .filter(([status]) => Number(status) >= 500)
      .reduce((n, [, c]) => n + c, 0);
    console.log(
      [
        `[${profile.name}] fuzzed requests: ${REQUESTS} in ${(fuzzedMs / 1000).toFixed(0)} s (seeds ${FIRST_SEED}…; FUZZ_SEED=${FIRST_SEED} replays them)`,
        `by status: ${JSON.stringify(totals)}`,
        `5xx: ${fiveHundreds}; violations: ${violations.length}`,
        `deliveries accepted: ${processed.total} (${JSON.stringify(statuses)}), still pending: ${processed.pending}, unexpected errors: ${processed.unexpected}`,
        `OSR-2003…2007 messages: ${billingRecipientMessages}; differences from the replay: ${replay.problems.length}`,
      ].join('\n'),
    );

    expect(violations.slice(0, 20)).toEqual([]);
    expect(fiveHundreds, 'answers 5xx').toBe(0);
    expect(processed.pending, 'accepted deliveries still PENDING').toBe(0);
    expect(processed.unexpected, 'deliveries that hit an unexpected error').toBe(0);
    expect(replay.problems.slice(0, 20), 'differences from the replay with the pure rules').toEqual([]);
    // the generator does reach the queue and the checks (as in test/fuzz: over 2.5 % each)
    expect(totals[202] ?? 0, 'answers 202').toBeGreaterThan(REQUESTS / 40);
    expect(totals[400] ?? 0, 'answers 400').toBeGreaterThan(REQUESTS / 40);
    if (billingRecipients) expect(billingRecipientMessages, 'billing-recipient rules reached').toBeGreaterThan(0);
    else expect(billingRecipientMessages).toBe(0);
  });
});
