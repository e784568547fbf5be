import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, deliver, type Harness, postDelivery, seed, startHarness } from '../support/harness.js';
import { moveInMustermann, useCase3 } from '../support/spec.js';

const AUTH = basic('erp', 'erp-password');

/** Operational endpoints outside authentication: /health, /ready, /metrics, /openapi.json, /docs. */
describe('operational endpoints', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    await seed(h, {
      clients: [{ id: 'acme', billingUnits: [{ mscnumber: '654321', units: ['0001'] }] }],
      credentials: [{ clientId: 'acme', username: 'erp', password: 'erp-password' }],
    });
  });
  afterAll(() => h.close());

  const get = (url: string) => h.app.inject({ method: 'GET', url });

  it('serves health and readiness without credentials', async () => {
    expect((await get('/health')).statusCode).toBe(200);
    const ready = await get('/ready');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'READY', checks: { database: true, migrated: true, worker: true } });
  });

  it('is not ready while the worker is stopped', async () => {
    await h.worker?.stop();
    const ready = await get('/ready');
    expect(ready.statusCode).toBe(503);
    expect(ready.json().checks.worker).toBe(false);
    await h.worker?.start();
    expect((await get('/ready')).statusCode).toBe(200);
  });

  it('counts accepted and processed deliveries, queue depth, latency and request durations', async () => {
    expect((await deliver(h.app, AUTH, '654321', '0001', moveInMustermann())).status).toBe('SUCCESS');
    expect((await deliver(h.app, AUTH, '654321', '0001', useCase3())).status).toBe('FAIL');
    const metrics = await get('/metrics');
    expect(metrics.statusCode).toBe(200);
    expect(metrics.headers['content-type']).toMatch(/^text\/plain/);
    const text = metrics.body;
    expect(text).toMatch(/^osr_deliveries_accepted_total 2$/m);
    expect(text).toMatch(/^osr_deliveries_processed_total\{status="SUCCESS"\} 1$/m);
    expect(text).toMatch(/^osr_deliveries_processed_total\{status="FAIL"\} 1$/m);
    expect(text).toMatch(/^osr_delivery_queue_depth 0$/m);
    expect(text).toMatch(/^osr_delivery_processing_latency_seconds_count 2$/m);
    expect(text).toMatch(
      /^osr_http_request_duration_seconds_count\{method="POST",route="\/arge\/on-site-roles\/v1\/billingunits\/:bu\/residentialunits\/:ru\/on-site-roles",status_code="202"\} 2$/m,
    );
  });

  it('shows the queue depth of deliveries not yet processed', async () => {
    await h.worker?.stop();
    expect((await postDelivery(h.app, AUTH, '654321', '0001', useCase3())).statusCode).toBe(202);
    expect((await get('/metrics')).body).toMatch(/^osr_delivery_queue_depth 1$/m);
    await h.worker?.start();
  });

  it('serves the OpenAPI document and the docs page without credentials', async () => {
    const document = await get('/openapi.json');
    expect(document.statusCode).toBe(200);
    expect(document.json().openapi).toBe('3.0.3');
    const docs = await get('/docs/');
    expect(docs.statusCode).toBe(200);
    expect(docs.headers['content-type']).toMatch(/^text\/html/);
  });

  it('echoes a sane X-Request-Id and replaces an insane one', async () => {
    const echoed = await h.app.inject({ method: 'GET', url: '/health', headers: { 'x-request-id': 'erp-4711.a' } });
    expect(echoed.headers['x-request-id']).toBe('erp-4711.a');
    const replaced = await h.app.inject({ method: 'GET', url: '/health', headers: { 'x-request-id': 'a b<script>' } });
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});
