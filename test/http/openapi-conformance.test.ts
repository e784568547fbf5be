import { gzipSync } from 'node:zlib';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ZodType } from 'zod';
import { OPERATIONAL_RESPONSES } from '../../src/http/openapi-operations.js';
import { BASE, basic, deliver, type Harness, seed, startHarness } from '../support/harness.js';
import { moveInMustermann } from '../support/spec.js';

/**
 * The OpenAPI document against the real answers: every answer the app gives here carries the
 * headers its documentation promises, and the operational endpoints answer in their documented
 * shapes (the document is the one the app serves at /openapi.json).
 */

const AUTH = basic('erp', 'erp-password');
const READER = basic('reader', 'reader-password');
const E1_PATH = `${BASE}/billingunits/{bu}/residentialunits/{ru}/on-site-roles`;
const E3_PATH = `${BASE}/billingunits/{bu}/on-site-roles/data-delivery/{dataDeliveryId}`;
const unitUrl = (bu: string, ru: string) => `${BASE}/billingunits/${bu}/residentialunits/${ru}/on-site-roles`;

// biome-ignore lint/suspicious/noExplicitAny: the served OpenAPI document is walked freely
type Json = any;

describe('the served OpenAPI document matches the real answers', () => {
  let h: Harness;
  let document: Json;
  let deliveryId: string;

  beforeAll(async () => {
    h = await startHarness();
    await seed(h, {
      clients: [{ id: 'acme', billingUnits: [{ mscnumber: '654321', units: ['0001', '0002'] }] }],
      credentials: [
        { clientId: 'acme', username: 'erp', password: 'erp-password' },
        { clientId: 'acme', username: 'reader', password: 'reader-password', readOnly: true },
      ],
    });
    deliveryId = (await deliver(h.app, AUTH, '654321', '0001', moveInMustermann())).dataDeliveryId;
    document = (await h.app.inject({ method: 'GET', url: '/openapi.json' })).json();
  });
  afterAll(() => h?.close());

  const post = (headers: Record<string, string>, payload: string | Buffer): InjectOptions => ({
    method: 'POST',
    url: unitUrl('654321', '0002'),
    headers: { 'content-type': 'application/json', ...headers },
    payload,
  });
  const get = (url: string, headers: Record<string, string> = { authorization: AUTH }): InjectOptions => ({
    method: 'GET',
    url,
    headers,
  });
  const body = () => JSON.stringify(moveInMustermann({ ru: '0002' }));

  /** Sends the request, expects `status`, and checks the documented headers of that answer. */
  async function expectDocumented(path: string, method: string, status: number, request: InjectOptions) {
    const response: LightMyRequestResponse = await h.app.inject(request);
    expect(response.statusCode, response.body).toBe(status);
    const documented = document.paths[path][method].responses[String(status)];
    expect(documented, `${method} ${path} ${status} is documented`).toBeDefined();
    for (const [name, header] of Object.entries(documented.headers as Record<string, Json>)) {
      const value = response.headers[name.toLowerCase()];
      if (header.required || name.startsWith('x-ratelimit-')) {
        expect(value, `${method} ${path} ${status}: ${name}`).toBeDefined();
      }
      if (value === undefined) continue;
      if (header.schema.enum) expect(header.schema.enum).toContain(value);
      if (header.schema.type === 'integer') expect(String(value)).toMatch(/^\d+$/);
    }
    return response;
  }

  it('E1: 202, 400, 401, 403, 413 and 415', async () => {
    const accepted = await expectDocumented(E1_PATH, 'post', 202, post({ authorization: AUTH }, body()));
    expect(accepted.headers.location).toMatch(/\/data-delivery\//);
    await expectDocumented(E1_PATH, 'post', 400, post({ authorization: AUTH }, '{}'));
    await expectDocumented(E1_PATH, 'post', 401, post({}, body()));
    await expectDocumented(E1_PATH, 'post', 403, post({ authorization: READER }, body()));
    await expectDocumented(E1_PATH, 'post', 413, post({ authorization: AUTH }, 'x'.repeat(1_048_577)));
    const encoded = await expectDocumented(
      E1_PATH,
      'post',
      415,
      post({ authorization: AUTH, 'content-encoding': 'gzip' }, gzipSync(body())),
    );
    expect(encoded.headers['accept-encoding']).toBe('identity');
  });

  it('E2: 200, 400, 404; E3: 200, 404', async () => {
    await expectDocumented(E1_PATH, 'get', 200, get(unitUrl('654321', '0001')));
    await expectDocumented(E1_PATH, 'get', 400, get(unitUrl('abc', '0001')));
    await expectDocumented(E1_PATH, 'get', 404, get(unitUrl('999999', '0001')));
    const e3 = (bu: string, id: string) => `${BASE}/billingunits/${bu}/on-site-roles/data-delivery/${id}`;
    await expectDocumented(E3_PATH, 'get', 200, get(e3('654321', deliveryId)));
    await expectDocumented(E3_PATH, 'get', 404, get(e3('654321', 'not-a-uuid')));
  });

  it('429 after too many failed logins, with Retry-After', async () => {
    const wrong = basic('erp', 'not-the-password');
    for (let attempt = 0; attempt < 10; attempt++) {
      expect((await h.app.inject(get(unitUrl('654321', '0001'), { authorization: wrong }))).statusCode).toBe(401);
    }
    await expectDocumented(E1_PATH, 'get', 429, get(unitUrl('654321', '0001'), { authorization: wrong }));
  });

  it('/health, /ready and /metrics answer in their documented shapes', async () => {
    const shape = (operationId: string, status: number) => OPERATIONAL_RESPONSES[operationId]?.[status] as ZodType;
    const health = await expectDocumented('/health', 'get', 200, get('/health', {}));
    expect(shape('getHealth', 200).safeParse(health.json()).success).toBe(true);
    const ready = await expectDocumented('/ready', 'get', 200, get('/ready', {}));
    expect(shape('getReady', 200).safeParse(ready.json()).success).toBe(true);
    await h.worker?.stop();
    const notReady = await expectDocumented('/ready', 'get', 503, get('/ready', {}));
    expect(shape('getReady', 503).safeParse(notReady.json()).success).toBe(true);
    await h.worker?.start();
    const metrics = await expectDocumented('/metrics', 'get', 200, get('/metrics', {}));
    expect(Object.keys(document.paths['/metrics'].get.responses['200'].content)).toEqual(['text/plain']);
    expect(metrics.headers['content-type']).toMatch(/^text\/plain/);
  });
});
