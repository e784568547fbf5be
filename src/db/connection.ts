import { mkdirSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { OperatorSocket, OperatorSocketOptions } from './embedded-session.js';
import { usePreparedStatements } from './prepared-statements.js';
import type { Database } from './schema.js';

// Calendar dates stay 'YYYY-MM-DD' strings end to end (no time zone surprises).
pg.types.setTypeParser(pg.types.builtins.DATE, (value) => value);

export type Unlisten = () => Promise<void>;
/** A notification's payload, or `undefined`: (re)connected, earlier notifications may be lost. */
export type OnNotify = (payload: string | undefined) => void;

/** The database and everything that holds a connection to it, created and closed in one place. */
export interface DatabaseHandle {
  db: Kysely<Database>;
  kind: 'postgres' | 'pglite';
  /**
   * Subscribe to NOTIFY on a channel; best effort (its users cover lost notifications). `onNotify`
   * gets each notification's payload (`''` when none), and `undefined` once the subscription is
   * (re)established: notifications sent before, or while disconnected, were not received.
   */
  listen(channel: string, onNotify: OnNotify): Promise<Unlisten>;
  /**
   * The embedded database opened by this process only: serves its session to operator commands
   * on a Unix socket at `path` (see embedded-session.ts) until `close()`.
   */
  serveOperatorSocket?(path: string, options?: OperatorSocketOptions): Promise<OperatorSocket>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  databaseUrl?: string | undefined;
  dataDir: string;
  poolSize?: number;
  /** PostgreSQL only: send the hot statements as named prepared statements (default true). */
  preparedStatements?: boolean;
  /** The operator socket of the process that has the embedded database open (instead of dataDir). */
  operatorSocket?: string | undefined;
  /** How long to wait while the operator socket serves another command (default 60 s). */
  busyTimeoutMs?: number;
}

/**
 * The operator socket's file name: the one PostgreSQL clients derive from a socket directory and
 * port 5432, so `psql -h <data dir>` finds it too.
 */
export const OPERATOR_SOCKET_FILE = '.s.PGSQL.5432';

export async function openDatabase(options: DatabaseOptions): Promise<DatabaseHandle> {
  if (options.databaseUrl)
    return openPostgres(options.databaseUrl, options.poolSize ?? 10, options.preparedStatements ?? true);
  if (options.operatorSocket) return openOperatorSocket(options.operatorSocket, options.busyTimeoutMs ?? 60_000);
  return openEmbedded(options.dataDir);
}

function openPostgres(connectionString: string, max: number, preparedStatements: boolean): DatabaseHandle {
  const pool = new pg.Pool({
    connectionString,
    max,
    // Never hang on a database that is unreachable or stops answering: fail fast, answer 503,
    // and never keep a unit's locks for long.
    connectionTimeoutMillis: 3_000,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    statement_timeout: 10_000,
    query_timeout: 15_000,
    idle_in_transaction_session_timeout: 30_000,
  });
  pool.on('error', () => {
    // An idle client lost its connection (e.g. database restart); the pool replaces it.
  });
  pool.on('connect', (client) => {
    // A checked-out client whose connection dies emits 'error'; without a listener that would
    // crash the process. The query in flight fails on its own and is answered with 503.
    client.on('error', () => {});
    if (preparedStatements) usePreparedStatements(client);
  });
  const listeners = new Set<Listener>();
  return {
    db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }),
    kind: 'postgres',
    async listen(channel, onNotify) {
      const listener = new Listener(connectionString, channel, onNotify);
      listeners.add(listener);
      listener.start();
      return async () => {
        listeners.delete(listener);
        await listener.stop();
      };
    },
    async close() {
      await Promise.all([...listeners].map((listener) => listener.stop()));
      await pool.end();
    },
  };
}

/** A dedicated LISTEN connection that reconnects by itself after the database comes back. */
class Listener {
  private client: pg.Client | null = null;
  private stopped = false;
  private retry: NodeJS.Timeout | null = null;

  constructor(
    private readonly connectionString: string,
    private readonly channel: string,
    private readonly onNotify: OnNotify,
  ) {}

