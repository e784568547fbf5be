import { type Kysely, sql } from 'kysely';
import {
  type ChangeFeedItem,
  type ChangeFeedPage,
  encodeFeedCursor,
  type FeedRole,
  nextCursor,
} from '../../domain/change-feed.js';
import type { StoredPartner } from '../../domain/response-schema.js';
import type { Database } from '../schema.js';

/**
 * Reads the change feed (spec 10.2; stored by the worker, migrations/0009_change_feed.sql). One
 * statement, so one snapshot: positions are given in commit order, so every snapshot sees a
 * prefix of the feed, and a page never skips an entry that a later page could show.
 */

interface FeedRow {
  known: boolean;
  position: string | null;
  delivery_id: string;
  client_id: string;
  billing_unit: string;
  residential_unit: string;
  applied_at: Date;
  change: ChangeFeedItem['change'];
  role: string;
  before: unknown;
  after: unknown;
  partner: unknown;
}

/** node-postgres parses json columns; a driver that hands over their text is served too. */
const parsed = <T>(value: unknown): T | null =>
  value == null ? null : ((typeof value === 'string' ? JSON.parse(value) : value) as T);

/**
 * Up to `limit` entries after the position `afterPosition` (undefined: from the first), with
 * `next`. Undefined when `afterPosition` names no entry: a cursor the server never handed out.
 */
export async function readChanges(
  db: Kysely<Database>,
  afterPosition: string | undefined,
  limit: number,
): Promise<ChangeFeedPage | undefined> {
  const after = afterPosition ?? null;
  const { rows } = await sql<FeedRow>`
    SELECT known.known, f.position, f.delivery_id, f.client_id, f.billing_unit, f.residential_unit, f.applied_at,
           f.change, f.role, f.before, f.after, f.partner
    FROM (SELECT ${after}::bigint IS NULL
                 OR EXISTS (SELECT 1 FROM change_feed WHERE position = ${after}::bigint) AS known) AS known
    LEFT JOIN LATERAL (SELECT * FROM change_feed
                       WHERE position > coalesce(${after}::bigint, 0)
                       ORDER BY position
                       LIMIT ${limit}) AS f ON known.known
    ORDER BY f.position`.execute(db);
  if (!rows[0]?.known) return undefined;
  const changes: ChangeFeedItem[] = rows
    .filter((row) => row.position !== null)
    .map((row) => ({
      cursor: encodeFeedCursor(row.position as string),
      dataDeliveryId: row.delivery_id,
      client: row.client_id,
      billingUnit: row.billing_unit,
      residentialUnit: row.residential_unit,
      appliedAt: row.applied_at.toISOString(),
      change: row.change,
      role: row.role,
      before: parsed<FeedRole>(row.before),
      after: parsed<FeedRole>(row.after),
      partner: parsed<StoredPartner>(row.partner),
    }));
  return {
    changes,
    next: nextCursor(changes, afterPosition === undefined ? undefined : encodeFeedCursor(afterPosition)),
  };
}

/** The last position in the feed (null: empty), for waiting requests (is there something after theirs?). */
export async function lastFeedPosition(db: Kysely<Database>): Promise<string | null> {
  const { rows } = await sql<{ position: string | null }>`SELECT max(position) AS position FROM change_feed`.execute(
    db,
  );
  return rows[0]?.position ?? null;
}
