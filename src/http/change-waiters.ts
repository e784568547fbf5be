import type { WaitEnd, Waiter } from './delivery-waiters.js';

/**
 * The change-feed requests of this process that wait for a change after their cursor (spec 10.2,
 * `Prefer: wait` as in 9.1). Released by the workers' finished-deliveries notification (the one
 * E3's waiters hear, src/db/repositories/finished-deliveries.ts): on each, while anyone waits, the
 * feed's last position is read once (coalesced: one read in flight at a time, one more after it
 * if notifications came meanwhile), and every waiter whose cursor lies before it ends. No timer
 * or query per request besides its time-out. Bounded: past `max` waiters, `wait` refuses and the
 * request is answered at once.
 */

export interface ChangeWaitersOptions {
  /** Most waiters at once; 0 turns waiting off. */
  max: number;
  /** The feed's last position (null: empty); see lastFeedPosition. */
  lastPosition: () => Promise<string | null>;
  /** A failed read of the last position (the waiters then end at their time-out or the next notification). */
  onError?: (error: unknown) => void;
}

interface Entry {
  after: bigint;
  timer: NodeJS.Timeout;
  resolve: (end: WaitEnd) => void;
}

export class ChangeWaiters {
  private readonly entries = new Set<Entry>();
  private closed = false;
  private checking: Promise<void> | undefined;
  private checkAgain = false;

  constructor(private readonly options: ChangeWaitersOptions) {}

  get size(): number {
    return this.entries.size;
  }

  /** Waits at most `timeoutMs` for a change after `afterPosition` (undefined: any); undefined (no wait) when full or closing. */
  wait(afterPosition: string | undefined, timeoutMs: number): Waiter | undefined {
    if (this.closed || this.entries.size >= this.options.max) return undefined;
    let resolve: (end: WaitEnd) => void = () => {};
    const ended = new Promise<WaitEnd>((settle) => {
      resolve = settle;
    });
    const entry: Entry = {
      after: BigInt(afterPosition ?? 0),
      resolve,
      timer: setTimeout(() => this.end(entry, 'timeout'), timeoutMs),
    };
    this.entries.add(entry);
    return { ended, cancel: () => this.end(entry, 'cancelled') };
  }

  /** A delivery finished, or notifications may have been lost: ends the waiters something now follows. */
  check(): void {
    if (this.entries.size === 0) return;
    if (this.checking) {
      this.checkAgain = true;
      return;
    }
    this.checking = (async () => {
      do {
        this.checkAgain = false;
        try {
          this.advancedTo(await this.options.lastPosition());
        } catch (error) {
          this.options.onError?.(error);
        }
      } while (this.checkAgain && this.entries.size > 0);
      this.checking = undefined;
    })();
  }

  /** The feed now ends at `lastPosition`: the waiters before it end. */
  advancedTo(lastPosition: string | null): void {
    if (lastPosition === null) return;
    const last = BigInt(lastPosition);
    for (const entry of [...this.entries]) if (entry.after < last) this.end(entry, 'finished');
  }

  /** Shutdown: every waiter ends now, and no new one is taken. */
  close(): void {
    this.closed = true;
    for (const entry of [...this.entries]) this.end(entry, 'shutdown');
  }

  private end(entry: Entry, why: WaitEnd): void {
    if (!this.entries.delete(entry)) return; // ended before
    clearTimeout(entry.timer);
    entry.resolve(why);
  }
}
