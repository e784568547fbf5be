import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, multiConnectionSkipReason, type TestDatabase } from '../support/database.js';
import { type OsrProcess, startOsr, waitFor } from '../support/processes.js';
import { moveInMustermann } from '../support/spec.js';
import { distribution, manySockets, metricValue, send, type TimedAnswer } from '../support/waiting-http.js';
import { SYSTEM, SYSTEM_AUTH, seedSystemDatabase } from '../system/support/system-seed.js';

/**
 * Spec 9.1 with real processes on PostgreSQL: `osr serve --no-worker` answers E3 with
 * `Prefer: wait`, `osr worker` processes in other processes release the waiting requests by
 * their notification. Measured: commit → answer for 100 deliveries (the spec's bound: 50 ms on
 * an idle server). Also: 1,001 waiters on one process leave the last one unheld, and SIGTERM
 * answers every waiting request at once.
 */
const UNITS = Array.from({ length: 320 }, (_, i) => String(i + 1).padStart(4, '0'));
const AT_ONCE_MS = 1_000;
const BOUND_MS = 50;
const random = (n: number) => Math.floor(Math.random() * n);

const skipReason = multiConnectionSkipReason();
if (skipReason) console.warn(`[skipped] Prefer: wait with the worker in another process: ${skipReason}`);

