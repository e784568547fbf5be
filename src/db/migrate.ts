import { type Kysely, type MigrationResultSet, Migrator, sql } from 'kysely';
import { migrations } from '../../migrations/index.js';
import type { Database } from './schema.js';

/**
 * Applies pending migrations. Kysely's Migrator holds a PostgreSQL advisory lock while it runs,
 * so several processes may migrate at once. A database that is already current costs one query
 * (every process start and every /ready check ask).
 */
export async function migrateToLatest(db: Kysely<Database>): Promise<string[]> {
  if (await isMigrated(db)) return [];
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
  });
  const result: MigrationResultSet = await migrator.migrateToLatest();
  if (result.error) throw result.error;
  return (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** True when every known migration has been applied. */
export async function isMigrated(db: Kysely<Database>): Promise<boolean> {
  const applied = await sql<{ name: string }>`SELECT name FROM kysely_migration`.execute(db).catch((error: unknown) => {
    // A database never migrated has no migration table yet.
    if ((error as { code?: string }).code === '42P01') return { rows: [] };
    throw error;
  });
  const names = new Set(applied.rows.map((row) => row.name));
  return Object.keys(migrations).every((name) => names.has(name));
}
