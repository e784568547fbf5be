import { existsSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Config, loadConfig } from '../config.js';
import { type DatabaseHandle, OPERATOR_SOCKET_FILE, openDatabase } from '../db/connection.js';
import { MigrationMismatchError, migrateToLatest } from '../db/migrate.js';
import { UsageError } from './args.js';
import { type HeldLock, type LockHolder, type LockPurpose, takeLock } from './data-dir-lock.js';

/**
 * Opens the configured database (PostgreSQL when DATABASE_URL is set, else the embedded one in
 * OSR_DATA_DIR) and applies pending migrations. The embedded database belongs to one process at
 * a time (osr.lock says which); while `osr serve` has it, operator commands use it through the
 * server's operator socket.
 */
export interface OpenedDatabase extends DatabaseHandle {
  /**
   * `osr serve` on the embedded database: serves operator commands on a Unix socket in the data
   * directory until `close()`. Returns the socket's path, or undefined when there is nothing to
   * share (PostgreSQL) or the path is too long for a Unix socket.
   */
  shareWithOperatorCommands(): Promise<string | undefined>;
}

/** The longest Unix socket path Linux and macOS accept (sun_path less the terminating NUL). */
const MAX_SOCKET_PATH = 103;
/** How long an operator command waits for a starting `osr serve` to open its operator socket. */
const SERVER_STARTING_WAIT_MS = 20_000;

export async function openMigratedDatabase(config: Config, purpose: LockPurpose = 'command'): Promise<OpenedDatabase> {
  const { databaseUrl, dataDir } = config;
  if (databaseUrl) {
    return migrated(
      await openDatabase({
        databaseUrl,
        dataDir: '',
        poolSize: config.dbPoolSize,
        preparedStatements: config.dbPreparedStatements,
      }),
      config,
    );
  }
  if (dataDir.startsWith('memory://')) return migrated(await openDatabase({ dataDir }), config);
  const lock = await lockOrServer(dataDir, purpose);
  if ('release' in lock) return openEmbeddedHere(config, lock);
  const handle = await openDatabase({ dataDir, operatorSocket: lock.socket }).catch((error: Error) => {
    throw new UsageError(
      `the embedded database in ${dataDir} is in use by process ${lock.pid} (osr serve), but its operator socket does not answer (${error.message})`,
    );
  });
  return migrated(handle, config);
}

/** The embedded database opened by this process, which holds the lock until `close()`. */
async function openEmbeddedHere(config: Config, lock: HeldLock): Promise<OpenedDatabase> {
  try {
    const handle = await openDatabase({ dataDir: config.dataDir });
    const opened = await migrated(handle, config, () => lock.release());
    return {
      ...opened,
      async shareWithOperatorCommands() {
        const path = resolve(config.dataDir, OPERATOR_SOCKET_FILE);
        if (!handle.serveOperatorSocket || path.length > MAX_SOCKET_PATH) return undefined;
        rmSync(path, { force: true }); // left by a process that died (its lock was stale)
        await handle.serveOperatorSocket(path);
        lock.recordSocket(path);
        return path;
      },
    };
  } catch (error) {
    lock.release();
    throw error;
  }
}

/**
 * The lock for this process; or, for an operator command while `osr serve` has the embedded
 * database, that server with its operator socket (waiting a little for one that is starting).
 */
async function lockOrServer(
  dataDir: string,
  purpose: LockPurpose,
): Promise<HeldLock | (LockHolder & { socket: string })> {
  const deadline = Date.now() + SERVER_STARTING_WAIT_MS;
  for (;;) {
    const lock = takeLock(dataDir, purpose);
    if ('release' in lock) return lock;
    if (purpose === 'command' && lock.socket && existsSync(lock.socket)) return { ...lock, socket: lock.socket };
    const starting = purpose === 'command' && lock.purpose === 'serve' && !lock.socket && Date.now() < deadline;
    if (!starting) throw inUse(dataDir, lock);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function inUse(dataDir: string, holder: LockHolder): UsageError {
  const what = holder.purpose === 'command' ? 'another osr command' : `osr ${holder.purpose}`;
  const advice =
    holder.purpose === 'serve'
      ? holder.socket
        ? 'operator commands use it through its socket, but a second server or worker cannot; stop it first, or set DATABASE_URL'
        : 'it serves no operator socket; stop it first, or set DATABASE_URL'
      : 'wait for it to finish or stop it, or set DATABASE_URL';
  return new UsageError(`the embedded database in ${dataDir} is in use by process ${holder.pid} (${what}); ${advice}`);
}

async function migrated(handle: DatabaseHandle, config: Config, onClose = () => {}): Promise<OpenedDatabase> {
  try {
    await migrateToLatest(handle.db);
  } catch (error) {
    await handle.close();
    onClose();
    if (error instanceof MigrationMismatchError && !config.databaseUrl) {
      throw new MigrationMismatchError(
        `${error.message} (The embedded data directory here: ${resolve(config.dataDir)})`,
      );
    }
    throw error;
  }
  return {
    ...handle,
    shareWithOperatorCommands: async () => undefined,
    async close() {
      await handle.close();
      onClose();
    },
  };
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
