import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkProcessedDeliveries, fuzzApp } from '../fuzz/run.js';
import { BASE, type Harness, startHarness } from '../support/harness.js';
import { waitFor } from '../support/processes.js';
import { systemSize } from './support/size.js';
import { SYSTEM_AUTH, seedSystemDatabase } from './support/system-seed.js';

/**
 * Property-based fuzzing of E1–E3 at full size (CI: 100,000 generated requests in batches of
 * 10,000, each with its own seed; test/fuzz/ runs a quick batch with the default suite): never a
 * 5xx, always JSON with the documented shape, and whatever was accepted is processed by the
 * worker without an unexpected error. `FUZZ_SEED` replays a run.
 */
const REQUESTS = systemSize('FUZZ_REQUESTS', { ci: 100_000, local: 10_000 });
const BATCH = 10_000;
const FIRST_SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000);
const DRAIN_MS = 300_000;

describe('fuzzed requests at full size', () => {
  let h: Harness;
  beforeAll(async () => {
    // Warnings only: a trace log of every request would fill the memory.
    h = await startHarness({ checkLogs: false, logLevel: 'warn', workerLoops: 2, requestsPerMinute: 10_000_000 });
    await seedSystemDatabase(h.database.handle.db, ['0001', '1234']);
  });
  afterAll(() => h?.close());

  it(`${REQUESTS.toLocaleString('en-US')} generated requests: no 5xx, every answer well-formed, every accepted delivery processed cleanly`, {
    timeout: REQUESTS * 15 + DRAIN_MS + 60_000,
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
      });
      for (const [status, n] of Object.entries(report.byStatus))
        totals[Number(status)] = (totals[Number(status)] ?? 0) + n;
      violations.push(...report.violations);
      console.log(
        `batch ${batch + 1} (seed ${FIRST_SEED + batch}): ${report.requests} requests, ${report.violations.length} violations`,
      );
    }
    const { db } = h.database.handle;
    await waitFor(async () => (await checkProcessedDeliveries(db)).pending === 0, DRAIN_MS, 'deliveries processed');
    const processed = await checkProcessedDeliveries(db);
    const fiveHundreds = Object.entries(totals)
      .filter(([status]) => Number(status) >= 500)
      .reduce((n, [, c]) => n + c, 0);
    console.log(
      [
        `fuzzed requests: ${REQUESTS} in ${((Date.now() - started) / 1000).toFixed(0)} s (seeds ${FIRST_SEED}…; FUZZ_SEED=${FIRST_SEED} replays them)`,
        `by status: ${JSON.stringify(totals)}`,
        `5xx: ${fiveHundreds}; violations: ${violations.length}`,
        `deliveries accepted: ${processed.total}, still pending: ${processed.pending}, unexpected errors: ${processed.unexpected}`,
      ].join('\n'),
    );

    expect(violations.slice(0, 20)).toEqual([]);
    expect(fiveHundreds, 'answers 5xx').toBe(0);
    expect(processed.pending, 'accepted deliveries still PENDING').toBe(0);
    expect(processed.unexpected, 'deliveries that hit an unexpected error').toBe(0);
    // the generator does reach the queue and the checks (as in test/fuzz: over 2.5 % each)
    expect(totals[202] ?? 0, 'answers 202').toBeGreaterThan(REQUESTS / 40);
    expect(totals[400] ?? 0, 'answers 400').toBeGreaterThan(REQUESTS / 40);
  });
});
