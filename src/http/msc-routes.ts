import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { DatabaseHandle } from '../db/connection.js';
import type { RouteContext } from './routes/context.js';
import { changesRoute } from './routes/msc-changes.js';
import { uviRecipientsRoute } from './routes/msc-uvi-recipients.js';

/**
 * The routes of the metering company's own side (spec section 10), below `/msc/v1`. The scope
 * (src/http/msc-scope.ts) registers each of them after its operator authentication (10.1), so
 * every route here is reached only with an operator's credentials; a route that changes
 * anything adds `requireOperatorWriteAccess` (src/http/msc-scope.ts) as its preHandler.
 *
 * Paths inside a plugin are relative to `/msc/v1` (e.g. `/uvi-recipients`).
 */

/** What the /msc/v1 routes get: the E1–E3 routes' context, and the database handle (LISTEN, e.g. for `Prefer: wait`). */
export interface MscRouteContext extends RouteContext {
  database: DatabaseHandle;
}

export type MscRoutePlugin = (context: MscRouteContext) => FastifyPluginAsyncZod;

/** Every route plugin of the scope, in registration order. Add a new route's plugin here. */
export const MSC_ROUTES: readonly MscRoutePlugin[] = [
  changesRoute, // 10.2
  uviRecipientsRoute, // 10.3
];
