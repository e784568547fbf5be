import { describe, expect, it } from 'vitest';
import { retryAfterSeconds, FAILED_LOGIN_WINDOW_MS as WINDOW } from '../../src/domain/login-throttle.js';

/** Spec section 7: 10 failures per username, 100 per address, within 15 minutes. */
describe('retryAfterSeconds (failed logins, spec section 7)', () => {
  const start = 1_000_000_000;
  const failures = (count: number, from = start, stepMs = 1000) =>
    Array.from({ length: count }, (_, i) => from + i * stepMs);

  it('blocks a username at its 10th failure within the window, until the oldest counted one leaves it', () => {
    expect(retryAfterSeconds('username', failures(9), start + 9_000)).toBe(0);
    expect(retryAfterSeconds('username', failures(10), start + 10_000)).toBe(Math.ceil((WINDOW - 10_000) / 1000));
    expect(retryAfterSeconds('username', failures(10), start + WINDOW - 500)).toBe(1);
    // then correct credentials work again
    expect(retryAfterSeconds('username', failures(10), start + WINDOW)).toBe(0);
  });

  it('blocks an address at its 100th failure, not before', () => {
    expect(retryAfterSeconds('address', failures(99, start, 10), start + 1_000)).toBe(0);
    expect(retryAfterSeconds('address', failures(100, start, 10), start + 1_000)).toBe(WINDOW / 1000 - 1);
  });

  it('counts only failures inside the sliding window, in any order', () => {
    const old = failures(5, start - WINDOW); // left the window by `start`
    const recent = failures(9, start);
    expect(retryAfterSeconds('username', [...recent, ...old], start + 9_000)).toBe(0);
    // the newest 10 decide: the wait ends when the oldest of them leaves the window
    const eleven = failures(11, start);
    expect(retryAfterSeconds('username', [...eleven].reverse(), start + 11_000)).toBe(WINDOW / 1000 - 10);
  });

  it('waits at least one second while blocked', () => {
    expect(retryAfterSeconds('username', failures(10, start, 0), start + WINDOW - 1)).toBe(1);
  });
});
