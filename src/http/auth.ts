import basicAuth from '@fastify/basic-auth';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Authenticator, Principal } from '../auth/authenticator.js';
import { RequestRateLimiter } from '../auth/limits.js';
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
 * per-credential request rate (spec section 7). Sets `request.principal`.
 */
export async function registerAuth(
  scope: FastifyInstance,
  { authenticator, requestsPerMinute }: { authenticator: Authenticator; requestsPerMinute: number },
): Promise<void> {
  const rate = new RequestRateLimiter(requestsPerMinute, 60_000);
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
      const retryAfter = rate.take(outcome.principal.username, Date.now());
      if (retryAfter > 0) throw tooManyRequests(retryAfter);
      request.principal = outcome.principal;
    },
  });
  scope.addHook('onRequest', scope.basicAuth);
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
