// Crash safety under load, with real processes and real PostgreSQL (run by CI):
// a steady, bounded load of POSTs to many units over real HTTP while worker processes are killed
// with SIGKILL at random moments (>= 20 times) and the API process as well (>= 5 times), each
// restarted. Then: every delivery that got a 202 exists and ended SUCCESS or FAIL; every stored
// delivery's result, each unit's final roles and the change history equal what the pure rules
// give when the unit's accepted deliveries are applied in acceptance order. Zero lost, zero twice.
//   DATABASE_URL=postgres://… npx tsx scripts/crash-safety.ts [seconds]
import { type ChildProcess, spawn } from 'node:child_process';
import { isDeepStrictEqual } from 'node:util';
import { openDatabase } from '../src/db/connection.js';
import { type DeliveryBody, deliveryBodySchema } from '../src/domain/delivery-schema.js';
import { processDelivery } from '../src/domain/process-delivery.js';
import type { TimelineRole } from '../src/domain/timeline.js';
import { seedScriptDatabase } from './seed.js';

const seconds = Number(process.argv[2] ?? 60);
const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) throw new Error('set DATABASE_URL to a fresh, empty PostgreSQL database');
const UNITS = Array.from({ length: 25 }, (_, i) => String(i + 1).padStart(4, '0'));
const BU = '654321';
const port = 20_000 + Math.floor(Math.random() * 20_000);
const base = `http://127.0.0.1:${port}/arge/on-site-roles/v1`;
const auth = `Basic ${Buffer.from('erp:erp-password').toString('base64')}`;
const random = (n: number) => Math.floor(Math.random() * n);

// --- set-up ------------------------------------------------------------------------------
const database = await openDatabase({ databaseUrl, dataDir: '' });
const { db } = database;
await seedScriptDatabase(db, UNITS);

// --- processes -----------------------------------------------------------------------------
const env = {
  ...process.env,
  DATABASE_URL: databaseUrl,
  PORT: String(port),
  LOG_LEVEL: 'warn',
  OSR_POLL_INTERVAL_MS: '200',
};
const start = (args: string[]) =>
  spawn(process.execPath, ['bin/osr.js', ...args], { env, stdio: ['ignore', 'ignore', 'inherit'] });
let api = start(['serve', '--no-worker']);
const workers: ChildProcess[] = [start(['worker']), start(['worker'])];
const killed = { workers: 0, api: 0 };
const kill = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });

// --- load: plausible resident changes per unit, sent as an ERP would ------------------------
// Each load loop owns some units and keeps a model of their timelines (predicted with the same
// pure rules); after a request with an unknown outcome (API killed) it re-reads the unit (E2).
const models = new Map<string, { timeline: TimelineRole[]; n: number }>(
  UNITS.map((ru) => [ru, { timeline: [], n: 0 }]),
);
const partner = (pm: string) => ({ reference: { pmnumber: pm }, name: `Name ${pm}`, firstname: `First ${pm}` });
const dayAfter = (date: string) => new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
const yearEnd = (date: string) => `${date.slice(0, 4)}-12-31`;

function nextBody(ru: string): DeliveryBody {
  const model = models.get(ru) as { timeline: TimelineRole[]; n: number };
  const active = model.timeline.at(-1);
  const pm = `${ru}-${++model.n}`;
  const roles: unknown[] = [];
  const partners: unknown[] = [];
  const role = (change: string, r: { from: string; to?: string | null; pmnumber: string }) => ({
    change,
    role: 'S-COR',
    from: r.from,
    ...(r.to ? { to: r.to } : {}),
    partner: { pmnumber: r.pmnumber },
  });
  if (!active) {
    roles.push(role('INSERT', { from: '2000-01-01', pmnumber: pm }));
    partners.push(partner(pm));
  } else if (active.to === null) {
    const end = yearEnd(active.from);
    roles.push(role('UPDATE', { ...active, to: end }), role('INSERT', { from: dayAfter(end), pmnumber: pm }));
    partners.push(partner(active.pmnumber), partner(pm));
  } else if (random(4) === 0) {
    roles.push(role('DELETE', active));
    partners.push(partner(active.pmnumber));
  } else {
    roles.push(role('INSERT', { from: dayAfter(active.to), pmnumber: pm }));
    partners.push(partner(pm));
  }
  return deliveryBodySchema.parse({
    timestamp: new Date().toISOString(),
    billingunit: { reference: { mscnumber: BU }, residentialunit: { reference: { mscnumber: ru }, roles, partners } },
  });
}

