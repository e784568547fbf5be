import { type Kysely, sql } from 'kysely';
import type { Database } from '../schema.js';

/**
 * Which deliveries finished (spec 9.1): the workers announce the ids of each stored batch on this
 * channel, every API process listens and releases the E3 requests waiting for them.
 */
export const FINISHED_CHANNEL = 'osr_delivery_finished';

/** PostgreSQL refuses payloads of 8000 bytes and more; ids are ASCII, one byte a character. */
const MAX_PAYLOAD_BYTES = 7_900;

/** The ids as NOTIFY payloads: comma-separated, split so that none is too long. */
export function finishedPayloads(ids: readonly string[]): string[] {
  const payloads: string[] = [];
  let current = '';
  for (const id of ids) {
    if (current !== '' && current.length + 1 + id.length > MAX_PAYLOAD_BYTES) {
      payloads.push(current);
      current = '';
    }
    current = current === '' ? id : `${current},${id}`;
  }
  if (current !== '') payloads.push(current);
  return payloads;
}

/** The ids of one payload of `FINISHED_CHANNEL`. */
export const finishedIdsOf = (payload: string): string[] => (payload === '' ? [] : payload.split(','));

/**
 * Announces finished deliveries after their batch committed, coalesced per process: ids that
 * finish while one NOTIFY statement is in flight go out together in the next one. Outside the
 * worker's transaction on purpose: a transaction that notifies holds PostgreSQL's notification
 * lock from its commit until its WAL is flushed, which would serialise the workers' commits.
 * A lost announcement (worker killed between commit and NOTIFY, database gone) delays waiting
 * requests to their time-out at worst; they then read the result as usual.
 */
export function createFinishedNotifier(db: Kysely<Database>, onError: (error: unknown) => void = () => {}) {
  let queued: string[] = [];
  let sending: Promise<void> | undefined;
  const send = async (): Promise<void> => {
    while (queued.length > 0) {
      const ids = queued;
      queued = [];
      try {
        await sql`SELECT pg_notify(${FINISHED_CHANNEL}, payload) FROM unnest(${finishedPayloads(ids)}::text[]) AS payload`.execute(
          db,
        );
      } catch (error) {
        onError(error);
      }
    }
    sending = undefined;
  };
  return {
    /** Queues the ids; sends them at once unless a NOTIFY is in flight (then right after it). */
    announce(ids: readonly string[]): void {
      if (ids.length === 0) return;
      queued.push(...ids);
      sending ??= send();
    },
    /** Resolves once everything queued has been sent (before the pool closes). */
    async flush(): Promise<void> {
      await sending;
    },
  };
}

/** Those of the ids whose delivery is no longer PENDING (a catch-up after missed notifications). */
export async function finishedAmong(db: Kysely<Database>, ids: readonly string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const { rows } = await sql<{ id: string }>`
    SELECT id::text AS id FROM deliveries WHERE id = ANY(${[...ids]}::uuid[]) AND status <> 'PENDING'`.execute(db);
  return rows.map((row) => row.id);
}