describe.skipIf(Boolean(skipReason))('Prefer: wait, the worker in another process (PostgreSQL)', () => {
  let database: TestDatabase;
  let api: OsrProcess | undefined;
  let worker: OsrProcess | undefined;
  const port = 20_000 + random(20_000);
  const agent = manySockets();
  const env = (extra: Record<string, string> = {}) => ({
    DATABASE_URL: database.url as string,
    PORT: String(port),
    LOG_LEVEL: 'warn',
    OSR_RATE_LIMIT_PER_MINUTE: '1000000',
    ...extra,
  });
  let nextUnit = 0;

  beforeAll(async () => {
    database = await createTestDatabase();
    await seedSystemDatabase(database.handle.db, UNITS);
    api = startOsr(['serve', '--no-worker'], env());
    await waitFor(
      async () => (await fetch(`http://127.0.0.1:${port}/ready`).catch(() => undefined))?.ok === true,
      20_000,
      'the API to start',
    );
  });
  afterAll(async () => {
    agent.destroy();
    await Promise.all([api?.stop('SIGKILL'), worker?.stop('SIGKILL')]);
    await database?.destroy();
  });

  const startWorker = async (extra: Record<string, string> = {}) => {
    worker = startOsr(['worker'], env(extra));
    return worker;
  };
  const stopWorker = async () => {
    expect(await worker?.stop('SIGTERM')).toBe(0);
    worker = undefined;
  };
  const post = async (): Promise<string> => {
    const ru = UNITS[nextUnit++] as string;
    const answer = await send(
      port,
      'POST',
      `/arge/on-site-roles/v1/billingunits/${SYSTEM.billingUnit}/residentialunits/${ru}/on-site-roles`,
      {
        agent,
        headers: { authorization: SYSTEM_AUTH, 'content-type': 'application/json' },
        body: JSON.stringify(moveInMustermann({ ru })),
      },
    );
    expect(answer.status).toBe(202);
    return answer.body.dataDeliveryId;
  };
  const e3 = (id: string, prefer?: string) =>
    send(port, 'GET', `/arge/on-site-roles/v1/billingunits/${SYSTEM.billingUnit}/on-site-roles/data-delivery/${id}`, {
      agent,
      headers: { authorization: SYSTEM_AUTH, ...(prefer === undefined ? {} : { prefer }) },
    });
  const waiting = async () => {
    const response = await fetch(`http://127.0.0.1:${port}/metrics`);
    return metricValue(await response.text(), 'osr_delivery_result_waiters');
  };
  const untilWaiting = (count: number) => waitFor(async () => (await waiting()) === count, 20_000, `${count} waiters`);

  /** When the worker process logged each delivery as processed (right after its COMMIT returned). */
  const committedAt = (output: string): Map<string, number> => {
    const times = new Map<string, number>();
    for (const line of output.split('\n')) {
      if (!line.includes('"delivery processed"')) continue;
      const entry = JSON.parse(line) as { deliveryId: string; time: string };
      times.set(entry.deliveryId, Date.parse(entry.time));
    }
    return times;
  };
  /** processed_at: the start of the worker's transaction (an upper bound of commit → answer). */
  const processedAt = async (ids: string[]): Promise<Map<string, number>> => {
    const rows = await database.handle.db
      .selectFrom('deliveries')
      .select(['id', 'processed_at'])
      .where('id', 'in', ids)
      .execute();
    return new Map(rows.map((row) => [row.id, new Date(row.processed_at as unknown as string).getTime()]));
  };
  const report = (
    what: string,
    answers: { id: string; answer: TimedAnswer }[],
    log: Map<string, number>,
    start: Map<string, number>,
  ) => {
    const fromCommit = distribution(answers.map(({ id, answer }) => answer.at - (log.get(id) as number)));
    const fromStart = distribution(answers.map(({ id, answer }) => answer.at - (start.get(id) as number)));
    const waited = answers.filter(({ answer }) => answer.headers['preference-applied'] !== undefined).length;
    console.log(
      `[Prefer: wait] ${what}: ${answers.length} deliveries, ${waited} answered after waiting; ` +
        `commit (worker log) → answer ms p50 ${fromCommit.p50} p99 ${fromCommit.p99} max ${fromCommit.max}; ` +
        `worker transaction start → answer ms p50 ${fromStart.p50} p99 ${fromStart.p99} max ${fromStart.max}`,
    );
    return fromCommit;
  };

  it('a worker process started later releases the waiting request (wait=100 applies 60)', {
    timeout: 60_000,
  }, async () => {
    const id = await post();
    const answer = e3(id, 'wait=100');
    await untilWaiting(1);
    const started = Date.now();
    await startWorker();
    const released = await answer;
    expect(released.status).toBe(200);
    expect(released.body).toMatchObject({ dataDeliveryId: id, status: 'SUCCESS' });
    expect(released.headers['preference-applied']).toBe('wait=60');
    expect(released.at - started).toBeLessThan(20_000); // includes the worker process's start
    expect(await waiting()).toBe(0);
    // Processed: at once, without Preference-Applied.
    const again = await e3(id, 'wait=30');
    expect(again.ms).toBeLessThan(AT_ONCE_MS);
    expect(again.headers['preference-applied']).toBeUndefined();
    await stopWorker();
  });

  it(`commit → answer of 100 waiting requests stays within ${BOUND_MS} ms (measured)`, {
    timeout: 120_000,
  }, async () => {
    // 1. All waiting first, then one worker stores them one per transaction.
    const ids: string[] = [];
    for (let i = 0; i < 100; i++) ids.push(await post());
    const answers = ids.map(async (id) => ({ id, answer: await e3(id, 'wait=30') }));
    await untilWaiting(100);
    const drainer = await startWorker({ LOG_LEVEL: 'info', OSR_WORKER_BATCH_SIZE: '1', OSR_WORKER_LOOPS: '1' });
    const held = await Promise.all(answers);
    for (const { answer } of held) {
      expect(answer.body.status).toBe('SUCCESS');
      expect(answer.headers['preference-applied']).toBe('wait=30');
    }
    await stopWorker();
    const first = report('registered, then drained', held, committedAt(drainer.output()), await processedAt(ids));

    // 2. As a client uses it: POST, then at once E3 with Prefer: wait, one after the other.
    const running = await startWorker({ LOG_LEVEL: 'info' });
    await waitFor(async () => running.output().includes('worker running'), 20_000, 'the worker to start');
    const sequential: { id: string; answer: TimedAnswer }[] = [];
    for (let i = 0; i < 100; i++) {
      const id = await post();
      sequential.push({ id, answer: await e3(id, 'wait=10') });
    }
    for (const { answer } of sequential) expect(answer.body.status).toBe('SUCCESS');
    await stopWorker();
    const second = report(
      'POST, then E3 with wait',
      sequential,
      committedAt(running.output()),
      await processedAt(sequential.map(({ id }) => id)),
    );
    // The spec's bound holds for an idle server. This machine is shared (other test files run at
    // the same time), so the bound is asserted on the median, which stays far below it (seen:
    // 2–8 ms), and the tail only coarsely (seen: p99 6–172 ms under a load average of 7 on two
    // cores): a missed notification would show as the 10–30 s time-out.
    expect(first.p50).toBeLessThan(BOUND_MS);
    expect(second.p50).toBeLessThan(BOUND_MS);
    expect(Math.max(first.p99, second.p99)).toBeLessThan(10 * BOUND_MS);
  });

  it('a time-out answers PENDING after N seconds', { timeout: 30_000 }, async () => {
    const id = await post();
    const answer = await e3(id, 'wait=2');
    expect(answer).toMatchObject({ status: 200, body: { status: 'PENDING', processedAt: null } });
    expect(answer.headers['preference-applied']).toBe('wait=2');
    expect(answer.ms).toBeGreaterThanOrEqual(1_990);
    expect(answer.ms).toBeLessThan(2_000 + AT_ONCE_MS);
  });

  it('1,001 waiters on one process: the last is answered at once; SIGTERM answers all', {
    timeout: 120_000,
  }, async () => {
    const ids = [await post(), await post(), await post(), await post(), await post()];
    const held = Array.from({ length: 1_000 }, (_, i) => e3(ids[i % ids.length] as string, 'wait=60'));
    await untilWaiting(1_000);
    const last = await e3(ids[0] as string, 'wait=60');
    expect(last.status).toBe(200);
    expect(last.body.status).toBe('PENDING');
    expect(last.headers['preference-applied']).toBeUndefined();
    expect(last.ms).toBeLessThan(AT_ONCE_MS);
    expect(await waiting()).toBe(1_000);

    const signalled = Date.now();
    api?.child.kill('SIGTERM');
    const answers = await Promise.all(held);
    const answeredWithin = Math.max(...answers.map((answer) => answer.at)) - signalled;
    console.log(`[Prefer: wait] SIGTERM answered 1,000 waiting requests within ${answeredWithin} ms`);
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      expect(answer.body.status).toBe('PENDING');
      expect(answer.headers['preference-applied']).toBe('wait=60');
    }
    expect(answeredWithin).toBeLessThan(5_000);
    expect(await api?.exited).toBe(0);
    expect(Date.now() - signalled).toBeLessThan(10_000);
  });
});
