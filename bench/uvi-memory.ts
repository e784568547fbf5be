// npx tsx bench/uvi-memory.ts [--units 100000,1000000] [--formats csv,json]
//
// Spec 10.3: `osr uvi-recipients` streams, its memory does not grow with the number of units.
// Creates its own database on TEST_DATABASE_URL's server (default the local PostgreSQL), fills it
// with SQL (generate_series) up to each size in turn, runs the real CLI under /usr/bin/time -v
// with its stdout piped into this process (a real consumer, so backpressure is exercised), and
// prints peak RSS, wall time and output size per size and format; then drops the database.
// Each run is made twice: with Node's default heap sizing (V8 lets its young generation grow to
// its maximum, about 100 MB more RSS, whatever the data) and with the heap capped at 64 MB
// (NODE_OPTIONS=--max-old-space-size=64 --max-semi-space-size=4): if memory grew with the number
// of units, that run would die of "heap out of memory" at a million units.
// Not part of the test suite: it takes minutes. The keyset pages walk the code-point index on
// residential units (migrations/0010_residential_units_code_point_order.sql).
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { openDatabase } from '../src/db/connection.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { REPO_ROOT } from '../test/support/processes.js';

const MONTH = '2024-03';
const CAPPED_HEAP = '--max-old-space-size=64 --max-semi-space-size=4';
const HEAPS = { default: undefined, capped: CAPPED_HEAP } as const;
const UNITS_PER_BILLING_UNIT = 100;

function option(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index === -1 ? undefined : process.argv[index + 1];
}
const sizes = (option('--units') ?? '100000,1000000').split(',').map(Number);
const formats = (option('--formats') ?? 'csv,json').split(',');
if (sizes.some((size) => !Number.isInteger(size) || size < 1 || size > 9_000_000)) {
  throw new Error('--units: whole numbers from 1 to 9,000,000, separated by commas');
}
if (formats.some((format) => format !== 'csv' && format !== 'json')) throw new Error('--formats: csv and/or json');

const adminUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const name = `osr_uvi_memory_${Date.now()}`;
const url = new URL(adminUrl);
url.pathname = `/${name}`;
const databaseUrl = url.toString();

/** Whether bin/osr.js runs the compiled CLI (else tsx transpiles at start, which costs memory). */
function compiledIsCurrent(): boolean {
  try {
    const built = statSync(join(REPO_ROOT, 'dist/.built')).mtimeMs;
    const sources = readdirSync(join(REPO_ROOT, 'src'), { recursive: true, encoding: 'utf8' });
    return sources.every((file) => !file.endsWith('.ts') || statSync(join(REPO_ROOT, 'src', file)).mtimeMs <= built);
  } catch {
    return false;
  }
}

/**
 * Units `from`..`to` (1-based): billing unit 100000 + ⌈i / 100⌉, residential unit 0001–0100.
 * Every unit has an S-COR role since 2018; every third one changes tenant on 15 March (two
 * recipients), every seventh has a name that CSV must quote. All in set-based SQL.
 */
async function fill(client: pg.Client, from: number, to: number): Promise<void> {
  await client.query(
    `INSERT INTO billing_units (mscnumber, client_id)
     SELECT (100000 + b)::text, 'bench' FROM generate_series($1::int, $2::int) AS b`,
    [Math.ceil(from / UNITS_PER_BILLING_UNIT), Math.ceil(to / UNITS_PER_BILLING_UNIT)],
  );
  await client.query(
    `INSERT INTO residential_units (billing_unit, mscnumber)
     SELECT (100000 + (i - 1) / ${UNITS_PER_BILLING_UNIT} + 1)::text,
            lpad(((i - 1) % ${UNITS_PER_BILLING_UNIT} + 1)::text, 4, '0')
     FROM generate_series($1::int, $2::int) AS i`,
    [from, to],
  );
  await client.query(
    `INSERT INTO roles (residential_unit, role, from_date, to_date, partner_pmnumber)
     SELECT id, 'S-COR', date '2018-05-01', CASE WHEN id % 3 = 0 THEN date '2024-03-14' END, 'P' || id || 'A'
     FROM residential_units WHERE id BETWEEN $1 AND $2
     UNION ALL
     SELECT id, 'S-COR', date '2024-03-15', NULL, 'P' || id || 'B'
     FROM residential_units WHERE id BETWEEN $1 AND $2 AND id % 3 = 0`,
    [from, to],
  );
  await client.query(
    `INSERT INTO partners (residential_unit, pmnumber, name, firstname, additionalname)
     SELECT residential_unit, partner_pmnumber,
            CASE WHEN residential_unit % 7 = 0 THEN 'Müller, "Bau" GmbH' ELSE 'Mustermann' END, 'Max',
            CASE WHEN residential_unit % 2 = 0 THEN 'Hinterhaus' END
     FROM roles WHERE residential_unit BETWEEN $1 AND $2`,
    [from, to],
  );
  await client.query('ANALYZE');
}

