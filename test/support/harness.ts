import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import type { ZodType } from 'zod';
import type { BearerOptions } from '../../src/auth/bearer.js';
import { hashPassword } from '../../src/auth/password.js';
import type { TrustProxy } from '../../src/config.js';
import { seedMasterData } from '../../src/db/repositories/master-data-seed.js';
import { addOperator } from '../../src/db/repositories/operators.js';
import { DEFAULT_PROFILE, type ProcessingProfile } from '../../src/domain/process-delivery.js';
import {
  acceptedSchema,
  currentRolesSchema,
  deliveryResultSchema,
  errorEnvelopeSchema,
} from '../../src/domain/response-schema.js';
import { buildApp } from '../../src/http/app.js';
import { createLogger } from '../../src/logger.js';
import { Metrics } from '../../src/metrics.js';
import { DeliveryWorker } from '../../src/worker/worker.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { LogCapture } from './log-capture.js';

export const BASE = '/arge/on-site-roles/v1';

export interface Harness {
  app: FastifyInstance;
  database: TestDatabase;
  worker: DeliveryWorker | undefined;
  /** Everything the app and worker logged, and the personal data sent to them. */
  logs: LogCapture;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** The in-process worker (default on) and its claim loops (default 1). */
  worker?: boolean;
  workerLoops?: number;
  requestsPerMinute?: number;
  /**
   * Fail `close()` when personal data or a password sent to the app shows up in its log (default
   * on). Off only for fuzzing, whose random "names" (e.g. "length") also occur in paths and code.
   */
  checkLogs?: boolean;
  /** Default `trace`, the most verbose; a long fuzz run keeps only warnings in memory. */
  logLevel?: 'trace' | 'warn';
  /** Which proxies' X-Forwarded-For the app believes (default none). */
  trustProxy?: TrustProxy;
  /** The processing profile of app and worker (default `kalo`, spec 8.1). */
  profile?: ProcessingProfile;
  /** Bearer tokens of this OpenID Connect issuer next to Basic auth (spec 9.3; default none). */
  oidc?: BearerOptions;
}

/** The real app on a fresh database, with the real worker in process unless disabled. */
export async function startHarness({
  worker = true,
  workerLoops = 1,
  requestsPerMinute = 6000,
  checkLogs = true,
  logLevel = 'trace',
  trustProxy = false,
  profile = DEFAULT_PROFILE,
  oidc,
}: HarnessOptions = {}): Promise<Harness> {
  const database = await createTestDatabase();
  // The production logger configuration, at its most verbose unless told otherwise, into memory.
  const logs = new LogCapture();
  const logger = createLogger(logLevel, logs.stream);
  const metrics = new Metrics(database.handle.db);
  const deliveryWorker = worker
    ? new DeliveryWorker(database.handle, {
        profile,
        logger,
        pollIntervalMs: 200,
        loops: workerLoops,
        onProcessed: (delivery) => metrics.recordProcessed(delivery.status, delivery.receivedAt),
      })
    : undefined;
  await deliveryWorker?.start();
  const app = await buildApp({
    database: database.handle,
    logger,
    basePath: BASE,
    profile,
    requestsPerMinute,
    // the tests drive the app from its own event loop: that is not overload
    pressure: false,
    metrics,
    trustProxy,
    ...(oidc ? { oidc } : {}),
    ...(deliveryWorker ? { worker: deliveryWorker } : {}),
  });
  // Every request a test sends through app.inject: remember its personal data and password.
  if (checkLogs) {
    const inject = app.inject.bind(app) as (options: InjectOptions) => Promise<LightMyRequestResponse>;
    (app as unknown as { inject: typeof inject }).inject = (options: InjectOptions) => {
      logs.rememberBody(options.payload);
      logs.rememberAuthorization(options.headers?.authorization);
      return inject(options);
    };
  }
  return {
    app,
    database,
    worker: deliveryWorker,
    logs,
    async close() {
      await app.close();
      await deliveryWorker?.stop();
      await database.destroy();
      // Personal data and credentials never go to the logs (checked for every test file).
      const leaks = checkLogs ? logs.leaks() : [];
      if (leaks.length > 0) throw new Error(`personal data or credentials in the log: ${leaks.join(', ')}`);
    },
  };
}

