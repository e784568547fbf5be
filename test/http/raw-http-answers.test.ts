import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE, basic } from '../support/harness.js';
import { type ListeningApp, rawRequest, startListeningApp } from '../support/real-http.js';
import { HTTP_ERROR, SCHEMA_KEY } from '../support/spec.js';

/**
 * Answers Node's HTTP parser makes the server give before Fastify sees a request (431, 408 while
 * the headers arrive, a malformed request), over a real socket: the envelope, and an X-Request-Id
 * like every other response (spec section 7), new because the request's own was never parsed.
 */

const AUTH = basic('erp', 'erp-password');
const E2 = `${BASE}/billingunits/654321/residentialunits/0001/on-site-roles`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const envelope = (messages: unknown[]) => ({ status: 'FAIL', messages, roleMessages: null, partnerMessages: null });

describe('answers on the socket', () => {
  let listening: ListeningApp;
  let port: number;
  beforeAll(async () => {
    listening = await startListeningApp({ requestTimeoutMs: 500 });
    ({ port } = listening);
  });
  afterAll(() => listening?.close());

  it('headers over 16 KiB: 431 with the envelope and a new X-Request-Id (not the one sent)', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 2; i++) {
      const answer = await rawRequest(
        port,
        `GET ${E2} HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH}\r\nX-Request-Id: mine-${i}\r\n` +
          `X-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      );
      expect(answer.statusLine).toBe('HTTP/1.1 431 Request Header Fields Too Large');
      expect(answer.headers['content-type']).toBe('application/json');
      expect(answer.headers.connection).toBe('close');
      expect(answer.headers['x-request-id']).toMatch(UUID);
      ids.add(answer.headers['x-request-id'] as string);
      expect(answer.body).toEqual(envelope([HTTP_ERROR.headersTooLarge]));
    }
    expect(ids.size).toBe(2);
  });

  it('a request line over 16 KiB (a {bu} that long) is bounded by the same limit: 431', async () => {
    const answer = await rawRequest(
      port,
      `GET ${BASE}/billingunits/${'6'.repeat(17_000)}/residentialunits/0001/on-site-roles HTTP/1.1\r\nHost: x\r\n` +
        `Authorization: ${AUTH}\r\n\r\n`,
    );
    expect(answer.statusLine).toBe('HTTP/1.1 431 Request Header Fields Too Large');
    expect(answer.headers['x-request-id']).toMatch(UUID);
    expect(answer.body).toEqual(envelope([HTTP_ERROR.headersTooLarge]));
  });

  it('a {bu} just under the limit reaches E2 and gets D1', async () => {
    const bu = '6'.repeat(16_000);
    const response = await fetch(
      `http://127.0.0.1:${port}${BASE}/billingunits/${bu}/residentialunits/0001/on-site-roles`,
      {
        headers: { authorization: AUTH },
      },
    );
    expect(response.status).toBe(400);
    expect(response.headers.get('x-request-id')).toMatch(UUID);
    expect(await response.json()).toEqual(
      envelope([{ key: 'OSR-KALO', message: 'Format problem detected with mscnumber of billing unit' }]),
    );
  });

  it('headers that do not arrive in time: 408 with the envelope and an X-Request-Id', async () => {
    // Node checks the header deadline every second (connectionsCheckingInterval).
    const answer = await rawRequest(port, `GET ${E2} HTTP/1.1\r\nHost: x\r\n`);
    expect(answer.statusLine).toBe('HTTP/1.1 408 Request Timeout');
    expect(answer.headers['x-request-id']).toMatch(UUID);
    expect(answer.body).toEqual(envelope([HTTP_ERROR.requestTimeout]));
  });

  it('a request that is not HTTP: 400 with the envelope and an X-Request-Id', async () => {
    const answer = await rawRequest(port, 'HELLO THERE\r\n\r\n');
    expect(answer.statusLine).toBe('HTTP/1.1 400 Bad Request');
    expect(answer.headers['x-request-id']).toMatch(UUID);
    expect(answer.body).toEqual(envelope([{ key: SCHEMA_KEY, message: 'Malformed HTTP request.' }]));
  });
});
