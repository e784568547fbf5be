import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTrustProxy } from '../../src/config.js';
import { awaitResult, BASE, basic, type Harness, postDelivery, seed, startHarness } from '../support/harness.js';
import { moveInMustermann } from '../support/spec.js';

/**
 * What support finds in the logs and metrics (issue "Ready for a real deployment"): every request
 * line names the client, a 202 names its delivery, the worker's line carries the POST's request
 * id, refused logins and 429s are warnings, times are ISO 8601, and /metrics has the process
 * metrics and the refusal counters. (Personal data and passwords in any line fail `close()`.)
 */
const AUTH = basic('acme-erp', 'acme-password');
const E2 = `${BASE}/billingunits/654321/residentialunits/0002/on-site-roles`;
const lines = (h: Harness, text: string) => h.logs.matching(text).map((line) => JSON.parse(line));

describe('logs and metrics for support', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ requestsPerMinute: 20 });
    await seed(h, {
      clients: [{ id: 'acme', billingUnits: [{ mscnumber: '654321', units: ['0001', '0002'] }] }],
      credentials: [{ clientId: 'acme', username: 'acme-erp', password: 'acme-password' }],
    });
  });
  afterAll(() => h?.close());

  it('the request line names the client and, for a 202, the delivery; the worker line carries the request id', async () => {
    const posted = await postDelivery(h.app, AUTH, '654321', '0001', moveInMustermann(), {
      'x-request-id': 'erp-req-0001',
    });
    expect(posted.statusCode).toBe(202);
    const id = posted.json().dataDeliveryId as string;
    expect((await awaitResult(h.app, AUTH, '654321', id)).status).toBe('SUCCESS');
    const completed = lines(h, '"request completed"').find((line) => line.reqId === 'erp-req-0001');
    expect(completed).toMatchObject({ client: 'acme', credential: 'acme-erp', dataDeliveryId: id, level: 30 });
    expect(completed?.res?.statusCode).toBe(202);
    const processed = lines(h, '"delivery processed"').find((line) => line.deliveryId === id);
    expect(processed).toMatchObject({ requestId: 'erp-req-0001', status: 'SUCCESS', level: 30 });
    expect(completed.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  });

  it('a refused login is a warning (naming only a username that exists) and is counted', async () => {
    const before = await metric(h, 'osr_login_refusals_total{reason="unauthorized"}');
    await h.app.inject({ method: 'GET', url: E2, headers: { authorization: basic('acme-erp', 'wrong-password') } });
    await h.app.inject({ method: 'GET', url: E2, headers: { authorization: basic('not-a-user', 'wrong-password') } });
    const refused = lines(h, '"login refused"');
    expect(refused.at(-2)).toMatchObject({ level: 40, reason: 'unauthorized', username: 'acme-erp' });
    expect(refused.at(-1)).toMatchObject({ level: 40, reason: 'unauthorized' });
    expect(refused.at(-1)).not.toHaveProperty('username');
    expect(await metric(h, 'osr_login_refusals_total{reason="unauthorized"}')).toBe(before + 2);
  });

  it('a 429 of the request rate is a warning and is counted', async () => {
    const before = await metric(h, 'osr_too_many_requests_total');
    const statuses: number[] = [];
    for (let i = 0; i < 25; i++) {
      statuses.push((await h.app.inject({ method: 'GET', url: E2, headers: { authorization: AUTH } })).statusCode);
    }
    const refused = statuses.filter((status) => status === 429).length;
    expect(refused).toBeGreaterThan(0);
    expect(lines(h, '"request rate limit exceeded"').at(-1)).toMatchObject({ level: 40 });
    expect(await metric(h, 'osr_too_many_requests_total')).toBe(before + refused);
  });

  it('/metrics has the process metrics: memory, CPU, event-loop lag', async () => {
    const text = (await h.app.inject({ method: 'GET', url: '/metrics' })).body;
    for (const name of ['process_resident_memory_bytes', 'process_cpu_seconds_total', 'nodejs_eventloop_lag_seconds']) {
      expect(text).toMatch(new RegExp(`^${name} \\d`, 'm'));
    }
  });
});

async function metric(h: Harness, series: string): Promise<number> {
  const text = (await h.app.inject({ method: 'GET', url: '/metrics' })).body;
  const escaped = series.replace(/[{}"=]/g, (c) => `\\${c}`);
  return Number(new RegExp(`^${escaped} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
}

describe('behind a reverse proxy (OSR_TRUST_PROXY)', () => {
  const attempts = async (h: Harness, forwardedFor: string, n: number) => {
    let last = 0;
    for (let i = 0; i < n; i++) {
      const response = await h.app.inject({
        method: 'GET',
        url: E2,
        remoteAddress: '127.0.0.1',
        headers: { authorization: basic(`guess-${i}`, 'wrong-password'), 'x-forwarded-for': forwardedFor },
      });
      last = response.statusCode;
    }
    return last;
  };

  it('a trusted proxy: the per-address login throttle counts the forwarded client, not the proxy', async () => {
    const h = await startHarness({ worker: false, trustProxy: parseTrustProxy('127.0.0.1') });
    try {
      expect(await attempts(h, '203.0.113.7', 100)).toBe(401);
      expect(await attempts(h, '203.0.113.7', 1)).toBe(429); // this client is throttled …
      expect(await attempts(h, '198.51.100.9', 1)).toBe(401); // … another one behind the same proxy is not
      expect(lines(h, '"login refused"').at(-1)?.sourceAddress).toBe('198.51.100.9');
    } finally {
      await h.close();
    }
  });

  it('no trusted proxy (the default): X-Forwarded-For is ignored, the connection address counts', async () => {
    const h = await startHarness({ worker: false });
    try {
      expect(await attempts(h, '203.0.113.7', 100)).toBe(401);
      expect(await attempts(h, '198.51.100.9', 1)).toBe(429);
      expect(lines(h, '"login refused"').at(-1)?.sourceAddress).toBe('127.0.0.1');
    } finally {
      await h.close();
    }
  });

  it('OSR_TRUST_PROXY values: false, true, hops, addresses and ranges; anything else is refused clearly', () => {
    expect(parseTrustProxy(undefined)).toBe(false);
    expect(parseTrustProxy('false')).toBe(false);
    expect(parseTrustProxy('true')).toBe(true);
    expect(parseTrustProxy('2')).toBe(2);
    expect(parseTrustProxy('127.0.0.1, 10.0.0.0/8,::1')).toEqual(['127.0.0.1', '10.0.0.0/8', '::1']);
    expect(() => parseTrustProxy('proxy.local')).toThrow(/OSR_TRUST_PROXY: "proxy.local" is not an IP address/);
    expect(() => parseTrustProxy('10.0.0.0/33')).toThrow(/not an IP address or CIDR range/);
  });
});
