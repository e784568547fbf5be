/**
 * Failed sign-in attempts (spec section 7): after 10 failed attempts for one username, or 100
 * from one source address, within 15 minutes, further attempts from there get `429` until the
 * window has passed; then correct credentials work again. Refused bearer tokens count for the
 * address only (spec 9.3). The failure times are kept in the database (login_failures), so every
 * API process counts the same attempts; this file decides what they mean.
 */

export type ThrottleScope = 'username' | 'address';

export const FAILED_LOGIN_WINDOW_MS = 15 * 60 * 1000;

export const FAILED_LOGIN_LIMITS: Readonly<Record<ThrottleScope, number>> = { username: 10, address: 100 };

/**
 * Seconds before the next attempt for a key is allowed, given the times (ms) of its recorded
 * failures and the time now; 0 when it may try at once. Blocked while `limit` failures lie
 * within the window, until the oldest of the newest `limit` of them leaves it.
 */
export function retryAfterSeconds(scope: ThrottleScope, failureTimes: readonly number[], now: number): number {
  const limit = FAILED_LOGIN_LIMITS[scope];
  const recent = failureTimes.filter((at) => at > now - FAILED_LOGIN_WINDOW_MS).sort((a, b) => a - b);
  if (recent.length < limit) return 0;
  const oldestCounted = recent[recent.length - limit] as number;
  return Math.max(1, Math.ceil((oldestCounted + FAILED_LOGIN_WINDOW_MS - now) / 1000));
}
