import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import underPressure from '@fastify/under-pressure';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifySchemaCompiler } from 'fastify';
import { serializerCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { ZodType } from 'zod';
import { Authenticator } from '../auth/authenticator.js';
import type { DatabaseHandle } from '../db/connection.js';
import { isDatabaseUnavailable } from '../db/errors.js';
import { isMigrated } from '../db/migrate.js';
import { findCredential } from '../db/repositories/credentials.js';
import { createWorkerWaker } from '../db/repositories/deliveries.js';
import { HTTP } from '../domain/messages.js';
import type { ProcessingProfile } from '../domain/process-delivery.js';
import { Metrics } from '../metrics.js';
import { registerAuth, UNAUTHORIZED_HEADERS } from './auth.js';
import { HttpError, jsonPointer, SchemaError, sendError } from './errors.js';
import { BODY_LIMIT_BYTES, registerJsonBodyParser } from './json-body.js';
import { registerOpenApi } from './openapi.js';
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
  pressure?:
    | false
    | {
        maxEventLoopDelay?: number;
        maxEventLoopUtilization?: number;
        maxHeapUsedBytes?: number;
        sampleInterval?: number;
      };
  /** Time for a whole request to arrive (slow clients get 408); default 30 s. */
  requestTimeoutMs?: number;
}

// Only event-loop delay: a busy loop (high utilisation) at full load is not overload; a stalled one is.
const DEFAULT_PRESSURE = { maxEventLoopDelay: 1_000 };

const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const RETRY_AFTER_UNAVAILABLE_SECONDS = '5';

