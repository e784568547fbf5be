import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseHandle, OPERATOR_SOCKET_FILE, openDatabase } from '../../src/db/connection.js';

/**
 * PGlite is one backend session, shared by the server's own pool and the operator socket
 * (src/db/embedded-session.ts): a unit of work of one side (a transaction, an extended-protocol
 * exchange) never has a statement of the other side inside it. Real PGlite, real Unix socket,
 * real `pg` clients; a scratch table records who wrote what.
 */

const settledWithin = async (promise: Promise<unknown>, ms: number) =>
  Promise.race([promise.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms))]);

describe('the embedded session shared over the operator socket', () => {
  const dir = mkdtempSync(join(tmpdir(), 'osr-session-'));
  const dataDir = join(dir, 'data');
  const socketPath = join(dataDir, OPERATOR_SOCKET_FILE);
  let server: DatabaseHandle;

  /** An operator connection, as `pg` makes it from a socket directory. */
  const operatorClient = async () => {
    const client = new pg.Client({ host: dataDir, port: 5432, user: 'postgres', database: 'postgres' });
    client.on('error', () => {});
    await client.connect();
    return client;
  };
  const writes = async () =>
    (await sql<{ who: string }>`SELECT who FROM probe ORDER BY id`.execute(server.db)).rows.map((row) => row.who);
  const serverWrites = (who: string) => sql`INSERT INTO probe (who) VALUES (${who})`.execute(server.db);

  beforeAll(async () => {
    server = await openDatabase({ dataDir });
    await sql`CREATE TABLE probe (id serial PRIMARY KEY, who text NOT NULL)`.execute(server.db);
    await server.serveOperatorSocket?.(socketPath);
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the socket lives in the data directory with mode 0600', () => {
    expect(statSync(socketPath).isSocket()).toBe(true);
    expect(statSync(socketPath).mode & 0o777).toBe(0o600);
  });

  it("a server statement waits for an operator transaction's end and is not rolled back with it", async () => {
    await sql`TRUNCATE probe`.execute(server.db);
    const operator = await operatorClient();
    try {
      await operator.query('BEGIN');
      await operator.query('INSERT INTO probe (who) VALUES ($1)', ['operator-1']);
      const serverInsert = serverWrites('server');
      expect(await settledWithin(serverInsert, 300)).toBe(false); // it would have run inside the transaction
      await operator.query('INSERT INTO probe (who) VALUES ($1)', ['operator-2']);
      await operator.query('ROLLBACK');
      await serverInsert;
      expect(await writes()).toEqual(['server']);
    } finally {
      await operator.end();
    }
  });

  it("an operator statement waits for a server transaction's end and is not rolled back with it", async () => {
    await sql`TRUNCATE probe`.execute(server.db);
    const operator = await operatorClient();
    try {
      let operatorInsert: Promise<unknown> | undefined;
      await server.db
        .transaction()
        .execute(async (trx) => {
          await sql`INSERT INTO probe (who) VALUES ('server')`.execute(trx);
          operatorInsert = operator.query('INSERT INTO probe (who) VALUES ($1)', ['operator']);
          expect(await settledWithin(operatorInsert, 300)).toBe(false);
          throw new Error('roll the server transaction back');
        })
        .catch(() => {});
      await operatorInsert;
      expect(await writes()).toEqual(['operator']);
    } finally {
      await operator.end();
    }
  });

  it('an operator connection that dies inside a transaction is rolled back, and the server goes on', async () => {
    await sql`TRUNCATE probe`.execute(server.db);
    const operator = await operatorClient();
    await operator.query('BEGIN');
    await operator.query('INSERT INTO probe (who) VALUES ($1)', ['operator']);
    const serverInsert = serverWrites('server');
    expect(await settledWithin(serverInsert, 200)).toBe(false);
    // the process dies: its socket closes without a word
    (operator as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
    expect(await settledWithin(serverInsert, 5_000)).toBe(true);
    expect(await writes()).toEqual(['server']);
  });

  it('an operator connection that hangs inside a transaction is closed after the idle timeout and rolled back', async () => {
    const hangingDir = join(dir, 'hanging');
    const handle = await openDatabase({ dataDir: hangingDir });
    try {
      await sql`CREATE TABLE probe (id serial PRIMARY KEY, who text NOT NULL)`.execute(handle.db);
      await handle.serveOperatorSocket?.(join(hangingDir, OPERATOR_SOCKET_FILE), { idleTimeoutMs: 500 });
      const operator = new pg.Client({ host: hangingDir, port: 5432, user: 'postgres', database: 'postgres' });
      operator.on('error', () => {});
      await operator.connect();
      await operator.query('BEGIN');
      await operator.query("INSERT INTO probe (who) VALUES ('operator')");
      const serverInsert = sql`INSERT INTO probe (who) VALUES ('server')`.execute(handle.db);
      expect(await settledWithin(serverInsert, 200)).toBe(false);
      expect(await settledWithin(serverInsert, 5_000)).toBe(true); // the idle operator was cut off
      const rows = await sql<{ who: string }>`SELECT who FROM probe ORDER BY id`.execute(handle.db);
      expect(rows.rows.map((row) => row.who)).toEqual(['server']);
      await expect(operator.query('COMMIT')).rejects.toThrow();
    } finally {
      await handle.close();
    }
  });

  it('statements of both sides interleaved at full speed each get their own answers', async () => {
    const operator = await openDatabase({ dataDir: '', operatorSocket: socketPath });
    try {
      const rounds = Array.from({ length: 150 }, (_, i) => i);
      const [serverAnswers, operatorAnswers] = await Promise.all([
        Promise.all(rounds.map((i) => sql<{ n: number }>`SELECT ${i}::int * 2 AS n`.execute(server.db))),
        Promise.all(rounds.map((i) => sql<{ n: number }>`SELECT ${i}::int * 3 AS n`.execute(operator.db))),
      ]);
      expect(serverAnswers.map((result) => result.rows[0]?.n)).toEqual(rounds.map((i) => i * 2));
      expect(operatorAnswers.map((result) => result.rows[0]?.n)).toEqual(rounds.map((i) => i * 3));
    } finally {
      await operator.close();
    }
  });

  it('the socket serves one operator connection at a time; the next one waits for its turn', async () => {
    const first = await openDatabase({ dataDir: '', operatorSocket: socketPath });
    const second = openDatabase({ dataDir: '', operatorSocket: socketPath, busyTimeoutMs: 20_000 });
    try {
      expect(await settledWithin(second, 500)).toBe(false);
      expect((await sql<{ n: number }>`SELECT 1 AS n`.execute(first.db)).rows).toEqual([{ n: 1 }]);
      await first.close();
      const opened = await second;
      expect((await sql<{ n: number }>`SELECT 2 AS n`.execute(opened.db)).rows).toEqual([{ n: 2 }]);
      await opened.close();
    } finally {
      await first.close().catch(() => {});
    }
  });

  it('closing the database stops the socket and removes its file', async () => {
    const dataDir2 = join(dir, 'closing');
    const path2 = join(dataDir2, OPERATOR_SOCKET_FILE);
    const handle = await openDatabase({ dataDir: dataDir2 });
    await handle.serveOperatorSocket?.(path2);
    expect(existsSync(path2)).toBe(true);
    await handle.close();
    expect(existsSync(path2)).toBe(false);
  });
});