export interface Seed {
  clients: { id: string; billingUnits: { mscnumber: string; contracts?: string[]; units: string[] }[] }[];
  credentials: { clientId: string; username: string; password: string; readOnly?: boolean }[];
}

/** Adds the master data and credentials (see `seedMasterData`); the passwords count as secrets of the log check. */
export async function seed(harness: Harness, data: Seed): Promise<void> {
  for (const credential of data.credentials) harness.logs.remember(credential.password);
  await seedMasterData(harness.database.handle.db, {
    clients: data.clients.map((client) => ({
      id: client.id,
      billingUnits: client.billingUnits.map((unit) => ({
        mscnumber: unit.mscnumber,
        ...(unit.contracts ? { contracts: unit.contracts } : {}),
        residentialUnits: unit.units,
      })),
    })),
    credentials: data.credentials,
  });
}

/** Adds operator accounts (spec 10.1, `osr operator add`); the passwords count as secrets of the log check. */
export async function seedOperators(
  harness: Harness,
  operators: { name: string; password: string; readOnly?: boolean }[],
): Promise<void> {
  for (const { name, password, readOnly = false } of operators) {
    harness.logs.remember(password);
    await addOperator(harness.database.handle.db, {
      name,
      password,
      passwordHash: await hashPassword(password),
      readOnly,
    });
  }
}

export const basic = (username: string, password: string) =>
  `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;

/**
 * Contract check on every answer the helpers below receive: the body must match the documented
 * schema of its status code (the same zod schemas that build the OpenAPI document).
 */
function conforming(success: ZodType) {
  return (response: LightMyRequestResponse): LightMyRequestResponse => {
    const schema = response.statusCode < 300 ? success : errorEnvelopeSchema;
    const checked = schema.safeParse(response.json());
    if (!checked.success) {
      throw new Error(`HTTP ${response.statusCode} body breaks its schema: ${checked.error.message}\n${response.body}`);
    }
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    return response;
  };
}

export function postDelivery(
  app: FastifyInstance,
  auth: string,
  bu: string,
  ru: string,
  body: unknown,
  headers: Record<string, string> = {},
) {
  return app
    .inject({
      method: 'POST',
      url: `${BASE}/billingunits/${bu}/residentialunits/${ru}/on-site-roles`,
      headers: { authorization: auth, 'content-type': 'application/json', ...headers },
      payload: typeof body === 'string' ? body : JSON.stringify(body),
    })
    .then(conforming(acceptedSchema));
}

export function getRoles(app: FastifyInstance, auth: string, bu: string, ru: string) {
  return app
    .inject({
      method: 'GET',
      url: `${BASE}/billingunits/${bu}/residentialunits/${ru}/on-site-roles`,
      headers: { authorization: auth },
    })
    .then(conforming(currentRolesSchema));
}

export function getResult(app: FastifyInstance, auth: string, bu: string, id: string) {
  return app
    .inject({
      method: 'GET',
      url: `${BASE}/billingunits/${bu}/on-site-roles/data-delivery/${id}`,
      headers: { authorization: auth },
    })
    .then(conforming(deliveryResultSchema));
}

/** Polls E3 as an ERP would, until the delivery is no longer PENDING. */
export async function awaitResult(app: FastifyInstance, auth: string, bu: string, id: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await getResult(app, auth, bu, id);
    const body = response.json();
    if (response.statusCode !== 200 || body.status !== 'PENDING') return body;
    if (Date.now() > deadline) throw new Error(`delivery ${id} still PENDING after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** POST, expect 202, then poll E3 until processed. */
export async function deliver(app: FastifyInstance, auth: string, bu: string, ru: string, body: unknown) {
  const response: LightMyRequestResponse = await postDelivery(app, auth, bu, ru, body);
  if (response.statusCode !== 202) throw new Error(`expected 202, got ${response.statusCode}: ${response.body}`);
  return awaitResult(app, auth, bu, response.json().dataDeliveryId);
}