/** Zod validation that reports every violation with a JSON pointer (OSR-SCHEMA). */
const validatorCompiler: FastifySchemaCompiler<ZodType> =
  ({ schema }) =>
  (data) => {
    const result = schema.safeParse(data);
    if (result.success) return { value: result.data };
    return {
      error: new SchemaError(
        result.error.issues.map((issue) => ({ message: issue.message, path: jsonPointer(issue.path) })),
      ),
    };
  };

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { database, logger, basePath } = options;
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT_BYTES,
    routerOptions: { maxParamLength: 200 },
    // Slow clients: a request must arrive completely within 30 s; idle connections close.
    requestTimeout: options.requestTimeoutMs ?? 30_000,
    connectionTimeout: 60_000,
    keepAliveTimeout: 10_000,
    // connectionsCheckingInterval: how often Node enforces requestTimeout on slow connections.
    http: { maxHeaderSize: 16_384, connectionsCheckingInterval: 1_000 } as { maxHeaderSize: number },
    clientErrorHandler: answerClientError,
    genReqId: (request) => {
      const offered = request.headers['x-request-id'];
      return typeof offered === 'string' && SANE_REQUEST_ID.test(offered) ? offered : randomUUID();
    },
    // Errors Fastify raises before routing (bad URL encoding, over-long path parameters) get the
    // envelope and the request id too.
    frameworkErrors: (error, request, reply) => {
      reply.header('X-Request-Id', request.id);
      if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
        return sendError(reply, 404, { messages: [{ ...HTTP.notFound }] });
      }
      return sendError(reply, 400, {
        messages: [{ key: HTTP.schema.key, message: 'Malformed request URL.', path: '' }],
      });
    },
    // Validation errors arrive as SchemaError from our compiler; keep them intact.
    schemaErrorFormatter: (errors) => {
      const first = errors[0] as unknown as { cause?: unknown } | undefined;
      return first instanceof SchemaError ? first : new SchemaError([{ message: 'Invalid request.', path: '' }]);
    },
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerJsonBodyParser(app);

  const metrics = options.metrics ?? new Metrics(database.db);
  app.addHook('onRequest', async (request, reply) => {
    reply.header('X-Request-Id', request.id);
  });
  // Node enforces requestTimeout only until the headers are in; a body that trickles in is cut
  // off here, with the envelope, so slow clients cannot hold connections and memory.
  const bodyDeadlineMs = options.requestTimeoutMs ?? 30_000;
  app.addHook('onRequest', async (request, reply) => {
    if (request.raw.complete) return;
    const timer = setTimeout(() => {
      if (request.raw.complete || reply.sent) return;
      reply.header('Connection', 'close');
      reply.raw.once('finish', () => request.raw.socket?.destroy());
      sendError(reply, 408, { messages: [{ ...HTTP.requestTimeout }] });
    }, bodyDeadlineMs);
    timer.unref();
    request.raw.once('end', () => clearTimeout(timer));
    reply.raw.once('close', () => clearTimeout(timer));
  });
  app.addHook('onResponse', async (request, reply) => {
    metrics.httpDuration.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status_code: reply.statusCode },
      reply.elapsedTime / 1000,
    );
  });

  app.setNotFoundHandler((_request, reply) => sendError(reply, 404, { messages: [{ ...HTTP.notFound }] }));
  app.setErrorHandler((error, request, reply) => {
    if (error instanceof HttpError) {
      return sendError(reply.headers(error.headers), error.statusCode, error.lists);
    }
    if (error instanceof SchemaError || (error as { validation?: unknown }).validation) {
      const violations =
        error instanceof SchemaError ? error.violations : [{ message: (error as Error).message, path: '' }];
      return sendError(reply, 400, {
        messages: violations.map((v) => ({ key: HTTP.schema.key, message: v.message, path: v.path })),
      });
    }
    if (isDatabaseUnavailable(error) || isDatabaseUnavailable((error as Error).cause)) {
      request.log.warn({ err: error }, 'database unavailable');
      reply.header('Retry-After', RETRY_AFTER_UNAVAILABLE_SECONDS);
      return sendError(reply, 503, { messages: [{ ...HTTP.unavailable }] });
    }
    const code = (error as { code?: string }).code;
    const statusCode = (error as { statusCode?: number }).statusCode;
    if (code === 'FST_ERR_CTP_BODY_TOO_LARGE' || statusCode === 413) {
      return sendError(reply, 413, { messages: [{ ...HTTP.payloadTooLarge }] });
    }
    if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || statusCode === 415) {
      return sendError(reply, 415, { messages: [{ ...HTTP.unsupportedMediaType }] });
    }
    if (statusCode === 401) {
      // Missing or malformed Authorization header (from @fastify/basic-auth).
      return sendError(reply.headers(UNAUTHORIZED_HEADERS), 401, { messages: [{ ...HTTP.unauthorized }] });
    }
    if (statusCode !== undefined && statusCode >= 400 && statusCode < 500) {
      // Other client errors Fastify raises (e.g. malformed URL encoding).
      return sendError(reply, 400, { messages: [{ key: HTTP.schema.key, message: 'Malformed request.', path: '' }] });
    }
    request.log.error({ err: error }, 'unexpected error');
    return sendError(reply, 500, { messages: [{ ...HTTP.technicalError }] });
  });

  await registerOpenApi(app, basePath);
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
  app.get('/health', { schema: { hide: true } }, async () => ({ status: 'UP' }));
  app.get('/ready', { schema: { hide: true } }, async (_request, reply) => {
    const checks = { database: false, migrated: false, worker: options.worker?.running ?? true };
    try {
      await sql`SELECT 1`.execute(database.db);
      checks.database = true;
      checks.migrated = await isMigrated(database.db);
    } catch {
      // reported below
    }
    const ready = checks.database && checks.migrated && checks.worker;
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'READY' : 'NOT_READY', checks });
  });

  const authenticator = new Authenticator((username) => findCredential(database.db, username));
  authenticator.prepare();
  const notifyWorkers = createWorkerWaker(database.db, (error) =>
    logger.warn({ err: error }, 'could not wake the workers'),
  );
  let closing = false;
  app.addHook('onClose', async () => {
    closing = true; // the pool may be gone any moment: no more NOTIFYs
  });
  const wakeWorkers = () => {
    options.worker?.wake();
    if (!closing) notifyWorkers();
  };
  const context = { db: database.db, basePath, profile: options.profile, metrics, wakeWorkers };
  await app.register(
    async (api) => {
      if (options.pressure !== false) {
        await api.register(underPressure, {
          ...DEFAULT_PRESSURE,
          ...options.pressure,
          // Shed load with the envelope instead of falling over.
          pressureHandler: (_request, reply) => {
            reply.header('Retry-After', RETRY_AFTER_UNAVAILABLE_SECONDS);
            sendError(reply, 503, { messages: [{ ...HTTP.unavailable }] });
          },
        });
      }
      await registerAuth(api, { authenticator, requestsPerMinute: options.requestsPerMinute });
      await api.register(submitDeliveryRoute(context));
      await api.register(currentRolesRoute(context));
      await api.register(deliveryResultRoute(context));
    },
    { prefix: basePath },
  );
  return app;
}

/**
 * Errors Node's HTTP parser raises before Fastify sees a request (oversized headers, a request
 * that did not arrive in time, garbage): answered with the envelope where the socket still allows.
 */
function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (!socket.writable) {
    socket.destroy(error);
    return;
  }
  const [status, reason, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large', HTTP.headersTooLarge]
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', HTTP.requestTimeout]
        : [400, 'Bad Request', { key: HTTP.schema.key, message: 'Malformed HTTP request.' }];
  const body = JSON.stringify({ status: 'FAIL', messages: [message], roleMessages: null, partnerMessages: null });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
