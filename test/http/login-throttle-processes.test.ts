import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedMasterData } from '../../src/db/repositories/master-data-seed.js';
import { FAILED_LOGIN_LIMITS } from '../../src/domain/login-throttle.js';
import { createTestDatabase, multiConnectionSkipReason, type TestDatabase } from '../support/database.js';
import { BASE, basic } from '../support/harness.js';
import { type OsrProcess, startOsr, waitFor } from '../support/processes.js';
import { HTTP_ERROR } from '../support/spec.js';

const skipReason = multiConnectionSkipReason();
if (skipReason) console.warn(`[skipped] the login throttle across API processes: ${skipReason}`);

const UNIT = `${BASE}/billingunits/654321/residentialunits/0001/on-site-roles`;

/**
 * Spec section 7 with two API processes on one database: the failed attempts of both count
 * together, and a lock-out reached through one refuses the right password on both, also where
 * the password was verified a moment before and is remembered. Each test sends from its own
 * client address (a trusted proxy's X-Forwarded-For), so the per-address counts stay apart.
 */
describe.skipIf(Boolean(skipReason))('the failed-login throttle across two API processes', () => {
  let database: TestDatabase;
  const ports = [0, 1].map(() => 20_000 + Math.floor(Math.random() * 20_000));
  const processes: OsrProcess[] = [];

  const get = (port: number, auth: string, clientAddress: string) =>
    fetch(`http://127.0.0.1:${port}${UNIT}`, { headers: { authorization: auth, 'x-forwarded-for': clientAddress } });

  const expectThrottled = async (response: Response) => {
    expect(response.status).toBe(429);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(response.headers.get('retry-after'))).toBeLessThanOrEqual(15 * 60);
    expect(((await response.json()) as { messages: unknown }).messages).toEqual([HTTP_ERROR.tooManyRequests]);
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    await seedMasterData(database.handle.db, {
      clients: [{ id: 'acme', billingUnits: [{ mscnumber: '654321', residentialUnits: ['0001'] }] }],
      credentials: [
        { clientId: 'acme', username: 'victim', password: 'victim-password' },
        { clientId: 'acme', username: 'bystander', password: 'bystander-password' },
      ],
    });
    for (const port of ports) {
      processes.push(
        startOsr(['serve', '--no-worker'], {
          DATABASE_URL: database.url as string,
          PORT: String(port),
          LOG_LEVEL: 'warn',
          OSR_TRUST_PROXY: '127.0.0.1',
        }),
      );
    }
    for (const port of ports) {
      await waitFor(
        async () => (await fetch(`http://127.0.0.1:${port}/ready`).catch(() => undefined))?.status === 200,
        60_000,
        `the API on port ${port}`,
      );
    }
  }, 90_000);
  afterAll(async () => {
    await Promise.all(processes.map((child) => child.stop('SIGKILL')));
    await database?.destroy();
  });

  it('10 wrong passwords spread over both lock the username on both, remembered password or not', {
    timeout: 60_000,
  }, async () => {
    const address = '203.0.113.10';
    // Both processes verify the right password first: each now remembers it (no row read).
    for (const port of ports) expect((await get(port, basic('victim', 'victim-password'), address)).status).toBe(404);

    for (let attempt = 0; attempt < FAILED_LOGIN_LIMITS.username; attempt++) {
      const port = ports[attempt % 2] as number;
      const response = await get(port, basic('victim', `wrong-${attempt}`), address);
      expect(response.status, `attempt ${attempt + 1} on port ${port}`).toBe(401);
    }

    // The 10th failure was recorded by the second process; the first hears of it by NOTIFY (a
    // moment later), and from then on refuses its remembered password too.
    const [first, second] = ports as [number, number];
    await expectThrottled(await get(second, basic('victim', 'victim-password'), address));
    await expect
      .poll(async () => (await get(first, basic('victim', 'victim-password'), address)).status, { timeout: 5_000 })
      .toBe(429);
    await expectThrottled(await get(first, basic('victim', 'victim-password'), address));
    // from another address too (the username is locked), and with a wrong password alike
    await expectThrottled(await get(first, basic('victim', 'victim-password'), '203.0.113.11'));
    await expectThrottled(await get(second, basic('victim', 'wrong-again'), '203.0.113.11'));
    // other usernames are not affected
    for (const port of ports)
      expect((await get(port, basic('bystander', 'bystander-password'), address)).status).toBe(404);
  });

  it('the same for an unknown username, whose failures neither process remembers', { timeout: 60_000 }, async () => {
    const address = '203.0.113.20';
    for (let attempt = 0; attempt < FAILED_LOGIN_LIMITS.username; attempt++) {
      expect((await get(ports[attempt % 2] as number, basic('ghost', `guess-${attempt}`), address)).status).toBe(401);
    }
    for (const port of ports) await expectThrottled(await get(port, basic('ghost', 'guess-11'), address));
  });

  it('100 failures from one address spread over both lock that address on both', { timeout: 120_000 }, async () => {
    const address = '198.51.100.7';
    for (const port of ports)
      expect((await get(port, basic('bystander', 'bystander-password'), address)).status).toBe(404);
    // one attempt in flight per process, different usernames (each stays below its own limit)
    for (let attempt = 0; attempt < FAILED_LOGIN_LIMITS.address; attempt += 2) {
      const statuses = await Promise.all(
        ports.map(async (port, i) => (await get(port, basic(`guess-${attempt + i}`, 'wrong'), address)).status),
      );
      expect(statuses, `attempts ${attempt + 1} and ${attempt + 2}`).toEqual([401, 401]);
    }
    for (const port of ports) {
      await expect
        .poll(async () => (await get(port, basic('bystander', 'bystander-password'), address)).status, {
          timeout: 5_000,
        })
        .toBe(429);
      await expectThrottled(await get(port, basic('bystander', 'bystander-password'), address));
      // another address is not affected
      expect((await get(port, basic('bystander', 'bystander-password'), '198.51.100.8')).status).toBe(404);
    }
  });
});
