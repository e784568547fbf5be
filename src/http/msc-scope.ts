import basicAuth from '@fastify/basic-auth';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Authenticator, AuthOutcome } from '../auth/authenticator.js';
import { HTTP } from '../domain/messages.js';
import { addLogBindings } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { UnexpectedAuthError } from './auth.js';
import { answers, HttpError } from './errors.js';
import { MSC_ROUTES, type MscRouteContext } from './msc-routes.js';
import { overloadProtection, type PressureThresholds } from './plugins/overload.js';

/**
 * The metering company's own side (spec section 10) below `/msc/v1`: its routes (src/http/
 * msc-routes.ts) behind operator accounts (10.1).
 *
 * Strictly apart from the clients' side, both ways: this scope authenticates HTTP Basic against
 * the `operators` table only (its own Authenticator over src/db/repositories/operators.ts), so a
 * client credential, Basic or Bearer, gets 401 here; and E1–E3 authenticate against the clients'
 * credentials only, so an operator gets 401 there — also when an operator and a client credential
 * share a name. Same password storage (scrypt), the same failed-login throttle (spec section 7;
 * the operators' usernames counted apart from the clients', the source address together) and the
 * same error envelope; a 401 here challenges `Basic realm="on-site-roles-msc"`.
 *
 * Revoked or rotated at once: a principal remembered from an earlier request (no scrypt, see
 * Authenticator) is checked against its operator row (osr_operator_current) before the route
 * runs, one indexed read; a changed row makes the request authenticate against the database
 * again. Checked per request rather than inside each route's statement (as E1–E3 do) so that
 * every route of the scope, present and future, is covered without carrying the check in its own
 * SQL; the operators' traffic is small, the extra round trip of a remembered principal cheap.
 */

export const MSC_BASE_PATH = '/msc/v1';
export const MSC_REALM = 'on-site-roles-msc';
export const MSC_CHALLENGE = `Basic realm="${MSC_REALM}"`;

/** The operator a request of the scope authenticated as; its row was current when the request began. */
export interface OperatorPrincipal {
  name: string;
  readOnly: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set in the /msc/v1 scope only (src/http/msc-scope.ts); null elsewhere. */
    operator: OperatorPrincipal | null;
  }
}

/** `401` `OSR-401` with the operators' challenge. */
export const mscUnauthorized = (): HttpError =>
  HttpError.of(401, HTTP.unauthorized, { 'WWW-Authenticate': MSC_CHALLENGE });

export interface MscScopeOptions {
  /** Over the operators (src/db/repositories/operators.ts operatorStore), never the clients' credentials. */
  authenticator: Authenticator;
  context: MscRouteContext;
  /** Per operator and minute, as per credential on E1–E3 (spec section 7). */
  requestsPerMinute: number;
  metrics: Metrics;
  /** Overload protection as on E1–E3; false: off. */
  pressure?: false | PressureThresholds;
}

/** Registers `/msc/v1` with its authentication and every route of MSC_ROUTES. */
export async function registerMscScope(app: FastifyInstance, options: MscScopeOptions): Promise<void> {
  await app.register(
    async (msc) => {
      if (options.pressure !== false) await msc.register(overloadProtection, options.pressure ?? {});
      await registerOperatorAuth(msc, options);
      for (const route of MSC_ROUTES) await msc.register(route(options.context));
    },
    { prefix: MSC_BASE_PATH },
  );
}

async function registerOperatorAuth(
  msc: FastifyInstance,
  { authenticator, requestsPerMinute, metrics }: MscScopeOptions,
): Promise<void> {
  msc.decorateRequest('operator', null);
  const refused = (request: FastifyRequest, reason: 'unauthorized' | 'throttled', operator?: string) => {
    metrics.loginRefusals.inc({ reason });
    // Only a name that is an operator's: an unknown one may be a mistyped password.
    request.log.warn(
      { reason, scope: 'msc', ...(operator ? { operator } : {}), sourceAddress: request.ip },
      'login refused',
    );
  };
  await msc.register(basicAuth, {
    authenticate: false,
    async validate(name, password, request) {
      const outcome = await currentOutcome(authenticator, name, password, request.ip);
      if (outcome.ok) {
        request.operator = { name: outcome.principal.username, readOnly: outcome.principal.readOnly };
        // Every later line of this request names the operator (never the password).
        addLogBindings(request.log, { operator: outcome.principal.username });
        return;
      }
      if (outcome.reason === 'throttled') {
        refused(request, 'throttled');
        throw answers.tooManyRequests(outcome.retryAfterSeconds);
      }
      refused(request, 'unauthorized', outcome.knownUsername ? name : undefined);
      throw mscUnauthorized();
    },
  });
  // Basic only: a bearer token (a client's, spec 9.3) or no credentials fail here as malformed.
  msc.addHook('onRequest', msc.basicAuth);
  // Every 401 of the scope, whoever raised it (e.g. @fastify/basic-auth through the app's error
  // handler), challenges for the operators' realm.
  msc.addHook('onSend', async (_request, reply, payload) => {
    if (reply.statusCode === 401) reply.header('WWW-Authenticate', MSC_CHALLENGE);
    return payload;
  });
  await msc.register(rateLimit, {
    max: requestsPerMinute,
    timeWindow: 60_000,
    keyGenerator: (request) => `operator:${request.operator?.name ?? request.ip}`,
    errorResponseBuilder: () => answers.tooManyRequests(),
    onExceeded: (request) => request.log.warn({ limitPerMinute: requestsPerMinute }, 'request rate limit exceeded'),
  });
}

/**
 * The authenticator's outcome, with a principal remembered from an earlier request confirmed
 * against its row first: when the row changed (revoked, rotated, access changed), the remembered
 * principal is dropped and the row decides, as for a first sign-in. The console's sign-in form
 * (src/console/routes/sign-in.ts) asks it too.
 */
export async function currentOutcome(
  authenticator: Authenticator,
  name: string,
  password: string,
  sourceAddress: string,
): Promise<AuthOutcome> {
  // Not an authentication failure (e.g. the database is gone): keep the plugin from turning it into a 401.
  const unexpected = (error: unknown): never => {
    throw new UnexpectedAuthError(error);
  };
  const outcome = await authenticator.authenticate(name, password, sourceAddress).catch(unexpected);
  if (!outcome.ok || !outcome.remembered) return outcome;
  if (await authenticator.isCurrent(outcome.principal).catch(unexpected)) return outcome;
  authenticator.forget(name);
  return authenticator.authenticate(name, password, sourceAddress).catch(unexpected);
}

/** The operator of a request of the scope. */
export function operatorOf(request: FastifyRequest): OperatorPrincipal {
  if (!request.operator) throw mscUnauthorized();
  return request.operator;
}

/**
 * Route hook (preHandler) for every /msc/v1 route that changes something: a read-only operator
 * may read everything under /msc/v1 but change nothing (spec 10.1), `403` `OSR-403`. The
 * operator's row was confirmed when the request began, so its access is the current one.
 */
export async function requireOperatorWriteAccess(request: FastifyRequest): Promise<void> {
  if (operatorOf(request).readOnly) throw answers.forbidden();
}
