import { isDeepStrictEqual } from 'node:util';
import type { Kysely } from 'kysely';
import { readChanges } from '../../src/db/repositories/change-feed.js';
import type { Database } from '../../src/db/schema.js';
import { type ChangeFeedItem, decodeFeedCursor } from '../../src/domain/change-feed.js';

/**
 * Checks what a consumer of the change feed (spec 10.2) saw, after the fact: the one who started
 * without `after` and always passed the `next` it got must have seen every applied change of
 * every SUCCESS delivery exactly once, in commit order. The expectation comes from the change
 * history (itself checked elsewhere against the pure rules), not from the feed.
 */

interface ExpectedChange {
  change: string;
  role: string;
  before: unknown;
  after: unknown;
}

export interface ExpectedFeed {
  /** Per SUCCESS delivery with changes: its role changes in the order applied. */
  byDelivery: Map<string, ExpectedChange[]>;
  /** Each delivery's acceptance order (seq) and unit (the path). */
  deliveries: Map<string, { seq: bigint; unit: string }>;
  changes: number;
}

const OPEN = '9999-12-31';
type StoredRole = { role: string; from: string; to: string | null; pmnumber: string } | null;
const asFeedRole = (role: StoredRole) =>
  role && { role: role.role, from: role.from, to: role.to ?? OPEN, partner: { pmnumber: role.pmnumber } };

/** What the feed must hold, from the change history's role entries. */
export async function expectedFeed(db: Kysely<Database>): Promise<ExpectedFeed> {
  const history = await db
    .selectFrom('change_history')
    .innerJoin('deliveries', 'deliveries.id', 'change_history.delivery_id')
    .select(['change_history.delivery_id', 'change_history.change', 'change_history.before', 'change_history.after'])
    .where('change_history.entity', '=', 'role')
    .where('deliveries.status', '=', 'SUCCESS')
    .orderBy('change_history.id')
    .execute();
  const byDelivery = new Map<string, ExpectedChange[]>();
  for (const entry of history) {
    const before = entry.before as StoredRole;
    const after = entry.after as StoredRole;
    const list = byDelivery.get(entry.delivery_id) ?? [];
    list.push({
      change: entry.change,
      role: (after ?? before)?.role as string,
      before: asFeedRole(before),
      after: asFeedRole(after),
    });
    byDelivery.set(entry.delivery_id, list);
  }
  const deliveries = new Map(
    (await db.selectFrom('deliveries').select(['id', 'seq', 'unit_key']).execute()).map((row) => [
      row.id,
      { seq: BigInt(row.seq), unit: row.unit_key },
    ]),
  );
  return { byDelivery, deliveries, changes: history.length };
}

/** Every way `seen` breaks the guarantee (the first 20); empty when it holds. */
export async function verifyFeed(
  db: Kysely<Database>,
  seen: readonly ChangeFeedItem[],
  expected: ExpectedFeed,
): Promise<string[]> {
  const problems: string[] = [];
  const problem = (text: string) => problems.length < 20 && problems.push(text);

  // Positions only grow (a consumer never goes back).
  const positions = seen.map((change) => BigInt(decodeFeedCursor(change.cursor) ?? -1));
  for (let i = 1; i < positions.length; i++) {
    if ((positions[i] as bigint) <= (positions[i - 1] as bigint))
      problem(`position ${positions[i]} after ${positions[i - 1]}`);
  }

  // Exactly once: per delivery exactly its changes, in their order, next to each other.
  const byDelivery = new Map<string, ExpectedChange[]>();
  let previous: string | undefined;
  const finished = new Set<string>();
  for (const change of seen) {
    const id = change.dataDeliveryId;
    if (id !== previous && byDelivery.has(id)) {
      if (finished.has(id)) problem(`delivery ${id}: its changes are not next to each other (or seen twice)`);
    }
    if (previous !== undefined && previous !== id) finished.add(previous);
    previous = id;
    const list = byDelivery.get(id) ?? [];
    list.push({ change: change.change, role: change.role, before: change.before, after: change.after });
    byDelivery.set(id, list);
  }
  for (const [id, changes] of expected.byDelivery) {
    const got = byDelivery.get(id);
    if (!got) problem(`delivery ${id}: ${changes.length} changes never seen`);
    else if (!isDeepStrictEqual(got, changes)) {
      problem(`delivery ${id}: seen ${JSON.stringify(got)}, applied ${JSON.stringify(changes)}`);
    }
  }
  for (const id of byDelivery.keys()) {
    if (!expected.byDelivery.has(id)) problem(`delivery ${id}: seen, but it applied no change`);
  }
  if (seen.length !== expected.changes) problem(`seen ${seen.length} changes, applied ${expected.changes}`);

  // Changes of one unit in their order: its deliveries in acceptance order (the order applied).
  const lastSeqOfUnit = new Map<string, bigint>();
  for (const id of new Set(seen.map((change) => change.dataDeliveryId))) {
    const delivery = expected.deliveries.get(id);
    if (!delivery) continue;
    const last = lastSeqOfUnit.get(delivery.unit);
    if (last !== undefined && delivery.seq < last)
      problem(`unit ${delivery.unit}: delivery ${id} seen after a later one`);
    lastSeqOfUnit.set(delivery.unit, delivery.seq);
  }

  // Commit order: the feed read again from the start, now that everything has committed, is
  // exactly what the consumer saw while it was being written: no change got a position before a
  // cursor already handed out.
  const now: ChangeFeedItem[] = [];
  for (let after: string | undefined; ; ) {
    const page = await readChanges(db, after, 1000);
    if (!page) throw new Error('the feed refused a cursor it handed out');
    if (page.changes.length === 0) break;
    now.push(...page.changes);
    after = decodeFeedCursor(page.next as string);
  }
  if (now.length !== seen.length) problem(`the feed now holds ${now.length} changes, the consumer saw ${seen.length}`);
  const firstDifference = now.findIndex((change, i) => !isDeepStrictEqual(change, seen[i]));
  if (firstDifference >= 0) {
    problem(
      `the feed now differs from what the consumer saw at entry ${firstDifference}: ${JSON.stringify(now[firstDifference])}`,
    );
  }
  return problems;
}
