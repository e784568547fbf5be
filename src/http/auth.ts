import basicAuth from '@fastify/basic-auth';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Authenticator, Principal } from '../auth/authenticator.js';
import type { BearerAuthenticator } from '../auth/bearer.js';
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
    /** The client value of the bearer token the principal came with (spec 9.3); null for Basic. */
    tokenClient: string | null;
  }
  interface FastifyInstance {
    authenticator: Authenticator;
    /** Bearer tokens (spec 9.3); null when OIDC is not configured. */
    bearerAuthenticator: BearerAuthenticator | null;
    /** Counts and logs a refused login (wrong credentials or token, or throttled). */
    loginRefused: (request: FastifyRequest, refusal: LoginRefusal) => void;
  }
}

export interface LoginRefusal {
  reason: 'unauthorized' | 'throttled';
  /** Only a username that belongs to a credential: an unknown one may be a mistyped password. */
  username?: string;
  /** Set for a bearer token (never the token or its claims, except the client value). */
  scheme?: 'bearer';
  /** What was wrong with a token: jose's error code, or UNMAPPED_CLIENT. */
  tokenProblem?: string;
  /** The name of the claim at fault. */
  claim?: string;
  /** The token's client value (the one claim that may be logged). */
  tokenClient?: string;
}

const REALM = 'realm="on-site-roles"';

/**
 * Basic auth on every request of the scope (spec section 2) and, when OIDC is configured, bearer
 * tokens next to it (spec 9.3); failed-attempt throttling and the per-credential request rate
 * (spec section 7, @fastify/rate-limit). Sets `request.principal`.
 */