function predict(ru: string, body: DeliveryBody) {
  const model = models.get(ru) as { timeline: TimelineRole[]; n: number };
  const decision = processDelivery(
    { billingUnitPath: BU, residentialUnitPath: ru, body },
    { billingUnit: { contracts: ['S-COR'] }, residentialUnit: { roles: model.timeline } },
  );
  for (const change of decision.status === 'SUCCESS' ? decision.changes : []) {
    if (change.before) model.timeline = model.timeline.filter((r) => r.from !== change.before?.from);
    if (change.after) model.timeline = [...model.timeline, change.after].sort((a, b) => (a.from < b.from ? -1 : 1));
  }
}

async function resync(ru: string) {
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  try {
    const response = await fetch(`${base}/billingunits/${BU}/residentialunits/${ru}/on-site-roles`, {
      headers: { authorization: auth },
      signal: AbortSignal.timeout(5_000),
    });
    const body = (await response.json()) as {
      billingunit?: {
        residentialunit: { roles: { role: string; from: string; to: string; partner: { pmnumber: string } }[] };
      };
    };
    const model = models.get(ru) as { timeline: TimelineRole[]; n: number };
    if (response.status === 404) model.timeline = [];
    else if (body.billingunit) {
      model.timeline = body.billingunit.residentialunit.roles.map((r) => ({
        role: r.role,
        from: r.from,
        to: r.to === '9999-12-31' ? null : r.to,
        pmnumber: r.partner.pmnumber,
      }));
    }
  } catch {
    // still down: the next request will tell
  }
}

const accepted = new Set<string>();
const outcome = { sent: 0, accepted: 0, refusedOrLost: 0 };
let running = true;
async function loadLoop(loop: number, loops: number) {
  const mine = UNITS.filter((_, i) => i % loops === loop);
  while (running) {
    const ru = mine[random(mine.length)] as string;
    const body = nextBody(ru);
    outcome.sent += 1;
    try {
      const response = await fetch(`${base}/billingunits/${BU}/residentialunits/${ru}/on-site-roles`, {
        method: 'POST',
        headers: { authorization: auth, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(5_000),
      });
      const answer = (await response.json()) as { dataDeliveryId?: string };
      if (response.status === 202 && answer.dataDeliveryId) {
        accepted.add(answer.dataDeliveryId);
        outcome.accepted += 1;
        predict(ru, body);
      } else {
        outcome.refusedOrLost += 1;
      }
    } catch {
      outcome.refusedOrLost += 1; // the API was killed mid-request: unknown whether stored
      await resync(ru);
    }
  }
}

// --- chaos -----------------------------------------------------------------------------------
async function chaos() {
  const deadline = Date.now() + seconds * 1000;
  const workerEvery = (seconds * 1000) / 25;
  const apiEvery = (seconds * 1000) / 6;
  let nextApiKill = Date.now() + apiEvery;
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, workerEvery * (0.5 + Math.random())));
    const index = random(workers.length);
    await kill(workers[index] as ChildProcess);
    killed.workers += 1;
    workers[index] = start(['worker']);
    if (Date.now() >= nextApiKill) {
      await kill(api);
      killed.api += 1;
      api = start(['serve', '--no-worker']);
      nextApiKill = Date.now() + apiEvery;
    }
  }
}

const waitForApi = async () => {
  for (let i = 0; i < 100; i++) {
    if ((await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined))?.ok) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('API did not start');
};
await waitForApi();
const loads = Array.from({ length: 8 }, (_, loop) => loadLoop(loop, 8));
await chaos();
running = false;
await Promise.all(loads);
// Let the workers drain, then stop everything.
for (let i = 0; i < 600; i++) {
  const pending = await db.selectFrom('deliveries').select('id').where('status', '=', 'PENDING').limit(1).execute();
  if (pending.length === 0) break;
  await new Promise((resolve) => setTimeout(resolve, 200));
}
await Promise.all([api, ...workers].map(kill));

