import type { FastifySchemaCompiler } from 'fastify';
import { z } from 'zod';
import { lastFeedPosition, readChanges } from '../../db/repositories/change-feed.js';
import { FINISHED_CHANNEL } from '../../db/repositories/finished-deliveries.js';
import {
  type ChangeFeedPage,
  changeFeedPageSchema,
  FEED_DEFAULT_LIMIT,
  FEED_MAX_LIMIT,
  parseChangeFeedQuery,
  UNKNOWN_CURSOR,
} from '../../domain/change-feed.js';
import { ChangeWaiters } from '../change-waiters.js';
import { DEFAULT_MAX_WAITERS, type Waiter } from '../delivery-waiters.js';
import { answers } from '../errors.js';
import { holdRequest } from '../hold-request.js';
import type { MscRoutePlugin } from '../msc-routes.js';
import { errorResponses } from '../openapi-examples.js';
import { preferredWaitSeconds } from '../prefer-wait.js';

/**
 * 10.2: `GET /msc/v1/changes`, the change feed. A thin shell: the query is validated by
 * parseChangeFeedQuery (src/domain/change-feed.ts), the page read by readChanges, whose single
 * statement sees a prefix of the commit-ordered feed (migrations/0009_change_feed.sql). With
 * `Prefer: wait=N` (as E3's, spec 9.1) a request that finds nothing after its cursor is held until
 * a change follows it or N s have passed (ChangeWaiters, released by the workers' notification).
 */

/**
 * The query as the document shows it (src/http/openapi-msc.ts describes each parameter).
 * Documentation only: parseChangeFeedQuery validates (its messages, every violation with `path`
 * `/query/<name>`, a repeated parameter refused), so the route's own validator lets the request
 * through as it came.
 */
const querySchema = z.object({
  after: z.string().optional(),
  limit: z.number().int().min(1).max(FEED_MAX_LIMIT).default(FEED_DEFAULT_LIMIT).optional(),
});
const headersSchema = z.object({ prefer: z.string().optional() });

const asItCame: FastifySchemaCompiler<unknown> = () => (data) => ({ value: data });

export const changesRoute: MscRoutePlugin =
  ({ db, database }) =>
  async (app) => {
    const waiters = new ChangeWaiters({
      max: DEFAULT_MAX_WAITERS,
      lastPosition: () => lastFeedPosition(db),
      onError: (error) =>
        app.log.warn({ err: error }, 'could not read the end of the change feed for waiting requests'),
    });
    // Any delivery that finished may have added changes; undefined (re)connected: some may have been missed.
    const unlisten = await database
      .listen(FINISHED_CHANNEL, () => waiters.check())
      .catch((error: unknown) => {
        // Without the notifications every wait would last until its time-out: nobody waits.
        app.log.warn(
          { err: error },
          'cannot hear of processed deliveries: the change feed answers at once, never waits',
        );
        waiters.close();
        return undefined;
      });
    app.addHook('preClose', async () => waiters.close());
    app.addHook('onClose', async () => unlisten?.());

    app.get(
      '/changes',
      {
        schema: {
          summary: 'The change feed: every applied role change, in commit order',
          operationId: 'getChanges',
          tags: ['msc'],
          security: [{ mscBasicAuth: [] }],
          querystring: querySchema,
          headers: headersSchema,
          response: { 200: changeFeedPageSchema, ...errorResponses([400, 401, 429, 500, 503]) },
        },
        validatorCompiler: asItCame,
      },
      async (request, reply) => {
        const parsed = parseChangeFeedQuery(request.query as Record<string, unknown>);
        if (!parsed.ok) throw answers.schema(parsed.violations);
        const { afterPosition, limit } = parsed.query;
        const read = async (): Promise<ChangeFeedPage> => {
          const page = await readChanges(db, afterPosition, limit);
          if (!page) throw answers.schema([UNKNOWN_CURSOR]);
          return page;
        };
        const waitSeconds = preferredWaitSeconds(request.headers.prefer);
        const deadline = Date.now() + (waitSeconds ?? 0) * 1_000;
        // Taken before the first read, so that no notification falls between that read and the
        // registration. Full or shutting down: answered at once.
        let waiter: Waiter | undefined =
          waitSeconds === undefined ? undefined : waiters.wait(afterPosition, waitSeconds * 1_000);
        try {
          let page = await read();
          if (page.changes.length > 0 || !waiter) return page;
          for (;;) {
            const end = await holdRequest(request, reply, waiter);
            if (end === 'cancelled') break; // the client went away
            // Else the server's close would wait for this kept-alive connection to idle out.
            if (end === 'shutdown') reply.header('Connection', 'close');
            page = await read();
            const remaining = deadline - Date.now();
            if (page.changes.length > 0 || end !== 'finished' || remaining <= 0) break;
            // Released, but nothing follows yet (a notification that was no change): wait on.
            waiter = waiters.wait(afterPosition, remaining);
            if (!waiter) break;
          }
          reply.header('Preference-Applied', `wait=${waitSeconds}`);
          return page;
        } finally {
          waiter?.cancel();
        }
      },
    );
  };