  start(): void {
    if (this.stopped) return;
    const client = new pg.Client({ connectionString: this.connectionString, connectionTimeoutMillis: 5_000 });
    this.client = client;
    const reconnect = () => {
      if (this.client !== client) return;
      this.client = null;
      client.end().catch(() => {});
      if (!this.stopped) this.retry = setTimeout(() => this.start(), 1_000);
    };
    client.on('error', reconnect);
    client.on('end', reconnect);
    client.on('notification', (message) => this.onNotify(message.payload ?? ''));
    client
      .connect()
      .then(() => client.query(`LISTEN ${pg.escapeIdentifier(this.channel)}`))
      // Notifications sent while disconnected are lost: tell the consumer, so that it catches up.
      .then(() => this.onNotify(undefined))
      .catch(reconnect);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => {});
  }
}

const EMBEDDED_SHARED_BUFFERS = '32MB';

async function openEmbedded(dataDir: string): Promise<DatabaseHandle> {
  const { PGlite } = await import('@electric-sql/pglite');
  const { createPgConfig } = await import('@electric-sql/pglite/node-postgres');
  const { SessionGate, gatedPool, resetSessionExclusively, serveOperatorSocket } = await import(
    './embedded-session.js'
  );
  if (!dataDir.startsWith('memory://')) mkdirSync(dataDir, { recursive: true });
  // PostgreSQL's default 128 MB of shared buffers are zeroed at every start inside PGlite's
  // memory, which made a third of the embedded start (1.0 s to open a data directory, 0.65 s with
  // 32 MB, measured on 2 cores). The embedded database serves a trial or a small installation;
  // the operating system's page cache still holds its files.
  const pglite = await PGlite.create(dataDir, {
    startParams: [...PGlite.defaultStartParams, '-c', `shared_buffers=${EMBEDDED_SHARED_BUFFERS}`],
  });
  // One backend session for everyone in this process (and the operator socket): see SessionGate.
  const gate = new SessionGate();
  const pgPool = new pg.Pool(createPgConfig(pglite) as pg.PoolConfig);
  const pool = gatedPool(pgPool, gate, () => resetSessionExclusively(pglite));
  let operatorSocket: OperatorSocket | undefined;
  return {
    db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }),
    kind: 'pglite',
    async listen(channel, onNotify) {
      // One session and no connection to lose: every notification arrives, so no catch-up call.
      const unlisten = await gate.run(() => pglite.listen(channel, (payload) => onNotify(payload)));
      return () => gate.run(unlisten);
    },
    async serveOperatorSocket(path, options) {
      if (operatorSocket) throw new Error('the operator socket is already served');
      operatorSocket = await serveOperatorSocket(pglite, gate, path, options);
      return operatorSocket;
    },
    async close() {
      await operatorSocket?.stop();
      await pool.end();
      await pglite.close();
    },
  };
}

/**
 * The embedded database of another process (`osr serve`), through its operator socket: one
 * connection. That process serves one operator connection at a time and drops others at once,
 * so connecting is retried until the socket is free.
 */
async function openOperatorSocket(path: string, busyTimeoutMs: number): Promise<DatabaseHandle> {
  const file = basename(path);
  const port = Number(/^\.s\.PGSQL\.(\d+)$/.exec(file)?.[1]);
  if (!port) throw new Error(`an operator socket must be named .s.PGSQL.<port>, not ${file}`);
  const pool = new pg.Pool({
    host: resolve(dirname(path)),
    port,
    user: 'postgres',
    database: 'postgres',
    max: 1,
    connectionTimeoutMillis: 10_000, // the server may be in the middle of a unit of work of its own
    idleTimeoutMillis: 0, // kept for the whole command (it may wait for stdin between statements)
  });
  pool.on('error', () => {
    // The idle connection was closed by the server (idle timeout, shutdown); the next query fails.
  });
  const deadline = Date.now() + busyTimeoutMs;
  for (let delay = 50; ; delay = Math.min(delay * 2, 1_000)) {
    try {
      (await pool.connect()).release(); // stays in the pool for the command's statements
      break;
    } catch (error) {
      if (!droppedWhileBusy(error) || Date.now() > deadline) {
        await pool.end();
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
  return {
    db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }),
    kind: 'pglite',
    async listen() {
      throw new Error('LISTEN is not available through the operator socket');
    },
    close: () => pool.end(),
  };
}

/** A connection the operator socket closed right away because it serves another one. */
function droppedWhileBusy(error: unknown): boolean {
  const { code, message } = error as { code?: string; message?: string };
  return code === 'ECONNRESET' || code === 'EPIPE' || /Connection terminated/i.test(message ?? '');
}
