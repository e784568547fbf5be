import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/db/connection.js';
import { insertDelivery } from '../../src/db/repositories/deliveries.js';
import { deliveryBodySchema } from '../../src/domain/delivery-schema.js';
import { DEFAULT_PROFILE } from '../../src/domain/process-delivery.js';
import { buildApp } from '../../src/http/app.js';
import { DeliveryWorker } from '../../src/worker/worker.js';
import { multiConnectionSkipReason } from '../support/database.js';
import { awaitResult, BASE, basic, type Harness, postDelivery, seed, startHarness } from '../support/harness.js';
import { waitFor } from '../support/processes.js';
import { HTTP_ERROR, moveInMustermann, useCase1 } from '../support/spec.js';
import { openThroughProxy, type TcpProxy } from '../support/tcp-proxy.js';

const skipReason = multiConnectionSkipReason();
if (skipReason) console.warn(`[skipped] database outage: ${skipReason}`);

const AUTH = basic('erp', 'erp-password');

/**
 * The database goes away (every connection dropped, new ones refused) and comes back: the API
 * answers 503 with the envelope while it is gone — never a hang, never a 202 for something not
 * stored — and the worker resumes by itself.
 */
describe.skipIf(Boolean(skipReason))('database outage', { timeout: 60_000 }, () => {
  let h: Harness; // owns the database; used directly (not through the proxy) to check and seed
  let proxy: TcpProxy;
  let proxied: DatabaseHandle;
  let app: FastifyInstance;
  let worker: DeliveryWorker;

  beforeAll(async () => {
    h = await startHarness({ worker: false });
    await seed(h, {
      clients: [{ id: 'acme', billingUnits: [{ mscnumber: '654321', units: ['0001', '0002'] }] }],
      credentials: [{ clientId: 'acme', username: 'erp', password: 'erp-password' }],
    });
    ({ proxy, proxied } = await openThroughProxy(h.database.url as string));
    const logger = pino({ level: 'silent' });
    worker = new DeliveryWorker(proxied, { profile: DEFAULT_PROFILE, logger, pollIntervalMs: 200 });
    await worker.start();
    app = await buildApp({
      database: proxied,
      logger,
      basePath: BASE,
      profile: DEFAULT_PROFILE,
      requestsPerMinute: 6000,
    });
  });
  afterAll(async () => {
    proxy?.restore();
    await app?.close();
    await worker?.stop();
    await proxied?.close();
    await proxy?.close();
    await h?.close();
  });

  const countDeliveries = async () =>
    Number(
      (
        await h.database.handle.db
          .selectFrom('deliveries')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  it('answers normally before the outage', async () => {
    const accepted = await postDelivery(app, AUTH, '654321', '0001', moveInMustermann());
    expect(accepted.statusCode).toBe(202);
    expect((await awaitResult(app, AUTH, '654321', accepted.json().dataDeliveryId)).status).toBe('SUCCESS');
  });

  it('while the database is gone: 503 with the envelope and Retry-After, fast, and nothing accepted', async () => {
    proxy.cut();
    const before = await countDeliveries();
    const unavailable = {
      status: 'FAIL',
      messages: [HTTP_ERROR.unavailable],
      roleMessages: null,
      partnerMessages: null,
    };
    for (const request of [
      () => postDelivery(app, AUTH, '654321', '0001', useCase1()),
      () =>
        app.inject({
          method: 'GET',
          url: `${BASE}/billingunits/654321/residentialunits/0001/on-site-roles`,
          headers: { authorization: AUTH },
        }),
      () =>
        app.inject({
          method: 'GET',
          url: `${BASE}/billingunits/654321/on-site-roles/data-delivery/${randomUUID()}`,
          headers: { authorization: AUTH },
        }),
    ]) {
      const started = Date.now();
      const response = await request();
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(response.statusCode, response.body).toBe(503);
      expect(response.json()).toEqual(unavailable);
      expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
    }
    expect((await app.inject({ method: 'GET', url: '/ready' })).statusCode).toBe(503);
    expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    expect(await countDeliveries()).toBe(before);
  });

  it('after it comes back: the API answers again and the worker resumes by itself', async () => {
    // Accepted by another API process while this one's connections were down.
    const id = randomUUID();
    await insertDelivery(h.database.handle.db, {
      id,
      clientId: 'acme',
      credential: 'erp',
      billingUnit: '654321',
      residentialUnit: '0002',
      body: deliveryBodySchema.parse(moveInMustermann({ ru: '0002' })),
      requestId: null,
    });
    proxy.restore();
    await waitFor(async () => (await app.inject({ method: 'GET', url: '/ready' })).statusCode === 200, 20_000, 'ready');
    expect((await awaitResult(app, AUTH, '654321', id, 20_000)).status).toBe('SUCCESS');
    const accepted = await postDelivery(app, AUTH, '654321', '0001', useCase1());
    expect(accepted.statusCode).toBe(202);
    expect((await awaitResult(app, AUTH, '654321', accepted.json().dataDeliveryId)).status).toBe('SUCCESS');
  });
});
