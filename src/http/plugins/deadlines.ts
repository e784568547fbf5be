import { answers } from '../errors.js';
import { sendError } from './errors.js';
import { inRegisteringScope } from './scope.js';

/**
 * Slow clients must not hold connections and memory (spec section 7, README "Reliability,
 * security and limits"): a request must arrive completely within `requestTimeoutMs` (30 s by
 * default), else 408 OSR-408 and the connection is closed.
 *
 * Two mechanisms share that deadline:
 * - Node's `requestTimeout` (server option below) covers a request whose headers are still
 *   arriving; Node raises ERR_HTTP_REQUEST_TIMEOUT and the errors plugin answers on the socket.
 *   Node enforces it only until the headers are in, and checks every `connectionsCheckingInterval`.
 * - The `deadlines` plugin covers a body that trickles in after the headers.
 */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

export function deadlineServerOptions(requestTimeoutMs: number) {
  return {
    requestTimeout: requestTimeoutMs,
    // An idle or stalled connection is closed after a minute, a keep-alive one after 10 s idle.
    connectionTimeout: 60_000,
    keepAliveTimeout: 10_000,
    http: { connectionsCheckingInterval: 1_000 },
  };
}

/** The body deadline: 408 with the envelope once it passed, then the connection is closed. */
export const deadlines = inRegisteringScope(
  'deadlines',
  async (app, { bodyDeadlineMs }: { bodyDeadlineMs: number }) => {
    app.addHook('onRequest', async (request, reply) => {
      if (request.raw.complete) return;
      const timer = setTimeout(() => {
        if (request.raw.complete || reply.sent) return;
        reply.header('Connection', 'close');
        reply.raw.once('finish', () => request.raw.socket?.destroy());
        sendError(reply, answers.requestTimeout());
      }, bodyDeadlineMs);
      timer.unref();
      request.raw.once('end', () => clearTimeout(timer));
      reply.raw.once('close', () => clearTimeout(timer));
    });
  },
);
