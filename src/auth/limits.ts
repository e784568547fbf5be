/**
 * In-process counters for spec section 7. They are per process on purpose: they protect this
 * process from guessing and floods without a round trip to the database.
 */

const MAX_KEYS = 50_000;

/** Failed attempts within a sliding window; blocked once `limit` failures are in the window. */
export class FailureThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** Seconds until the key may try again, or 0 when it is not blocked. */
  retryAfterSeconds(key: string, now: number): number {
    const recent = this.recent(key, now);
    if (recent.length < this.limit) return 0;
    const oldestCounted = recent[recent.length - this.limit] as number;
    return Math.max(1, Math.ceil((oldestCounted + this.windowMs - now) / 1000));
  }

  recordFailure(key: string, now: number): void {
    const recent = this.recent(key, now);
    recent.push(now);
    // Only the last `limit` failures decide when the block ends.
    if (recent.length > this.limit) recent.splice(0, recent.length - this.limit);
    this.failures.set(key, recent);
    if (this.failures.size > MAX_KEYS) this.sweep(now);
  }

  private recent(key: string, now: number): number[] {
    return (this.failures.get(key) ?? []).filter((at) => at > now - this.windowMs);
  }

  private sweep(now: number): void {
    for (const [key, times] of this.failures) {
      if (!times.some((at) => at > now - this.windowMs)) this.failures.delete(key);
    }
  }
}

/** At most `limit` requests per key and fixed window. */
export class RequestRateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** Counts one request; returns seconds to wait when over the limit, else 0. */
  take(key: string, now: number): number {
    let window = this.windows.get(key);
    if (!window || now >= window.start + this.windowMs) {
      if (this.windows.size > MAX_KEYS) this.windows.clear();
      window = { start: now, count: 0 };
      this.windows.set(key, window);
    }
    window.count += 1;
    if (window.count <= this.limit) return 0;
    return Math.max(1, Math.ceil((window.start + this.windowMs - now) / 1000));
  }
}
