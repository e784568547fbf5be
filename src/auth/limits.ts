import { createHash } from 'node:crypto';
import type { ThrottleScope } from '../domain/login-throttle.js';

/**
 * What this process knows of the failed-login lock-outs of spec section 7 (the counts themselves
 * are in the database, shared by every process): the keys that reached their limit, learned from
 * the failures this process recorded, from the database's answer when a credential row is read,
 * and from the other processes' announcements. It lets a request that needs no database read (a
 * remembered principal, a bearer token) be refused without one.
 */

const MAX_KEYS = 50_000;

/**
 * The key a username or a source address is counted under, in memory and in the database: a
 * digest, so a stored key is short whatever was sent, and an unknown username (perhaps a
 * mistyped password) is not stored as such.
 */
export function throttleKey(scope: ThrottleScope, value: string): string {
  return createHash('sha256').update(scope).update('\0').update(value).digest('base64');
}

export class KnownLockouts {
  /** key → when its lock-out ends (ms, this process's clock). */
  private readonly until = new Map<string, number>();

  /** Seconds until the key may try again, or 0 when no lock-out of it is known. */
  retryAfterSeconds(key: string, now: number): number {
    const end = this.until.get(key);
    if (end === undefined) return 0;
    if (end <= now) {
      this.until.delete(key);
      return 0;
    }
    return Math.ceil((end - now) / 1000);
  }

  /** The key is locked out for that many seconds from now (0: not at all); a known later end stays. */
  learn(key: string, retryAfterSeconds: number, now: number): void {
    if (retryAfterSeconds <= 0) return;
    const end = now + retryAfterSeconds * 1000;
    if ((this.until.get(key) ?? 0) >= end) return;
    if (this.until.size >= MAX_KEYS) this.sweep(now);
    this.until.set(key, end);
  }

  private sweep(now: number): void {
    for (const [key, end] of this.until) if (end <= now) this.until.delete(key);
    // Still full (a flood of lock-outs): forget the oldest half; the database still has them all.
    for (const key of this.until.keys()) {
      if (this.until.size < MAX_KEYS / 2) break;
      this.until.delete(key);
    }
  }
}
