import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uviRecipientsPage } from '../../src/db/repositories/uvi-recipients.js';
import { decodeUnitCursor, type Month, parseMonth, type UviUnit, unitOrder } from '../../src/domain/uvi-recipients.js';
import { CLI_TIMEOUT_MS, expectOk, expectUsageError, osr, type Run } from '../support/cli.js';
import { createTestDatabase, multiConnectionSkipReason, type TestDatabase } from '../support/database.js';
import { type OsrProcess, REPO_ROOT, startOsr, waitFor } from '../support/processes.js';
import { type SeedUnit, seedUnits } from '../support/seed-units.js';

/**
 * Spec 10.3 from the outside: `osr uvi-recipients` as a real process on real PostgreSQL (data
 * seeded with SQL), the page function the HTTP route will wrap, and the embedded database while
 * `osr serve` holds it. The rule itself is table-tested in test/unit/uvi-recipients.test.ts.
 */

const HEADER =
  'billingunit,residentialunit,from,to,days,full_month,pmnumber,name,firstname,additionalname,commercial\n';
const FEBRUARY_2024 = parseMonth('2024-02') as Month;

/** The units of February 2024 and what each should show (or not) in the answer. */
const UNITS: SeedUnit[] = [
  // no change: one recipient for the whole (leap) month
  {
    bu: '654321',
    ru: '0001',
    roles: [{ from: '2018-05-01', to: null, pmnumber: '11' }],
    partners: [{ pmnumber: '11', name: 'Mustermann', firstname: 'Max' }],
  },
  // a change inside the month: two recipients, neither for the full month
  {
    bu: '654321',
    ru: '1',
    roles: [
      { from: '2020-01-01', to: '2024-02-09', pmnumber: '21' },
      { from: '2024-02-10', to: null, pmnumber: '22' },
    ],
    partners: [
      { pmnumber: '21', name: 'Alt', firstname: 'Anna', additionalname: '' },
      { pmnumber: '22', name: 'Neu', firstname: 'Nils' },
    ],
  },
  // vacancy for the whole month: not listed
  {
    bu: '654321',
    ru: '10',
    roles: [
      { from: '2020-01-01', to: '2024-01-31', pmnumber: '31' },
      { from: '2024-03-01', to: null, pmnumber: '32' },
    ],
    partners: [
      { pmnumber: '31', name: 'Vor', firstname: 'Vera' },
      { pmnumber: '32', name: 'Nach', firstname: 'Nora' },
    ],
  },
  // CSV quoting: comma, quotes, a line break; a commercial partner without firstname
  {
    bu: '654321',
    ru: '2',
    roles: [{ from: '2024-02-15', to: '2024-02-20', pmnumber: '41' }],
    partners: [
      {
        pmnumber: '41',
        name: 'Müller, "Bau" GmbH',
        firstname: null,
        additionalname: 'Haus A\nHinterhaus',
        commercial: 'COMMERCIAL',
      },
    ],
  },
  // a partner that is not on record: null fields
  { bu: '099123456', ru: '0001', roles: [{ from: '2023-01-01', to: null, pmnumber: '51' }], partners: [] },
  // only a billing-recipient role: not listed
  {
    bu: '123456',
    ru: '0001',
    roles: [{ role: 'S-BIR', from: '2018-01-01', to: null, pmnumber: '61' }],
    partners: [{ pmnumber: '61', name: 'Zahl', firstname: 'Zoe' }],
  },
  // an open role starting on the leap day: one day
  {
    bu: '123456',
    ru: '0002',
    roles: [{ from: '2024-02-29', to: null, pmnumber: '71' }],
    partners: [{ pmnumber: '71', name: 'Schalt', firstname: 'Tag' }],
  },
];

const EXPECTED_CSV =
  HEADER +
  '099123456,0001,2024-02-01,2024-02-29,29,true,51,,,,\n' +
  '123456,0002,2024-02-29,2024-02-29,1,false,71,Schalt,Tag,,NON_COMMERCIAL\n' +
  '654321,0001,2024-02-01,2024-02-29,29,true,11,Mustermann,Max,,NON_COMMERCIAL\n' +
  '654321,1,2024-02-01,2024-02-09,9,false,21,Alt,Anna,"",NON_COMMERCIAL\n' +
  '654321,1,2024-02-10,2024-02-29,20,false,22,Neu,Nils,,NON_COMMERCIAL\n' +
  '654321,2,2024-02-15,2024-02-20,6,false,41,"Müller, ""Bau"" GmbH",,"Haus A\nHinterhaus",COMMERCIAL\n';

