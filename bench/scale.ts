// Scale curve (issue 15): accept with 1, 2 and 4 API processes and drain with 1, 2 and 4 worker
// processes against one PostgreSQL, all on this machine, with the CPU each side spends per
// delivery — the figures a capacity plan multiplies (docs/capacity.md cites bench-output/scale.json).
//
// Part of `npm run bench` (bench/run.ts adds the rows), or alone on a fresh database:
//   npx tsx bench/scale.ts          (BENCH_SCALE, BENCH_SECONDS as for bench/run.ts)
//
// CPU comes from /proc in clock ticks: utime+stime of the API or worker processes; of every
// process named `postgres` (the postmaster's cutime+cstime included, so a backend that exits
// during a phase still counts); the load generator is this process (process.cpuUsage). The JSON
// also has the CPU of this database's backends alone and what the machine did beyond all of these
// (`unaccounted`: other work sharing the machine, which skews the figures when large).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';
import { BENCH, BENCH_AUTH, createBenchDatabase } from './database.js';
import { chainedDelivery } from './deliveries.js';
import { formatNumber, printTable, type Row } from './table.js';

export interface ScaleOptions {
  databaseUrl: string;
  /** Residential unit numbers of billing unit BENCH.billingUnit (createBenchDatabase's). */
  units: readonly string[];
  /** Body of unit `ru`'s k-th delivery: deliveries 0..k of one unit, applied in order, all succeed. */
  body: (ru: string, k: number) => unknown;
  /** Length of each accept measurement. */
  seconds: number;
  /** autocannon connections in all, spread over the API processes. */
  connections: number;
  /** Deliveries per unit in the drain queue (every unit). */
  drainPerUnit: number;
  /** The figures as JSON; default bench-output/scale.json. */
  outputFile?: string;
}

const PROCESS_COUNTS = [1, 2, 4] as const;
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const OSR = resolve(ROOT, 'bin/osr.js');
const DEFAULT_OUTPUT = resolve(ROOT, 'bench-output/scale.json');
const API = '/arge/on-site-roles/v1';
/** Load before each accept measurement, not counted: JIT and pool connections settle first. */
const WARM_UP_SECONDS = 2;
/** Bounds a drain whose workers stopped making progress. */
const DRAIN_TIMEOUT_MS = 10 * 60_000;
const CLOCK_TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
const ticksToMs = (ticks: number) => (ticks * 1000) / CLOCK_TICKS_PER_SECOND;
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

// --- CPU from /proc ----------------------------------------------------------------------------------

/** The fields after the command name of /proc/<pid>/stat (index 0 is the state); undefined once gone. */
function statFields(pid: number | string): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
  } catch {
    return undefined;
  }
}
/** utime + stime, in clock ticks. */
const ownTicks = (fields: string[]) => Number(fields[11]) + Number(fields[12]);
/** cutime + cstime: children the process has reaped. */
const reapedTicks = (fields: string[]) => Number(fields[13]) + Number(fields[14]);

interface PostgresTicks {
  /** Every postgres process, the postmaster's reaped backends included. */
  all: number;
  /** Per backend connected to this benchmark's database. */
  backends: Map<number, number>;
}
function postgresTicks(databaseName: string): PostgresTicks {
  const ticks: PostgresTicks = { all: 0, backends: new Map() };
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== 'postgres') continue;
      const fields = statFields(entry);
      if (!fields) continue;
      ticks.all += ownTicks(fields) + reapedTicks(fields);
      // A backend's title: "postgres: 15/main: <user> <database> <client> <state>".
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(` ${databaseName} `)) {
        ticks.backends.set(Number(entry), ownTicks(fields));
      }
    } catch {
      // The process ended while being read.
    }
  }
  return ticks;
}

/** Busy and total clock ticks of the whole machine (/proc/stat; idle and iowait are not busy). */
function machineTicks(): { busy: number; total: number } {
  const [user, nice, system, idle, iowait, irq, softirq, steal] = (
    readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? ''
  )
    .split(/\s+/)
    .slice(1, 9)
    .map(Number) as number[];
  const busy = (user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0);
  return { busy, total: busy + (idle ?? 0) + (iowait ?? 0) };
}

