import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { inRegisteringScope } from './scope.js';

// What a caller may send as its own request id: short, and safe in a log line and a header.
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Server option: the caller's X-Request-Id if sane, else a new one (spec section 7). */
export const requestIdServerOptions = {
  genReqId: (request: IncomingMessage): string => {
    const offered = request.headers['x-request-id'];
    return typeof offered === 'string' && SANE_REQUEST_ID.test(offered) ? offered : randomUUID();
  },
};

export function tagWithRequestId(request: FastifyRequest, reply: FastifyReply): void {
  reply.header('X-Request-Id', request.id);
}

/** Every response carries X-Request-Id (answers before routing set it themselves). */
export const requestIds = inRegisteringScope('request-ids', async (app) => {
  app.addHook('onRequest', async (request, reply) => {
    tagWithRequestId(request, reply);
  });
});
