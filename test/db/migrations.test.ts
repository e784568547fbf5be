import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openDatabase } from '../../src/db/connection.js';
import {
  isMigrated,
  type MigrationFile,
  MigrationMismatchError,
  migrateTo,
  migrateToLatest,
  readMigrationFiles,
  sha256,
} from '../../src/db/migrate.js';
import { osr } from '../support/cli.js';
import { createTestDatabase, multiConnectionSkipReason, type TestDatabase } from '../support/database.js';
import { adminQuery, databaseUrlFor } from '../support/global-setup.js';

/**
 * Every landed migration with the SHA-256 of its file. A landed migration is never edited: this
 * test fails when one changes. A new migration adds its line here when it lands.
 */
const LANDED: Record<string, string> = {
  '0001_baseline': '11dbf41a39f3b4ded7f39a6de09ab7de4ce70d0db4344b07edd32c4f2123e498',
  '0002_delivery_request_id': 'ab0ca7859618f33f0c6543c8e83a4b29ef732231971238c4cf7154bbc52ff397',
  '0003_drop_unused_delivery_index': '8fdcd431ad983899072433b1c3885d859688205b8efd25771a98726434274d6f',
  '0004_billing_unit_closed_until': '1a3454e510d234b065415a2f00f07175f9276350161cea9f60c9a443fb738453',
  '0005_idempotency_keys': 'af1a880b11cfdf8dee7d2b9e0438b6e874a2d0838b6c78e98fbe99bac4a966ed',
  '0006_oidc_clients': '30136dba7efff8aeaa080b5c62a59a0b90fb2ebec32719e99986c1add21b695b',
  '0007_login_failures': '7720e3a35f6999e14733ba33fbf0357725fa8b2e287195af4fd489db298acbae',
  '0008_operators': '03c00101953d99a82865d9d9238d228fe6e460616ac853acae3884e3fe1ccd11',
  '0009_change_feed': '0029e41b6bd06e660d4f212e320c6b9d0fb667286b593913336f73db2017d1d7',
  '0010_residential_units_code_point_order': '57b51def9e2234863f68e908db1890c1b695441a8b2517024cc776272d214711',
  '0011_console_sessions': 'f38d2cff157e3158f6f014a04183e8bb0fa80eb84b4c896642dadcc455dc2126',
  '0012_accept_batch': 'b0c73928ee4279185f1d777272febbd9a6481d3f1a1fb46b3c6aa689096212e8',
  '0013_cached_plan_read_functions': 'f13545c768a74d20e498ef7d7e35abbc3dc2aaabc922795a15ba5474d9eaf73d',
};

describe('the committed migration files', () => {
  it('are exactly the landed ones, unchanged', () => {
    const files = Object.fromEntries(readMigrationFiles().map((file) => [file.name, file.sha256]));
    expect(files).toEqual(LANDED);
  });
});

describe('a migrated database', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.destroy();
  });

  it('records the checksum of every applied migration and is current', async () => {
    const { db } = database.handle;
    const recorded = await db
      .selectFrom('osr_migration_checksums')
      .select(['name', 'sha256'])
      .orderBy('name')
      .execute();
    expect(recorded).toEqual(readMigrationFiles().map(({ name, sha256 }) => ({ name, sha256 })));
    expect(await isMigrated(db)).toBe(true);
    expect(await migrateToLatest(db)).toEqual([]);
  });

  it('is refused, with what to do, when a migration file changed after it was applied', async () => {
    const { db } = database.handle;
    const [first] = readMigrationFiles();
    await sql`UPDATE osr_migration_checksums SET sha256 = ${sha256('an earlier text')} WHERE name = ${first?.name}`.execute(
      db,
    );
    try {
      expect(await isMigrated(db)).toBe(false);
      const refused = await migrateToLatest(db).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(MigrationMismatchError);
      expect((refused as Error).message).toMatch(
        new RegExp(`migration ${first?.name} was changed after it was applied .*never edited.*new migration`),
      );
    } finally {
      await sql`UPDATE osr_migration_checksums SET sha256 = ${first?.sha256} WHERE name = ${first?.name}`.execute(db);
    }
    expect(await isMigrated(db)).toBe(true);
  });
});

