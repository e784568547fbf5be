import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import { Authenticator } from '../auth/authenticator.js';
import { BearerAuthenticator, type BearerOptions } from '../auth/bearer.js';
import type { TrustProxy } from '../config.js';
import { registerConsole } from '../console/index.js';
import { createAcceptBatcher } from '../db/accept-batcher.js';
import type { DatabaseHandle } from '../db/connection.js';
import { credentialStore } from '../db/repositories/credentials.js';
import { createWorkerWaker } from '../db/repositories/deliveries.js';
import { LOGIN_LOCKOUT_CHANNEL } from '../db/repositories/login-failures.js';
import { findBearerPrincipal } from '../db/repositories/oidc-clients.js';
import { operatorStore } from '../db/repositories/operators.js';
import { DEFAULT_IDEMPOTENCY_RETENTION_HOURS } from '../domain/idempotency-key.js';
import type { ProcessingProfile } from '../domain/process-delivery.js';
import { Metrics } from '../metrics.js';
import { registerAuth } from './auth.js';
import { DEFAULT_MAX_WAITERS } from './delivery-waiters.js';
import { startDeliveryWaiting } from './delivery-waiting.js';
import { BODY_LIMIT_BYTES, MAX_HEADER_BYTES } from './limits.js';
import { registerMscScope } from './msc-scope.js';
import { documentRoutes, serveDocumentation } from './openapi.js';
import { DEFAULT_REQUEST_TIMEOUT_MS, deadlineServerOptions, deadlines } from './plugins/deadlines.js';
import { errorServerOptions, errors } from './plugins/errors.js';
import { operations } from './plugins/operations.js';
import { overloadProtection, type PressureThresholds } from './plugins/overload.js';
import { requestIdServerOptions, requestIds } from './plugins/request-ids.js';
import { validation } from './plugins/validation.js';
import { ProcessedResults } from './processed-results.js';
import type { RouteContext } from './routes/context.js';
import { currentRolesRoute } from './routes/current-roles.js';
import { deliveryResultRoute } from './routes/delivery-result.js';
import { submitDeliveryRoute } from './routes/submit-delivery.js';

export interface AppOptions {
  database: DatabaseHandle;
  logger: Logger;
  basePath: string;
  profile: ProcessingProfile;
  requestsPerMinute: number;
  /**
   * The in-process worker, if any: /ready reports whether it runs, and E1 wakes it directly
   * (other processes' workers are woken by NOTIFY).
   */
  worker?: { readonly running: boolean; wake(): void };
  /** Shared with an in-process worker; created when absent. */
  metrics?: Metrics;
  /**
   * Overload protection of E1–E3 (503); thresholds of @fastify/under-pressure. `false` turns it
   * off, for load generators that share this process's event loop (tests, fuzzing).
   */
  pressure?: false | PressureThresholds;
  /** Time for a whole request to arrive (slow clients get 408); default 30 s. */
  requestTimeoutMs?: number;
  /**
   * Which reverse proxies' X-Forwarded-For to believe for `request.ip` (the per-address login
   * throttle and the logs); default none.
   */
  trustProxy?: TrustProxy;
  /** E3 requests that may wait at once (`Prefer: wait`, spec 9.1); default 1000, 0: none. */
  maxWaiters?: number;
  /** How long E1 keeps an `Idempotency-Key` after its first request (spec 9.2); default 24. */
  idempotencyRetentionHours?: number;
  /** Bearer tokens of this OpenID Connect issuer next to Basic auth (spec 9.3); default none. */
  oidc?: BearerOptions;
  /** Signs the support console's session cookies (OSR_CONSOLE_SECRET); default: a key kept in the database. */
  consoleSecret?: string | undefined;
}

