import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { currentRolesSchema } from '../../src/domain/response-schema.js';
import { createTestDatabase, isRealPostgres } from '../support/database.js';
import { type OsrProcess, postUntilSuccess, startOsr, waitFor } from '../support/processes.js';
import { moveInMustermann } from '../support/spec.js';

/**
 * Zero setup: `osr serve` without DATABASE_URL runs on the embedded database in OSR_DATA_DIR,
 * with the worker in process, over real HTTP; operator commands run before it and, through its
 * operator socket, while it runs (more in embedded-operator.test.ts).
 */
describe('osr serve on the embedded database (no DATABASE_URL)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'osr-embedded-'));
  const port = String(20_000 + Math.floor(Math.random() * 20_000));
  const env = { DATABASE_URL: '', OSR_DATA_DIR: dataDir, PORT: port, LOG_LEVEL: 'warn' };
  const base = `http://127.0.0.1:${port}`;
  let server: OsrProcess | undefined;
  afterAll(async () => {
    await server?.stop('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  const osr = async (args: string[], stdin?: string) => {
    const child = startOsr(args, env, stdin);
    return { code: await child.exited, output: child.output() };
  };

  it('creates the database, serves use-case traffic, and shuts down cleanly on SIGTERM', {
    timeout: 120_000,
  }, async () => {
    expect((await osr(['client', 'add', 'acme'])).code).toBe(0);
    expect((await osr(['credential', 'add', 'acme', 'erp'], 'erp-secret-12\n')).code).toBe(0);
    expect((await osr(['billingunit', 'add', '654321', '--client', 'acme'])).code).toBe(0);
    expect((await osr(['residentialunit', 'add', '654321', '0001'])).code).toBe(0);

    server = startOsr(['serve'], env);
    await waitFor(async () => (await fetch(`${base}/ready`).catch(() => undefined))?.status === 200, 60_000, 'ready');
    expect(existsSync(join(dataDir, 'osr.lock'))).toBe(true);

    // While the server holds the embedded database, operator commands use it through the server.
    const added = await osr(['client', 'add', 'other']);
    expect(added, added.output).toMatchObject({ code: 0, output: 'created client other\n' });

    const auth = `Basic ${Buffer.from('erp:erp-secret-12').toString('base64')}`;
    const unit = `${base}/arge/on-site-roles/v1/billingunits/654321/residentialunits/0001/on-site-roles`;
    await postUntilSuccess(unit, base, auth, moveInMustermann());
    const roles = currentRolesSchema.parse(await (await fetch(unit, { headers: { authorization: auth } })).json());
    expect(roles.billingunit.residentialunit.roles).toEqual([
      { role: 'S-COR', from: '2018-05-01', to: '9999-12-31', partner: { pmnumber: '12345611' } },
    ]);

    expect(await server.stop('SIGTERM')).toBe(0);
    expect(existsSync(join(dataDir, 'osr.lock'))).toBe(false);
  });
});

const demoSkipReason = isRealPostgres() ? '' : 'the DATABASE_URL case needs a real PostgreSQL';
if (demoSkipReason) console.warn(`[skipped] demo never with DATABASE_URL: ${demoSkipReason}`);

describe('zero-setup demo data', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'osr-demo-'));
  const port = String(20_000 + Math.floor(Math.random() * 20_000));
  const base = `http://127.0.0.1:${port}`;
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  const serveUntilReady = async (env: Record<string, string>) => {
    const server = startOsr(['serve'], { LOG_LEVEL: 'warn', PORT: port, ...env });
    try {
      await waitFor(async () => (await fetch(`${base}/ready`).catch(() => undefined))?.status === 200, 60_000, 'ready');
    } catch (error) {
      await server.stop('SIGKILL');
      throw error;
    }
    return server;
  };

  it('a first start that fails (port taken) creates nothing; the next one prints a demo credential once; the demo unit answers', {
    timeout: 120_000,
  }, async () => {
    const env = { DATABASE_URL: '', OSR_DATA_DIR: dataDir };
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(Number(port), '127.0.0.1', resolve));
    try {
      const failed = startOsr(['serve'], { LOG_LEVEL: 'warn', PORT: port, ...env });
      expect(await failed.exited, failed.output()).toBe(1);
      expect(failed.output()).toMatch(/EADDRINUSE/);
      expect(failed.output()).not.toContain('Demo data created');
      expect(existsSync(join(dataDir, 'osr.lock'))).toBe(false);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }

    const first = await serveUntilReady(env);
    const banner = /credential {2}demo \/ (\S+)\n {2}try {9}curl -u 'demo:\S+' (\S+)/.exec(first.output());
    expect(banner, first.output()).not.toBeNull();
    const [, password, url] = banner as RegExpExecArray;
    const auth = `Basic ${Buffer.from(`demo:${password}`).toString('base64')}`;
    await waitFor(
      async () => (await fetch(url as string, { headers: { authorization: auth } })).status === 200,
      10_000,
      'demo roles',
    );
    const roles = currentRolesSchema.parse(
      await (await fetch(url as string, { headers: { authorization: auth } })).json(),
    );
    expect(roles.billingunit.residentialunit.roles).toEqual([
      { role: 'S-COR', from: '2018-05-01', to: '9999-12-31', partner: { pmnumber: '12345611' } },
    ]);
    // The password is printed on stdout for the operator, never in a log line.
    const logLines = first
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'));
    expect(logLines.some((line) => line.includes(password as string))).toBe(false);
    expect(await first.stop()).toBe(0);

    const second = await serveUntilReady(env);
    expect(second.output()).not.toContain('Demo data created');
    expect(await second.stop()).toBe(0);
  });

  it.skipIf(Boolean(demoSkipReason))(
    'never with DATABASE_URL, even on an empty database',
    { timeout: 120_000 },
    async () => {
      const database = await createTestDatabase();
      try {
        const server = await serveUntilReady({ DATABASE_URL: database.url as string });
        expect(server.output()).not.toContain('Demo data created');
        expect(await server.stop()).toBe(0);
        expect(await database.handle.db.selectFrom('clients').selectAll().execute()).toEqual([]);
      } finally {
        await database.destroy();
      }
    },
  );
});
