import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/db/connection.js';
import { FAILED_LOGIN_LIMITS } from '../../src/domain/login-throttle.js';
import { DEFAULT_PROFILE } from '../../src/domain/process-delivery.js';
import { buildApp } from '../../src/http/app.js';
import { multiConnectionSkipReason } from '../support/database.js';
import { BASE, basic, type Harness, seed, startHarness } from '../support/harness.js';
import { HTTP_ERROR } from '../support/spec.js';
import { openThroughProxy, type TcpProxy } from '../support/tcp-proxy.js';

const skipReason = multiConnectionSkipReason();
if (skipReason) console.warn(`[skipped] the login throttle while the database is gone: ${skipReason}`);

const UNIT = `${BASE}/billingunits/654321/residentialunits/0001/on-site-roles`;

/**
 * The shared failed-login counts (spec section 7) when the database goes away: a sign-in that
 * must read its credential row or record a failure gets 503, as every other request that needs
 * the database (never a 401 or 429 it cannot know); and lock-outs another process reached
 * meanwhile are loaded once this process is connected again.
 */
describe.skipIf(Boolean(skipReason))('the login throttle while the database is gone', { timeout: 60_000 }, () => {
  let h: Harness; // "the other process": the same database, directly
  let proxy: TcpProxy;
  let proxied: DatabaseHandle;
  let app: FastifyInstance; // "this process", through the proxy

  beforeAll(async () => {
    h = await startHarness({ worker: false });
    await seed(h, {
      clients: [{ id: 'acme', billingUnits: [{ mscnumber: '654321', units: ['0001'] }] }],
      credentials: [
        { clientId: 'acme', username: 'erp', password: 'erp-password' },
        { clientId: 'acme', username: 'other', password: 'other-password' },
      ],
    });
    ({ proxy, proxied } = await openThroughProxy(h.database.url as string));
    app = await buildApp({
      database: proxied,
      logger: pino({ level: 'silent' }),
      basePath: BASE,
      profile: DEFAULT_PROFILE,
      requestsPerMinute: 6000,
    });
  });
  afterAll(async () => {
    proxy?.restore();
    await app?.close();
    await proxied?.close();
    await proxy?.close();
    await h?.close();
  });

  const get = (target: FastifyInstance, username: string, password: string) =>
    target.inject({ method: 'GET', url: UNIT, headers: { authorization: basic(username, password) } });

  it('a wrong password, or a password not yet verified, gets 503 while the database is gone', async () => {
    expect((await get(app, 'erp', 'erp-password')).statusCode).toBe(404); // remembered from now on
    proxy.cut();
    try {
      for (const [username, password] of [
        ['erp', 'wrong-password'],
        ['other', 'other-password'],
        ['ghost', 'guess'],
      ] as const) {
        const response = await get(app, username, password);
        expect(response.statusCode, `${username}: ${response.body}`).toBe(503);
        expect(response.json().messages).toEqual([HTTP_ERROR.unavailable]);
        expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
      }
    } finally {
      proxy.restore();
    }
  });

  it('a lock-out reached elsewhere while this process was cut off is loaded once it is back', async () => {
    expect((await get(app, 'erp', 'erp-password')).statusCode).toBe(404); // remembered
    proxy.cut();
    try {
      for (let i = 0; i < FAILED_LOGIN_LIMITS.username; i++) {
        expect((await get(h.app, 'erp', `wrong-${i}`)).statusCode).toBe(401);
      }
      expect((await get(h.app, 'erp', 'erp-password')).statusCode).toBe(429);
    } finally {
      proxy.restore();
    }
    // The announcement was lost; this process reloads the lock-outs when it listens again.
    await expect.poll(async () => (await get(app, 'erp', 'erp-password')).statusCode, { timeout: 15_000 }).toBe(429);
  });
});
