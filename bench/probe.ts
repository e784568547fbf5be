// Focused load probe for profiling one endpoint (not the benchmark table; see bench/run.ts):
//   npx tsx bench/probe.ts accept|e2|e3|bare-post|bare-get [seconds]
//   npx tsx bench/probe.ts latency|latency-wait [seconds] [deliveries per second]
// Starts the server (`PROBE_NODE_ARGS=--cpu-prof` to profile it) on a fresh database, loads one
// endpoint with autocannon and prints req/s plus where the machine's CPU went (server process,
// this process = load generator, everything else ≈ PostgreSQL).
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { sql } from 'kysely';
import { rerenderUnitDocuments } from '../src/db/repositories/unit-documents.js';
import { DEFAULT_PROFILE } from '../src/domain/process-delivery.js';
import { BENCH, BENCH_AUTH, benchClient, createBenchDatabase } from './database.js';
import { chainedDelivery } from './deliveries.js';
import { postToResultLatencies } from './latency.js';

const endpoint = process.argv[2] ?? 'accept';
const SECONDS = Number(process.argv[3] ?? 5);
const BU = BENCH.billingUnit;
const AUTH = BENCH_AUTH;
const UNITS = Array.from({ length: 2_000 }, (_, i) => String(i).padStart(4, '0'));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const database = await createBenchDatabase('osr_probe', UNITS);
const { handle } = database;
const DATABASE_URL = database.url;
const bodies = UNITS.map((ru) => JSON.stringify(chainedDelivery(ru, 0)));

const port = 31_000 + Math.floor(Math.random() * 10_000);
const bare = endpoint.startsWith('bare');
const nodeArgs = (process.env.PROBE_NODE_ARGS ?? '').split(' ').filter(Boolean);
const server: ChildProcess = spawn(
  process.execPath,
  [
    ...nodeArgs,
    ...(bare
      ? ['--import', 'tsx', 'bench/bare-server.ts']
      : ['bin/osr.js', 'serve', ...(endpoint === 'accept' || process.env.PROBE_WORKER_PROCESS ? ['--no-worker'] : [])]),
  ],
  {
    env: {
      ...process.env,
      DATABASE_URL,
      PORT: String(port),
      LOG_LEVEL: 'warn',
      OSR_RATE_LIMIT_PER_MINUTE: '100000000',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  },
);
for (let i = 0; ; i++) {
  const probe = await fetch(`http://127.0.0.1:${port}${bare ? '/bare/x' : '/ready'}`).catch(() => undefined);
  if (probe) break;
  if (i > 300) throw new Error('server not ready');
  await sleep(100);
}

const workerProcess = process.env.PROBE_WORKER_PROCESS
  ? spawn(process.execPath, ['bin/osr.js', 'worker'], {
      env: { ...process.env, DATABASE_URL, LOG_LEVEL: 'warn' },
      stdio: 'ignore',
    })
  : undefined;
process.on('exit', () => workerProcess?.kill('SIGKILL'));
// Results to read: one processed delivery per unit (E2 roles, E3 results).
const base = `/arge/on-site-roles/v1/billingunits/${BU}`;
const ids: string[] = [];
if (!bare) {
  for (const ru of UNITS.slice(0, 500)) {
    const response = await fetch(`http://127.0.0.1:${port}${base}/residentialunits/${ru}/on-site-roles`, {
      method: 'POST',
      headers: { authorization: AUTH, 'content-type': 'application/json' },
      body: bodies[Number(ru)],
    });
    ids.push(((await response.json()) as { dataDeliveryId: string }).dataDeliveryId);
  }
  while (
    endpoint !== 'accept' &&
    (await handle.db.selectFrom('deliveries').where('status', '=', 'PENDING').select('id').execute()).length > 0
  ) {
    await sleep(100);
  }
  // PROBE_ROLES=n: give each of those units n roles (as after the benchmark's drain: 10).
  const extra = Number(process.env.PROBE_ROLES ?? 1) - 1;
  if (extra > 0) {
    await sql`
      INSERT INTO roles (residential_unit, role, from_date, to_date, partner_pmnumber)
      SELECT ru.id, 'S-COR', make_date(2000 + k, 1, 1), make_date(2000 + k, 12, 31), 'PX' || k
      FROM residential_units ru CROSS JOIN generate_series(1, ${extra}) AS k WHERE ru.mscnumber < '0500'`.execute(
      handle.db,
    );
    await sql`
      INSERT INTO partners (residential_unit, pmnumber, name, firstname, phonenumbers)
      SELECT ru.id, 'PX' || k, 'Mustermann', 'Max', '[{"number": "0176-55555555", "type": "MOBILE"}]'::jsonb
      FROM residential_units ru CROSS JOIN generate_series(1, ${extra}) AS k WHERE ru.mscnumber < '0500'`.execute(
      handle.db,
    );
    await rerenderUnitDocuments(handle.db, DEFAULT_PROFILE.supportedRoles);
  }
} else {
  const response = await fetch(`http://127.0.0.1:${port}/bare/${BU}/0000`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: bodies[0],
  });
  ids.push(((await response.json()) as { dataDeliveryId: string }).dataDeliveryId);
}

