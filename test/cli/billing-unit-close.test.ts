import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedUntilChange } from '../../src/domain/closed-until.js';
import { CLI_TIMEOUT_MS, expectOk, expectUsageError, osr } from '../support/cli.js';
import { createTestDatabase, multiConnectionSkipReason, type TestDatabase } from '../support/database.js';

/** Closed billing periods (spec 8.2, 8.5): `osr billingunit close` and `osr billingunit list`. */

describe('closedUntilChange: only forward', () => {
  it.each([
    [null, '2023-12-31', 'set'],
    ['2023-12-31', '2024-01-01', 'set'],
    ['2023-12-31', '2023-12-31', 'unchanged'],
    ['2023-12-31', '2023-12-30', 'refused'],
  ] as const)('from %s to %s: %s', (current, requested, expected) => {
    expect(closedUntilChange(current, requested)).toBe(expected);
  });
});

const skipReason = multiConnectionSkipReason();
if (skipReason) console.warn(`[skipped] osr billingunit close/list as child processes: ${skipReason}`);

describe.skipIf(Boolean(skipReason))('osr billingunit close / list', { timeout: CLI_TIMEOUT_MS }, () => {
  let database: TestDatabase;
  let url: string;
  const closedUntil = async () =>
    (
      await database.handle.db
        .selectFrom('billing_units')
        .select('closed_until')
        .where('mscnumber', '=', '654321')
        .executeTakeFirstOrThrow()
    ).closed_until;

  beforeAll(async () => {
    database = await createTestDatabase();
    url = database.url as string;
    expectOk(await osr(url, ['client', 'add', 'acme']));
    expectOk(await osr(url, ['billingunit', 'add', '654321', '--client', 'acme']));
    expectOk(await osr(url, ['billingunit', 'add', '099123456', '--client', 'acme', '--contracts', 'S-COR,S-BIR']));
  });
  afterAll(() => database?.destroy());

  it('sets closed-until, the same date again changes nothing, an earlier one is refused (exit 2)', async () => {
    const first = await osr(url, ['billingunit', 'close', '654321', '--until', '2023-12-31']);
    expectOk(first);
    expect(first.stdout).toBe('closed billing unit 654321 until 2023-12-31\n');
    expect(await closedUntil()).toBe('2023-12-31');

    const again = await osr(url, ['billingunit', 'close', '654321', '--until', '2023-12-31']);
    expectOk(again);
    expect(again.stdout).toBe('unchanged billing unit 654321 until 2023-12-31\n');

    expectUsageError(
      await osr(url, ['billingunit', 'close', '654321', '--until', '2023-06-30']),
      /closed until 2023-12-31; closed-until only moves forward \(2023-06-30 is earlier\), nothing changed/,
    );
    expect(await closedUntil()).toBe('2023-12-31');

    expectOk(await osr(url, ['billingunit', 'close', '654321', '--until', '2024-03-31']));
    expect(await closedUntil()).toBe('2024-03-31');
  });

  it('refuses an impossible date, a missing --until and an unknown billing unit, each with the rule', async () => {
    expectUsageError(
      await osr(url, ['billingunit', 'close', '654321', '--until', '2023-02-30']),
      /invalid --until "2023-02-30" \(a calendar date YYYY-MM-DD/,
    );
    expectUsageError(await osr(url, ['billingunit', 'close', '654321']), /--until/);
    expectUsageError(
      await osr(url, ['billingunit', 'close', '777777', '--until', '2023-12-31']),
      /unknown billing unit 777777/,
    );
  });

  it('a billing unit added without --contracts gets every role type of the profile (OSR_PROFILE)', async () => {
    const arge = await osr(url, ['billingunit', 'add', '222222', '--client', 'acme'], undefined, {
      OSR_PROFILE: 'arge',
    });
    expectOk(arge);
    expect(arge.stdout).toBe('created billing unit 222222 (client acme, contracts S-COR,S-BIR,S-BVA)\n');
    const kalo = await osr(url, ['billingunit', 'add', '333333', '--client', 'acme']);
    expect(kalo.stdout).toBe('created billing unit 333333 (client acme, contracts S-COR)\n');
    const unknown = await osr(url, ['billingunit', 'add', '444444', '--client', 'acme'], undefined, {
      OSR_PROFILE: 'ista',
    });
    expectUsageError(unknown, /OSR_PROFILE/);
  });

  it('the bulk import takes closedUntil (JSON) and closed_until (CSV) under the same forward-only rule', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'osr-closed-until-'));
    try {
      const json = join(dir, 'units.json');
      const units = (closedUntil: string) =>
        JSON.stringify({
          clients: [{ id: 'acme', billingUnits: [{ mscnumber: '555555', closedUntil, residentialUnits: ['0001'] }] }],
        });
      writeFileSync(json, units('2022-12-31'));
      expectOk(await osr(url, ['import', json]));
      writeFileSync(json, units('2023-12-31'));
      const moved = await osr(url, ['import', json]);
      expectOk(moved);
      expect(moved.stdout).toContain('closed-until:       moved forward for 1 billing unit(s)');
      writeFileSync(json, units('2023-06-30'));
      const earlier = await osr(url, ['import', json]);
      expect(earlier.code).toBe(2);
      expect(earlier.stdout).toContain(
        'conflict: billing unit 555555: closed until 2023-12-31, later than 2023-06-30 (closed-until only moves forward)',
      );
      const csv = join(dir, 'units.csv');
      writeFileSync(
        csv,
        'client,client_name,billingunit,contracts,residentialunit,closed_until\nacme,,666666,S-COR;S-BIR,0001,2024-01-31\n',
      );
      expectOk(await osr(url, ['import', csv]));
      const list = JSON.parse((await osr(url, ['billingunit', 'list', '--json'])).stdout) as {
        mscnumber: string;
        closedUntil: string | null;
      }[];
      expect(list.filter((unit) => ['555555', '666666'].includes(unit.mscnumber))).toEqual([
        expect.objectContaining({ mscnumber: '555555', closedUntil: '2023-12-31' }),
        expect.objectContaining({ mscnumber: '666666', closedUntil: '2024-01-31' }),
      ]);
      writeFileSync(
        csv,
        'client,client_name,billingunit,contracts,residentialunit,closed_until\nacme,,777777,,,2024-02-30\n',
      );
      expectUsageError(await osr(url, ['import', csv]), /line 2: invalid closed_until "2024-02-30"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('list shows every billing unit with client, contracts and closed-until (table and JSON)', async () => {
    const table = await osr(url, ['billingunit', 'list']);
    expectOk(table);
    expect(table.stdout).toMatch(/099123456\s+acme\s+S-COR,S-BIR\s+-/);
    expect(table.stdout).toMatch(/654321\s+acme\s+S-COR\s+2024-03-31/);
    const json = await osr(url, ['billingunit', 'list', '--client', 'acme', '--json']);
    expectOk(json);
    expect(JSON.parse(json.stdout)).toEqual([
      { mscnumber: '099123456', client: 'acme', contracts: ['S-COR', 'S-BIR'], closedUntil: null },
      { mscnumber: '222222', client: 'acme', contracts: ['S-COR', 'S-BIR', 'S-BVA'], closedUntil: null },
      { mscnumber: '333333', client: 'acme', contracts: ['S-COR'], closedUntil: null },
      { mscnumber: '555555', client: 'acme', contracts: ['S-COR'], closedUntil: '2023-12-31' },
      { mscnumber: '654321', client: 'acme', contracts: ['S-COR'], closedUntil: '2024-03-31' },
      { mscnumber: '666666', client: 'acme', contracts: ['S-BIR', 'S-COR'], closedUntil: '2024-01-31' },
    ]);
    expectUsageError(await osr(url, ['billingunit', 'list', '--client', 'nobody']), /unknown client nobody/);
  });
});
