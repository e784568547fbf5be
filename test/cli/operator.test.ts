import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_TIMEOUT_MS, expectOk, expectUsageError, osr } from '../support/cli.js';
import { multiConnectionSkipReason } from '../support/database.js';
import { awaitResult, basic, deliver, getRoles, type Harness, startHarness } from '../support/harness.js';
import { MESSAGE, moveInMustermann, useCase3 } from '../support/spec.js';

/**
 * Operator and support commands beyond adding: import, credential list/revoke/rotate, history,
 * deliveries — as real processes against the same database a running app uses.
 */

const skipReason = multiConnectionSkipReason();
if (skipReason) console.warn(`[skipped] osr operator commands as child processes: ${skipReason}`);

describe.skipIf(Boolean(skipReason))('osr operator commands', { timeout: CLI_TIMEOUT_MS }, () => {
  let h: Harness;
  let url: string;
  const dir = mkdtempSync(join(tmpdir(), 'osr-import-'));
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const count = async (table: 'clients' | 'billing_units' | 'residential_units') =>
    Number(
      (
        await h.database.handle.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  beforeAll(async () => {
    h = await startHarness();
    url = h.database.url as string;
  });
  afterAll(async () => {
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('imports CSV master data, reports what it created, and is idempotent', async () => {
    const csv = file(
      'units.csv',
      [
        'client,client_name,billingunit,contracts,residentialunit',
        'acme,"ACME, Hausverwaltung",654321,S-COR,0001',
        'acme,"ACME, Hausverwaltung",654321,S-COR,0002',
        'acme,,099123456,none,0001',
        'beta,Beta GmbH,111111,S-COR;S-BIR,',
      ].join('\n'),
    );
    const first = await osr(url, ['import', csv]);
    expectOk(first);
    expect(first.stdout).toContain('clients:            created 2, unchanged 0, conflicting 0');
    expect(first.stdout).toContain('billing units:      created 3, unchanged 0, conflicting 0');
    expect(first.stdout).toContain('residential units:  created 3, unchanged 0, conflicting 0');
    const again = await osr(url, ['import', csv]);
    expectOk(again);
    expect(again.stdout).toContain('residential units:  created 0, unchanged 3, conflicting 0');
    const stored = await h.database.handle.db
      .selectFrom('billing_units')
      .select(['mscnumber', 'client_id', 'contracts'])
      .orderBy('mscnumber')
      .execute();
    expect(stored).toEqual([
      { mscnumber: '099123456', client_id: 'acme', contracts: [] },
      { mscnumber: '111111', client_id: 'beta', contracts: ['S-BIR', 'S-COR'] },
      { mscnumber: '654321', client_id: 'acme', contracts: ['S-COR'] },
    ]);
  });

  it('imports JSON, and a conflict anywhere aborts the whole import', async () => {
    const before = await Promise.all([count('clients'), count('billing_units'), count('residential_units')]);
    const conflicting = file(
      'conflict.json',
      JSON.stringify({
        clients: [
          { id: 'gamma', billingUnits: [{ mscnumber: '222222', residentialUnits: ['0001', '0002'] }] },
          // 111111 belongs to beta
          { id: 'acme', billingUnits: [{ mscnumber: '111111', contracts: ['S-COR'], residentialUnits: ['9'] }] },
        ],
      }),
    );
    const run = await osr(url, ['import', conflicting]);
    expectUsageError(run, /import aborted: 1 conflicting row\(s\); nothing was imported/);
    expect(run.stdout).toContain('conflict: billing unit 111111: belongs to another client');
    // nothing was imported, so nothing says "created"
    expect(run.stdout).toContain('clients:            would create 1, unchanged 1, conflicting 0');
    expect(run.stdout).not.toMatch(/\bcreated\b/);
    expect(await Promise.all([count('clients'), count('billing_units'), count('residential_units')])).toEqual(before);

    const fine = file(
      'fine.json',
      JSON.stringify({ clients: [{ id: 'gamma', billingUnits: [{ mscnumber: '222222', residentialUnits: ['1'] }] }] }),
    );
    expectOk(await osr(url, ['import', fine]));
    expect(await count('residential_units')).toBe(before[2] + 1);
  });

  it('rejects malformed import files with one line naming the place', async () => {
    expectUsageError(
      await osr(url, [
        'import',
        file('bad.csv', 'client,client_name,billingunit,contracts,residentialunit\nacme,,12345,,1\n'),
      ]),
      /line 2: invalid billing unit "12345"/,
    );
    expectUsageError(await osr(url, ['import', file('bad-header.csv', 'a,b\n')]), /line 1: the header must be/);
    expectUsageError(
      await osr(url, [
        'import',
        file(
          'bad-contract.csv',
          'client,client_name,billingunit,contracts,residentialunit\nacme,,654321,S-COR;FOO,1\n',
        ),
      ]),
      /line 2: invalid contract role type "FOO" \(known role types: S-COR, S-BIR, S-BVA/,
    );
    expectUsageError(await osr(url, ['import', file('bad.json', '{"clients":[{"id":"x y"}]}')]), /\/clients\/0\/id/);
    expectUsageError(await osr(url, ['import', join(dir, 'missing.csv')]), /cannot read/);
    expectUsageError(await osr(url, ['import', file('units.txt', '')]), /\.json or \.csv/);
  });

  it('lists, revokes and rotates credentials; a running app refuses revoked and old passwords at once', async () => {
    expectOk(await osr(url, ['credential', 'add', 'acme', 'acme-erp'], 'first-password\n'));
    expectOk(await osr(url, ['credential', 'add', 'acme', 'acme-reader', '--read-only'], 'reader-password\n'));
    const listed = await osr(url, ['credential', 'list', 'acme']);
    expectOk(listed);
    expect(listed.stdout).toMatch(/acme-erp\s+read-write\s+active/);
    expect(listed.stdout).toMatch(/acme-reader\s+read-only\s+active/);
    expect(listed.stdout).not.toContain('password');

    const first = basic('acme-erp', 'first-password');
    // Warm the app's verification cache, then rotate: the old password must stop working at once.
    expect((await getRoles(h.app, first, '654321', '0001')).statusCode).toBe(404);
    expectOk(await osr(url, ['credential', 'rotate', 'acme-erp'], 'second-password\n'));
    expect((await getRoles(h.app, first, '654321', '0001')).statusCode).toBe(401);
    const second = basic('acme-erp', 'second-password');
    expect((await getRoles(h.app, second, '654321', '0001')).statusCode).toBe(404);

    expectOk(await osr(url, ['credential', 'revoke', 'acme-erp']));
    expect((await getRoles(h.app, second, '654321', '0001')).statusCode).toBe(401);
    expect((await osr(url, ['credential', 'list', 'acme'])).stdout).toMatch(/acme-erp\s+read-write\s+revoked/);
    expectOk(await osr(url, ['credential', 'revoke', 'acme-erp'])); // already revoked: unchanged
    expectUsageError(await osr(url, ['credential', 'rotate', 'acme-erp'], 'third\n'), /revoked/);
    expectUsageError(await osr(url, ['credential', 'revoke', 'nobody']), /unknown credential nobody/);
  });

  it('answers support questions: history of a unit and recent failed deliveries', async () => {
    expectOk(await osr(url, ['credential', 'add', 'acme', 'support-test'], 'support-password\n'));
    const auth = basic('support-test', 'support-password');
    expect((await deliver(h.app, auth, '654321', '0001', moveInMustermann())).status).toBe('SUCCESS');
    const failed = await deliver(h.app, auth, '654321', '0001', useCase3());
    expect(failed.status).toBe('FAIL');

    const history = await osr(url, ['history', '654321', '0001']);
    expectOk(history);
    expect(history.stdout).toMatch(/support-test\s+role\s+INSERT\s+S-COR 2018-05-01…open partner 12345611\n/);
    expect(history.stdout).toMatch(/support-test\s+partner\s+INSERT\s+partner 12345611 \(Mustermann, Max\)\n/);
    const asJson = JSON.parse((await osr(url, ['history', '654321', '0001', '--json'])).stdout);
    expect(asJson.map((entry: { entity: string; change: string }) => `${entry.entity} ${entry.change}`)).toEqual([
      'role INSERT',
      'partner INSERT',
    ]);

    const deliveries = await osr(url, ['deliveries', '--status', 'FAIL', '--since', '1h']);
    expectOk(deliveries);
    expect(deliveries.stdout).toContain(failed.dataDeliveryId);
    expect(deliveries.stdout).toContain(`${MESSAGE.X1.key} [S-COR 2022-06-01 12345612]: ${MESSAGE.X1.message}`);
    expect(deliveries.stdout).not.toContain('Mustermann');
    expectUsageError(await osr(url, ['deliveries', '--status', 'DONE']), /invalid --status/);
    expectUsageError(await osr(url, ['deliveries', '--since', 'yesterday']), /invalid --since/);
    expectUsageError(await osr(url, ['history', '654321', '9999']), /unknown residential unit/);
  });

  it('purge removes personal fields from processed deliveries older than the retention, keeping the rest', async () => {
    expectOk(await osr(url, ['credential', 'add', 'acme', 'purge-test'], 'purge-password\n'));
    const auth = basic('purge-test', 'purge-password');
    const { db } = h.database.handle;
    const old = await deliver(h.app, auth, '654321', '0002', moveInMustermann({ ru: '0002' }));
    const recent = await deliver(h.app, auth, '654321', '0002', useCase3({ ru: '0002' }));
    await db
      .updateTable('deliveries')
      .set({ processed_at: new Date(Date.now() - 40 * 86_400_000) })
      .where('id', '=', old.dataDeliveryId)
      .execute();
    const before = await db
      .selectFrom('deliveries')
      .selectAll()
      .where('id', '=', old.dataDeliveryId)
      .executeTakeFirstOrThrow();

    const run = await osr(url, ['purge', '--older-than', '30']);
    expectOk(run);
    expect(run.stdout).toMatch(/^purged personal data from 1 processed deliveries older than 30 days$/m);

    const after = await db
      .selectFrom('deliveries')
      .selectAll()
      .where('id', '=', old.dataDeliveryId)
      .executeTakeFirstOrThrow();
    const unit = (after.body as ReturnType<typeof moveInMustermann>).billingunit.residentialunit;
    expect(unit.partners).toEqual([{ reference: { pmnumber: '12345611' }, commercial: 'NON_COMMERCIAL' }]);
    expect(unit.roles).toEqual((before.body as ReturnType<typeof moveInMustermann>).billingunit.residentialunit.roles);
    expect(JSON.stringify(after.body)).not.toMatch(/Mustermann|Max|0176/);
    expect(after).toMatchObject({
      status: before.status,
      role_messages: before.role_messages,
      purged_at: expect.any(Date),
    });
    // The recent delivery keeps its body; E3 still answers for the purged one.
    const untouched = await db
      .selectFrom('deliveries')
      .select('body')
      .where('id', '=', recent.dataDeliveryId)
      .executeTakeFirstOrThrow();
    expect(JSON.stringify(untouched.body)).toContain('Mustermann');
    expect((await awaitResult(h.app, auth, '654321', old.dataDeliveryId)).status).toBe('SUCCESS');

    expect((await osr(url, ['purge', '--older-than', '30'])).stdout).toMatch(/from 0 processed/);
    expectUsageError(await osr(url, ['purge']), /--older-than <days> is required/);
    expectUsageError(await osr(url, ['purge', '--older-than', '-1']), /--older-than/);
  });
});
