import type { Kysely } from 'kysely';
import type { Principal } from '../auth/authenticator.js';
import { isDatabaseUnavailable } from './errors.js';
import type { Checked } from './repositories/credentials.js';
import { type AcceptRequest, acceptDeliveries, acceptDelivery } from './repositories/deliveries.js';
import type { Database } from './schema.js';

/**
 * E1's group commit (issue 15). Storing a delivery costs little next to committing it: every
 * commit waits for its own WAL flush. So the requests that arrive while this process's previous
 * statement is committing are stored together, by one statement (osr_accept_batch), in one
 * transaction with one flush. No timer: when nothing is in flight a request is sent at once, so
 * a lone request waits no longer than before; under load, batches grow by themselves to what
 * arrived during one commit. Each request is answered only after the statement that stored its
 * row committed, as before.
 *
 * Within a unit, this process's requests are stored in the order `accept` was called: batches
 * are sent in arrival order, one at a time, each in arrival order (other processes' requests may
 * come in between, as before).
 */
export interface AcceptBatcher {
  /** `acceptDelivery`, answered when the batch that stored it committed. */
  accept(principal: Principal, delivery: AcceptRequest['delivery']): Promise<Checked<void>>;
}

export interface AcceptBatcherOptions {
  /** Most rows one statement stores; the rest wait for the next one. Default 64. */
  maxRows?: number;
  /**
   * Called with the size of every batch sent (1: a lone request). Never with the rows: they hold
   * personal data.
   */
  onBatch?: (size: number) => void;
}

/**
 * A bound on one statement's work and on the time its rows hold their units' locks; under
 * `bench/probe.ts accept` (32 connections) batches stayed below 32 rows.
 */
const DEFAULT_MAX_ROWS = 64;

interface Waiting extends AcceptRequest {
  resolve(answer: Checked<void>): void;
  reject(error: unknown): void;
}

export function createAcceptBatcher(db: Kysely<Database>, options: AcceptBatcherOptions = {}): AcceptBatcher {
  const maxRows = options.maxRows ?? DEFAULT_MAX_ROWS;
  const waiting: Waiting[] = [];
  // One statement in flight at a time. Measured with two (issue 15): smaller batches and more
  // CPU per request, server and PostgreSQL alike; and with one, this process's requests keep their
  // per-unit order without further bookkeeping.
  let inFlight = false;

  const sendNext = (): void => {
    if (inFlight || waiting.length === 0) return;
    inFlight = true;
    const batch = waiting.splice(0, maxRows);
    options.onBatch?.(batch.length);
    void store(db, batch).finally(() => {
      inFlight = false;
      sendNext();
    });
  };

  return {
    accept: (principal, delivery) =>
      new Promise<Checked<void>>((resolve, reject) => {
        waiting.push({ principal, delivery, resolve, reject });
        sendNext();
      }),
  };
}

/** Stores a batch and answers each of its requests; never throws. */
async function store(db: Kysely<Database>, batch: Waiting[]): Promise<void> {
  const [only] = batch;
  if (only && batch.length === 1) {
    // The one-row statement: no JSON array to build and take apart.
    await acceptDelivery(db, only.principal, only.delivery).then(only.resolve, only.reject);
    return;
  }
  let answers: Checked<void>[];
  try {
    answers = await acceptDeliveries(db, batch);
  } catch (error) {
    // The database could not serve the statement: it would not serve the rows one by one either
    // (and each would wait for its own connection timeout), so all get its answer. (Whether the
    // statement committed before the connection died is as unknown as for a single request's.)
    if (isDatabaseUnavailable(error)) {
      for (const request of batch) request.reject(error);
      return;
    }
    // A row the statement could not store (e.g. a duplicate id) failed all of them: store each on
    // its own, so that only its own request gets its error. One after the other, in arrival order,
    // which keeps the per-unit order.
    for (const request of batch) {
      await acceptDelivery(db, request.principal, request.delivery).then(request.resolve, request.reject);
    }
    return;
  }
  // acceptDeliveries answers every request, in order.
  batch.forEach((request, i) => {
    request.resolve(answers[i] as Checked<void>);
  });
}