interface CpuMs {
  /** The API or worker processes measured. */
  processes: number;
  /** Every postgres process on this server (other databases' work included). */
  postgres: number;
  /** Only the backends of this benchmark's database (those that came and went uncounted). */
  postgresBackends: number;
  /** This process: the load generator in the accept phase, the queue poll in the drain. */
  loadGenerator: number;
  /** Everything the machine did, and what of it none of the above did (other work sharing it). */
  machineBusy: number;
  unaccounted: number;
  wall: number;
}

/** Starts measuring; the returned function ends the measurement, in CPU milliseconds. */
function startCpuMeter(pids: readonly number[], databaseName: string): () => CpuMs {
  const processTicks = () => pids.reduce((sum, pid) => sum + ownTicks(statFields(pid) ?? []), 0);
  const processes = processTicks();
  const postgres = postgresTicks(databaseName);
  const machine = machineTicks();
  const self = process.cpuUsage();
  const started = process.hrtime.bigint();
  return () => {
    const processesAfter = processTicks();
    const postgresAfter = postgresTicks(databaseName);
    const machineAfter = machineTicks();
    const selfUsed = process.cpuUsage(self);
    let backends = 0;
    for (const [pid, ticks] of postgresAfter.backends) backends += ticks - (postgres.backends.get(pid) ?? 0);
    const used = {
      processes: ticksToMs(processesAfter - processes),
      postgres: ticksToMs(postgresAfter.all - postgres.all),
      postgresBackends: ticksToMs(backends),
      loadGenerator: (selfUsed.user + selfUsed.system) / 1000,
      machineBusy: ticksToMs(machineAfter.busy - machine.busy),
    };
    return {
      ...used,
      unaccounted: used.machineBusy - used.processes - used.postgres - used.loadGenerator,
      wall: Number(process.hrtime.bigint() - started) / 1e6,
    };
  };
}
const perDelivery = (cpu: CpuMs, deliveries: number) =>
  Object.fromEntries(
    Object.entries(cpu)
      .filter(([key]) => key !== 'wall')
      .map(([key, ms]) => [key, ms / deliveries]),
  ) as Omit<CpuMs, 'wall'>;

// --- processes -------------------------------------------------------------------------------------

const children = new Set<ChildProcess>();
const killChildren = () => {
  for (const child of children) child.kill('SIGKILL');
};
// Below Linux's ephemeral port range (32768–60999), where autocannon's own sockets land.
let nextPort = 11_000 + Math.floor(Math.random() * 9_000);

