import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../../src/db/schema.js';
import {
  acceptedSchema,
  currentRolesSchema,
  deliveryResultSchema,
  errorEnvelopeSchema,
} from '../../src/domain/response-schema.js';
import { MESSAGE } from '../support/spec.js';
import { type FuzzOptions, fuzzRequest } from './requests.js';

export interface FuzzReport {
  requests: number;
  byStatus: Record<number, number>;
  violations: string[];
}

const successSchema = (method: string, url: string) =>
  method === 'POST' ? acceptedSchema : url.includes('/data-delivery/') ? deliveryResultSchema : currentRolesSchema;

/**
 * Sends `count` generated requests through the app and checks each answer: never a 5xx, always
 * JSON, a success body that matches its schema, otherwise the error envelope.
 */
export async function fuzzApp(
  app: FastifyInstance,
  { base, auth, count, seed, ...options }: { base: string; auth: string; count: number; seed: number } & FuzzOptions,
): Promise<FuzzReport> {
  const report: FuzzReport = { requests: 0, byStatus: {}, violations: [] };
  const requests = fc.sample(fuzzRequest(base, auth, options), { numRuns: count, seed });
  for (const request of requests) {
    const response = await app.inject(request);
    report.requests += 1;
    report.byStatus[response.statusCode] = (report.byStatus[response.statusCode] ?? 0) + 1;
    const problem = (what: string) =>
      report.violations.length < 20 &&
      report.violations.push(
        `${what}: ${request.method} ${request.url.slice(0, 120)} → ${response.statusCode} ${response.body.slice(0, 200)}`,
      );
    if (response.statusCode >= 500) problem('5xx');
    if (!String(response.headers['content-type']).startsWith('application/json')) {
      problem('not JSON');
      continue;
    }
    const schema = response.statusCode < 300 ? successSchema(request.method, request.url) : errorEnvelopeSchema;
    if (!schema.safeParse(response.json()).success) problem('body breaks its schema');
  }
  return report;
}

/** After the worker drained: nothing stuck, and no delivery hit an unexpected error. */
export async function checkProcessedDeliveries(
  db: Kysely<Database>,
): Promise<{ pending: number; unexpected: number; total: number }> {
  const rows = await db.selectFrom('deliveries').select(['status', 'role_messages', 'messages']).execute();
  const unexpectedTexts = [MESSAGE.INSERT_UNEXPECTED, MESSAGE.UPDATE_UNEXPECTED, MESSAGE.DELETE_UNEXPECTED].map(
    (said) => said.message,
  );
  const unexpected = rows.filter((row) =>
    unexpectedTexts.some((text) => JSON.stringify([row.role_messages, row.messages]).includes(text)),
  );
  return {
    pending: rows.filter((row) => row.status === 'PENDING').length,
    unexpected: unexpected.length,
    total: rows.length,
  };
}
