import { chmodSync, rmSync } from 'node:fs';
import type { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import type { PostgresPool, PostgresPoolClient } from 'kysely';
import type pg from 'pg';

/**
 * PGlite is ONE PostgreSQL backend session. The server's own pool, its LISTENs and the operator
 * commands connected over the Unix socket all run their statements in that one session, and
 * nothing below us keeps them apart: the node-postgres adapter (`createPgConfig`) runs each
 * protocol message as it comes without any lock, and pglite-socket takes PGlite's `runExclusive`
 * for one protocol message at a time only. Without more, a server statement could run in the
 * middle of an operator command's transaction (and be rolled back with it), or between the
 * Parse and the Bind of another statement.
 *
 * The session gate is the one lock over the session. Whoever holds it owns the session for a
 * whole unit of work: the server's pool for each checkout (one statement or one transaction),
 * a LISTEN/UNLISTEN for its statement, and the operator connection from its first protocol
 * message until PostgreSQL answers ReadyForQuery with the status "idle" (the transaction and
 * the extended-protocol exchange are over).
 */
export class SessionGate {
  #last: Promise<void> = Promise.resolve();

  /** Waits for the session (first come, first served); resolves with the function that hands it on. */
  acquire(): Promise<() => void> {
    const previous = this.#last;
    let handOn: () => void = () => {};
    this.#last = new Promise<void>((resolve) => {
      handOn = resolve;
    });
    return previous.then(() => handOn);
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    const handOn = await this.acquire();
    try {
      return await work();
    } finally {
      handOn();
    }
  }
}

/** The server's pool for Kysely: every checkout holds the session gate until it is released. */
export function gatedPool(pool: pg.Pool, gate: SessionGate, reset: () => Promise<void>): PostgresPool {
  return {
    async connect(): Promise<PostgresPoolClient> {
      const handOn = await gate.acquire();
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (error) {
        handOn();
        throw error;
      }
      return {
        query: client.query.bind(client) as PostgresPoolClient['query'],
        release(destroy?: boolean) {
          client.release(destroy);
          // Kysely discards a connection whose ROLLBACK failed: the session may still be inside
          // that transaction, and the next owner must not inherit it.
          if (destroy) reset().finally(handOn);
          else handOn();
        },
      };
    },
    end: () => pool.end(),
  };
}

const READY_FOR_QUERY = 0x5a; // 'Z', then the length 5 and the transaction status
const IDLE = 0x49; // 'I': no transaction block, the exchange is complete
const TERMINATE = 0x58; // 'X'
const SYNC = Uint8Array.of(0x53, 0, 0, 0, 4);
const ROLLBACK = simpleQuery('ROLLBACK');

function simpleQuery(text: string): Uint8Array {
  const body = Buffer.from(`${text}\0`, 'utf8');
  const message = Buffer.alloc(5 + body.length);
  message.write('Q', 0, 'latin1');
  message.writeInt32BE(4 + body.length, 1);
  body.copy(message, 5);
  return message;
}

/** True when a backend answer ends with ReadyForQuery "idle". */
function endsIdle(output: Uint8Array): boolean {
  const start = output.length - 6;
  return (
    start >= 0 &&
    output[start] === READY_FOR_QUERY &&
    output[start + 1] === 0 &&
    output[start + 2] === 0 &&
    output[start + 3] === 0 &&
    output[start + 4] === 5 &&
    output[start + 5] === IDLE
  );
}

/**
 * Leaves whatever the session's last user left behind: a Sync ends an extended-protocol exchange
 * (also one that failed and now skips messages until Sync), then an open transaction is rolled
 * back. Runs inside PGlite's `runExclusive`.
 */
async function resetSession(pglite: PGlite): Promise<void> {
  await pglite.execProtocolRaw(SYNC);
  if (pglite.isInTransaction()) await pglite.execProtocolRaw(ROLLBACK);
}

export const resetSessionExclusively = (pglite: PGlite) => pglite.runExclusive(() => resetSession(pglite));

/** What PGLiteSocketServer 0.2.17 calls on its `db` (read in its source). */
type SocketServerDb = Pick<PGlite, 'waitReady' | 'runExclusive' | 'execProtocolRawStream' | 'isInTransaction' | 'exec'>;

