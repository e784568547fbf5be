import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Config, loadConfig } from '../config.js';
import { type DatabaseHandle, openDatabase } from '../db/connection.js';
import { MigrationMismatchError, migrateToLatest } from '../db/migrate.js';
import { UsageError } from './args.js';

/**
 * Opens the configured database (PostgreSQL when DATABASE_URL is set, else the embedded one in
 * OSR_DATA_DIR) and applies pending migrations. The embedded database belongs to one process
 * at a time: a lock file says which.
 */
export async function openMigratedDatabase(config: Config): Promise<DatabaseHandle> {
  const releaseLock = config.databaseUrl ? () => {} : lockDataDir(config.dataDir);
  try {
    const handle = await openDatabase({
      databaseUrl: config.databaseUrl,
      dataDir: config.dataDir,
      poolSize: config.dbPoolSize,
    });
    await migrateToLatest(handle.db).catch(async (error: unknown) => {
      await handle.close();
      if (error instanceof MigrationMismatchError && !config.databaseUrl) {
        throw new MigrationMismatchError(
          `${error.message} (The embedded data directory here: ${resolve(config.dataDir)})`,
        );
      }
      throw error;
    });
    const close = handle.close.bind(handle);
    return {
      ...handle,
      async close() {
        await close();
        releaseLock();
      },
    };
  } catch (error) {
    releaseLock();
    throw error;
  }
}

function lockDataDir(dataDir: string): () => void {
  if (dataDir.startsWith('memory://')) return () => {};
  const lockFile = join(dataDir, 'osr.lock');
  if (existsSync(lockFile)) {
    const pid = Number(readFileSync(lockFile, 'utf8').trim());
    if (Number.isInteger(pid) && pid !== process.pid && isAlive(pid)) {
      throw new UsageError(
        `the embedded database in ${dataDir} is in use by process ${pid}; stop it first, or set DATABASE_URL`,
      );
    }
  }
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(lockFile, String(process.pid));
  return () => rmSync(lockFile, { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Runs one command's database work; arguments are validated before, so nothing is half-written. */
export async function withDatabase<T>(work: (database: DatabaseHandle) => Promise<T>): Promise<T> {
  const database = await openMigratedDatabase(loadConfig());
  try {
    return await work(database);
  } finally {
    await database.close();
  }
}