function startOsr(databaseUrl: string, args: string[], env: Record<string, string> = {}) {
  const port = nextPort++;
  const child = spawn(process.execPath, [OSR, ...args], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      LOG_LEVEL: 'warn',
      OSR_RATE_LIMIT_PER_MINUTE: '100000000',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return { child, port, pid: child.pid as number };
}
const exited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;
function assertRunning(started: readonly { child: ChildProcess }[], what: string) {
  if (started.some(({ child }) => exited(child))) throw new Error(`scale: a ${what} process exited`);
}
async function ready(api: { child: ChildProcess; port: number }) {
  for (let i = 0; i < 1_200; i++) {
    assertRunning([api], 'API');
    if ((await fetch(`http://127.0.0.1:${api.port}/ready`).catch(() => undefined))?.ok) return;
    await sleep(50);
  }
  throw new Error(`scale: API on port ${api.port} not ready`);
}
const stop = (child: ChildProcess) =>
  new Promise<void>((done) => {
    if (exited(child)) return done();
    const force = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('exit', () => {
      clearTimeout(force);
      done();
    });
    child.kill('SIGTERM');
  });

// --- the curve --------------------------------------------------------------------------------------

interface AcceptFigures {
  apiProcesses: number;
  acceptedPerSecond: number;
  accepted: number;
  notAccepted: number;
  /** Requests without an answer: connection errors, of which timeouts (autocannon's 10 s). */
  errors: number;
  timeouts: number;
  /** Slowest autocannon instance's p50 and p99. */
  latencyMs: { p50: number; p99: number };
  cpuMsPerDelivery: Omit<CpuMs, 'wall'>;
  machineBusyPercent: number;
}
interface DrainFigures {
  workerProcesses: number;
  deliveries: number;
  perSecond: number;
  seconds: number;
  cpuMsPerDelivery: Omit<CpuMs, 'wall'>;
  machineBusyPercent: number;
}

/**
 * Measures the scale curve on `databaseUrl` (a bench database: its deliveries, roles and change
 * feed are replaced), writes the figures as JSON and answers the rows for the benchmark table.
 */
export async function measureScaleCurve(options: ScaleOptions): Promise<Row[]> {
  const { databaseUrl, units, seconds, connections } = options;
  const databaseName = new URL(databaseUrl).pathname.slice(1);
  const cores = availableParallelism();
  const busyPercent = (cpu: CpuMs) => (100 * cpu.machineBusy) / cpu.wall / cores;
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  process.on('exit', killChildren);
  // The master data too, not only the queue: this PostgreSQL runs without autovacuum, and with
  // residential_units never analyzed the claim's plan walked a billing unit's units in order to
  // find each delivery's (~300 index entries per lookup: 3.5 instead of 1.2 PostgreSQL CPU-ms per
  // delivery in the first drain, its plan cached for the worker's session). Not the emptied
  // tables (roles, partners, ...): planned as empty, their lookups would become scans as they fill.
  const vacuumAnalyze = () => pool.query('VACUUM ANALYZE deliveries, residential_units, billing_units');
  const resetUnits = async () => {
    await pool.query('TRUNCATE roles, partners, change_history, change_feed');
    await pool.query('UPDATE residential_units SET roles_document = NULL');
  };

  const acceptBodies = units.map((ru) => JSON.stringify(options.body(ru, 0)));
  /** One autocannon per API process, run together, connections shared out; counts 2xx answers. */
  async function load(apis: readonly { port: number }[], duration: number) {
    const results = await Promise.all(
      apis.map(({ port }, instance) => {
        let i = instance;
        return autocannon({
          url: `http://127.0.0.1:${port}`,
          connections: Math.max(1, Math.round(connections / apis.length)),
          duration,
          requests: [
            {
              setupRequest: (request) => {
                const n = i;
                i += apis.length;
                return {
                  ...request,
                  method: 'POST',
                  path: `${API}/billingunits/${BENCH.billingUnit}/residentialunits/${units[n % units.length]}/on-site-roles`,
                  headers: { authorization: BENCH_AUTH, 'content-type': 'application/json' },
                  body: acceptBodies[n % units.length] as string,
                };
              },
            },
          ],
        });
      }),
    );
    return {
      accepted: results.reduce((sum, result) => sum + result['2xx'], 0),
      notAccepted: results.reduce((sum, result) => sum + result.non2xx, 0),
      errors: results.reduce((sum, result) => sum + result.errors, 0),
      timeouts: results.reduce((sum, result) => sum + result.timeouts, 0),
      latencyMs: {
        p50: Math.max(...results.map((result) => result.latency.p50)),
        p99: Math.max(...results.map((result) => result.latency.p99)),
      },
      perSecond: results.reduce((sum, result) => sum + result['2xx'] / result.duration, 0),
    };
  }

  async function acceptWith(apiProcesses: number): Promise<AcceptFigures> {
    await resetUnits();
    await pool.query('TRUNCATE change_history, idempotency_keys, deliveries');
    await vacuumAnalyze();
    const apis = Array.from({ length: apiProcesses }, () => startOsr(databaseUrl, ['serve', '--no-worker']));
    try {
      await Promise.all(apis.map(ready));
      await load(apis, WARM_UP_SECONDS);
      const meter = startCpuMeter(
        apis.map(({ pid }) => pid),
        databaseName,
      );
      const result = await load(apis, seconds);
      const cpu = meter();
      assertRunning(apis, 'API');
      if (result.notAccepted > (result.accepted + result.notAccepted) * 0.01) {
        console.warn(`  (scale, ${apiProcesses} API processes: ${result.notAccepted} answers were not 2xx)`);
      }
      return {
        apiProcesses,
        acceptedPerSecond: result.perSecond,
        accepted: result.accepted,
        notAccepted: result.notAccepted,
        errors: result.errors,
        timeouts: result.timeouts,
        latencyMs: result.latencyMs,
        cpuMsPerDelivery: perDelivery(cpu, result.accepted),
        machineBusyPercent: busyPercent(cpu),
      };
    } finally {
      await Promise.all(apis.map(({ child }) => stop(child)));
    }
  }

  // The drain queue: each unit's chain of deliveries, inserted round by round (so in order).
  async function fillDrainQueue(): Promise<number> {
    await pool.query('TRUNCATE change_history, idempotency_keys, deliveries');
    for (let k = 0; k < options.drainPerUnit; k++) {
      await pool.query(
        `INSERT INTO deliveries (id, client_id, credential, billing_unit, residential_unit, unit_key, body)
         SELECT gen_random_uuid(), $1, $1, $2, ru, $2 || '/' || ru, body::jsonb
         FROM unnest($3::text[], $4::text[]) AS t(ru, body)`,
        [BENCH.client, BENCH.billingUnit, units, units.map((ru) => JSON.stringify(options.body(ru, k)))],
      );
    }
    return options.drainPerUnit * units.length;
  }

  async function drainWith(workerProcesses: number, deliveries: number): Promise<DrainFigures> {
    await resetUnits();
    await pool.query(
      `UPDATE deliveries SET status = 'PENDING', processed_at = NULL, messages = NULL, role_messages = NULL, partner_messages = NULL`,
    );
    await vacuumAnalyze();
    // Workers start while this transaction holds every delivery (the claim skips locked rows):
    // their start-up is not part of the measurement, and the table is as VACUUM left it.
    const hold = await pool.connect();
    const workers: ReturnType<typeof startOsr>[] = [];
    try {
      await hold.query('BEGIN');
      await hold.query(`SELECT count(*) FROM (SELECT 1 FROM deliveries WHERE status = 'PENDING' FOR UPDATE) AS held`);
      for (let i = 0; i < workerProcesses; i++) {
        workers.push(startOsr(databaseUrl, ['worker'], { OSR_POLL_INTERVAL_MS: '100' }));
      }
      // A worker is up once its connection LISTENs for new deliveries.
      for (let listening = 0; listening < workerProcesses; ) {
        assertRunning(workers, 'worker');
        await sleep(100);
        const { rows } = await pool.query(
          `SELECT count(*)::int AS n FROM pg_stat_activity
           WHERE datname = current_database() AND query ILIKE 'LISTEN%osr_delivery_pending%'`,
        );
        listening = rows[0].n;
      }
      await sleep(500); // the claim loops' first (empty) rounds
      const meter = startCpuMeter(
        workers.map(({ pid }) => pid),
        databaseName,
      );
      await hold.query('COMMIT');
      await pool.query(`SELECT pg_notify('osr_delivery_pending', '')`);
      const deadline = Date.now() + DRAIN_TIMEOUT_MS;
      for (;;) {
        // Whether any is left, not how many: counting 50,000 PENDING index entries ten times a
        // second costs PostgreSQL a good part of a core, charged to the deliveries.
        const { rows } = await pool.query(`SELECT EXISTS (SELECT 1 FROM deliveries WHERE status = 'PENDING') AS left`);
        if (!rows[0].left) break;
        assertRunning(workers, 'worker');
        if (Date.now() > deadline) throw new Error(`scale: drain with ${workerProcesses} workers did not finish`);
        await sleep(100);
      }
      const cpu = meter();
      const { rows } = await pool.query(
        `SELECT extract(epoch FROM max(processed_at) - min(processed_at))::float8 AS seconds,
                count(*) FILTER (WHERE status = 'SUCCESS')::int AS ok FROM deliveries`,
      );
      if (rows[0].ok !== deliveries) throw new Error(`scale: drain: only ${rows[0].ok} of ${deliveries} SUCCESS`);
      return {
        workerProcesses,
        deliveries,
        perSecond: deliveries / rows[0].seconds,
        seconds: rows[0].seconds,
        cpuMsPerDelivery: perDelivery(cpu, deliveries),
        machineBusyPercent: busyPercent(cpu),
      };
    } finally {
      await hold.query('ROLLBACK').catch(() => undefined); // only if still open
      hold.release();
      await Promise.all(workers.map(({ child }) => stop(child)));
    }
  }

  try {
    const accept: AcceptFigures[] = [];
    for (const count of PROCESS_COUNTS) accept.push(await acceptWith(count));
    const deliveries = await fillDrainQueue();
    const drain: DrainFigures[] = [];
    for (const count of PROCESS_COUNTS) drain.push(await drainWith(count, deliveries));

    const outputFile = options.outputFile ?? DEFAULT_OUTPUT;
    mkdirSync(dirname(outputFile), { recursive: true });
    const figures = {
      measuredAt: new Date().toISOString(),
      node: process.version,
      cores,
      clockTicksPerSecond: CLOCK_TICKS_PER_SECOND,
      note: 'API/worker processes, PostgreSQL and the load generator share these cores; other work may have run',
      accept: { seconds, connections, warmUpSeconds: WARM_UP_SECONDS, units: units.length, runs: accept },
      drain: { deliveries, units: units.length, perUnit: options.drainPerUnit, runs: drain },
    };
    writeFileSync(outputFile, `${JSON.stringify(figures, null, 2)}\n`);
    return scaleRows(accept, drain, deliveries, cores);
  } finally {
    killChildren();
    process.off('exit', killChildren);
    await pool.end();
  }
}

function scaleRows(accept: AcceptFigures[], drain: DrainFigures[], deliveries: number, cores: number): Row[] {
  const counts = PROCESS_COUNTS.join(' / ');
  const series = (values: number[], digits: number) => values.map((v) => formatNumber(v, digits)).join(' / ');
  const row = (name: string, ours: string, target = 'context'): Row => ({
    name,
    ours,
    baseline: '-',
    ratio: '-',
    target,
    met: '-',
  });
  const where = `context (${cores} cores: shows where they end)`;
  return [
    row(
      `8 scale: accept 2xx/s with ${counts} API processes`,
      series(
        accept.map((a) => a.acceptedPerSecond),
        0,
      ),
      where,
    ),
    row(
      `  accept CPU-ms per delivery: API processes (${counts})`,
      series(
        accept.map((a) => a.cpuMsPerDelivery.processes),
        2,
      ),
    ),
    row(
      `  accept CPU-ms per delivery: PostgreSQL (${counts})`,
      series(
        accept.map((a) => a.cpuMsPerDelivery.postgres),
        2,
      ),
    ),
    row(
      `  accept CPU-ms per delivery: load generator (${counts})`,
      series(
        accept.map((a) => a.cpuMsPerDelivery.loadGenerator),
        2,
      ),
    ),
    row(
      `8 scale: drain/s with ${counts} worker processes (${formatNumber(deliveries)} deliveries)`,
      series(
        drain.map((d) => d.perSecond),
        0,
      ),
      where,
    ),
    row(
      `  drain CPU-ms per delivery: worker processes (${counts})`,
      series(
        drain.map((d) => d.cpuMsPerDelivery.processes),
        2,
      ),
    ),
    row(
      `  drain CPU-ms per delivery: PostgreSQL (${counts})`,
      series(
        drain.map((d) => d.cpuMsPerDelivery.postgres),
        2,
      ),
    ),
    row(
      `  scale: machine busy, % of ${cores} cores: accept ${counts}; drain ${counts}`,
      `${series(
        accept.map((a) => a.machineBusyPercent),
        0,
      )}; ${series(
        drain.map((d) => d.machineBusyPercent),
        0,
      )}`,
    ),
  ];
}

// --- alone: npx tsx bench/scale.ts ------------------------------------------------------------------

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const positive = (name: string, fallback: number) => {
    const value = Number(process.env[name] ?? fallback);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
    return value;
  };
  const scale = positive('BENCH_SCALE', 1);
  const seconds = positive('BENCH_SECONDS', 8);
  const units = Array.from({ length: Math.min(10_000, Math.max(1, Math.round(5_000 * scale))) }, (_, i) =>
    String(i).padStart(4, '0'),
  );
  const database = await createBenchDatabase('osr_scale', units);
  const started = Date.now();
  try {
    const rows = await measureScaleCurve({
      databaseUrl: database.url,
      units,
      body: chainedDelivery,
      seconds,
      connections: 32,
      drainPerUnit: 10,
    });
    printTable(
      `on-site-roles scale curve — ${new Date().toISOString()}, node ${process.version}, ${seconds} s per accept run, ` +
        `${formatNumber((Date.now() - started) / 1000)} s in all; figures in ${DEFAULT_OUTPUT}`,
      rows,
    );
  } finally {
    await database.drop();
  }
}