const partner = (
  pmnumber: string,
  name: string | null,
  firstname: string | null,
  additionalname = null as string | null,
) => ({
  pmnumber,
  name,
  firstname,
  additionalname,
  commercial: name === null ? null : 'NON_COMMERCIAL',
});

const EXPECTED_UNITS: UviUnit[] = [
  {
    billingUnit: '099123456',
    residentialUnit: '0001',
    recipients: [
      { partner: partner('51', null, null), from: '2024-02-01', to: '2024-02-29', days: 29, fullMonth: true },
    ],
  },
  {
    billingUnit: '123456',
    residentialUnit: '0002',
    recipients: [
      { partner: partner('71', 'Schalt', 'Tag'), from: '2024-02-29', to: '2024-02-29', days: 1, fullMonth: false },
    ],
  },
  {
    billingUnit: '654321',
    residentialUnit: '0001',
    recipients: [
      { partner: partner('11', 'Mustermann', 'Max'), from: '2024-02-01', to: '2024-02-29', days: 29, fullMonth: true },
    ],
  },
  {
    billingUnit: '654321',
    residentialUnit: '1',
    recipients: [
      { partner: partner('21', 'Alt', 'Anna', ''), from: '2024-02-01', to: '2024-02-09', days: 9, fullMonth: false },
      { partner: partner('22', 'Neu', 'Nils'), from: '2024-02-10', to: '2024-02-29', days: 20, fullMonth: false },
    ],
  },
  {
    billingUnit: '654321',
    residentialUnit: '2',
    recipients: [
      {
        partner: {
          pmnumber: '41',
          name: 'Müller, "Bau" GmbH',
          firstname: null,
          additionalname: 'Haus A\nHinterhaus',
          commercial: 'COMMERCIAL',
        },
        from: '2024-02-15',
        to: '2024-02-20',
        days: 6,
        fullMonth: false,
      },
    ],
  },
];

/** Units spread over two billing units, more than two pages of the CLI's 5000, all in January 1990 only. */
const MANY_UNITS = 12_001;

async function seed(database: TestDatabase): Promise<void> {
  const db = database.handle.db;
  await seedUnits(db, UNITS, { contracts: ['S-COR', 'S-BIR'], moreBillingUnits: ['200000', '200001', '777777'] });
  // 9999 units in 200000 and the rest in 200001, each with one role in January 1990
  await sql`
    INSERT INTO residential_units (billing_unit, mscnumber)
    SELECT CASE WHEN n <= 9999 THEN '200000' ELSE '200001' END,
           CASE WHEN n <= 9999 THEN n ELSE n - 9999 END::text
    FROM generate_series(1, ${MANY_UNITS}::int) AS n`.execute(db);
  await sql`
    INSERT INTO roles (residential_unit, role, from_date, to_date, partner_pmnumber)
    SELECT id, 'S-COR', date '1990-01-01', date '1990-01-31', 'P' || mscnumber
    FROM residential_units WHERE billing_unit IN ('200000', '200001')`.execute(db);
  await sql`
    INSERT INTO partners (residential_unit, pmnumber, name, firstname)
    SELECT residential_unit, partner_pmnumber, 'Name', 'Vorname' FROM roles r
    JOIN residential_units ru ON ru.id = r.residential_unit WHERE ru.billing_unit IN ('200000', '200001')`.execute(db);
}

const skipReason = multiConnectionSkipReason();
if (skipReason) console.warn(`[skipped] osr uvi-recipients as a child process: ${skipReason}`);