/** The next two need a second PostgreSQL database (not possible on the embedded one). */
const skipReason = multiConnectionSkipReason();
if (skipReason) console.warn(`[skipped] migrations on separate PostgreSQL databases: ${skipReason}`);

describe.skipIf(Boolean(skipReason))('a database migrated by an earlier version of these files', () => {
  let name: string;
  let url: string;
  beforeAll(async () => {
    name = `osr_test_upgrade_${randomBytes(6).toString('hex')}`;
    await adminQuery(inject('adminUrl'), `CREATE DATABASE ${name}`);
    url = databaseUrlFor(inject('adminUrl'), name);
  });
  afterAll(async () => {
    if (name) await adminQuery(inject('adminUrl'), `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });

  it('gets only the newer migrations, keeps its data, and is then current', async () => {
    const handle = await openDatabase({ databaseUrl: url, dataDir: '' });
    try {
      const [baseline, ...later] = readMigrationFiles();
      expect(await migrateTo(handle.db, [baseline as MigrationFile])).toEqual([baseline?.name]);
      await sql`
        INSERT INTO deliveries (id, client_id, credential, billing_unit, residential_unit, unit_key, body)
        VALUES (gen_random_uuid(), 'acme', 'erp', '654321', '0001', '654321/0001', '{}')`.execute(handle.db);
      expect(await isMigrated(handle.db)).toBe(later.length === 0);
      expect(await migrateToLatest(handle.db)).toEqual(later.map((file) => file.name));
      expect(await isMigrated(handle.db)).toBe(true);
      const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM deliveries`.execute(handle.db);
      expect(rows[0]?.n).toBe(1);
    } finally {
      await handle.close();
    }
  });
});

/** What the development versions before the baseline left behind: their migration names only. */
const OLD_SCHEMA = `
  CREATE TABLE kysely_migration (name varchar(255) PRIMARY KEY, timestamp varchar(255) NOT NULL);
  INSERT INTO kysely_migration VALUES ('0001_initial', '2026-11-01'), ('0006_unit_documents', '2026-11-28');
`;

describe.skipIf(Boolean(skipReason))('a PostgreSQL database made by the old migrations', () => {
  let name: string;
  let url: string;
  beforeAll(async () => {
    name = `osr_test_old_${randomBytes(6).toString('hex')}`;
    await adminQuery(inject('adminUrl'), `CREATE DATABASE ${name}`);
    url = databaseUrlFor(inject('adminUrl'), name);
    const handle = await openDatabase({ databaseUrl: url, dataDir: '' });
    await sql.raw(OLD_SCHEMA).execute(handle.db);
    await handle.close();
  });
  afterAll(async () => {
    if (name) await adminQuery(inject('adminUrl'), `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });

  it('osr refuses it with a clear message and changes nothing', async () => {
    const run = await osr(url, ['migrate']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/migrated by another version of osr \(migrations 0001_initial, 0006_unit_documents/);
    expect(run.stderr).toMatch(/Use an empty database/);
    const handle = await openDatabase({ databaseUrl: url, dataDir: '' });
    try {
      const { rows } = await sql<{ n: number }>`
        SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public'`.execute(handle.db);
      expect(rows[0]?.n).toBe(1);
    } finally {
      await handle.close();
    }
  });
});

describe('an embedded data directory made by the old migrations', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = join(mkdtempSync(join(tmpdir(), 'osr-old-data-')), 'data');
    const handle = await openDatabase({ dataDir });
    await sql.raw(OLD_SCHEMA).execute(handle.db);
    await handle.close();
  }, 60_000);
  afterAll(() => {
    if (dataDir) rmSync(join(dataDir, '..'), { recursive: true, force: true });
  });

  it('osr names the directory and says what to do', { timeout: 60_000 }, async () => {
    const run = await osr('', ['client', 'add', 'acme'], undefined, { OSR_DATA_DIR: dataDir });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/migrated by another version of osr/);
    expect(run.stderr).toContain(`The embedded data directory here: ${dataDir}`);
  });
});