export async function registerAuth(
  scope: FastifyInstance,
  {
    authenticator,
    bearer,
    requestsPerMinute,
    metrics,
  }: { authenticator: Authenticator; bearer?: BearerAuthenticator; requestsPerMinute: number; metrics: Metrics },
): Promise<void> {
  scope.decorateRequest('principal', null);
  scope.decorateRequest('credentialConfirmed', false);
  scope.decorateRequest('tokenClient', null);
  scope.decorate('authenticator', authenticator);
  scope.decorate('bearerAuthenticator', bearer ?? null);
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
  if (bearer) {
    scope.addHook('onRequest', (request, reply, done) => {
      const token = bearerTokenOf(request);
      if (token === undefined) scope.basicAuth(request, reply, done);
      else authenticateBearer(request, bearer, token).then(() => done(), done);
    });
  } else {
    scope.addHook('onRequest', scope.basicAuth);
  }
  // A request refused before any statement ran (bad body, bad path) with a principal from memory:
  // a credential revoked or rotated meanwhile must still get its 401, not the refusal.
  scope.addHook('onSend', async (request, reply, payload) => {
    const { principal } = request;
    if (!principal || request.credentialConfirmed || reply.statusCode < 400 || reply.statusCode >= 500) return payload;
    if ([401, 429].includes(reply.statusCode)) return payload;
    // Unconfirmable (database gone): the refusal stands; it tells the caller nothing it may not know.
    if (await authenticator.isCurrent(principal).catch(() => true)) return payload;
    try {
      request.principal = await authenticateAgain(request);
      return payload;
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      return errorPayload(reply, error);
    }
  });
  // With OIDC, every 401 offers both schemes (spec 9.3, RFC 6750 section 3): one WWW-Authenticate
  // field each. Registered after the hook above, so it sees the final status.
  if (bearer) {
    scope.addHook('onSend', async (request, reply, payload) => {
      if (reply.statusCode === 401) {
        const refused = bearerTokenOf(request) !== undefined ? ', error="invalid_token"' : '';
        reply.header('WWW-Authenticate', [`Basic ${REALM}`, `Bearer ${REALM}${refused}`]);
      }
      return payload;
    });
  }
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

/** The token of an `Authorization: Bearer …` header (whatever follows the scheme), else undefined. */
function bearerTokenOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string' || !/^[ \t]*bearer(?:[ \t]|$)/i.test(header)) return undefined;
  return header.trim().slice('bearer'.length).trim();
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
 * A bearer token (spec 9.3): refused tokens count towards the per-address throttle of section 7;
 * a valid one is mapped to its client (`osr oidc`). No cached key for the token and the issuer
 * unreachable: 503, never 401.
 */
async function authenticateBearer(request: FastifyRequest, bearer: BearerAuthenticator, token: string): Promise<void> {
  const { authenticator, loginRefused } = request.server;
  const retryAfterSeconds = await authenticator.addressRetryAfterSeconds(request.ip);
  if (retryAfterSeconds > 0) {
    loginRefused(request, { reason: 'throttled', scheme: 'bearer' });
    throw answers.tooManyRequests(retryAfterSeconds);
  }
  const outcome = await bearer.verify(token);
  if (!outcome.ok && outcome.reason === 'unavailable') {
    request.log.warn('bearer token refused for now: its signing key is not cached and the issuer could not be reached');
    const unavailable = answers.unavailable();
    throw new HttpError(unavailable.statusCode, unavailable.lists, {
      ...unavailable.headers,
      // The issuer is asked again only then.
      'Retry-After': String(Math.max(1, outcome.retryAfterSeconds)),
    });
  }
  if (!outcome.ok) {
    await refuseToken(request, { tokenProblem: outcome.problem, ...(outcome.claim ? { claim: outcome.claim } : {}) });
    return;
  }
  request.tokenClient = outcome.clientValue;
  const { principal, remembered } = await bearerPrincipalOrThrow(request, bearer, outcome.clientValue);
  request.principal = principal;
  request.credentialConfirmed = !remembered;
  addLogBindings(request.log, { client: principal.clientId, credential: principal.username });
}

async function bearerPrincipalOrThrow(
  request: FastifyRequest,
  bearer: BearerAuthenticator,
  clientValue: string,
): Promise<{ principal: Principal; remembered: boolean }> {
  const found = await bearer.principal(clientValue);
  if (found) return found;
  return refuseToken(request, { tokenProblem: 'UNMAPPED_CLIENT', tokenClient: clientValue });
}

async function refuseToken(request: FastifyRequest, details: Omit<LoginRefusal, 'reason' | 'scheme'>): Promise<never> {
  await request.server.authenticator.recordRefusedToken(request.ip);
  request.server.loginRefused(request, { reason: 'unauthorized', scheme: 'bearer', ...details });
  throw answers.unauthorized();
}

/**
 * The caller's principal read again from the database, after its remembered one turned out to be
 * out of date (the credential row or the token's mapping changed): 401/429 when it no longer
 * authenticates.
 */
async function authenticateAgain(request: FastifyRequest): Promise<Principal> {
  const bearer = request.server.bearerAuthenticator;
  if (request.tokenClient !== null && bearer) {
    bearer.forget(request.tokenClient);
    return (await bearerPrincipalOrThrow(request, bearer, request.tokenClient)).principal;
  }
  const { username, password } = basicCredentialsOf(request);
  request.server.authenticator.forget(username);
  return (await authenticateOrThrow(request, username, password)).principal;
}

/** Drops the caller's remembered principal: the next request reads its row again. */
function forgetPrincipal(request: FastifyRequest): void {
  if (request.tokenClient !== null) request.server.bearerAuthenticator?.forget(request.tokenClient);
  else request.server.authenticator.forget(basicCredentialsOf(request).username);
}

/**
 * Runs a route's statement, which re-checks the caller's credential row (or token mapping) in the
 * same round trip (the principal may come from memory). When it changed since — revoked,
 * rotated, removed, made read-only — the remembered principal is dropped, the caller is
 * authenticated again against the database (401/429 as usual, 403 for a write with a now
 * read-only credential) and the statement runs once more; if it changed yet again meanwhile, 401.
 */
export async function withCurrentCredential<T>(
  request: FastifyRequest,
  { write }: { write: boolean },
  statement: (principal: Principal) => Promise<Checked<T>>,
): Promise<T> {
  const first = await statement(principalOf(request));
  request.credentialConfirmed = true;
  if (first.credentialCurrent) return first.value;
  request.principal = await authenticateAgain(request);
  if (write) await requireWriteAccess(request);
  const second = await statement(request.principal);
  if (second.credentialCurrent) return second.value;
  forgetPrincipal(request);
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

/**
 * Route hook: read-only credentials may not change anything. A principal from memory is
 * confirmed first (the refusal's own round trip, which the answer needs anyway): a credential or
 * mapping made writable meanwhile is not refused.
 */
export async function requireWriteAccess(request: FastifyRequest): Promise<void> {
  const principal = principalOf(request);
  if (!principal.readOnly) return;
  if (!request.credentialConfirmed) {
    // Unconfirmable (database gone): the refusal stands, as in the onSend hook.
    const current = await request.server.authenticator.isCurrent(principal).catch(() => true);
    request.credentialConfirmed = true;
    if (!current) {
      request.principal = await authenticateAgain(request);
      if (!request.principal.readOnly) return;
    }
  }
  throw answers.forbidden();
}
