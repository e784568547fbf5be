import net, { type AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { DEFAULT_PROFILE } from '../../src/domain/process-delivery.js';
import { buildApp } from '../../src/http/app.js';
import { createLogger } from '../../src/logger.js';
import { BASE, type Harness, seed, startHarness } from './harness.js';

export interface ListeningApp {
  h: Harness;
  app: FastifyInstance;
  port: number;
  close(): Promise<void>;
}

/**
 * The app listening on a real port of 127.0.0.1, for what only a socket shows (Node's parser,
 * slow clients): client `acme` with billing unit 654321, unit 0001 and credential erp/erp-password.
 */
export async function startListeningApp({ requestTimeoutMs }: { requestTimeoutMs: number }): Promise<ListeningApp> {
  const h = await startHarness({ worker: false });
  await seed(h, {
    clients: [{ id: 'acme', billingUnits: [{ mscnumber: '654321', units: ['0001'] }] }],
    credentials: [{ clientId: 'acme', username: 'erp', password: 'erp-password' }],
  });
  const app = await buildApp({
    database: h.database.handle,
    logger: createLogger('silent'),
    basePath: BASE,
    profile: DEFAULT_PROFILE,
    requestsPerMinute: 6000,
    requestTimeoutMs,
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    h,
    app,
    port: (app.server.address() as AddressInfo).port,
    async close() {
      await app.close();
      await h.close();
    },
  };
}

export interface RawAnswer {
  statusLine: string;
  headers: Record<string, string>;
  body: unknown;
}

/** Writes `request` to a fresh connection and parses what the server answers before it closes. */
export function rawRequest(port: number, request: string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (data) => {
      answer += data;
    });
    socket.on('close', () => {
      const [head = '', body = ''] = answer.split('\r\n\r\n');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers = Object.fromEntries(
        lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
      );
      resolve({ statusLine, headers, body: body ? JSON.parse(body) : undefined });
    });
    socket.on('error', reject);
    socket.on('connect', () => socket.write(request));
  });
}
