// Fuzzes E1–E3 with generated requests in batches (default 100,000), against DATABASE_URL
// (a fresh, empty database: it is migrated and seeded here). Exits 1 on any violation.
//   DATABASE_URL=postgres://… npx tsx scripts/fuzz.ts [count] [seed]
import { openDatabase } from '../src/db/connection.js';
import { DEFAULT_PROFILE } from '../src/domain/process-delivery.js';
import { buildApp } from '../src/http/app.js';
import { createLogger } from '../src/logger.js';
import { DeliveryWorker } from '../src/worker/worker.js';
import { checkProcessedDeliveries, fuzzApp } from '../test/fuzz/run.js';
import { seedScriptDatabase } from './seed.js';

const count = Number(process.argv[2] ?? 100_000);
const firstSeed = Number(process.argv[3] ?? Date.now() % 1_000_000);
const BATCH = 10_000;
const BASE = '/arge/on-site-roles/v1';

const database = await openDatabase({ databaseUrl: process.env.DATABASE_URL, dataDir: 'memory://' });
await seedScriptDatabase(database.db, ['0001', '1234']);
const logger = createLogger('warn');
const worker = new DeliveryWorker(database, { profile: DEFAULT_PROFILE, logger, pollIntervalMs: 200, loops: 2 });
await worker.start();
const app = await buildApp({
  database,
  logger,
  basePath: BASE,
  profile: DEFAULT_PROFILE,
  requestsPerMinute: 10_000_000,
  pressure: false, // the load generator shares this event loop: that is not overload
});
const auth = `Basic ${Buffer.from('erp:erp-password').toString('base64')}`;

const totals: Record<number, number> = {};
const violations: string[] = [];
const started = Date.now();
for (let done = 0, batch = 0; done < count; done += BATCH, batch++) {
  const report = await fuzzApp(app, {
    base: BASE,
    auth,
    count: Math.min(BATCH, count - done),
    seed: firstSeed + batch,
  });
  for (const [status, n] of Object.entries(report.byStatus)) totals[Number(status)] = (totals[Number(status)] ?? 0) + n;
  violations.push(...report.violations);
  console.log(
    `batch ${batch + 1} (seed ${firstSeed + batch}): ${report.requests} requests, ${report.violations.length} violations`,
  );
}
for (let i = 0; i < 600 && (await checkProcessedDeliveries(database.db)).pending > 0; i++) {
  await new Promise((resolve) => setTimeout(resolve, 500));
}
const processed = await checkProcessedDeliveries(database.db);
await app.close();
await worker.stop();
await database.close();

const fiveHundreds = Object.entries(totals)
  .filter(([status]) => Number(status) >= 500)
  .reduce((n, [, c]) => n + c, 0);
console.log(`fuzzed requests: ${count} in ${((Date.now() - started) / 1000).toFixed(0)} s (seeds ${firstSeed}…)`);
console.log(`by status: ${JSON.stringify(totals)}`);
console.log(`5xx: ${fiveHundreds}; violations: ${violations.length}`);
console.log(
  `deliveries accepted: ${processed.total}, still pending: ${processed.pending}, unexpected errors: ${processed.unexpected}`,
);
for (const violation of violations.slice(0, 20)) console.log(`  ${violation}`);
process.exitCode = violations.length === 0 && processed.pending === 0 && processed.unexpected === 0 ? 0 : 1;
