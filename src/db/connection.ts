import { mkdirSync } from 'node:fs';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.js';

// Calendar dates stay 'YYYY-MM-DD' strings end to end (no time zone surprises).
pg.types.setTypeParser(pg.types.builtins.DATE, (value) => value);

export type Unlisten = () => Promise<void>;

/** The database and everything that holds a connection to it, created and closed in one place. */
export interface DatabaseHandle {
  db: Kysely<Database>;
  kind: 'postgres' | 'pglite';
  /** Subscribe to NOTIFY on a channel; best effort (a polling fallback covers lost ones). */
  listen(channel: string, onNotify: () => void): Promise<Unlisten>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  databaseUrl?: string | undefined;
  dataDir: string;
  poolSize?: number;
}

export async function openDatabase(options: DatabaseOptions): Promise<DatabaseHandle> {
  return options.databaseUrl
    ? openPostgres(options.databaseUrl, options.poolSize ?? 10)
    : openEmbedded(options.dataDir);
}

function openPostgres(connectionString: string, max: number): DatabaseHandle {
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
    private readonly onNotify: () => void,
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
    client.on('notification', () => this.onNotify());
    client
      .connect()
      .then(() => client.query(`LISTEN ${pg.escapeIdentifier(this.channel)}`))
      // Notifications sent while disconnected are lost: wake the consumer once to catch up.
      .then(() => this.onNotify())
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

async function openEmbedded(dataDir: string): Promise<DatabaseHandle> {
  const { PGlite } = await import('@electric-sql/pglite');
  const { createPgConfig } = await import('@electric-sql/pglite/node-postgres');
  if (!dataDir.startsWith('memory://')) mkdirSync(dataDir, { recursive: true });
  const pglite = await PGlite.create(dataDir);
  const pool = new pg.Pool(createPgConfig(pglite) as pg.PoolConfig);
  return {
    db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }),
    kind: 'pglite',
    async listen(channel, onNotify) {
      return pglite.listen(channel, onNotify);
    },
    async close() {
      await pool.end();
      await pglite.close();
    },
  };
}