describe.skipIf(Boolean(skipReason))('osr uvi-recipients (10.3)', { timeout: CLI_TIMEOUT_MS }, () => {
  let database: TestDatabase;
  let url: string;
  const run = (args: string[]) => osr(url, ['uvi-recipients', ...args]);

  beforeAll(async () => {
    database = await createTestDatabase();
    url = database.url as string;
    await seed(database);
  }, CLI_TIMEOUT_MS);
  afterAll(() => database?.destroy());

  it('CSV: a header, then one line per recipient, units ordered by billing unit and residential unit by code point', async () => {
    const csv = await run(['--month', '2024-02']);
    expectOk(csv);
    expect(csv.stdout).toBe(EXPECTED_CSV);
    const explicit = await run(['--month', '2024-02', '--format', 'csv']);
    expect(explicit.stdout).toBe(EXPECTED_CSV);
  });

  it('JSON: one document { month, units } with the units as the HTTP answer has them', async () => {
    const json = await run(['--month', '2024-02', '--format', 'json']);
    expectOk(json);
    expect(json.stdout.endsWith(']}\n')).toBe(true);
    expect(JSON.parse(json.stdout)).toEqual({ month: '2024-02', units: EXPECTED_UNITS });
  });

  it('--billing-unit lists that billing unit only; an unknown one lists nothing', async () => {
    const one = await run(['--month', '2024-02', '--billing-unit', '123456']);
    expectOk(one);
    expect(one.stdout).toBe(`${HEADER}123456,0002,2024-02-29,2024-02-29,1,false,71,Schalt,Tag,,NON_COMMERCIAL\n`);
    const json = await run(['--month', '2024-02', '--billing-unit', '654321', '--format', 'json']);
    expect(JSON.parse(json.stdout).units).toEqual(EXPECTED_UNITS.filter((unit) => unit.billingUnit === '654321'));
    for (const billingUnit of ['777777', '000000']) {
      expect((await run(['--month', '2024-02', '--billing-unit', billingUnit])).stdout).toBe(HEADER);
      const empty = await run(['--month', '2024-02', '--billing-unit', billingUnit, '--format', 'json']);
      expectOk(empty);
      expect(empty.stdout).toBe('{"month":"2024-02","units":[]}\n');
    }
  });

  it('a month nobody has a role in: the header only, an empty list', async () => {
    expect((await run(['--month', '1970-01'])).stdout).toBe(HEADER);
    expect(JSON.parse((await run(['--month', '1970-01', '--format', 'json'])).stdout)).toEqual({
      month: '1970-01',
      units: [],
    });
  });

  it(`streams ${MANY_UNITS} units over several pages, each once and in order`, async () => {
    const csv = await run(['--month', '1990-01']);
    expectOk(csv);
    const lines = csv.stdout.split('\n');
    expect(lines.shift()).toBe(HEADER.trimEnd());
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(MANY_UNITS);
    const positions = lines.map((line) => {
      const [billingUnit = '', residentialUnit = ''] = line.split(',');
      return { billingUnit, residentialUnit };
    });
    expect(positions).toEqual([...positions].sort(unitOrder));
    expect(new Set(lines.map((line) => line.split(',', 2).join('/'))).size).toBe(MANY_UNITS);
    expect(lines[0]).toBe('200000,1,1990-01-01,1990-01-31,31,true,P1,Name,Vorname,,NON_COMMERCIAL');
    expect(lines[1]).toBe('200000,10,1990-01-01,1990-01-31,31,true,P10,Name,Vorname,,NON_COMMERCIAL');

    const json = await run(['--month', '1990-01', '--format', 'json']);
    expectOk(json);
    const document = JSON.parse(json.stdout) as { units: UviUnit[] };
    expect(document.units.map(({ billingUnit, residentialUnit }) => ({ billingUnit, residentialUnit }))).toEqual(
      positions,
    );
  });

  it('a reader that goes away (| head): stops at once, exit 1 with one line', async () => {
    const child = spawn(process.execPath, ['bin/osr.js', 'uvi-recipients', '--month', '1990-01'], {
      cwd: REPO_ROOT,
      env: { ...process.env, DATABASE_URL: url, LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr += text;
    });
    child.stdout.once('data', () => child.stdout.destroy());
    const [code] = await once(child, 'close');
    expect(code, stderr).toBe(1);
    expect(stderr).toMatch(/^osr: stdout was closed before every unit was written \([^\n]*\)\n$/);
  });

  it.each<[string, string[], RegExp]>([
    ['--month missing', [], /^osr: --month <month> is required/],
    ['--month malformed', ['--month', '2024-2'], /^osr: invalid --month "2024-2" \(a month YYYY-MM, e\.g\. 2024-02\)/],
    ['--month impossible', ['--month', '2024-13'], /invalid --month "2024-13"/],
    [
      '--billing-unit malformed',
      ['--month', '2024-02', '--billing-unit', '12345'],
      /^osr: invalid billing unit number "12345" \(6 digits, or 099 followed by 6 digits\)/,
    ],
    [
      '--format unknown',
      ['--month', '2024-02', '--format', 'xml'],
      /^osr: option '--format <format>' argument 'xml' is invalid\. Allowed choices are csv, json\./,
    ],
  ])('%s: exit 2 with one line', async (_, args, pattern) => {
    const result: Run = await run(args);
    expectUsageError(result, pattern);
    expect(result.stdout).toBe('');
  });
});

describe.skipIf(Boolean(skipReason))('uviRecipientsPage: the HTTP answer, page by page', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
    await seed(database);
  }, CLI_TIMEOUT_MS);
  afterAll(() => database?.destroy());

  const page = (request: Omit<Parameters<typeof uviRecipientsPage>[1], 'month'>) =>
    uviRecipientsPage(database.handle.db, { month: FEBRUARY_2024, ...request });

  it('pages of every size follow each other by cursor and add up to the whole list', async () => {
    for (const limit of [1, 2, 3, 4, 5, 6, 500]) {
      const units: UviUnit[] = [];
      let after: Parameters<typeof uviRecipientsPage>[1]['after'];
      let cursor: string | null = null;
      for (let pages = 0; pages < 10; pages++) {
        const answer = await page({ after, limit });
        expect(answer.month).toBe('2024-02');
        units.push(...answer.units);
        cursor = answer.next;
        if (cursor === null) break;
        after = decodeUnitCursor(cursor);
      }
      expect(cursor, `limit ${limit}`).toBeNull();
      expect(units, `limit ${limit}`).toEqual(EXPECTED_UNITS);
    }
  });

  it('next is null exactly when no unit follows', async () => {
    expect((await page({ limit: 5 })).next).toBeNull();
    const four = await page({ limit: 4 });
    expect(four.units).toHaveLength(4);
    expect(four.next).not.toBeNull();
    const last = { billingUnit: '654321', residentialUnit: '2' };
    expect(await page({ after: last, limit: 500 })).toEqual({ month: '2024-02', units: [], next: null });
  });

  it('a cursor of a unit that is not listed (or does not exist) still continues after its position', async () => {
    const answer = await page({ after: { billingUnit: '654321', residentialUnit: '05' }, limit: 500 });
    expect(answer.units.map((unit) => unit.residentialUnit)).toEqual(['1', '2']);
  });

  it('billingUnit filters; an unknown one answers no units', async () => {
    const filtered = await page({ billingUnit: '654321', limit: 1 });
    expect(filtered.units).toEqual(EXPECTED_UNITS.slice(2, 3));
    expect(filtered.next).not.toBeNull();
    expect(await page({ billingUnit: '000000', limit: 500 })).toEqual({ month: '2024-02', units: [], next: null });
  });
});