interface Measured {
  exitCode: number | null;
  peakRssKb: number;
  wallSeconds: number;
  bytes: number;
  lines: number;
  stderr: string;
}

/** Runs the CLI under /usr/bin/time -v; stdout is read (and counted) here, as a pipe consumer would. */
function measure(format: string, nodeOptions: string | undefined): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(
      '/usr/bin/time',
      ['-v', process.execPath, 'bin/osr.js', 'uvi-recipients', '--month', MONTH, '--format', format],
      {
        cwd: REPO_ROOT,
        env: { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent', NODE_OPTIONS: nodeOptions ?? '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let bytes = 0;
    let lines = 0;
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines++;
    });
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr += text;
    });
    child.on('error', reject);
    child.on('close', (exitCode) => {
      const peak = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
      if (!peak) return reject(new Error(`no peak RSS from /usr/bin/time: ${stderr}`));
      const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
      resolve({ exitCode, peakRssKb: Number(peak[1]), wallSeconds, bytes, lines, stderr });
    });
  });
}

const admin = new pg.Client({ connectionString: adminUrl });
await admin.connect();
await admin.query(`CREATE DATABASE ${name}`);
try {
  const handle = await openDatabase({ databaseUrl, dataDir: '' });
  await migrateToLatest(handle.db);
  await handle.close();
  // A plain connection without the app's statement timeout: filling a million units takes longer.
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query(`INSERT INTO clients (id) VALUES ('bench')`);
  console.log(
    `osr uvi-recipients --month ${MONTH}: ${compiledIsCurrent() ? 'compiled CLI (dist/)' : 'CLI run through tsx (dist/ is not current)'}`,
  );
  console.log(`heap "capped": NODE_OPTIONS=${CAPPED_HEAP}`);
  console.log('units      recipients  format  heap     peak RSS   wall time  output');
  let filled = 0;
  for (const size of [...sizes].sort((a, b) => a - b)) {
    const fillStarted = Date.now();
    if (size > filled) await fill(client, filled + 1, size);
    filled = Math.max(filled, size);
    const fillSeconds = (Date.now() - fillStarted) / 1000;
    const { rows } = await client.query<{ recipients: string }>(
      `SELECT count(*) AS recipients FROM roles WHERE role = 'S-COR' AND from_date <= $1 AND (to_date IS NULL OR to_date >= $2)`,
      [`${MONTH}-31`, `${MONTH}-01`],
    );
    const recipients = Number(rows[0]?.recipients);
    for (const [format, [heap, nodeOptions]] of formats.flatMap((f) =>
      Object.entries(HEAPS).map((h) => [f, h] as const),
    )) {
      const run = await measure(format, nodeOptions);
      if (run.exitCode !== 0) throw new Error(`the CLI failed (exit ${run.exitCode}): ${run.stderr}`);
      // CSV: the header and one line per recipient; JSON: a line break before each unit and around "]}".
      const expectedLines = format === 'csv' ? recipients + 1 : size + 2;
      if (run.lines !== expectedLines) throw new Error(`${format}: ${run.lines} lines, expected ${expectedLines}`);
      console.log(
        [
          String(size).padEnd(10),
          String(recipients).padEnd(11),
          format.padEnd(6),
          heap.padEnd(8),
          `${(run.peakRssKb / 1024).toFixed(1)} MiB`.padEnd(10),
          `${run.wallSeconds.toFixed(1)} s`.padEnd(10),
          `${(run.bytes / 1024 / 1024).toFixed(1)} MiB (filled in ${fillSeconds.toFixed(0)} s)`,
        ].join(' '),
      );
    }
  }
  await client.end();
} finally {
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
}
