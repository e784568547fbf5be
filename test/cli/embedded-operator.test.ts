import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_TIMEOUT_MS, expectOk, osr } from '../support/cli.js';
import { type OsrProcess, postUntilSuccess, startOsr, waitFor } from '../support/processes.js';
import { moveInMustermann } from '../support/spec.js';

/**
 * While `osr serve` runs on the embedded database (no DATABASE_URL), the other `osr` commands
 * work against it through the server's operator socket, and the server keeps serving: real
 * processes, real HTTP, a temporary data directory.
 */

const randomPort = () => String(20_000 + Math.floor(Math.random() * 20_000));

describe('operator commands while osr serve runs on the embedded database', { timeout: CLI_TIMEOUT_MS * 2 }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'osr-serving-'));
  const lockFile = join(dataDir, 'osr.lock');
  const socketFile = join(dataDir, '.s.PGSQL.5432');
  const port = randomPort();
  const base = `http://127.0.0.1:${port}`;
  const env = { DATABASE_URL: '', OSR_DATA_DIR: dataDir, PORT: port, LOG_LEVEL: 'warn' };
  const unitUrl = (bu: string, ru: string) =>
    `${base}/arge/on-site-roles/v1/billingunits/${bu}/residentialunits/${ru}/on-site-roles`;
  const basic = (username: string, password: string) =>
    `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  const run = (args: string[], stdin?: string) => osr('', args, stdin, { OSR_DATA_DIR: dataDir });
  let server: OsrProcess;
  let demoAuth: string;

  const startServer = async () => {
    const started = startOsr(['serve'], env);
    await waitFor(async () => (await fetch(`${base}/ready`).catch(() => undefined))?.status === 200, 60_000, 'ready');
    return started;
  };

  /** Requests the demo unit again and again until stopped; every answer's status. */
  const steadyTraffic = () => {
    const statuses: number[] = [];
    let running = true;
    const loop = (async () => {
      while (running) {
        const response = await fetch(unitUrl('654321', '0001'), { headers: { authorization: demoAuth } });
        statuses.push(response.status);
        await response.arrayBuffer();
      }
    })();
    return async () => {
      running = false;
      await loop;
      return statuses;
    };
  };

  beforeAll(async () => {
    server = await startServer();
    const banner = /credential {2}demo \/ (\S+)/.exec(server.output());
    expect(banner, server.output()).not.toBeNull();
    demoAuth = basic('demo', (banner as RegExpExecArray)[1] as string);
    await waitFor(
      async () => (await fetch(unitUrl('654321', '0001'), { headers: { authorization: demoAuth } })).status === 200,
      10_000,
      'the demo move-in',
    );
  }, 90_000);
  afterAll(async () => {
    await server?.stop('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('the lock file names the server and its operator socket, which only this user can open', () => {
    const lock = JSON.parse(readFileSync(lockFile, 'utf8'));
    expect(lock).toEqual({ pid: server.child.pid, purpose: 'serve', socket: socketFile });
    expect(statSync(socketFile).isSocket()).toBe(true);
    expect(statSync(socketFile).mode & 0o777).toBe(0o600);
  });

  it('adds a client, a credential (password on stdin) and units while the server keeps answering', async () => {
    const stopTraffic = steadyTraffic();
    expectOk(await run(['client', 'add', 'acme', '--name', 'ACME Hausverwaltung']));
    const credential = await run(['credential', 'add', 'acme', 'acme-erp'], 'erp-secret-from-stdin\n');
    expectOk(credential);
    expect(credential.stdout).toBe('created credential acme-erp for client acme\n');
    expectOk(await run(['billingunit', 'add', '222222', '--client', 'acme']));
    expectOk(await run(['residentialunit', 'add', '222222', '0001']));
    const statuses = await stopTraffic();
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.filter((status) => status !== 200)).toEqual([]);

    const auth = basic('acme-erp', 'erp-secret-from-stdin');
    expect((await fetch(unitUrl('222222', '0001'), { headers: { authorization: auth } })).status).toBe(404); // no roles yet
    await postUntilSuccess(unitUrl('222222', '0001'), base, auth, moveInMustermann({ bu: '222222', ru: '0001' }));
  });

  it('deliveries and history show what the running server processed', async () => {
    const deliveries = await run(['deliveries', '--json']);
    expectOk(deliveries);
    const rows = JSON.parse(deliveries.stdout) as { client_id: string; status: string; billing_unit: string }[];
    expect(rows).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ client_id: 'acme', status: 'SUCCESS', billing_unit: '222222' }),
        expect.objectContaining({ client_id: 'demo', status: 'SUCCESS', billing_unit: '654321' }),
      ]),
    );
    const history = await run(['history', '222222', '0001']);
    expectOk(history);
    expect(history.stdout).toMatch(/acme-erp\s+role\s+INSERT\s+S-COR 2018-05-01…open partner 12345611\n/);
  });

  it('credential revoke: the running server refuses the credential with the very next request', async () => {
    const auth = basic('acme-erp', 'erp-secret-from-stdin');
    expect((await fetch(unitUrl('222222', '0001'), { headers: { authorization: auth } })).status).toBe(200);
    expectOk(await run(['credential', 'revoke', 'acme-erp']));
    expect((await fetch(unitUrl('222222', '0001'), { headers: { authorization: auth } })).status).toBe(401);
    expect((await run(['credential', 'list', 'acme'])).stdout).toMatch(/acme-erp\s+read-write\s+revoked/);
  });

  it('a second osr serve on the same data directory is refused clearly; the first keeps serving', async () => {
    const second = startOsr(['serve'], { ...env, PORT: randomPort() });
    expect(await second.exited, second.output()).toBe(2);
    expect(second.output()).toMatch(
      new RegExp(
        `^osr: the embedded database in \\S+ is in use by process ${server.child.pid} \\(osr serve\\); .+\\n$`,
      ),
    );
    expect((await fetch(`${base}/ready`)).status).toBe(200);
    expect((await fetch(unitUrl('654321', '0001'), { headers: { authorization: demoAuth } })).status).toBe(200);
  });

  it('SIGTERM: the server stops and removes its socket and lock; commands then open the database themselves', async () => {
    expect(await server.stop('SIGTERM')).toBe(0);
    expect(existsSync(socketFile)).toBe(false);
    expect(existsSync(lockFile)).toBe(false);
    expectOk(await run(['credential', 'list', 'demo']));
  });

  it('the lock and socket of a killed server are cleaned up by the next command', async () => {
    server = await startServer();
    expect(await server.stop('SIGKILL')).toBeNull();
    expect(existsSync(lockFile)).toBe(true);
    expect(existsSync(socketFile)).toBe(true);
    const listed = await run(['credential', 'list', 'acme']);
    expectOk(listed);
    expect(listed.stdout).toMatch(/acme-erp\s+read-write\s+revoked/);
    expect(existsSync(lockFile)).toBe(false);
    expect(existsSync(socketFile)).toBe(false);
  });
});
