import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Kysely, type Migration, Migrator, sql } from 'kysely';
import { projectFile } from '../project-files.js';
import type { Database } from './schema.js';

/**
 * Forward-only migrations: the plain SQL files in migrations/, applied in name order by Kysely's
 * Migrator (which holds an advisory lock, so several processes may migrate at once). Each applied
 * migration's SHA-256 is recorded in the same transaction, and a database whose recorded
 * migrations differ from the files (one edited after it landed, or one this version does not know)
 * is refused with a message that says what to do.
 */

export interface MigrationFile {
  name: string;
  sql: string;
  sha256: string;
}

const MIGRATIONS_DIR = 'migrations/';
const CHECKSUM_TABLE = 'osr_migration_checksums';

export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

let cachedFiles: MigrationFile[] | undefined;

/** The migration files, in the order they are applied (read once per process). */
export const migrationFiles = (): MigrationFile[] => {
  cachedFiles ??= readMigrationFiles();
  return cachedFiles;
};

export function readMigrationFiles(): MigrationFile[] {
  const dir = fileURLToPath(projectFile(MIGRATIONS_DIR));
  return readdirSync(dir)
    .filter((file) => file.endsWith('.sql'))
    .sort()
    .map((file) => {
      const text = readFileSync(`${dir}/${file}`, 'utf8');
      return { name: file.slice(0, -'.sql'.length), sql: text, sha256: sha256(text) };
    });
}

/** The database was migrated by other migration files than these: never guess, refuse. */
export class MigrationMismatchError extends Error {}

interface AppliedMigration {
  name: string;
  /** null: applied before checksums were recorded (a development version before the baseline). */
  sha256: string | null;
}

/** What has been applied, in one query; undefined when the database was never migrated. */
async function appliedMigrations(db: Kysely<Database>, attempt = 1): Promise<AppliedMigration[] | undefined> {
  try {
    const { rows } = await sql<AppliedMigration>`
      SELECT m.name, c.sha256 FROM kysely_migration m LEFT JOIN ${sql.table(CHECKSUM_TABLE)} c ON c.name = m.name
      ORDER BY m.name
    `.execute(db);
    return rows;
  } catch (error) {
    if ((error as { code?: string }).code !== '42P01') throw error;
    // No kysely_migration: never migrated. No checksum table: migrated by a version before it …
    const migrated = await sql<{ name: string }>`SELECT name FROM kysely_migration`.execute(db).catch(() => undefined);
    if (!migrated) return undefined;
    // … or by another process that committed our migrations (and the checksum table with them)
    // between the two statements: read again.
    const ours = new Set(migrationFiles().map((file) => file.name));
    if (attempt < 3 && migrated.rows.some(({ name }) => ours.has(name))) return appliedMigrations(db, attempt + 1);
    return migrated.rows.map(({ name }) => ({ name, sha256: null }));
  }
}

/** Why the applied migrations cannot be reconciled with the files; undefined when they can. */
export function mismatch(applied: readonly AppliedMigration[], files: readonly MigrationFile[]): string | undefined {
  const byName = new Map(files.map((file) => [file.name, file]));
  const unknown = applied.filter((migration) => !byName.has(migration.name));
  if (unknown.length > 0) {
    return (
      `this database was migrated by another version of osr (migrations ${unknown.map((m) => m.name).join(', ')} ` +
      'are not part of this one; development versions before the baseline migration were never released). ' +
      'Use an empty database: move or delete the embedded data directory (OSR_DATA_DIR, default ./data) or ' +
      'create a new PostgreSQL database, start again, and load the master data with `osr import`.'
    );
  }
  for (const migration of applied) {
    const file = byName.get(migration.name) as MigrationFile;
    if (migration.sha256 !== file.sha256) {
      return (
        `migration ${migration.name} was changed after it was applied to this database ` +
        `(applied: ${migration.sha256 ?? 'no checksum'}, file: ${file.sha256}). A landed migration is never ` +
        'edited: restore migrations/ from the release you run, and change the schema with a new migration.'
      );
    }
  }
  return undefined;
}

/** Applies pending migrations; returns their names. A current database costs one query. */
export async function migrateToLatest(db: Kysely<Database>): Promise<string[]> {
  return migrateTo(db, migrationFiles());
}

/** Applies the pending ones of `files` (all of them, or the first few of them in tests). */
export async function migrateTo(db: Kysely<Database>, files: readonly MigrationFile[]): Promise<string[]> {
  const applied = (await appliedMigrations(db)) ?? [];
  const problem = mismatch(applied, files);
  if (problem) throw new MigrationMismatchError(problem);
  if (applied.length === files.length) return [];
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => Object.fromEntries(files.map((file) => [file.name, recorded(file)])) },
  });
  const result = await migrator.migrateToLatest();
  if (result.error) throw result.error;
  return (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** A migration file as a Kysely migration that also records its checksum (same transaction). */
function recorded(file: MigrationFile): Migration {
  return {
    async up(db) {
      await sql.raw(file.sql).execute(db);
      await sql`
        CREATE TABLE IF NOT EXISTS ${sql.table(CHECKSUM_TABLE)} (
          name text PRIMARY KEY, sha256 text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())
      `.execute(db);
      await sql`INSERT INTO ${sql.table(CHECKSUM_TABLE)} (name, sha256) VALUES (${file.name}, ${file.sha256})`.execute(
        db,
      );
    },
  };
}

/** True when every migration file has been applied, unchanged (every /ready asks: one query). */
export async function isMigrated(db: Kysely<Database>): Promise<boolean> {
  const applied = await appliedMigrations(db);
  const files = migrationFiles();
  return applied !== undefined && applied.length === files.length && mismatch(applied, files) === undefined;
}
