/**
 * The E3 requests of this process that wait for their delivery (spec 9.1), by delivery id. Fed
 * by one LISTEN (src/http/delivery-waiting.ts); no timer or query per request besides its
 * time-out. Bounded: past `max` waiters, `wait` refuses and the request is answered at once.
 */

/** Default of OSR_MAX_WAITERS: E3 requests that may wait at once per process (spec 9.1). */
export const DEFAULT_MAX_WAITERS = 1_000;

/** Why a wait ended: the delivery finished (or may have), its time-out, shutdown, or `cancel()`. */
export type WaitEnd = 'finished' | 'timeout' | 'shutdown' | 'cancelled';

export interface Waiter {
  /** Resolves once, with why the wait ended; the waiter's slot is free by then. */
  readonly ended: Promise<WaitEnd>;
  /** Ends the wait now (idempotent): the answer no longer needs it, or the client went away. */
  cancel(): void;
}

interface Entry {
  id: string;
  timer: NodeJS.Timeout;
  resolve: (end: WaitEnd) => void;
}

export interface DeliveryWaitersOptions {
  /** Most waiters at once (OSR_MAX_WAITERS); 0 turns waiting off. */
  max: number;
  /** Called with the number of waiters whenever it changes (the metric). */
  onCount?: (count: number) => void;
}

export class DeliveryWaiters {
  private readonly byId = new Map<string, Set<Entry>>();
  private count = 0;
  private closed = false;

  constructor(private readonly options: DeliveryWaitersOptions) {}

  get size(): number {
    return this.count;
  }

  /** Waits for delivery `id` at most `timeoutMs`; undefined (no wait) when full or closing. */
  wait(id: string, timeoutMs: number): Waiter | undefined {
    if (this.closed || this.count >= this.options.max) return undefined;
    let resolve: (end: WaitEnd) => void = () => {};
    const ended = new Promise<WaitEnd>((settle) => {
      resolve = settle;
    });
    const entry: Entry = { id, resolve, timer: setTimeout(() => this.end(entry, 'timeout'), timeoutMs) };
    const entries = this.byId.get(id);
    if (entries) entries.add(entry);
    else this.byId.set(id, new Set([entry]));
    this.count += 1;
    this.options.onCount?.(this.count);
    return { ended, cancel: () => this.end(entry, 'cancelled') };
  }

  /** These deliveries finished: their waiters end. Unknown ids are ignored. */
  finished(ids: Iterable<string>): void {
    for (const id of ids) {
      const entries = this.byId.get(id);
      if (entries) for (const entry of [...entries]) this.end(entry, 'finished');
    }
  }

  /** The ids waited for (to check after notifications may have been lost). */
  ids(): string[] {
    return [...this.byId.keys()];
  }

  /** Shutdown: every waiter ends now, and no new one is taken. */
  close(): void {
    this.closed = true;
    for (const entries of [...this.byId.values()]) for (const entry of [...entries]) this.end(entry, 'shutdown');
  }

  private end(entry: Entry, why: WaitEnd): void {
    const entries = this.byId.get(entry.id);
    if (!entries?.delete(entry)) return; // ended before
    if (entries.size === 0) this.byId.delete(entry.id);
    clearTimeout(entry.timer);
    this.count -= 1;
    this.options.onCount?.(this.count);
    entry.resolve(why);
  }
}