// --- verification ------------------------------------------------------------------------------
const problems: string[] = [];
const stored = await db
  .selectFrom('deliveries')
  .select(['id', 'residential_unit', 'body', 'status', 'role_messages', 'messages', 'partner_messages'])
  .orderBy('seq')
  .execute();
const storedIds = new Set(stored.map((row) => row.id));
const lost = [...accepted].filter((id) => !storedIds.has(id));
if (lost.length > 0) problems.push(`${lost.length} deliveries answered 202 but not stored`);
const stillPending = stored.filter((row) => row.status === 'PENDING');
if (stillPending.length > 0) problems.push(`${stillPending.length} deliveries still PENDING`);

const history = await db
  .selectFrom('change_history')
  .select(['delivery_id', 'entity'])
  .where('entity', '=', 'role')
  .execute();
const changesByDelivery = new Map<string, number>();
for (const entry of history)
  changesByDelivery.set(entry.delivery_id, (changesByDelivery.get(entry.delivery_id) ?? 0) + 1);

let appliedTwice = 0;
for (const ru of UNITS) {
  let timeline: TimelineRole[] = [];
  for (const row of stored.filter((r) => r.residential_unit === ru)) {
    const decision = processDelivery(
      { billingUnitPath: BU, residentialUnitPath: ru, body: row.body as DeliveryBody },
      { billingUnit: { contracts: ['S-COR'] }, residentialUnit: { roles: timeline } },
    );
    if (decision.status !== row.status) problems.push(`${row.id}: expected ${decision.status}, stored ${row.status}`);
    const expectedMessages = decision.roleMessages.length ? decision.roleMessages : null;
    if (!isDeepStrictEqual(expectedMessages, row.role_messages)) problems.push(`${row.id}: role messages differ`);
    const expectedChanges = decision.status === 'SUCCESS' ? decision.changes.length : 0;
    const recorded = changesByDelivery.get(row.id) ?? 0;
    if (recorded !== expectedChanges) {
      problems.push(`${row.id}: ${recorded} role changes recorded, expected ${expectedChanges}`);
      if (recorded > expectedChanges) appliedTwice += 1;
    }
    if (decision.status === 'SUCCESS') {
      for (const change of decision.changes) {
        if (change.before)
          timeline = timeline.filter((r) => !(r.role === change.before?.role && r.from === change.before.from));
        if (change.after) timeline = [...timeline, change.after];
      }
    }
  }
  const roles = await db
    .selectFrom('roles')
    .innerJoin('residential_units', 'residential_units.id', 'roles.residential_unit')
    .select(['role', 'from_date', 'to_date', 'partner_pmnumber'])
    .where('residential_units.mscnumber', '=', ru)
    .orderBy('from_date')
    .execute();
  const actual = roles.map((r) => `${r.role} ${r.from_date}…${r.to_date ?? 'open'} ${r.partner_pmnumber}`);
  const expected = [...timeline]
    .sort((a, b) => (a.from < b.from ? -1 : 1))
    .map((r) => `${r.role} ${r.from}…${r.to ?? 'open'} ${r.pmnumber}`);
  if (JSON.stringify(actual) !== JSON.stringify(expected))
    problems.push(`unit ${ru}: final roles differ from the replay`);
}
await database.close();

const statuses: Record<string, number> = {};
for (const row of stored) statuses[row.status] = (statuses[row.status] ?? 0) + 1;
console.log(
  `load: ${seconds} s, ${outcome.sent} POSTs sent, ${outcome.accepted} answered 202, ${outcome.refusedOrLost} refused or cut off`,
);
console.log(`kills survived: workers ${killed.workers}, API ${killed.api}`);
console.log(`deliveries stored: ${stored.length} (${JSON.stringify(statuses)})`);
console.log(`lost: ${lost.length}, applied twice: ${appliedTwice}, still pending: ${stillPending.length}`);
for (const problem of problems.slice(0, 20)) console.log(`  problem: ${problem}`);
const enough = killed.workers >= 20 && killed.api >= 5;
if (!enough) console.log('  problem: not enough kills');
process.exitCode = problems.length === 0 && enough ? 0 : 1;
