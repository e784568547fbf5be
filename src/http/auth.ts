import basicAuth from '@fastify/basic-auth';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Authenticator, Principal } from '../auth/authenticator.js';
import type { Checked } from '../db/repositories/credentials.js';
import { addLogBindings } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { answers, HttpError } from './errors.js';
import { errorPayload } from './plugins/errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
    /** False while the principal comes from memory and no statement has re-checked its row. */
    credentialConfirmed: boolean;
  }
  interface FastifyInstance {
    authenticator: Authenticator;
    /** Counts and logs a refused login (wrong credentials or throttled). */
    loginRefused: (request: FastifyRequest, refusal: LoginRefusal) => void;
  }
}

export interface LoginRefusal {
  reason: 'unauthorized' | 'throttled';
  /** Only a username that belongs to a credential: an unknown one may be a mistyped password. */
  username?: string;
}

/**
 * Basic auth on every request of the scope (spec section 2), failed-attempt throttling and the
 * per-credential request rate (spec section 7, @fastify/rate-limit). Sets `request.principal`.
 */
export async function registerAuth(
  scope: FastifyInstance,
  {
    authenticator,
    requestsPerMinute,
    metrics,
  }: { authenticator: Authenticator; requestsPerMinute: number; metrics: Metrics },
): Promise<void> {
  scope.decorateRequest('principal', null);
  scope.decorateRequest('credentialConfirmed', false);
  scope.decorate('authenticator', authenticator);
  scope.decorate('loginRefused', (request: FastifyRequest, refusal: LoginRefusal) => {
    metrics.loginRefusals.inc({ reason: refusal.reason });
    request.log.warn({ ...refusal, sourceAddress: request.ip }, 'login refused');
  });
  await scope.register(basicAuth, {
    authenticate: false,
    async validate(username, password, request) {
      const { principal, remembered } = await authenticateOrThrow(request, username, password);
      request.principal = principal;
      request.credentialConfirmed = !remembered;
      // Every later line of this request names the caller (never the password).
      addLogBindings(request.log, { client: principal.clientId, credential: principal.username });
    },
  });
  scope.addHook('onRequest', scope.basicAuth);
  // A request refused before any statement ran (bad body, bad path) with a principal from memory:
  // a credential revoked or rotated meanwhile must still get its 401, not the refusal.
  scope.addHook('onSend', async (request, reply, payload) => {
    const { principal } = request;
    if (!principal || request.credentialConfirmed || reply.statusCode < 400 || reply.statusCode >= 500) return payload;
    if ([401, 429].includes(reply.statusCode)) return payload;
    // Unconfirmable (database gone): the refusal stands; it tells the caller nothing it may not know.
    if (await authenticator.isCurrent(principal).catch(() => true)) return payload;
    const { username, password } = basicCredentialsOf(request);
    authenticator.forget(username);
    try {
      ({ principal: request.principal } = await authenticateOrThrow(request, username, password));
      return payload;
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      return errorPayload(reply, error);
    }
  });
  // Per-credential request rate, counted after authentication (its hook runs after the one above).
  await scope.register(rateLimit, {
    max: requestsPerMinute,
    timeWindow: 60_000,
    keyGenerator: (request) => `credential:${request.principal?.username ?? request.ip}`,
    // The plugin sets Retry-After itself.
    errorResponseBuilder: () => answers.tooManyRequests(),
    onExceeded: (request) => request.log.warn({ limitPerMinute: requestsPerMinute }, 'request rate limit exceeded'),
  });
}

async function authenticateOrThrow(
  request: FastifyRequest,
  username: string,
  password: string,
): Promise<{ principal: Principal; remembered: boolean }> {
  const { authenticator, loginRefused } = request.server;
  const outcome = await authenticator.authenticate(username, password, request.ip).catch((error: unknown) => {
    // Not an authentication failure (e.g. the database is gone): keep the plugin from turning
    // it into a 401.
    throw new UnexpectedAuthError(error);
  });
  if (outcome.ok) return outcome;
  if (outcome.reason === 'throttled') {
    loginRefused(request, { reason: 'throttled' });
    throw answers.tooManyRequests(outcome.retryAfterSeconds);
  }
  loginRefused(request, { reason: 'unauthorized', ...(outcome.knownUsername ? { username } : {}) });
  throw answers.unauthorized();
}

/**
 * Runs a route's statement, which re-checks the caller's credential row in the same round trip
 * (the principal may come from the authenticator's memory). When the row changed since — revoked,
 * rotated, made read-only — the remembered principal is dropped, the caller is authenticated
 * again against the database (401/429 as usual, 403 for a write with a now read-only
 * credential) and the statement runs once more; if the row changed yet again meanwhile, 401.
 */
export async function withCurrentCredential<T>(
  request: FastifyRequest,
  { write }: { write: boolean },
  statement: (principal: Principal) => Promise<Checked<T>>,
): Promise<T> {
  const first = await statement(principalOf(request));
  request.credentialConfirmed = true;
  if (first.credentialCurrent) return first.value;
  const { authenticator } = request.server;
  const { username, password } = basicCredentialsOf(request);
  authenticator.forget(username);
  const { principal } = await authenticateOrThrow(request, username, password);
  request.principal = principal;
  if (write) await requireWriteAccess(request);
  const second = await statement(principal);
  if (second.credentialCurrent) return second.value;
  authenticator.forget(username);
  throw answers.unauthorized();
}

/** The Basic credentials of a request that already passed the auth hook (so they parse). */
function basicCredentialsOf(request: FastifyRequest): { username: string; password: string } {
  const encoded = /^basic\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')?.[1] ?? '';
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw answers.unauthorized();
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export class UnexpectedAuthError extends Error {
  readonly statusCode = 500;
  constructor(cause: unknown) {
    super('authentication could not be checked', { cause });
  }
}

export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw answers.unauthorized();
  return request.principal;
}

/** Route hook: read-only credentials may not change anything. */
export async function requireWriteAccess(request: FastifyRequest): Promise<void> {
  if (principalOf(request).readOnly) throw answers.forbidden();
}
