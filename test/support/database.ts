import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { type DatabaseHandle, openDatabase } from '../../src/db/connection.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { adminQuery, databaseUrlFor } from './global-setup.js';

export interface TestDatabase {
  handle: DatabaseHandle;
  /** Connection string for child processes; undefined on PGlite (single process only). */
  url: string | undefined;
  destroy(): Promise<void>;
}

export const isRealPostgres = () => inject('databaseMode') === 'postgres';

/** Why tests that need several connections or processes cannot run (PGlite), else ''. */
export const multiConnectionSkipReason = () =>
  isRealPostgres() ? '' : `needs a real PostgreSQL (${inject('pgliteReason')})`;

/** A fresh, migrated database for one test file. */
export async function createTestDatabase(): Promise<TestDatabase> {
  if (!isRealPostgres()) {
    const handle = await openDatabase({ dataDir: 'memory://' });
    await migrateToLatest(handle.db);
    return { handle, url: undefined, destroy: () => handle.close() };
  }
  const adminUrl = inject('adminUrl');
  const name = `osr_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(adminUrl, `CREATE DATABASE ${name} TEMPLATE ${inject('templateDatabase')}`);
  const url = databaseUrlFor(adminUrl, name);
  const handle = await openDatabase({ databaseUrl: url, dataDir: '' });
  return {
    handle,
    url,
    async destroy() {
      await handle.close();
      await adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}
