import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readChanges } from '../../src/db/repositories/change-feed.js';
import { type ChangeFeedItem, decodeFeedCursor } from '../../src/domain/change-feed.js';
import { expectedFeed, verifyFeed } from '../support/change-feed-check.js';
import { createTestDatabase, multiConnectionSkipReason, type TestDatabase } from '../support/database.js';
import { type OsrProcess, startOsr, waitFor } from '../support/processes.js';
import { type CurrentRole, ErpModel } from './support/erp-model.js';
import { compareWithReplay } from './support/replay.js';
import { systemSize } from './support/size.js';
import { PROFILES, SYSTEM, SYSTEM_AUTH, seedSystemDatabase } from './support/system-seed.js';

/**
 * Crash safety under load, with real processes and real PostgreSQL: a steady, bounded load of
 * POSTs to many units over real HTTP while worker processes are killed with SIGKILL at random
 * moments (>= 20 times) and the API process as well (>= 5 times), each restarted. Then: every
 * delivery that got a 202 exists and ended SUCCESS or FAIL; every stored delivery's result, each
 * unit's final roles and the change history equal what the pure rules give when the unit's
 * accepted deliveries are applied in acceptance order. Zero lost, zero twice. And a change-feed
 * consumer (spec 10.2) reading all the while saw every applied change exactly once, in commit order. Once per profile
 * (spec 8.1, OSR_PROFILE of every process): under `arge` about half of the deliveries change the
 * billing recipients (S-BIR, S-BVA) too.
 */
const SECONDS = systemSize('CRASH_SAFETY_SECONDS', { ci: 60, local: 30 });
const UNITS = Array.from({ length: 25 }, (_, i) => String(i + 1).padStart(4, '0'));
const LOAD_LOOPS = 8;
const WORKER_KILL_SLOTS = 25; // a worker is killed about every SECONDS / 25
const API_KILL_SLOTS = 6; // the API about every SECONDS / 6
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const random = (n: number) => Math.floor(Math.random() * n);

const skipReason = multiConnectionSkipReason();
if (skipReason) console.warn(`[skipped] crash safety with real processes: ${skipReason}`);

