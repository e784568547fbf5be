import { describe, expect, it } from 'vitest';
import { ChangeWaiters } from '../../src/http/change-waiters.js';

/** Spec 10.2 `Prefer: wait`: which waiting feed requests a notification releases, and the bound. */

const never = () => new Promise<string | null>(() => {});

describe('ChangeWaiters', () => {
  it('ends the waiters whose cursor lies before the feed’s new end, and only those', async () => {
    const waiters = new ChangeWaiters({ max: 10, lastPosition: never });
    const fromStart = waiters.wait(undefined, 60_000);
    const at5 = waiters.wait('5', 60_000);
    const at9 = waiters.wait('9', 60_000);
    waiters.advancedTo(null); // still empty
    waiters.advancedTo('5');
    expect(waiters.size).toBe(2);
    await expect(fromStart?.ended).resolves.toBe('finished');
    waiters.advancedTo('9');
    await expect(at5?.ended).resolves.toBe('finished');
    expect(waiters.size).toBe(1);
    at9?.cancel();
    await expect(at9?.ended).resolves.toBe('cancelled');
    expect(waiters.size).toBe(0);
  });

  it('check reads the end once per burst of notifications, and not at all without waiters', async () => {
    let reads = 0;
    let answer: (position: string) => void = () => {};
    const waiters = new ChangeWaiters({
      max: 10,
      lastPosition: () => {
        reads += 1;
        return new Promise((resolve) => {
          answer = resolve;
        });
      },
    });
    waiters.check();
    expect(reads).toBe(0);
    const waiter = waiters.wait('3', 60_000);
    waiters.check();
    waiters.check();
    waiters.check();
    expect(reads).toBe(1);
    answer('3'); // nothing after 3 yet; the notifications meanwhile ask once more
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(reads).toBe(2);
    answer('4');
    await expect(waiter?.ended).resolves.toBe('finished');
  });

  it('times out, refuses past its bound, and ends everyone at shutdown', async () => {
    const waiters = new ChangeWaiters({ max: 2, lastPosition: never });
    const short = waiters.wait(undefined, 10);
    await expect(short?.ended).resolves.toBe('timeout');
    const a = waiters.wait(undefined, 60_000);
    const b = waiters.wait(undefined, 60_000);
    expect(waiters.wait(undefined, 60_000)).toBeUndefined();
    waiters.close();
    await expect(Promise.all([a?.ended, b?.ended])).resolves.toEqual(['shutdown', 'shutdown']);
    expect(waiters.wait(undefined, 60_000)).toBeUndefined();
    expect(new ChangeWaiters({ max: 0, lastPosition: never }).wait(undefined, 1_000)).toBeUndefined();
  });

  it('a failed read is reported, and the waiters wait on', async () => {
    const errors: unknown[] = [];
    const waiters = new ChangeWaiters({
      max: 1,
      lastPosition: () => Promise.reject(new Error('database gone')),
      onError: (error) => errors.push(error),
    });
    const waiter = waiters.wait(undefined, 60_000);
    waiters.check();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(errors).toHaveLength(1);
    expect(waiters.size).toBe(1);
    waiter?.cancel();
  });
});