describe('osr uvi-recipients on the embedded database', { timeout: CLI_TIMEOUT_MS * 2 }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'osr-uvi-'));
  const port = String(20_000 + Math.floor(Math.random() * 20_000));
  const run = (args: string[]) => osr('', ['uvi-recipients', ...args], undefined, { OSR_DATA_DIR: dataDir });
  let server: OsrProcess | undefined;

  afterAll(async () => {
    await server?.stop('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('opens it itself when nobody has it, and goes through the operator socket while osr serve has it', async () => {
    const alone = await run(['--month', '2024-02']);
    expectOk(alone);
    expect(alone.stdout).toBe(HEADER);

    // osr serve creates the demo data (use case 0: Mustermann since 2018-05-01) while there is no client
    server = startOsr(['serve'], { DATABASE_URL: '', OSR_DATA_DIR: dataDir, PORT: port, LOG_LEVEL: 'warn' });
    // not before it is ready: a command started earlier could take the database before the server
    await waitFor(
      async () => (await fetch(`http://127.0.0.1:${port}/ready`).catch(() => undefined))?.status === 200,
      60_000,
      'osr serve ready',
    );
    const line = '654321,0001,2024-02-01,2024-02-29,29,true,12345611,Mustermann,Max,,NON_COMMERCIAL\n';
    let latest: Run | undefined;
    await waitFor(
      async () => {
        latest = await run(['--month', '2024-02']);
        return latest.stdout === HEADER + line;
      },
      60_000,
      'the demo move-in in the UVI list',
    ).catch((error: Error) => {
      throw new Error(`${error.message}; last run: ${JSON.stringify(latest)}; server exit: ${server?.child.exitCode}`);
    });
    expectOk(latest as Run);
    expect((await fetch(`http://127.0.0.1:${port}/ready`)).status).toBe(200);
  });
});
