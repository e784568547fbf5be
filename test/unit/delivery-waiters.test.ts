import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { finishedIdsOf, finishedPayloads } from '../../src/db/repositories/finished-deliveries.js';
import { DeliveryWaiters } from '../../src/http/delivery-waiters.js';

/** The registry of E3 requests waiting for their delivery (spec 9.1), with fake timers. */
describe('DeliveryWaiters', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('ends the waiters of a finished delivery, and only those', async () => {
    const counts: number[] = [];
    const waiters = new DeliveryWaiters({ max: 10, onCount: (count) => counts.push(count) });
    const a1 = waiters.wait('a', 5_000);
    const a2 = waiters.wait('a', 5_000);
    const b = waiters.wait('b', 5_000);
    expect(waiters.size).toBe(3);
    expect(waiters.ids().sort()).toEqual(['a', 'b']);
    waiters.finished(['a', 'unknown']);
    await expect(a1?.ended).resolves.toBe('finished');
    await expect(a2?.ended).resolves.toBe('finished');
    expect(waiters.size).toBe(1);
    expect(waiters.ids()).toEqual(['b']);
    b?.cancel();
    await expect(b?.ended).resolves.toBe('cancelled');
    expect(counts).toEqual([1, 2, 3, 2, 1, 0]);
  });

  it('ends a waiter at its time-out', async () => {
    const waiters = new DeliveryWaiters({ max: 10 });
    const waiter = waiters.wait('a', 2_000);
    let ended: string | undefined;
    waiter?.ended.then((why) => {
      ended = why;
    });
    await vi.advanceTimersByTimeAsync(1_999);
    expect(ended).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(ended).toBe('timeout');
    expect(waiters.size).toBe(0);
  });

  it('ends each waiter once: later ends, cancels and time-outs change nothing', async () => {
    const counts: number[] = [];
    const waiters = new DeliveryWaiters({ max: 10, onCount: (count) => counts.push(count) });
    const waiter = waiters.wait('a', 1_000);
    waiters.finished(['a']);
    waiter?.cancel();
    waiters.finished(['a']);
    await vi.advanceTimersByTimeAsync(5_000);
    await expect(waiter?.ended).resolves.toBe('finished');
    expect(counts).toEqual([1, 0]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('takes at most `max` waiters; a freed slot can be taken again', () => {
    const waiters = new DeliveryWaiters({ max: 1_000 });
    const taken = Array.from({ length: 1_000 }, (_, i) => waiters.wait(`d${i % 7}`, 60_000));
    expect(taken.every(Boolean)).toBe(true);
    expect(waiters.wait('d1', 60_000)).toBeUndefined();
    taken[0]?.cancel();
    expect(waiters.wait('d1', 60_000)).toBeDefined();
    expect(waiters.size).toBe(1_000);
  });

  it('with max 0 nobody waits', () => {
    expect(new DeliveryWaiters({ max: 0 }).wait('a', 1_000)).toBeUndefined();
  });

  it('on close ends every waiter at once and takes no new one', async () => {
    const waiters = new DeliveryWaiters({ max: 10 });
    const ended = [waiters.wait('a', 60_000), waiters.wait('a', 60_000), waiters.wait('b', 60_000)].map(
      (waiter) => waiter?.ended,
    );
    waiters.close();
    await expect(Promise.all(ended)).resolves.toEqual(['shutdown', 'shutdown', 'shutdown']);
    expect(waiters.size).toBe(0);
    expect(waiters.wait('c', 60_000)).toBeUndefined();
    expect(vi.getTimerCount()).toBe(0);
  });
});

/** The finished-deliveries channel's payloads: comma-separated ids, under PostgreSQL's 8000 bytes. */
describe('finishedPayloads / finishedIdsOf', () => {
  const ids = Array.from({ length: 1_000 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);

  it('splits many ids into payloads of at most 7,900 bytes, losing none', () => {
    const payloads = finishedPayloads(ids);
    expect(payloads.length).toBe(Math.ceil(1_000 / Math.floor(7_901 / 37)));
    for (const payload of payloads) expect(Buffer.byteLength(payload)).toBeLessThanOrEqual(7_900);
    expect(payloads.flatMap(finishedIdsOf)).toEqual(ids);
  });

  it('one payload for a batch, none for nothing', () => {
    expect(finishedPayloads(ids.slice(0, 2))).toEqual([`${ids[0]},${ids[1]}`]);
    expect(finishedPayloads([])).toEqual([]);
    expect(finishedIdsOf('')).toEqual([]);
  });
});
