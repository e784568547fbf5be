import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChangeFeedItem, changeFeedPageSchema, decodeFeedCursor } from '../../src/domain/change-feed.js';
import { expectedFeed, verifyFeed } from '../support/change-feed-check.js';
import { multiConnectionSkipReason } from '../support/database.js';
import { basic, type Harness, postDelivery, seed, seedOperators, startHarness } from '../support/harness.js';
import { type OsrProcess, startOsr, waitFor } from '../support/processes.js';
import { chainedDelivery } from '../support/spec.js';

/**
 * Spec 10.2's guarantee under concurrency, with real processes: three worker processes (two claim
 * loops each, small batches) commit at the same moments while a consumer reads
 * `GET /msc/v1/changes` in a loop all the while (limit 50, `Prefer: wait` when it is at the end),
 * always passing the `next` it got. At the end it has seen every applied change of every SUCCESS
 * delivery exactly once, in commit order (see verifyFeed).
 */

const UNITS = Array.from({ length: 40 }, (_, i) => String(i + 1).padStart(4, '0'));
const DELIVERIES_PER_UNIT = 12;
const AUTH = basic('erp', 'erp-password');
const OPERATOR = basic('feed', 'feed-password');
const skipReason = multiConnectionSkipReason();
if (skipReason) console.warn(`[skipped] the change feed under concurrent worker processes: ${skipReason}`);

describe.skipIf(Boolean(skipReason))('the change feed while several worker processes commit', () => {
  let h: Harness;
  const workers: OsrProcess[] = [];
  beforeAll(async () => {
    h = await startHarness({ worker: false });
    await seed(h, {
      clients: [{ id: 'acme', billingUnits: [{ mscnumber: '654321', units: UNITS }] }],
      credentials: [{ clientId: 'acme', username: 'erp', password: 'erp-password' }],
    });
    await seedOperators(h, [{ name: 'feed', password: 'feed-password' }]);
  });
  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.stop('SIGKILL')));
    await h?.close();
  });

  it('a consumer polling all the while sees every change exactly once, in commit order', {
    timeout: 180_000,
  }, async () => {
    const env = {
      DATABASE_URL: h.database.url as string,
      LOG_LEVEL: 'info',
      OSR_POLL_INTERVAL_MS: '50',
      OSR_WORKER_LOOPS: '2',
      OSR_WORKER_BATCH_SIZE: '3',
    };
    for (let i = 0; i < 3; i++) workers.push(startOsr(['worker'], env));
    const { db } = h.database.handle;
    await waitFor(
      async () => workers.every((worker) => worker.output().includes('on-site-roles worker running')),
      30_000,
      'the workers running',
    );

    // --- the consumer: from the first change, always passing the next it got ---------------------
    const seen: ChangeFeedItem[] = [];
    let next: string | null = null;
    let producing = true;
    const polls = { total: 0, withChanges: 0, whileProducing: 0 };
    const poll = async () => {
      const query = next === null ? '?limit=50' : `?limit=50&after=${next}`;
      const response = await h.app.inject({
        method: 'GET',
        url: `/msc/v1/changes${query}`,
        headers: { authorization: OPERATOR, prefer: 'wait=1' },
      });
      expect(response.statusCode, response.body).toBe(200);
      const page = changeFeedPageSchema.parse(response.json());
      polls.total += 1;
      if (page.changes.length > 0) {
        polls.withChanges += 1;
        if (producing) polls.whileProducing += 1;
      }
      seen.push(...page.changes);
      next = page.next;
      return page.changes.length;
    };
    const consumer = (async () => {
      while (producing) await poll();
      while ((await poll()) > 0) {} // the rest, once everything is processed
    })();

    // --- the producers: round-robin over the units, so every worker always finds work ------------
    for (let k = 0; k < DELIVERIES_PER_UNIT; k++) {
      for (const ru of UNITS) {
        const response = await postDelivery(h.app, AUTH, '654321', ru, chainedDelivery(ru, k));
        expect(response.statusCode).toBe(202);
      }
    }
    const pending = async () =>
      (await db.selectFrom('deliveries').select('id').where('status', '=', 'PENDING').limit(1).execute()).length;
    await waitFor(async () => (await pending()) === 0, 120_000, 'all deliveries processed');
    producing = false;
    await consumer;

    // --- verification ------------------------------------------------------------------------------
    const statuses = await db.selectFrom('deliveries').select('status').execute();
    expect(statuses.filter((row) => row.status !== 'SUCCESS')).toEqual([]);
    const expected = await expectedFeed(db);
    expect(expected.changes).toBe(UNITS.length * (2 * DELIVERIES_PER_UNIT - 1));
    const problems = await verifyFeed(db, seen, expected);
    console.log(
      `[change feed] ${statuses.length} deliveries by 3 worker processes; the consumer polled ${polls.total} times, ` +
        `${polls.whileProducing} pages with changes while deliveries were still coming in; saw ${seen.length} changes`,
    );
    expect(problems).toEqual([]);
    expect(polls.whileProducing, 'the consumer read while the workers committed').toBeGreaterThan(5);
    expect(seen.every((change) => decodeFeedCursor(change.cursor) !== undefined)).toBe(true);
  });
});
