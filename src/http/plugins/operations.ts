import { type Kysely, sql } from 'kysely';
import { isMigrated } from '../../db/migrate.js';
import type { Database } from '../../db/schema.js';
import type { Metrics } from '../../metrics.js';
import { OPERATIONAL_ROUTE_SCHEMAS } from '../openapi-operations.js';
import { inRegisteringScope } from './scope.js';

export interface OperationsOptions {
  db: Kysely<Database>;
  metrics: Metrics;
  /** The in-process worker, if any: /ready reports whether it runs. */
  worker?: { readonly running: boolean } | undefined;
}

/**
 * The operational endpoints of spec section 7, outside authentication and the rate limits:
 * /health, /ready, /metrics; and the request durations /metrics reports, for every request.
 */
export const operations = inRegisteringScope('operations', async (app, { db, metrics, worker }: OperationsOptions) => {
  app.addHook('onResponse', async (request, reply) => {
    if (reply.statusCode === 429) metrics.tooManyRequests.inc();
    metrics.httpDuration.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status_code: reply.statusCode },
      reply.elapsedTime / 1000,
    );
  });

  app.get('/metrics', { schema: OPERATIONAL_ROUTE_SCHEMAS.metrics }, async (_request, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
  app.get('/health', { schema: OPERATIONAL_ROUTE_SCHEMAS.health }, async () => ({ status: 'UP' }));
  // Not the error envelope: a 503 here is for load balancers and operators, and says which check failed.
  app.get('/ready', { schema: OPERATIONAL_ROUTE_SCHEMAS.ready }, async (_request, reply) => {
    const checks = { database: false, migrated: false, worker: worker?.running ?? true };
    try {
      await sql`SELECT 1`.execute(db);
      checks.database = true;
      checks.migrated = await isMigrated(db);
    } catch {
      // reported below
    }
    const ready = checks.database && checks.migrated && checks.worker;
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'READY' : 'NOT_READY', checks });
  });
});
