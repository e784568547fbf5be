import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ImportData, importMasterData } from '../../src/db/repositories/bulk-import.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

/**
 * `osr import` leaves the master data with fresh statistics (the first plans after a big import
 * were made for empty tables): a manual ANALYZE of the tables it filled, whether or not
 * autovacuum runs (`last_analyze` counts only a manual one; autovacuum's is `last_autoanalyze`).
 */
let database: TestDatabase;
const db = () => database.handle.db;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.destroy();
});

const imported = (units: number): ImportData => ({
  clients: new Map([['stats-client', { name: 'Statistics GmbH' }]]),
  billingUnits: new Map([['777001', { clientId: 'stats-client', contracts: ['S-COR'] }]]),
  residentialUnits: Array.from({ length: units }, (_, i) => ({
    billingUnit: '777001',
    mscnumber: String(i).padStart(4, '0'),
  })),
});

async function analyzedTables(): Promise<Record<string, boolean>> {
  const { rows } = await sql<{ relname: string; analyzed: boolean }>`
    SELECT relname, last_analyze IS NOT NULL AS analyzed FROM pg_stat_user_tables
    WHERE relname IN ('clients', 'billing_units', 'residential_units')`.execute(db());
  return Object.fromEntries(rows.map((row) => [row.relname, row.analyzed]));
}

describe('statistics after an import', () => {
  it('an import that creates rows analyzes the tables it filled', async () => {
    expect(await analyzedTables()).toEqual({ clients: false, billing_units: false, residential_units: false });
    await importMasterData(db(), imported(300));
    expect(await analyzedTables()).toEqual({ clients: true, billing_units: true, residential_units: true });
    const { rows } = await sql<{ reltuples: number }>`
      SELECT reltuples FROM pg_class WHERE relname = 'residential_units'`.execute(db());
    expect(Number(rows[0]?.reltuples)).toBe(300);
  });
});
