import { describe, expect, it } from 'vitest';
import { KnownLockouts, throttleKey } from '../../src/auth/limits.js';

/** What a process knows of the (database-wide) lock-outs, to refuse without a round trip. */
describe('KnownLockouts', () => {
  it('refuses a key until its lock-out ends, then forgets it', () => {
    const lockouts = new KnownLockouts();
    lockouts.learn('erp', 30, 1_000);
    expect(lockouts.retryAfterSeconds('erp', 1_000)).toBe(30);
    expect(lockouts.retryAfterSeconds('erp', 30_500)).toBe(1);
    expect(lockouts.retryAfterSeconds('erp', 31_000)).toBe(0);
    expect(lockouts.retryAfterSeconds('other', 1_000)).toBe(0);
  });

  it('keeps the later end of what it learns, and ignores "not locked out"', () => {
    const lockouts = new KnownLockouts();
    lockouts.learn('erp', 60, 0);
    lockouts.learn('erp', 10, 0);
    lockouts.learn('erp', 0, 0);
    expect(lockouts.retryAfterSeconds('erp', 0)).toBe(60);
    lockouts.learn('erp', 120, 0);
    expect(lockouts.retryAfterSeconds('erp', 0)).toBe(120);
  });
});

describe('throttleKey', () => {
  it('is a short digest, different per scope, and never the value itself', () => {
    const long = 'x'.repeat(10_000);
    expect(throttleKey('username', long)).toHaveLength(44);
    expect(throttleKey('username', '10.0.0.1')).not.toBe(throttleKey('address', '10.0.0.1'));
    expect(throttleKey('username', 'erp')).toBe(throttleKey('username', 'erp'));
    expect(throttleKey('username', 'erp')).not.toContain('erp');
  });
});
