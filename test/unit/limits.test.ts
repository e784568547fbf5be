import { describe, expect, it } from 'vitest';
import { FailureThrottle } from '../../src/auth/limits.js';

describe('FailureThrottle (failed logins, spec section 7)', () => {
  const WINDOW = 15 * 60 * 1000;

  it('blocks after the limit within the window and tells how long to wait', () => {
    const throttle = new FailureThrottle(10, WINDOW);
    const start = 1_000_000;
    for (let i = 0; i < 9; i++) throttle.recordFailure('erp', start + i * 1000);
    expect(throttle.retryAfterSeconds('erp', start + 9_000)).toBe(0);
    throttle.recordFailure('erp', start + 9_000);
    // blocked until the oldest counted failure leaves the window
    expect(throttle.retryAfterSeconds('erp', start + 10_000)).toBe(Math.ceil((WINDOW - 10_000) / 1000));
    expect(throttle.retryAfterSeconds('other', start + 10_000)).toBe(0);
  });

  it('does not lock out forever: once the window has passed, attempts are allowed again', () => {
    const throttle = new FailureThrottle(10, WINDOW);
    for (let i = 0; i < 10; i++) throttle.recordFailure('erp', i);
    expect(throttle.retryAfterSeconds('erp', 60_000)).toBeGreaterThan(0);
    expect(throttle.retryAfterSeconds('erp', WINDOW + 10)).toBe(0);
  });

  it('counts only failures inside the sliding window', () => {
    const throttle = new FailureThrottle(3, 1000);
    throttle.recordFailure('k', 0);
    throttle.recordFailure('k', 500);
    throttle.recordFailure('k', 1200); // the first one has left the window
    expect(throttle.retryAfterSeconds('k', 1300)).toBe(0);
    throttle.recordFailure('k', 1300);
    expect(throttle.retryAfterSeconds('k', 1300)).toBe(1);
  });
});
