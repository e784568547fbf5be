import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import { Authenticator } from '../auth/authenticator.js';
import type { TrustProxy } from '../config.js';
import type { DatabaseHandle } from '../db/connection.js';
import { credentialIsCurrent, findCredential } from '../db/repositories/credentials.js';
import { createWorkerWaker } from '../db/repositories/deliveries.js';
import type { ProcessingProfile } from '../domain/process-delivery.js';
import { Metrics } from '../metrics.js';
import { registerAuth } from './auth.js';
import { BODY_LIMIT_BYTES, MAX_HEADER_BYTES } from './limits.js';
import { documentRoutes, serveDocumentation } from './openapi.js';
import { DEFAULT_REQUEST_TIMEOUT_MS, deadlineServerOptions, deadlines } from './plugins/deadlines.js';
import { errorServerOptions, errors } from './plugins/errors.js';
import { operations } from './plugins/operations.js';
import { overloadProtection, type PressureThresholds } from './plugins/overload.js';
import { requestIdServerOptions, requestIds } from './plugins/request-ids.js';
import { validation } from './plugins/validation.js';
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
}

/**
 * The app, composed of plugins with one job each (src/http/plugins/): the OpenAPI document's
 * collector (first, so it sees every route), validation, request ids, deadlines, operational
 * endpoints, the error envelope; then /docs and /openapi.json and, below `basePath`, overload
 * protection, authentication and the routes E1–E3.
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
  await documentRoutes(app, { basePath, vendorKey: options.profile.vendorKey });
  await app.register(validation);
  await app.register(requestIds);
  await app.register(deadlines, { bodyDeadlineMs: requestTimeoutMs });
  await app.register(operations, { db: database.db, metrics, worker: options.worker });
  await app.register(errors);
  await serveDocumentation(app);

  const authenticator = new Authenticator({
    find: (username) => findCredential(database.db, username),
    isCurrent: (principal) => credentialIsCurrent(database.db, principal),
  });
  authenticator.prepare();
  const context: RouteContext = {
    db: database.db,
    basePath,
    profile: options.profile,
    metrics,
    wakeWorkers: workerWaker(app, options),
  };
  await app.register(
    async (api) => {
      if (options.pressure !== false) await api.register(overloadProtection, options.pressure ?? {});
      await registerAuth(api, { authenticator, requestsPerMinute: options.requestsPerMinute, metrics });
      await api.register(submitDeliveryRoute(context));
      await api.register(currentRolesRoute(context));
      await api.register(deliveryResultRoute(context));
    },
    { prefix: basePath },
  );
  return app;
}

/** A hop count as Fastify's trust function (proxy-addr's: trust the `hops` nearest addresses). */
function fastifyTrustProxy(trust: TrustProxy): boolean | string[] | ((address: string, hop: number) => boolean) {
  return typeof trust === 'number' ? (_address, hop) => hop < trust : trust;
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
