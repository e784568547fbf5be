import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openDatabase } from '../../src/db/connection.js';
import { readMigrationFiles } from '../../src/db/migrate.js';
import { DEFAULT_PROFILE } from '../../src/domain/process-delivery.js';
import { buildApp } from '../../src/http/app.js';
import { CLI_TIMEOUT_MS, expectOk, expectUsageError, osr } from '../support/cli.js';
import { createTestDatabase, multiConnectionSkipReason, type TestDatabase } from '../support/database.js';
import { adminQuery, databaseUrlFor } from '../support/global-setup.js';
import { BASE, basic, getRoles, postDelivery } from '../support/harness.js';
import { MESSAGE, moveInMustermann } from '../support/spec.js';

/**
 * The operator CLI as real child processes (`node bin/osr.js …`) against a PostgreSQL database:
 * exit codes (0 ok, 2 usage error or conflict), one line on stderr for errors, nothing
 * half-written after an error, and that what it writes works over HTTP.
 */

const skipReason = multiConnectionSkipReason();
if (skipReason) console.warn(`[skipped] osr CLI as child processes: ${skipReason}`);

describe.skipIf(Boolean(skipReason))('osr CLI', () => {
  let database: TestDatabase;
  let url: string;
  const run = (args: string[], input?: string) => osr(url, args, input);

  const db = () => database.handle.db;
  const clientRow = (id: string) => db().selectFrom('clients').selectAll().where('id', '=', id).executeTakeFirst();
  const credentialRow = (username: string) =>
    db().selectFrom('credentials').selectAll().where('username', '=', username).executeTakeFirst();
  const billingUnitRow = (mscnumber: string) =>
    db().selectFrom('billing_units').selectAll().where('mscnumber', '=', mscnumber).executeTakeFirst();
  const residentialUnitRows = (billingUnit: string) =>
    db()
      .selectFrom('residential_units')
      .select(['billing_unit', 'mscnumber'])
      .where('billing_unit', '=', billingUnit)
      .execute();

  beforeAll(async () => {
    database = await createTestDatabase();
    url = database.url as string;
  });
  afterAll(() => database?.destroy());

  describe('client add', () => {
    it('creates a client; the identical command again is fine; another name conflicts (exit 2)', {
      timeout: CLI_TIMEOUT_MS * 3,
    }, async () => {
      const created = await run(['client', 'add', 'acme', '--name', 'Acme Hausverwaltung GmbH']);
      expectOk(created);
      expect(created.stdout).toMatch(/created/);
      expect(await clientRow('acme')).toMatchObject({ id: 'acme', name: 'Acme Hausverwaltung GmbH' });

      const again = await run(['client', 'add', 'acme', '--name', 'Acme Hausverwaltung GmbH']);
      expectOk(again);
      expect(again.stdout).not.toMatch(/created/);

      const conflict = await run(['client', 'add', 'acme', '--name', 'Someone Else']);
      expectUsageError(conflict, /acme/);
      expect(await clientRow('acme')).toMatchObject({ name: 'Acme Hausverwaltung GmbH' });
    });

    it('a second client for the conflict tests below', { timeout: CLI_TIMEOUT_MS }, async () => {
      expectOk(await run(['client', 'add', 'other']));
      expect(await clientRow('other')).toMatchObject({ id: 'other', name: null });
    });

    it('an unknown option: exit 2, one line, nothing written', { timeout: CLI_TIMEOUT_MS }, async () => {
      expectUsageError(await run(['client', 'add', 'bogus-client', '--bogus']), /bogus/);
      expect(await clientRow('bogus-client')).toBeUndefined();
    });
  });

  describe('billingunit add', () => {
    it('defaults to the contract S-COR', { timeout: CLI_TIMEOUT_MS }, async () => {
      expectOk(await run(['billingunit', 'add', '654321', '--client', 'acme']));
      expect(await billingUnitRow('654321')).toMatchObject({ client_id: 'acme', contracts: ['S-COR'] });
    });

    it('--contracts none stores no contract (an empty array)', { timeout: CLI_TIMEOUT_MS }, async () => {
      expectOk(await run(['billingunit', 'add', '099123456', '--client', 'acme', '--contracts', 'none']));
      expect(await billingUnitRow('099123456')).toMatchObject({ client_id: 'acme', contracts: [] });
    });

    it("a billing unit of another client conflicts: exit 2, one line, it stays the other client's", {
      timeout: CLI_TIMEOUT_MS,
    }, async () => {
      expectUsageError(await run(['billingunit', 'add', '654321', '--client', 'other']), /654321/);
      expect(await billingUnitRow('654321')).toMatchObject({ client_id: 'acme', contracts: ['S-COR'] });
    });

    it.each([
      ['5 digits', '12345'],
      ['9 digits not starting with 099', '123456789'],
    ])(
      'a malformed number (%s): exit 2, one line, nothing written',
      { timeout: CLI_TIMEOUT_MS },
      async (_name, mscnumber) => {
        expectUsageError(await run(['billingunit', 'add', mscnumber, '--client', 'acme']));
        expect(await billingUnitRow(mscnumber)).toBeUndefined();
      },
    );

    it('an unknown client: exit 2, one line, nothing written', { timeout: CLI_TIMEOUT_MS }, async () => {
      expectUsageError(await run(['billingunit', 'add', '777777', '--client', 'nobody']), /nobody/);
      expect(await billingUnitRow('777777')).toBeUndefined();
    });

    it('--contracts takes only known role types (S-COR, S-BIR, S-BVA) or none: exit 2, nothing written', {
      timeout: CLI_TIMEOUT_MS * 2,
    }, async () => {
      expectUsageError(
        await run(['billingunit', 'add', '777778', '--client', 'acme', '--contracts', 'FOO']),
        /invalid contract role type "FOO" in --contracts \(known role types: S-COR, S-BIR, S-BVA/,
      );
      expect(await billingUnitRow('777778')).toBeUndefined();
      expectOk(await run(['billingunit', 'add', '777778', '--client', 'acme', '--contracts', 'S-BIR,S-BVA']));
      expect(await billingUnitRow('777778')).toMatchObject({ contracts: ['S-BIR', 'S-BVA'] });
    });
  });

  describe('residentialunit add', () => {
    it('adds a unit; the same command again is fine and adds nothing', { timeout: CLI_TIMEOUT_MS * 2 }, async () => {
      expectOk(await run(['residentialunit', 'add', '654321', '0001']));
      expectOk(await run(['residentialunit', 'add', '654321', '0001']));
      expect(await residentialUnitRows('654321')).toEqual([{ billing_unit: '654321', mscnumber: '0001' }]);
    });

    it('an unknown billing unit: exit 2, one line, nothing written', { timeout: CLI_TIMEOUT_MS }, async () => {
      expectUsageError(await run(['residentialunit', 'add', '888888', '0001']), /888888/);
      expect(await residentialUnitRows('888888')).toEqual([]);
    });

    it('a malformed residential unit number: exit 2, one line, nothing written', {
      timeout: CLI_TIMEOUT_MS,
    }, async () => {
      expectUsageError(await run(['residentialunit', 'add', '654321', '12345']));
      expect(await residentialUnitRows('654321')).toEqual([{ billing_unit: '654321', mscnumber: '0001' }]);
    });
  });

  describe('credential add', () => {
    it('reads the password from stdin; the credential works over HTTP', { timeout: CLI_TIMEOUT_MS }, async () => {
      const added = await run(['credential', 'add', 'acme', 'erp'], 'erp-secret-from-stdin\n');
      expectOk(added);
      expect(added.stdout).not.toContain('erp-secret-from-stdin');
      const row = await credentialRow('erp');
      expect(row).toMatchObject({ client_id: 'acme', read_only: false, revoked_at: null });
      expect(row?.password_hash).not.toContain('erp-secret-from-stdin');
    });

    it('the same credential again is fine', { timeout: CLI_TIMEOUT_MS }, async () => {
      expectOk(await run(['credential', 'add', 'acme', 'erp'], 'erp-secret-from-stdin\n'));
    });

    it('--read-only', { timeout: CLI_TIMEOUT_MS }, async () => {
      expectOk(await run(['credential', 'add', 'acme', 'reader', '--read-only'], 'reader-secret\n'));
      expect(await credentialRow('reader')).toMatchObject({ client_id: 'acme', read_only: true });
    });

    it('an unknown client: exit 2, one line, no credential', { timeout: CLI_TIMEOUT_MS }, async () => {
      expectUsageError(await run(['credential', 'add', 'nobody', 'orphan'], 'orphan-secret\n'), /nobody/);
      expect(await credentialRow('orphan')).toBeUndefined();
    });

    it('an unknown client is reported before anything about stdin (here: empty)', {
      timeout: CLI_TIMEOUT_MS,
    }, async () => {
      expectUsageError(await run(['credential', 'add', 'nobody', 'u1'], ''), /^osr: unknown client nobody /);
      expect(await credentialRow('u1')).toBeUndefined();
    });

    it('a password on stdin needs at least 12 characters: exit 2, one line, no credential', {
      timeout: CLI_TIMEOUT_MS,
    }, async () => {
      const short = await run(['credential', 'add', 'acme', 'short-pw'], 'elevenchars\n');
      expectUsageError(short, /the password on stdin has 11 characters; a password needs at least 12/);
      expect(short.stderr).not.toContain('elevenchars');
      expect(await credentialRow('short-pw')).toBeUndefined();
      expectOk(await run(['credential', 'add', 'acme', 'short-pw'], 'twelve-chars\n'));
    });

    it('credential list of an unknown client: exit 2, says the client is unknown', {
      timeout: CLI_TIMEOUT_MS,
    }, async () => {
      expectUsageError(await run(['credential', 'list', 'nobody']), /^osr: unknown client nobody /);
    });

    it('credentials written by the CLI authenticate against the app on the same database', async () => {
      const app: FastifyInstance = await buildApp({
        database: database.handle,
        logger: pino({ level: 'silent' }),
        basePath: BASE,
        profile: DEFAULT_PROFILE,
        requestsPerMinute: 6000,
      });
      try {
        const erp = basic('erp', 'erp-secret-from-stdin');
        const reader = basic('reader', 'reader-secret');
        // authenticated; the unit created by the CLI exists but has no roles yet
        const empty = await getRoles(app, erp, '654321', '0001');
        expect(empty.statusCode).toBe(404);
        expect(empty.json().messages).toEqual([MESSAGE.NO_ROLES]);
        const accepted = await postDelivery(app, erp, '654321', '0001', moveInMustermann());
        expect(accepted.statusCode, accepted.body).toBe(202);

        expect((await getRoles(app, reader, '654321', '0001')).statusCode).toBe(404);
        const forbidden = await postDelivery(app, reader, '654321', '0001', moveInMustermann());
        expect(forbidden.statusCode).toBe(403);

        expect((await getRoles(app, basic('erp', 'erp-secret-from-stdin\n'), '654321', '0001')).statusCode).toBe(401);
        expect((await getRoles(app, basic('erp', 'wrong'), '654321', '0001')).statusCode).toBe(401);
      } finally {
        await app.close();
      }
    });
  });

  describe('commands and options', () => {
    it('an unknown command: exit 2, one line on stderr', { timeout: CLI_TIMEOUT_MS }, async () => {
      expectUsageError(await run(['frobnicate']), /frobnicate/);
    });

    it('an unknown option: exit 2, one line on stderr, nothing written', { timeout: CLI_TIMEOUT_MS }, async () => {
      expectUsageError(await run(['billingunit', 'add', '555555', '--client', 'acme', '--colour', 'red']), /colour/);
      expect(await billingUnitRow('555555')).toBeUndefined();
    });

    it('migrate on a migrated database: exit 0', { timeout: CLI_TIMEOUT_MS }, async () => {
      const migrated = await run(['migrate']);
      expectOk(migrated);
    });
  });
});

describe.skipIf(Boolean(skipReason))('osr migrate on a fresh, empty database', () => {
  let name: string;
  let url: string;
  beforeAll(async () => {
    const adminUrl = inject('adminUrl');
    name = `osr_test_empty_${randomBytes(6).toString('hex')}`;
    await adminQuery(adminUrl, `CREATE DATABASE ${name}`);
    url = databaseUrlFor(adminUrl, name);
  });
  afterAll(async () => {
    if (name) await adminQuery(inject('adminUrl'), `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });

  it('three concurrent runs all exit 0 and leave one complete schema', { timeout: CLI_TIMEOUT_MS * 2 }, async () => {
    const runs = await Promise.all([osr(url, ['migrate']), osr(url, ['migrate']), osr(url, ['migrate'])]);
    for (const result of runs) expectOk(result);

    const handle = await openDatabase({ databaseUrl: url, dataDir: '' });
    try {
      const migrations = await sql<{ name: string }>`SELECT name FROM kysely_migration ORDER BY name`.execute(
        handle.db,
      );
      expect(migrations.rows.map((row) => row.name)).toEqual(readMigrationFiles().map((file) => file.name));
      const tables = await sql<{ table_name: string }>`
        SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name
      `.execute(handle.db);
      expect(tables.rows.map((row) => row.table_name)).toEqual(
        expect.arrayContaining([
          'billing_units',
          'change_history',
          'clients',
          'credentials',
          'deliveries',
          'partners',
          'residential_units',
          'roles',
        ]),
      );
      // and a further run is a no-op
      expectOk(await osr(url, ['migrate']));
    } finally {
      await handle.close();
    }
  });
});