describe.skipIf(Boolean(skipReason)).each(PROFILES)(
  'crash safety (OSR_PROFILE=$name): workers and the API killed with SIGKILL under load',
  (profile) => {
    let database: TestDatabase;
    let url: string;
    const port = 20_000 + random(20_000);
    const base = `http://127.0.0.1:${port}/arge/on-site-roles/v1/billingunits/${SYSTEM.billingUnit}`;
    const env = () => ({
      DATABASE_URL: url,
      PORT: String(port),
      LOG_LEVEL: 'warn',
      OSR_POLL_INTERVAL_MS: '200',
      OSR_PROFILE: profile.name,
    });
    const processes = { api: undefined as OsrProcess | undefined, workers: [] as OsrProcess[] };

    beforeAll(async () => {
      database = await createTestDatabase();
      url = database.url as string;
      await seedSystemDatabase(database.handle.db, UNITS, profile);
    });
    afterAll(async () => {
      await Promise.all([processes.api, ...processes.workers].map((child) => child?.stop('SIGKILL')));
      await database?.destroy();
    });

    it(`${SECONDS} s of load and kills: nothing lost, nothing applied twice, everything as the pure rules replay it`, {
      timeout: (SECONDS + 240) * 1000,
    }, async () => {
      processes.api = startOsr(['serve', '--no-worker'], env());
      processes.workers = [startOsr(['worker'], env()), startOsr(['worker'], env())];
      await waitFor(
        async () => (await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined))?.ok === true,
        10_000,
        'the API to start',
      );

      // --- load: plausible resident changes per unit, sent as an ERP would ------------------------
      // Each load loop owns some units; after a request with an unknown outcome (API killed) it
      // re-reads the unit (E2) before it sends the next change.
      const model = new ErpModel(UNITS, profile);
      const accepted = new Set<string>();
      const outcome = { sent: 0, accepted: 0, refusedOrLost: 0 };
      let loading = true;
      const resync = async (ru: string) => {
        await sleep(1_500);
        try {
          const response = await fetch(`${base}/residentialunits/${ru}/on-site-roles`, {
            headers: { authorization: SYSTEM_AUTH },
            signal: AbortSignal.timeout(5_000),
          });
          const body = (await response.json()) as { billingunit?: { residentialunit: { roles: CurrentRole[] } } };
          if (response.status === 404) model.resynced(ru, []);
          else if (body.billingunit) model.resynced(ru, body.billingunit.residentialunit.roles);
        } catch {
          // still down: the next request will tell
        }
      };
      const loadLoop = async (loop: number) => {
        const mine = UNITS.filter((_, i) => i % LOAD_LOOPS === loop);
        while (loading) {
          const ru = mine[random(mine.length)] as string;
          const body = model.nextBody(ru);
          outcome.sent += 1;
          try {
            const response = await fetch(`${base}/residentialunits/${ru}/on-site-roles`, {
              method: 'POST',
              headers: { authorization: SYSTEM_AUTH, 'content-type': 'application/json' },
              body: JSON.stringify(body),
              signal: AbortSignal.timeout(5_000),
            });
            const answer = (await response.json()) as { dataDeliveryId?: string };
            if (response.status === 202 && answer.dataDeliveryId) {
              accepted.add(answer.dataDeliveryId);
              outcome.accepted += 1;
              model.accepted(ru, body);
            } else {
              outcome.refusedOrLost += 1;
            }
          } catch {
            outcome.refusedOrLost += 1; // the API was killed mid-request: unknown whether stored
            await resync(ru);
          }
        }
      };

      // --- chaos --------------------------------------------------------------------------------
      const killed = { workers: 0, api: 0 };
      const chaos = async () => {
        const deadline = Date.now() + SECONDS * 1000;
        const workerEvery = (SECONDS * 1000) / WORKER_KILL_SLOTS;
        const apiEvery = (SECONDS * 1000) / API_KILL_SLOTS;
        let nextApiKill = Date.now() + apiEvery;
        while (Date.now() < deadline) {
          await sleep(workerEvery * (0.5 + Math.random()));
          const index = random(processes.workers.length);
          await processes.workers[index]?.stop('SIGKILL');
          killed.workers += 1;
          processes.workers[index] = startOsr(['worker'], env());
          if (Date.now() >= nextApiKill) {
            await processes.api?.stop('SIGKILL');
            killed.api += 1;
            processes.api = startOsr(['serve', '--no-worker'], env());
            nextApiKill = Date.now() + apiEvery;
          }
        }
      };

      // --- a change-feed consumer (spec 10.2) reading all the while, from the first change, always
      // passing the next it got (straight from the database: the API is killed too often)
      const feed = { seen: [] as ChangeFeedItem[], reading: true, reads: 0 };
      const feedConsumer = (async () => {
        let after: string | undefined;
        const read = async () => {
          const page = await readChanges(database.handle.db, after, 50);
          if (!page) throw new Error('the change feed refused a cursor it handed out');
          feed.reads += 1;
          feed.seen.push(...page.changes);
          after = page.next === null ? undefined : decodeFeedCursor(page.next);
          return page.changes.length;
        };
        while (feed.reading) if ((await read()) === 0) await sleep(20);
        while ((await read()) > 0) {} // the rest, once everything is processed
      })();

      const loads = Array.from({ length: LOAD_LOOPS }, (_, loop) => loadLoop(loop));
      await chaos();
      loading = false;
      await Promise.all(loads);
      // Let the workers drain, then stop everything.
      const { db } = database.handle;
      const pendingLeft = async () =>
        (await db.selectFrom('deliveries').select('id').where('status', '=', 'PENDING').limit(1).execute()).length;
      for (let i = 0; i < 600 && (await pendingLeft()) > 0; i++) await sleep(200);
      await Promise.all([processes.api, ...processes.workers].map((child) => child?.stop('SIGKILL')));
      feed.reading = false;
      await feedConsumer;

      // --- verification -------------------------------------------------------------------------
      const replay = await compareWithReplay(db, { profile });
      // Every applied change of every SUCCESS delivery exactly once, in commit order (the history it
      // is compared with is itself compared with the replay).
      const feedProblems = await verifyFeed(db, feed.seen, await expectedFeed(db));
      const storedIds = new Set(replay.stored.map((row) => row.id));
      const lost = [...accepted].filter((id) => !storedIds.has(id));
      const stillPending = replay.stored.filter((row) => row.status === 'PENDING');
      const statuses: Record<string, number> = {};
      for (const row of replay.stored) statuses[row.status] = (statuses[row.status] ?? 0) + 1;
      const storedRoles: Record<string, number> = {};
      for (const { role } of await db.selectFrom('roles').select('role').execute()) {
        storedRoles[role] = (storedRoles[role] ?? 0) + 1;
      }
      console.log(
        [
          `[${profile.name}] load: ${SECONDS} s, ${outcome.sent} POSTs sent, ${outcome.accepted} answered 202, ${outcome.refusedOrLost} refused or cut off`,
          `kills survived: workers ${killed.workers}, API ${killed.api}`,
          `deliveries stored: ${replay.stored.length} (${JSON.stringify(statuses)}); roles stored: ${JSON.stringify(storedRoles)}`,
          `lost: ${lost.length}, applied twice: ${replay.appliedTwice}, still pending: ${stillPending.length}`,
          `change feed: ${feed.seen.length} changes seen in ${feed.reads} reads, problems: ${feedProblems.length}`,
        ].join('\n'),
      );

      expect(outcome.accepted, 'deliveries answered 202').toBeGreaterThan(0);
      expect(lost, 'deliveries answered 202 but not stored').toEqual([]);
      expect(stillPending, 'deliveries still PENDING').toEqual([]);
      expect(replay.appliedTwice, 'deliveries applied twice').toBe(0);
      expect(replay.problems.slice(0, 20), 'differences from the replay with the pure rules').toEqual([]);
      expect(feedProblems, 'the change feed as its consumer saw it').toEqual([]);
      expect(killed.workers, 'worker processes killed').toBeGreaterThanOrEqual(20);
      expect(killed.api, 'API processes killed').toBeGreaterThanOrEqual(5);
      // under arge the load did change billing recipients, not only S-COR
      const billingRecipients = (storedRoles['S-BIR'] ?? 0) + (storedRoles['S-BVA'] ?? 0);
      if (profile.supportedRoles.has('S-BIR')) expect(billingRecipients, 'S-BIR/S-BVA roles stored').toBeGreaterThan(0);
      else expect(billingRecipients).toBe(0);
    });
  },
);
