import type { Socket } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { WaitEnd, Waiter } from './delivery-waiters.js';

/**
 * Holds a `Prefer: wait` request (E3, spec 9.1; the change feed, 10.2) until its wait ends. The
 * client going away ends it at once (its slot is free again); Node's idle-connection time-out
 * (60 s) is off meanwhile: waiting is not idling.
 */
export async function holdRequest(request: FastifyRequest, reply: FastifyReply, waiter: Waiter): Promise<WaitEnd> {
  const socket = request.raw.socket as Socket | null;
  const idleTimeout = request.server.server.timeout;
  const gone = () => waiter.cancel();
  reply.raw.once('close', gone);
  if (!socket || socket.destroyed) gone();
  const pauseIdleTimeout = typeof socket?.setTimeout === 'function' && idleTimeout > 0;
  if (pauseIdleTimeout) socket.setTimeout(0);
  try {
    return await waiter.ended;
  } finally {
    reply.raw.off('close', gone);
    if (pauseIdleTimeout && !socket.destroyed) socket.setTimeout(idleTimeout);
  }
}