const ticks = () =>
  readFileSync('/proc/stat', 'utf8')
    .split('\n')[0]
    ?.split(/\s+/)
    .slice(1, 8)
    .reduce((sum, n) => sum + Number(n), 0) ?? 0;
const idle = () => Number(readFileSync('/proc/stat', 'utf8').split('\n')[0]?.split(/\s+/)[4] ?? 0);
const procTicks = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return Number(fields[11]) + Number(fields[12]);
};

let i = 0;
const next = (): { method: 'GET' | 'POST'; path: string; body?: string } => {
  const n = i++;
  const ru = UNITS[n % UNITS.length] as string;
  switch (endpoint) {
    case 'accept':
      return { method: 'POST', path: `${base}/residentialunits/${ru}/on-site-roles`, body: bodies[n % UNITS.length] };
    case 'e2':
      return { method: 'GET', path: `${base}/residentialunits/${UNITS[n % 500]}/on-site-roles` };
    case 'e3':
      return { method: 'GET', path: `${base}/on-site-roles/data-delivery/${ids[n % ids.length]}` };
    case 'bare-post':
      return { method: 'POST', path: `/bare/${BU}/${ru}`, body: bodies[n % UNITS.length] };
    default:
      return { method: 'GET', path: `/bare/${ids[0]}` };
  }
};
if (endpoint === 'latency' || endpoint === 'latency-wait') {
  const { call, close } = benchClient(port);
  // Open loop at a fixed rate (argv[4]); each POST's result polled on E3 every 10 ms (`latency`)
  // or waited for with `Prefer: wait` (`latency-wait`, spec 9.1).
  const rate = Number(process.argv[4] ?? 300);
  const began = Date.now();
  const latencies = await postToResultLatencies({
    call,
    rate,
    warmUpMs: 0,
    seconds: SECONDS,
    client: endpoint === 'latency-wait' ? 'wait' : 'poll',
    delivery: (sent) => {
      const ru = UNITS[500 + (sent % 1500)] as string;
      return { path: `${base}/residentialunits/${ru}/on-site-roles`, body: bodies[Number(ru)] as string };
    },
    resultPath: (id) => `${base}/on-site-roles/data-delivery/${id}`,
  });
  close();
  const sorted = [...latencies].sort((a, b) => a - b);
  const q = (x: number) => sorted[Math.floor(x * (sorted.length - 1))]?.toFixed(1);
  const firstSecond = latencies.slice(0, rate).sort((a, b) => a - b);
  console.log(
    `latency at ${rate}/s: n ${sorted.length}, p50 ${q(0.5)} ms, p90 ${q(0.9)}, p99 ${q(0.99)}, max ${q(1)}; ` +
      `first second p50 ${firstSecond[Math.floor(firstSecond.length / 2)]?.toFixed(1)} ms`,
  );
  const waits = await sql<{ p50: number; p99: number }>`
    SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM processed_at - received_at)) * 1000 AS p50,
           percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM processed_at - received_at)) * 1000 AS p99
    FROM deliveries WHERE received_at > to_timestamp(${began / 1000})`.execute(handle.db);
  console.log(
    `  received → worker transaction start: p50 ${waits.rows[0]?.p50.toFixed(1)} ms, p99 ${waits.rows[0]?.p99.toFixed(1)} ms`,
  );
  server.kill('SIGTERM');
  await new Promise((resolve) => server.once('exit', resolve));
  await database.drop();
  process.exit(0);
}

