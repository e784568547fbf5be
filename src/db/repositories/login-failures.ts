import { type Kysely, sql } from 'kysely';
import type { AttemptKeys, LockedKey, RecordedFailures } from '../../auth/authenticator.js';
import { FAILED_LOGIN_LIMITS, FAILED_LOGIN_WINDOW_MS } from '../../domain/login-throttle.js';
import { callFunction } from '../functions.js';
import type { Database } from '../schema.js';

/**
 * Failed sign-ins (spec section 7), shared by every API process: the times are stored per key
 * (migrations/0007_login_failures.sql), at most as many per key as its limit, within the window;
 * src/domain/login-throttle.ts decides what they mean.
 */

/** The channel on which a process announces that a key reached its limit. */
export const LOGIN_LOCKOUT_CHANNEL = 'osr_login_lockout';

const WINDOW_SECONDS = FAILED_LOGIN_WINDOW_MS / 1000;

/** Milliseconds of stored times (none stored: none). */
export const times = (stored: readonly Date[] | null): number[] => (stored ?? []).map((at) => at.getTime());

/** Records one failed attempt for each key; their failures after it, and the database's clock. */
export async function recordLoginFailure(db: Kysely<Database>, keys: AttemptKeys): Promise<RecordedFailures> {
  const [row] = await callFunction(db, 'osr_record_login_failure', {
    p_username_key: keys.username,
    p_address_key: keys.address,
    p_username_keep: FAILED_LOGIN_LIMITS.username,
    p_address_keep: FAILED_LOGIN_LIMITS.address,
    p_window_seconds: WINDOW_SECONDS,
  });
  if (!row) throw new Error('osr_record_login_failure returned no row');
  return {
    username: times(row.username_failures),
    address: times(row.address_failures),
    now: row.recorded_at.getTime(),
  };
}

/**
 * The keys with as many failures within the window as their limit: the ones that may be locked
 * out now. Read at a process's start, on every announcement and after reconnecting (not per
 * request), so a full look at the few rows that are within the window is fine.
 */
export async function lockedLoginKeys(db: Kysely<Database>): Promise<LockedKey[]> {
  const { rows } = await sql<{ key: string; scope: LockedKey['scope']; failed_at: Date[]; checked_at: Date }>`
    SELECT key, scope, failed_at, now() AS checked_at FROM login_failures
    WHERE expires_at > now()
      AND cardinality(failed_at) >= CASE scope WHEN 'username' THEN ${FAILED_LOGIN_LIMITS.username}::integer
                                               ELSE ${FAILED_LOGIN_LIMITS.address}::integer END
  `.execute(db);
  return rows.map((row) => ({
    key: row.key,
    scope: row.scope,
    failures: times(row.failed_at),
    now: row.checked_at.getTime(),
  }));
}

/** Tells every listening process that a key reached its limit (they read `lockedLoginKeys`). */
export async function announceLoginLockout(db: Kysely<Database>): Promise<void> {
  await sql`SELECT pg_notify(${LOGIN_LOCKOUT_CHANNEL}, '')`.execute(db);
}

/** Deletes the rows whose window has passed (`osr purge`); how many. */
export async function deleteExpiredLoginFailures(db: Kysely<Database>): Promise<number> {
  const result = await db.deleteFrom('login_failures').where('expires_at', '<', sql<Date>`now()`).executeTakeFirst();
  return Number(result.numDeletedRows);
}
