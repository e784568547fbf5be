import basicAuth from '@fastify/basic-auth';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Authenticator, Principal } from '../auth/authenticator.js';
import { HTTP } from '../domain/messages.js';
import { HttpError } from './errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export const UNAUTHORIZED_HEADERS = { 'WWW-Authenticate': 'Basic realm="on-site-roles"' };

const tooManyRequests = (retryAfterSeconds: number) =>
  HttpError.of(429, HTTP.tooManyRequests, { 'Retry-After': String(retryAfterSeconds) });

/**
 * Basic auth on every request of the scope (spec section 2), failed-attempt throttling and the
 * per-credential request rate (spec section 7, @fastify/rate-limit). Sets `request.principal`.
 */
export async function registerAuth(
  scope: FastifyInstance,
  { authenticator, requestsPerMinute }: { authenticator: Authenticator; requestsPerMinute: number },
): Promise<void> {
  scope.decorateRequest('principal', null);
  await scope.register(basicAuth, {
    authenticate: false,
    async validate(username, password, request) {
      const outcome = await authenticator.authenticate(username, password, request.ip).catch((error: unknown) => {
        // Not an authentication failure (e.g. the database is gone): keep the plugin from
        // turning it into a 401.
        throw new UnexpectedAuthError(error);
      });
      if (!outcome.ok) {
        throw outcome.reason === 'throttled'
          ? tooManyRequests(outcome.retryAfterSeconds)
          : HttpError.of(401, HTTP.unauthorized, UNAUTHORIZED_HEADERS);
      }
      request.principal = outcome.principal;
    },
  });
  scope.addHook('onRequest', scope.basicAuth);
  // Per-credential request rate, counted after authentication (its hook runs after the one above).
  await scope.register(rateLimit, {
    max: requestsPerMinute,
    timeWindow: 60_000,
    keyGenerator: (request) => `credential:${request.principal?.username ?? request.ip}`,
    errorResponseBuilder: () => HttpError.of(429, HTTP.tooManyRequests),
  });
}

export class UnexpectedAuthError extends Error {
  readonly statusCode = 500;
  constructor(cause: unknown) {
    super('authentication could not be checked', { cause });
  }
}

export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw HttpError.of(401, HTTP.unauthorized, UNAUTHORIZED_HEADERS);
  return request.principal;
}

/** Route hook: read-only credentials may not change anything. */
export async function requireWriteAccess(request: FastifyRequest): Promise<void> {
  if (principalOf(request).readOnly) throw HttpError.of(403, HTTP.forbidden);
}
