import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseHandle, openDatabase } from '../../src/db/connection.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { DEFAULT_PROFILE } from '../../src/domain/process-delivery.js';
import { buildApp } from '../../src/http/app.js';
import { generateOpenApiDocument } from '../../src/http/openapi-document.js';
import { createLogger } from '../../src/logger.js';
import { Metrics } from '../../src/metrics.js';
import { DeliveryWorker } from '../../src/worker/worker.js';
import { createTestDatabase, multiConnectionSkipReason, type TestDatabase } from '../support/database.js';
import { BASE, basic } from '../support/harness.js';
import { moveInMustermann } from '../support/spec.js';
import { openThroughProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { manySockets, metricValue, send, type TimedAnswer } from '../support/waiting-http.js';
import { SYSTEM, SYSTEM_AUTH, seedSystemDatabase } from '../system/support/system-seed.js';

/**
 * Spec 9.1, `Prefer: wait=N` on E3, over real HTTP on the embedded database (`npm start` without
 * DATABASE_URL): API and worker share one process and one PGlite session, and the worker's
 * notification still releases the waiting request. The rules around the wait (what is answered
 * at once, the time-out, a client that goes away, the rate limit, shutdown) are the same on
 * PostgreSQL; prefer-wait-processes.test.ts runs the worker in another process there.
 */
const UNITS = ['0001', '0002', '0003', '0004', '0005', '0006', '0007', '0008'];
const AT_ONCE_MS = 1_000; // "at once", next to waits of 30 s: generous for a busy machine

describe('Prefer: wait on the embedded database, API and worker in one process', () => {
  let database: DatabaseHandle;
  let app: FastifyInstance;
  let worker: DeliveryWorker;
  let port: number;
  const agent = manySockets();
  let nextUnit = 0;

  beforeAll(async () => {
    database = await openDatabase({ dataDir: 'memory://' });
    await migrateToLatest(database.db);
    await seedSystemDatabase(database.db, UNITS);
    const logger = createLogger('silent');
    const metrics = new Metrics(database.db);
    // Started by a test: until then deliveries stay PENDING. Then E1 wakes it directly (its poll
    // is slow), as in `osr serve`.
    worker = new DeliveryWorker(database, { profile: DEFAULT_PROFILE, logger, pollIntervalMs: 60_000 });
    app = await buildApp({
      database,
      logger,
      basePath: BASE,
      profile: DEFAULT_PROFILE,
      requestsPerMinute: 6000,
      pressure: false,
      metrics,
      worker,
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    agent.destroy();
    await app?.close();
    await worker?.stop();
    await database?.close();
  });

  const e3Path = (id: string, bu: string = SYSTEM.billingUnit) =>
    `${BASE}/billingunits/${bu}/on-site-roles/data-delivery/${id}`;
  const e3 = (id: string, prefer?: string, options: { bu?: string; auth?: string; signal?: AbortSignal } = {}) =>
    send(port, 'GET', e3Path(id, options.bu), {
      agent,
      headers: { authorization: options.auth ?? SYSTEM_AUTH, ...(prefer === undefined ? {} : { prefer }) },
      ...(options.signal ? { signal: options.signal } : {}),
    });
  const post = async (): Promise<string> => {
    const ru = UNITS[nextUnit++ % UNITS.length] as string;
    const answer = await send(
      port,
      'POST',
      `${BASE}/billingunits/${SYSTEM.billingUnit}/residentialunits/${ru}/on-site-roles`,
      {
        agent,
        headers: { authorization: SYSTEM_AUTH, 'content-type': 'application/json' },
        body: JSON.stringify(moveInMustermann({ ru })),
      },
    );
    expect(answer.status).toBe(202);
    return answer.body.dataDeliveryId;
  };
  /** The waiting requests, as GET /metrics shows them. */
  const waitingText = async () => {
    const response = await fetch(`http://127.0.0.1:${port}/metrics`);
    return metricValue(await response.text(), 'osr_delivery_result_waiters');
  };
  const untilWaiting = async (count: number) => {
    for (let i = 0; i < 200 && (await waitingText()) !== count; i++) await new Promise((r) => setTimeout(r, 25));
    expect(await waitingText()).toBe(count);
  };

  const expectAtOnce = (answer: TimedAnswer, status = 200) => {
    expect(answer.status).toBe(status);
    expect(answer.ms).toBeLessThan(AT_ONCE_MS);
    expect(answer.headers['preference-applied']).toBeUndefined();
  };

  it('a PENDING delivery is held for N seconds, then answered PENDING with Preference-Applied: wait=N', async () => {
    const id = await post();
    const answer = await e3(id, 'wait=1');
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ dataDeliveryId: id, status: 'PENDING', processedAt: null });
    expect(answer.headers['preference-applied']).toBe('wait=1');
    expect(answer.ms).toBeGreaterThanOrEqual(990);
    expect(answer.ms).toBeLessThan(1_000 + AT_ONCE_MS);
    expect(await waitingText()).toBe(0);
  });

  it('is not cut by the idle-connection time-out of the server', async () => {
    const idleTimeout = app.server.timeout;
    app.server.timeout = 500; // applies to new connections
    const fresh = manySockets();
    try {
      const id = await post();
      const answer = await send(port, 'GET', e3Path(id), {
        agent: fresh,
        headers: { authorization: SYSTEM_AUTH, prefer: 'wait=2' },
      });
      expect(answer).toMatchObject({ status: 200, body: { status: 'PENDING' } });
      expect(answer.headers['preference-applied']).toBe('wait=2');
      expect(answer.ms).toBeGreaterThanOrEqual(1_990);
    } finally {
      app.server.timeout = idleTimeout;
      fresh.destroy();
    }
  });

  it('a malformed preference is ignored: answered at once, without Preference-Applied', async () => {
    const id = await post();
    for (const prefer of ['wait=0', 'wait=-1', 'wait=1.5', 'wait=abc', 'wait=', 'wait=05', 'respond-async']) {
      const answer = await e3(id, prefer);
      expectAtOnce(answer);
      expect(answer.body.status, prefer).toBe('PENDING');
    }
  });

  it('authorisation and 404 are decided before any waiting', async () => {
    const id = await post();
    expectAtOnce(await e3('00000000-0000-4000-8000-000000000000', 'wait=30'), 404);
    expectAtOnce(await e3(id, 'wait=30', { bu: '099654321' }), 404);
    expectAtOnce(await e3('not-a-uuid', 'wait=30'), 404);
    expectAtOnce(await e3(id, 'wait=30', { auth: basic(SYSTEM.username, 'wrong-password') }), 401);
    expect(await waitingText()).toBe(0);
  });

  it('a client that goes away frees its place at once', async () => {
    const id = await post();
    const abort = new AbortController();
    const gone = e3(id, 'wait=30', { signal: abort.signal }).catch((error: Error) => error.name);
    await untilWaiting(1);
    abort.abort();
    expect(await gone).toBe('AbortError');
    await untilWaiting(0);
  });

  it('a waiting request counts once against the per-credential rate limit', async () => {
    const id = await post();
    const remaining = (answer: TimedAnswer) => Number(answer.headers['x-ratelimit-remaining']);
    const before = await e3(id);
    const waited = await e3(id, 'wait=1');
    const after = await e3(id);
    expect(waited.headers['preference-applied']).toBe('wait=1');
    expect([remaining(before) - remaining(waited), remaining(waited) - remaining(after)]).toEqual([1, 1]);
  });

  it('the worker storing the delivery releases the waiting request, well before N (wait=100 applies 60)', async () => {
    const id = await post();
    const answer = e3(id, 'wait=100');
    await untilWaiting(1);
    const started = Date.now();
    await worker.start();
    const released = await answer;
    expect(released.status).toBe(200);
    expect(released.body).toMatchObject({ dataDeliveryId: id, status: 'SUCCESS' });
    expect(released.headers['preference-applied']).toBe('wait=60');
    expect(released.at - started).toBeLessThan(5_000); // the other deliveries before it are processed too
    expect(await waitingText()).toBe(0);

    // Processed: answered at once, whatever the preference.
    expectAtOnce(await e3(id, 'wait=30'));
  });

  it('while the worker runs, requests that wait for new deliveries get their results', async () => {
    const answers: Promise<TimedAnswer>[] = [];
    for (let i = 0; i < 5; i++) answers.push(e3(await post(), 'wait=30'));
    for (const answer of await Promise.all(answers)) {
      expect(answer.status).toBe(200);
      expect(answer.body.status).not.toBe('PENDING'); // a second move-in into a unit FAILs: a result too
      expect(answer.ms).toBeLessThan(5_000);
    }
  });

  it('on shutdown every waiting request is answered at once with its current state', async () => {
    await worker.stop();
    const ids = [await post(), await post(), await post()];
    const answers = ids.map((id) => e3(id, 'wait=30'));
    await untilWaiting(3);
    const closing = Date.now();
    await app.close();
    // Closed at once too: the answered connections are not kept alive.
    expect(Date.now() - closing).toBeLessThan(AT_ONCE_MS);
    for (const answer of await Promise.all(answers)) {
      expect(answer.status).toBe(200);
      expect(answer.body.status).toBe('PENDING');
      expect(answer.headers['preference-applied']).toBe('wait=30');
      expect(answer.at - closing).toBeLessThan(AT_ONCE_MS);
    }
  });
});

describe('the OpenAPI document on Prefer: wait', () => {
  it('documents E3’s Prefer request header and the Preference-Applied header of its 200', async () => {
    // biome-ignore lint/suspicious/noExplicitAny: a generated OpenAPI document, walked freely
    const document = (await generateOpenApiDocument()) as any;
    const e3 = document.paths[`${BASE}/billingunits/{bu}/on-site-roles/data-delivery/{dataDeliveryId}`].get;
    const prefer = e3.parameters.find((parameter: { name: string }) => parameter.name === 'Prefer');
    expect(prefer).toMatchObject({ in: 'header', required: false, schema: { type: 'string' } });
    expect(prefer.description).toContain('wait=N');
    expect(e3.responses['200'].headers['Preference-Applied']).toMatchObject({ schema: { type: 'string' } });
    expect(e3.responses['200'].headers['Preference-Applied'].required).toBeUndefined();
    expect(e3.description).toContain('Prefer: wait=N');
  });
});

const skipReason = multiConnectionSkipReason();
if (skipReason) console.warn(`[skipped] Prefer: wait after missed notifications: ${skipReason}`);

/**
 * A notification the API process misses (its listening connection was down when the worker
 * stored the delivery) must not leave the request waiting: when the connection is back, the
 * waited-for deliveries are checked once, and the request is answered long before its time-out.
 */
describe.skipIf(Boolean(skipReason))('Prefer: wait after missed notifications (PostgreSQL)', () => {
  let database: TestDatabase;
  let proxy: TcpProxy;
  let proxied: DatabaseHandle;
  let app: FastifyInstance;
  let worker: DeliveryWorker;
  let port: number;
  const agent = manySockets();

  beforeAll(async () => {
    database = await createTestDatabase();
    await seedSystemDatabase(database.handle.db, UNITS);
    // The API reaches the database through the proxy; the worker directly.
    ({ proxy, proxied } = await openThroughProxy(database.url as string));
    const logger = createLogger('silent');
    worker = new DeliveryWorker(database.handle, { profile: DEFAULT_PROFILE, logger, pollIntervalMs: 100 });
    app = await buildApp({
      database: proxied,
      logger,
      basePath: BASE,
      profile: DEFAULT_PROFILE,
      requestsPerMinute: 6000,
      pressure: false,
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    proxy?.restore();
    agent.destroy();
    await app?.close();
    await worker?.stop();
    await proxied?.close();
    await proxy?.close();
    await database?.destroy();
  });

  it('answers once the listening connection is back, not at the time-out', { timeout: 30_000 }, async () => {
    const posted = await send(
      port,
      'POST',
      `${BASE}/billingunits/${SYSTEM.billingUnit}/residentialunits/0001/on-site-roles`,
      {
        agent,
        headers: { authorization: SYSTEM_AUTH, 'content-type': 'application/json' },
        body: JSON.stringify(moveInMustermann({ ru: '0001' })),
      },
    );
    expect(posted.status).toBe(202);
    const id = posted.body.dataDeliveryId as string;
    const answer = send(port, 'GET', `${BASE}/billingunits/${SYSTEM.billingUnit}/on-site-roles/data-delivery/${id}`, {
      agent,
      headers: { authorization: SYSTEM_AUTH, prefer: 'wait=20' },
    });
    for (let i = 0; i < 200 && !(await waitingIn(port)); i++) await new Promise((r) => setTimeout(r, 25));
    expect(await waitingIn(port)).toBe(1);

    proxy.cut(); // the API's connections, its LISTEN among them, are gone
    await worker.start();
    for (;;) {
      const row = await database.handle.db
        .selectFrom('deliveries')
        .select('status')
        .where('id', '=', id)
        .executeTakeFirst();
      if (row?.status !== 'PENDING') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const restored = Date.now();
    proxy.restore();
    const released = await answer;
    expect(released).toMatchObject({ status: 200, body: { dataDeliveryId: id, status: 'SUCCESS' } });
    expect(released.headers['preference-applied']).toBe('wait=20');
    expect(released.at - restored).toBeLessThan(10_000); // the listener retries every second
  });
});

/** The waiting requests of the app on `port`, as GET /metrics shows them. */
async function waitingIn(port: number): Promise<number | undefined> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  return metricValue(await response.text(), 'osr_delivery_result_waiters');
}