// The PostgreSQL backends serving this probe's database (their command line names it): the
// database's own share, whatever else the machine runs.
const databaseName = new URL(DATABASE_URL).pathname.slice(1);
const backendTicks = () =>
  readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .reduce((sum, pid) => {
      try {
        const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        return command.startsWith('postgres: ') && command.includes(` ${databaseName} `)
          ? sum + procTicks(Number(pid))
          : sum;
      } catch {
        return sum; // exited meanwhile
      }
    }, 0);
const transactions = async () =>
  Number(
    (
      await sql<{
        n: string;
      }>`SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = ${databaseName}`.execute(
        handle.db,
      )
    ).rows[0]?.n,
  );
await sleep(1_100); // the statistics are flushed at most once a second
const transactions0 = await transactions();
const [total0, idle0, server0, self0, backends0] = [
  ticks(),
  idle(),
  procTicks(server.pid as number),
  process.cpuUsage(),
  backendTicks(),
];
const result = await autocannon({
  url: `http://127.0.0.1:${port}`,
  connections: Number(process.env.PROBE_CONNECTIONS ?? 32),
  duration: SECONDS,
  requests: [
    {
      setupRequest: (request) => {
        const n = next();
        return {
          ...request,
          method: n.method,
          path: n.path,
          headers: { authorization: AUTH, 'content-type': 'application/json' },
          ...(n.body ? { body: n.body } : {}),
        };
      },
    },
  ],
});
const busy = ticks() - total0 - (idle() - idle0);
const serverTicks = procTicks(server.pid as number) - server0;
const databaseTicks = backendTicks() - backends0;
await sleep(1_100);
const transactionsPerRequest = ((await transactions()) - transactions0) / Math.max(1, result['2xx']);
const self = process.cpuUsage(self0);
const selfTicks = (self.user + self.system) / 10_000;
const share = (t: number) => `${((100 * t) / busy).toFixed(0)} %`;
console.log(
  `${endpoint}: ${(result['2xx'] / result.duration).toFixed(0)} 2xx/s (${result.non2xx} other), ` +
    `p50 ${result.latency.p50} ms; CPU busy ${((100 * busy) / (ticks() - total0)).toFixed(0)} %: ` +
    `server ${share(serverTicks)}, load generator ${share(selfTicks)}, rest (PostgreSQL) ${share(busy - serverTicks - selfTicks)}`,
);
// CPU-milliseconds per answered request (ticks are 10 ms): what an A/B comparison should look at
// when the machine is not otherwise idle.
const perRequest = (t: number) => ((10 * t) / Math.max(1, result['2xx'])).toFixed(3);
console.log(
  `  CPU-ms per request: server ${perRequest(serverTicks)}, its PostgreSQL backends ${perRequest(databaseTicks)}, load generator ${perRequest(selfTicks)}; transactions per request ${transactionsPerRequest.toFixed(2)}`,
);
server.kill('SIGTERM');
await new Promise((resolve) => server.once('exit', resolve));
await database.drop();