/**
 * The `db` the socket server sees: PGlite behind the session gate. pglite-socket hands it one
 * protocol message at a time, inside `runExclusive`; the first message of a unit of work waits
 * for the gate, and the ReadyForQuery "idle" that ends the unit hands the gate on.
 * `isInTransaction()` says "a unit is open", which pglite-socket uses for two things: to keep
 * serving the connection that opened it, and, when that connection goes away, to call
 * `exec('ROLLBACK')`, which here resets the session and hands the gate on.
 *
 * pglite-socket runs the messages of several connections in arrival order (its README warns
 * that its multiplexer does not cover every case), so the socket server accepts one connection
 * at a time; an operator command that finds it busy retries (src/cli/runtime.ts).
 */
class GatedSocketDb implements SocketServerDb {
  #handOn: (() => void) | undefined;
  /** Every operation of this object, one after the other (a disconnect may come mid-message). */
  #serial: Promise<unknown> = Promise.resolve();
  #watchdog: NodeJS.Timeout | undefined;

  constructor(
    private readonly pglite: PGlite,
    private readonly gate: SessionGate,
    private readonly idleUnitMs: number,
  ) {}

  get waitReady(): Promise<void> {
    return this.pglite.waitReady;
  }

  isInTransaction(): boolean {
    return this.#handOn !== undefined;
  }

  runExclusive<T>(work: () => Promise<T>): Promise<T> {
    clearTimeout(this.#watchdog);
    return this.#inSeries(async () => {
      if (!this.#handOn) this.#handOn = await this.gate.acquire();
      try {
        return await this.pglite.runExclusive(work);
      } finally {
        // A unit left open with no next message must not keep the server waiting for ever. A
        // live client idle that long has been disconnected by pglite-socket's idle timeout
        // already (which resets through exec below); this catches the rest, e.g. a client that
        // died while its unit's first message ran.
        const unit = this.#handOn;
        if (unit) this.#watchdog = setTimeout(() => void this.#endUnitBy(unit), this.idleUnitMs).unref();
      }
    });
  }

  /** Called inside `runExclusive`, once per protocol message. */
  async execProtocolRawStream(message: Uint8Array, options: { onRawData: (data: Uint8Array) => void }) {
    if (message[0] === TERMINATE) {
      await resetSession(this.pglite);
      this.#endUnit();
      return;
    }
    // execProtocolRaw, not execProtocolRawStream: the latter leaves its data callback installed
    // in PGlite, and the next PGlite query (a LISTEN of the worker) would answer into the socket.
    const output = await this.pglite.execProtocolRaw(message);
    if (output.length > 0) options.onRawData(output);
    if (endsIdle(output)) this.#endUnit();
  }

  /** pglite-socket calls `exec('ROLLBACK')` when the connection inside a unit goes away. */
  async exec(): Promise<[]> {
    await this.#endUnitBy(undefined);
    return [];
  }

  /** Resets the session and ends the open unit: the given one only, or whichever is open. */
  #endUnitBy(unit: (() => void) | undefined): Promise<void> {
    clearTimeout(this.#watchdog);
    return this.#inSeries(async () => {
      if (!this.#handOn || (unit && this.#handOn !== unit)) return;
      await resetSessionExclusively(this.pglite);
      this.#endUnit();
    });
  }

  #endUnit(): void {
    const handOn = this.#handOn;
    this.#handOn = undefined;
    handOn?.();
  }

  #inSeries<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.#serial.then(operation);
    this.#serial = result.catch(() => {});
    return result;
  }
}

export interface OperatorSocket {
  readonly path: string;
  stop(): Promise<void>;
}

export interface OperatorSocketOptions {
  /**
   * A connection idle this long (also inside a transaction, which then holds up the server) is
   * closed and its transaction rolled back. Default 30 s.
   */
  idleTimeoutMs?: number;
}

/**
 * Serves the session on a Unix socket at `path` (mode 0600) for operator commands, one
 * connection at a time. A file left at `path` by a dead process must be removed by the caller.
 */
export async function serveOperatorSocket(
  pglite: PGlite,
  gate: SessionGate,
  path: string,
  { idleTimeoutMs = 30_000 }: OperatorSocketOptions = {},
): Promise<OperatorSocket> {
  const db = new GatedSocketDb(pglite, gate, idleTimeoutMs + 5_000);
  const server = new PGLiteSocketServer({
    db: db as unknown as PGlite, // only the members of SocketServerDb are used
    path,
    maxConnections: 1,
    idleTimeout: idleTimeoutMs,
  });
  // Nobody but this user may connect: created under umask 077, then set to 0600.
  const umask = process.umask(0o077);
  try {
    await server.start();
  } finally {
    process.umask(umask);
  }
  chmodSync(path, 0o600);
  return {
    path,
    async stop() {
      await server.stop(); // rolls back an operator transaction that is still open
      rmSync(path, { force: true });
    },
  };
}
