import { z } from 'zod';
import { OPEN_END } from './delivery-schema.js';
import type { AppliedChange } from './process-delivery.js';
import { type StoredPartner, storedPartnerSchema } from './response-schema.js';
import type { ChangeKind, TimelineRole } from './timeline.js';
import { toPartnerRecord } from './unit-writes.js';

/**
 * Spec 10.2, the change feed (`GET /msc/v1/changes`): what one entry says about one applied role
 * change, its cursor, and the query. Decided here and nowhere else; the worker stores the entries
 * this file computes (migrations/0009_change_feed.sql gives them their commit-ordered position),
 * the repository (src/db/repositories/change-feed.ts) reads them back, the route renders them.
 *
 * The rules (10.2):
 *   - One entry per role change of a SUCCESS delivery, in the order the delivery applied them
 *     (the order of `AppliedChange`s; roles of unsupported types, R1, were never applied).
 *   - `role` is the changed role's type; `before` and `after` are exactly `{ role, from, to,
 *     partner: { pmnumber } }` with an open `to` as "9999-12-31"; `before` is null for an INSERT,
 *     `after` null for a DELETE.
 *   - `partner` is the partner data the change stored (INSERT, UPDATE: the delivered partner of
 *     the role's pmnumber, as the unit's partners store it), in the form E2 shows partners; null
 *     for a DELETE, and once `osr purge` removed it (10.4).
 */

/** A role as the feed shows it: E2's role form. */
export interface FeedRole {
  role: string;
  from: string;
  to: string;
  partner: { pmnumber: string };
}

/** What one applied change puts in the feed (the store adds delivery, unit, time and position). */
export interface ChangeFeedEntry {
  change: ChangeKind;
  role: string;
  before: FeedRole | null;
  after: FeedRole | null;
  partner: StoredPartner | null;
}

const feedRole = (role: TimelineRole | null): FeedRole | null =>
  role && { role: role.role, from: role.from, to: role.to ?? OPEN_END, partner: { pmnumber: role.pmnumber } };

/** A stored partner in the form E2 shows it (the same members, in the same order, as unit-document.ts). */
export function partnerAsShown(record: ReturnType<typeof toPartnerRecord>): StoredPartner {
  return {
    reference: { pmnumber: record.pmnumber },
    name: record.name,
    firstname: record.firstname,
    additionalname: record.additionalname,
    commercial: record.commercial,
    email: record.email,
    taxnumber: record.taxnumber,
    phonenumbers: record.phonenumbers.map(({ number, type }) => ({ number, type })),
  };
}

/** The feed entries of a SUCCESS delivery's applied changes, in their order. */
export function changeFeedEntries(changes: readonly AppliedChange[]): ChangeFeedEntry[] {
  return changes.map((change) => {
    const changed = (change.after ?? change.before) as TimelineRole; // never both null
    const pmnumber = change.after?.pmnumber;
    const stored = change.change !== 'DELETE' && change.partner && pmnumber;
    return {
      change: change.change,
      role: changed.role,
      before: feedRole(change.before),
      after: feedRole(change.after),
      partner: stored
        ? partnerAsShown(toPartnerRecord(pmnumber, change.partner as NonNullable<typeof change.partner>))
        : null,
    };
  });
}

// --- the cursor -------------------------------------------------------------------------------------

/**
 * A cursor names an entry's position (a positive 64-bit integer, as a decimal string: node-postgres
 * reads bigint so), opaque to callers: base64url of "1:<position>", the 1 being the format's
 * version. Exactly one spelling per position, so a cursor is handed out and accepted verbatim.
 */
const CURSOR_VERSION = '1';
const MAX_POSITION = 9_223_372_036_854_775_807n;

export const encodeFeedCursor = (position: string): string =>
  Buffer.from(`${CURSOR_VERSION}:${position}`, 'utf8').toString('base64url');

/** The position a cursor names, or undefined when encodeFeedCursor never gives this text. */
export function decodeFeedCursor(cursor: string): string | undefined {
  if (!/^[A-Za-z0-9_-]{1,40}$/.test(cursor)) return undefined;
  const match = /^1:([1-9][0-9]{0,18})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  const position = match?.[1];
  if (position === undefined || BigInt(position) > MAX_POSITION) return undefined;
  return encodeFeedCursor(position) === cursor ? position : undefined;
}

