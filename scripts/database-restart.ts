// A real database outage (run by CI): the local PostgreSQL is stopped for a few seconds under
// a steady load of POSTs and started again. While it is gone the API answers 503 with the
// envelope (never a hang, never a 202 for something not stored); afterwards the worker resumes
// by itself and every accepted delivery is processed.
//   DATABASE_URL=postgres://… npx tsx scripts/database-restart.ts
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { openDatabase } from '../src/db/connection.js';
import { seedScriptDatabase } from './seed.js';

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) throw new Error('set DATABASE_URL to a fresh, empty database on the local PostgreSQL');
const version = readdirSync('/etc/postgresql')[0] as string;
const cluster = (action: 'start' | 'stop') =>
  execFileSync(
    'pg_ctlcluster',
    ['--skip-systemctl-redirect', version, 'main', action, ...(action === 'stop' ? ['-m', 'fast'] : [])],
    {
      stdio: 'inherit',
    },
  );
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const port = 20_000 + Math.floor(Math.random() * 20_000);
const base = `http://127.0.0.1:${port}/arge/on-site-roles/v1/billingunits/654321`;
const auth = `Basic ${Buffer.from('erp:erp-password').toString('base64')}`;

const setup = await openDatabase({ databaseUrl, dataDir: '' });
await seedScriptDatabase(setup.db, ['0001']);
await setup.close();

const api = spawn(process.execPath, ['bin/osr.js', 'serve'], {
  env: {
    ...process.env,
    DATABASE_URL: databaseUrl,
    PORT: String(port),
    LOG_LEVEL: 'error',
    OSR_POLL_INTERVAL_MS: '500',
  },
  stdio: ['ignore', 'ignore', 'inherit'],
});
for (let i = 0; i < 100 && !(await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined))?.ok; i++)
  await sleep(100);

const body = JSON.stringify({
  timestamp: '2022-05-16T10:17:17Z',
  billingunit: {
    reference: { mscnumber: '654321' },
    residentialunit: {
      reference: { mscnumber: '0001' },
      roles: [{ change: 'DELETE', role: 'S-COR', from: '2018-05-01', partner: { pmnumber: 'P' } }],
      partners: [{ reference: { pmnumber: 'P' } }],
    },
  },
});
const accepted: string[] = [];
const byStatus: Record<string, number> = {};
let slowest = 0;
let down = false;
let acceptedWhileDown = 0;
let running = true;
async function load() {
  while (running) {
    const started = Date.now();
    let status = 'no answer';
    try {
      const response = await fetch(`${base}/residentialunits/0001/on-site-roles`, {
        method: 'POST',
        headers: { authorization: auth, 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(15_000),
      });
      status = String(response.status);
      const answer = (await response.json()) as { dataDeliveryId?: string; messages?: { key: string }[] };
      if (response.status === 202 && answer.dataDeliveryId) {
        accepted.push(answer.dataDeliveryId);
        if (down) acceptedWhileDown += 1;
      }
      if (response.status === 503 && answer.messages?.[0]?.key !== 'OSR-503') status = '503 without envelope';
    } catch {
      // counted below
    }
    byStatus[status] = (byStatus[status] ?? 0) + 1;
    slowest = Math.max(slowest, Date.now() - started);
    await sleep(20);
  }
}

const loads = [load(), load()];
let restartedAt = 0;
try {
  await sleep(2_000);
  cluster('stop');
  down = true;
  await sleep(4_000);
} finally {
  down = false;
  cluster('start');
  restartedAt = Date.now();
}
await sleep(4_000);
running = false;
await Promise.all(loads);

// The worker resumes by itself: every accepted delivery ends up processed.
const check = await openDatabase({ databaseUrl, dataDir: '' });
let pending = accepted.length;
for (let i = 0; i < 120 && pending > 0; i++) {
  const rows = await check.db.selectFrom('deliveries').select(['id', 'status']).where('id', 'in', accepted).execute();
  pending = accepted.length - rows.filter((row) => row.status !== 'PENDING').length;
  if (pending > 0) await sleep(250);
}
const stored = await check.db.selectFrom('deliveries').select('id').where('id', 'in', accepted).execute();
await check.close();
const apiAlive = api.exitCode === null && api.signalCode === null;
api.kill('SIGTERM');

const lost = accepted.length - stored.length;
console.log(`answers: ${JSON.stringify(byStatus)}; slowest ${slowest} ms; 202 while down: ${acceptedWhileDown}`);
console.log(
  `accepted ${accepted.length}, lost ${lost}, unprocessed ${pending} (${((Date.now() - restartedAt) / 1000).toFixed(1)} s after restart); API alive: ${apiAlive}`,
);
const ok =
  lost === 0 &&
  pending === 0 && // (a 202 answered just after the stop began was stored before it: not a failure)
  apiAlive &&
  (byStatus['503'] ?? 0) > 0 &&
  Object.keys(byStatus).every((status) => ['202', '503'].includes(status)) &&
  slowest < 10_000;
process.exitCode = ok ? 0 : 1;