/**
 * The app, composed of plugins with one job each (src/http/plugins/): the OpenAPI document's
 * collector (first, so it sees every route), validation, request ids, deadlines, operational
 * endpoints, the error envelope; then /docs and /openapi.json and, below `basePath`, overload
 * protection, authentication and the routes E1–E3; below `/msc/v1`, the metering company's side
 * with its operator accounts (src/http/msc-scope.ts, spec section 10); at `/console`, the support
 * console for the same operators (src/console/, spec 10.5).
 */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { database, logger, basePath } = options;
  const requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const deadlineOptions = deadlineServerOptions(requestTimeoutMs);
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    trustProxy: fastifyTrustProxy(options.trustProxy ?? false),
    bodyLimit: BODY_LIMIT_BYTES,
    // A path parameter of any length reaches the route (a malformed {bu}/{ru} gets D1/D2, however
    // long); the header limit, which counts the request line too, bounds it over HTTP.
    routerOptions: { maxParamLength: MAX_HEADER_BYTES },
    ...deadlineOptions,
    // Headers over 16 KiB: Node's parser refuses them, the errors plugin answers 431.
    http: { ...deadlineOptions.http, maxHeaderSize: MAX_HEADER_BYTES },
    ...requestIdServerOptions,
    ...errorServerOptions,
  }).withTypeProvider<ZodTypeProvider>();

  const metrics = options.metrics ?? new Metrics(database.db);
  // Order matters: hooks and handlers of these plugins apply to what is registered after them.
  await documentRoutes(app, { basePath, profile: options.profile });
  await app.register(validation);
  await app.register(requestIds);
  await app.register(deadlines, { bodyDeadlineMs: requestTimeoutMs });
  await app.register(operations, { db: database.db, metrics, worker: options.worker });
  await app.register(errors);
  await serveDocumentation(app);

  const authenticator = new Authenticator(credentialStore(database.db), {
    onBackgroundError: (error) => logger.warn({ err: error }, 'could not announce a login lock-out'),
  });
  authenticator.prepare();
  // Spec 10.1: the operators of /msc/v1 have an authenticator of their own, over their own table;
  // their usernames are counted apart from the clients' by the shared throttle.
  const operatorAuthenticator = new Authenticator(operatorStore(database.db), {
    onBackgroundError: (error) => logger.warn({ err: error }, 'could not announce a login lock-out'),
    usernameKeyPrefix: 'operator:',
  });
  operatorAuthenticator.prepare();
  await shareLoginLockouts(app, options, authenticator, operatorAuthenticator);
  const context: RouteContext = {
    db: database.db,
    acceptBatcher: createAcceptBatcher(database.db),
    basePath,
    profile: options.profile,
    metrics,
    wakeWorkers: workerWaker(app, options),
    idempotencyRetentionHours: options.idempotencyRetentionHours ?? DEFAULT_IDEMPOTENCY_RETENTION_HOURS,
  };
  const waiters = await startDeliveryWaiting(app, {
    database,
    logger,
    metrics,
    max: options.maxWaiters ?? DEFAULT_MAX_WAITERS,
  });
  await app.register(
    async (api) => {
      if (options.pressure !== false) await api.register(overloadProtection, options.pressure ?? {});
      await registerAuth(api, {
        authenticator,
        ...(options.oidc ? { bearer: bearerAuthenticator(options.oidc, options) } : {}),
        requestsPerMinute: options.requestsPerMinute,
        metrics,
      });
      await api.register(submitDeliveryRoute(context));
      await api.register(currentRolesRoute(context));
      await api.register(deliveryResultRoute(context, waiters, new ProcessedResults()));
    },
    { prefix: basePath },
  );
  await registerMscScope(app, {
    authenticator: operatorAuthenticator,
    context: { ...context, database },
    requestsPerMinute: options.requestsPerMinute,
    metrics,
    ...(options.pressure === undefined ? {} : { pressure: options.pressure }),
  });
  // Spec 10.5: the support console at /console, for the same operators (src/console/).
  await registerConsole(app, {
    db: database.db,
    operatorAuthenticator,
    profile: options.profile,
    metrics,
    secret: options.consoleSecret,
  });
  return app;
}

/** Bearer tokens (spec 9.3): the mapping is read from the database, the issuer's failures logged. */
function bearerAuthenticator(oidc: BearerOptions, { database, logger }: AppOptions): BearerAuthenticator {
  return new BearerAuthenticator(
    oidc,
    { find: (clientValue) => findBearerPrincipal(database.db, clientValue) },
    (error, url) => logger.warn({ err: error, url }, "could not read the OIDC issuer's signing keys"),
  );
}

/** A hop count as Fastify's trust function (proxy-addr's: trust the `hops` nearest addresses). */
function fastifyTrustProxy(trust: TrustProxy): boolean | string[] | ((address: string, hop: number) => boolean) {
  return typeof trust === 'number' ? (_address, hop) => hop < trust : trust;
}

/**
 * The login lock-outs of every API process (spec section 7): loaded at start, and again whenever
 * another process announces one (or announcements may have been missed), so that a remembered
 * principal or a bearer token is refused without a round trip (see Authenticator).
 */
async function shareLoginLockouts(
  app: FastifyInstance,
  { database, logger }: AppOptions,
  ...authenticators: Authenticator[]
) {
  let closing = false;
  const refresh = () => {
    if (closing) return;
    for (const authenticator of authenticators) {
      authenticator.refreshLockouts().catch((error) => {
        if (!closing) logger.warn({ err: error }, 'could not load the login lock-outs');
      });
    }
  };
  const unlisten = await database.listen(LOGIN_LOCKOUT_CHANNEL, refresh).catch((error) => {
    logger.warn({ err: error }, 'cannot hear of login lock-outs in other processes');
    return undefined;
  });
  refresh();
  app.addHook('onClose', async () => {
    closing = true;
    await unlisten?.();
  });
}

/** Wakes the in-process worker directly and the other processes' workers by NOTIFY. */
function workerWaker(app: FastifyInstance, { database, logger, worker }: AppOptions): () => void {
  const notifyWorkers = createWorkerWaker(database.db, (error) =>
    logger.warn({ err: error }, 'could not wake the workers'),
  );
  let closing = false;
  app.addHook('onClose', async () => {
    closing = true; // the pool may be gone any moment: no more NOTIFYs
  });
  return () => {
    worker?.wake();
    if (!closing) notifyWorkers();
  };
}
