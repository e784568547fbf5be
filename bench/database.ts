import http from 'node:http';
import pg from 'pg';
import { type DatabaseHandle, openDatabase } from '../src/db/connection.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { seedMasterData } from '../src/db/repositories/master-data-seed.js';

export const BENCH = { client: 'bench', billingUnit: '654321', username: 'bench', password: 'bench-password' } as const;
export const BENCH_AUTH = `Basic ${Buffer.from(`${BENCH.username}:${BENCH.password}`).toString('base64')}`;

/**
 * A fresh, migrated database on the local PostgreSQL for one benchmark or probe run: client
 * `bench` with billing unit 654321, the given residential units and the credential `bench`.
 */
export async function createBenchDatabase(
  prefix: string,
  units: readonly string[],
): Promise<{ url: string; handle: DatabaseHandle; drop(): Promise<void> }> {
  const adminUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `${prefix}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const handle = await openDatabase({ databaseUrl: url.toString(), dataDir: '' });
  await migrateToLatest(handle.db);
  await seedMasterData(handle.db, {
    clients: [{ id: BENCH.client, billingUnits: [{ mscnumber: BENCH.billingUnit, residentialUnits: units }] }],
    credentials: [{ clientId: BENCH.client, username: BENCH.username, password: BENCH.password }],
  });
  return {
    url: url.toString(),
    handle,
    async drop() {
      await handle.close();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

/**
 * A light HTTP client for the latency phases: Node's http with keep-alive (fetch costs the shared
 * CPUs several times more), authenticated as `bench`; answers the response body.
 */
export function benchClient(port: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const headers = { authorization: BENCH_AUTH, 'content-type': 'application/json' };
  const call = (method: 'GET' | 'POST', path: string, body?: string, extra: Record<string, string> = {}) =>
    new Promise<string>((resolve, reject) => {
      const options = { host: '127.0.0.1', port, method, path, agent, headers: { ...headers, ...extra } };
      const request = http.request(options, (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          text += chunk;
        });
        response.on('end', () => resolve(text));
      });
      request.on('error', reject);
      request.end(body);
    });
  return { call, close: () => agent.destroy() };
}