// --- the query ----------------------------------------------------------------------------------------

export const FEED_DEFAULT_LIMIT = 100;
export const FEED_MAX_LIMIT = 1000;

/** The query of `GET /msc/v1/changes`, validated. */
export interface ChangeFeedQuery {
  /** The cursor as given (echoed as `next` when nothing follows it); undefined: from the first change. */
  after: string | undefined;
  /** The position it names (whether the server ever handed it out is the store's to say). */
  afterPosition: string | undefined;
  limit: number;
}

/** One OSR-SCHEMA violation of the query: what is wrong and where (`/query/<name>`). */
export interface FeedQueryViolation {
  message: string;
  path: string;
}

export const FEED_QUERY_RULES = {
  after: 'after must be a cursor this endpoint returned.',
  limit: `limit must be a whole number from 1 to ${FEED_MAX_LIMIT}.`,
} as const;

/** The violation for a well-formed cursor that names no entry: the server never handed it out. */
export const UNKNOWN_CURSOR: FeedQueryViolation = { message: FEED_QUERY_RULES.after, path: '/query/after' };

/**
 * 10.2's query parameters as the HTTP layer parsed them (a repeated parameter arrives as an array
 * and is malformed). Every violation is reported, each with path `/query/<name>`.
 */
export function parseChangeFeedQuery(
  query: Readonly<Record<string, unknown>>,
): { ok: true; query: ChangeFeedQuery } | { ok: false; violations: FeedQueryViolation[] } {
  const violations: FeedQueryViolation[] = [];
  const refuse = (name: keyof typeof FEED_QUERY_RULES) => {
    violations.push({ message: FEED_QUERY_RULES[name], path: `/query/${name}` });
    return undefined;
  };
  const after = query.after;
  const afterPosition =
    after === undefined
      ? undefined
      : typeof after === 'string'
        ? (decodeFeedCursor(after) ?? refuse('after'))
        : refuse('after');
  const limitText = query.limit;
  const limit =
    limitText === undefined
      ? FEED_DEFAULT_LIMIT
      : typeof limitText === 'string'
        ? (parseLimit(limitText) ?? refuse('limit'))
        : refuse('limit');
  if (violations.length > 0 || limit === undefined) return { ok: false, violations };
  return { ok: true, query: { after: after as string | undefined, afterPosition, limit } };
}

/** A whole number 1–1000 in decimal digits (leading zeros allowed, no sign, point or exponent). */
function parseLimit(text: string): number | undefined {
  if (!/^[0-9]{1,10}$/.test(text)) return undefined;
  const value = Number(text);
  return value >= 1 && value <= FEED_MAX_LIMIT ? value : undefined;
}

// --- the answer ---------------------------------------------------------------------------------------

const feedRoleSchema = z.object({
  role: z.string(),
  from: z.string(),
  to: z.string(),
  partner: z.object({ pmnumber: z.string() }),
});

export const changeFeedItemSchema = z.object({
  cursor: z.string(),
  dataDeliveryId: z.uuid(),
  client: z.string(),
  billingUnit: z.string(),
  residentialUnit: z.string(),
  appliedAt: z.string(),
  change: z.enum(['INSERT', 'UPDATE', 'DELETE']),
  role: z.string(),
  before: feedRoleSchema.nullable(),
  after: feedRoleSchema.nullable(),
  partner: storedPartnerSchema.nullable(),
});

/** The answer of `GET /msc/v1/changes`. */
export const changeFeedPageSchema = z.object({
  changes: z.array(changeFeedItemSchema),
  next: z.string().nullable(),
});

export type ChangeFeedItem = z.infer<typeof changeFeedItemSchema>;
export type ChangeFeedPage = z.infer<typeof changeFeedPageSchema>;

/** `next` (10.2): the last change's cursor, else the given `after`, else null (an empty feed from the start). */
export const nextCursor = (changes: readonly { cursor: string }[], after: string | undefined): string | null =>
  changes.at(-1)?.cursor ?? after ?? null;
