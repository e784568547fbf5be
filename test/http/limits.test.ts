import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PROFILE } from '../../src/domain/process-delivery.js';
import { buildApp } from '../../src/http/app.js';
import { createLogger } from '../../src/logger.js';
import { BASE, basic } from '../support/harness.js';
import { type ListeningApp, startListeningApp } from '../support/real-http.js';
import { HTTP_ERROR } from '../support/spec.js';

const AUTH = basic('erp', 'erp-password');
const E2 = `${BASE}/billingunits/654321/residentialunits/0001/on-site-roles`;

/** Sends raw bytes over TCP and returns what the server answers before closing. */
function rawRequest(port: number, chunks: string[], pauseMs = 0): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (data) => {
      answer += data;
    });
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
    socket.on('connect', async () => {
      for (const chunk of chunks) {
        socket.write(chunk);
        if (pauseMs) await new Promise((r) => setTimeout(r, pauseMs));
      }
    });
  });
}

const envelopeOf = (answer: string) => JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4));

/**
 * Blocks the event loop for `blockMs` at every turn until stopped: the loop still turns (timers,
 * I/O), so requests get through, but every turn is as slow as under real overload.
 */
function sustainEventLoopOverload(blockMs: number) {
  let running = true;
  let turnsDone = 0;
  const waiting: { turns: number; resolve: () => void }[] = [];
  const turn = () => {
    if (!running) return;
    const until = Date.now() + blockMs;
    while (Date.now() < until) {
      // busy: nothing else runs in this turn
    }
    turnsDone += 1;
    for (const waiter of waiting.filter((w) => w.turns <= turnsDone)) waiter.resolve();
    setImmediate(turn);
  };
  setImmediate(turn);
  return {
    turns: (count: number) => new Promise<void>((resolve) => waiting.push({ turns: count, resolve })),
    stop: () => {
      running = false;
    },
  };
}

/**
 * Limits over real HTTP (spec 3, 6, 7 and OWASP API4): header size, slow clients, overload
 * shedding; body size and rates are covered in contract-errors.test.ts.
 */
describe('limits over real HTTP', () => {
  let listening: ListeningApp;
  let port: number;
  beforeAll(async () => {
    listening = await startListeningApp({ requestTimeoutMs: 500 });
    ({ port } = listening);
  });
  afterAll(() => listening?.close());

  it('headers over 16 KiB: 431 with the envelope', async () => {
    const answer = await rawRequest(port, [
      `GET ${E2} HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH}\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    ]);
    expect(answer).toMatch(/^HTTP\/1\.1 431 /);
    expect(envelopeOf(answer)).toEqual({
      status: 'FAIL',
      messages: [HTTP_ERROR.headersTooLarge],
      roleMessages: null,
      partnerMessages: null,
    });
  });

  it('a client that sends its request too slowly: 408 with the envelope, the connection is closed', async () => {
    const started = Date.now();
    const answer = await rawRequest(
      port,
      [
        `POST ${E2} HTTP/1.1\r\n`,
        `Host: x\r\nAuthorization: ${AUTH}\r\n`,
        'Content-Type: application/json\r\n',
        'Content-Length: 100\r\n\r\n',
        '{',
      ],
      300,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(envelopeOf(answer).messages).toEqual([HTTP_ERROR.requestTimeout]);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('under overload (event loop blocked): 503 with the envelope and Retry-After; health still answers', async () => {
    const pressured = await buildApp({
      database: listening.h.database.handle,
      logger: createLogger('silent'),
      basePath: BASE,
      profile: DEFAULT_PROFILE,
      requestsPerMinute: 6000,
      // A loop too busy to take a delay sample at all reads as overload (under-pressure: no sample
      // = infinite delay); that is what a sustained overload produces, whatever the threshold.
      pressure: { maxEventLoopDelay: 100, sampleInterval: 50 },
    });
    await pressured.listen({ port: 0, host: '127.0.0.1' });
    const port = (pressured.server.address() as AddressInfo).port;
    // One long block races under-pressure's 50 ms sample window: the sample taken right after it
    // can still average in the quiet samples from before, and the next one may already be quiet
    // again when the request arrives (CI saw 404). A sustained overload does not race: every turn
    // of the loop is blocked for 250 ms, so no sample after the first reads a quiet loop.
    const overload = sustainEventLoopOverload(250);
    let response: Response;
    let health: Response;
    try {
      await overload.turns(2);
      response = await fetch(`http://127.0.0.1:${port}${E2}`, { headers: { authorization: AUTH } });
      health = await fetch(`http://127.0.0.1:${port}/health`);
    } finally {
      overload.stop();
    }
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await response.json()).toEqual({
      status: 'FAIL',
      messages: [HTTP_ERROR.unavailable],
      roleMessages: null,
      partnerMessages: null,
    });
    expect(health.status).toBe(200);
    // and it recovers once the loop runs freely again
    await expect
      .poll(async () => (await fetch(`http://127.0.0.1:${port}${E2}`, { headers: { authorization: AUTH } })).status, {
        timeout: 5_000,
      })
      .toBe(404);
    await pressured.close();
  });
});
