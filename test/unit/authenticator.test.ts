import { describe, expect, it } from 'vitest';
import {
  type AttemptKeys,
  Authenticator,
  type CredentialStore,
  type StoredCredential,
} from '../../src/auth/authenticator.js';
import { hashPassword } from '../../src/auth/password.js';
import { FAILED_LOGIN_LIMITS, FAILED_LOGIN_WINDOW_MS } from '../../src/domain/login-throttle.js';

/**
 * The authenticator's memory: what it saves per request, and what always reaches the store. The
 * store here is an in-memory stand-in for the database's (src/db/repositories/credentials.ts,
 * tested on PostgreSQL in test/db/login-failures.test.ts): it keeps the failure times per key
 * the way migrations/0007_login_failures.sql does, and counts what it is asked.
 */
class MemoryStore implements CredentialStore {
  readonly failures = new Map<string, { scope: 'username' | 'address'; times: number[] }>();
  readonly asked: string[] = [];
  /** The authenticators of the "other processes", told of each announced lock-out. */
  readonly listeners: Authenticator[] = [];
  offline = false;

  constructor(
    private readonly row: StoredCredential,
    readonly clock: () => number,
  ) {}

  async find(username: string, keys: { username: string; address: string }) {
    this.ask(`find ${username}`);
    return {
      credential: username === this.row.username ? { ...this.row } : undefined,
      failures: { username: this.timesOf(keys.username), address: this.timesOf(keys.address), now: this.clock() },
    };
  }

  async isCurrent(): Promise<boolean> {
    throw new Error('not asked by these tests'); // the database's own check: test/db/functions.test.ts
  }

  async recordFailure(keys: AttemptKeys) {
    this.ask('record');
    const now = this.clock();
    const add = (key: string, scope: 'username' | 'address') => {
      const recent = this.timesOf(key).filter((at) => at > now - FAILED_LOGIN_WINDOW_MS);
      this.failures.set(key, { scope, times: [...recent, now].slice(-FAILED_LOGIN_LIMITS[scope]) });
    };
    if (keys.username !== null) add(keys.username, 'username');
    add(keys.address, 'address');
    return {
      username: keys.username === null ? [] : this.timesOf(keys.username),
      address: this.timesOf(keys.address),
      now,
    };
  }

  async lockedKeys() {
    this.ask('locked keys');
    return [...this.failures]
      .filter(([, { scope, times }]) => times.length >= FAILED_LOGIN_LIMITS[scope])
      .map(([key, { scope, times }]) => ({ key, scope, failures: times, now: this.clock() }));
  }

  async announceLockout() {
    this.ask('announce');
    await Promise.all(this.listeners.map((listener) => listener.refreshLockouts()));
  }

  private timesOf(key: string): number[] {
    return this.failures.get(key)?.times ?? [];
  }

  private ask(what: string) {
    if (this.offline) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    this.asked.push(what);
  }
}

describe('Authenticator', () => {
  const setup = async () => {
    let now = 1_000_000;
    const row: StoredCredential = {
      username: 'erp',
      clientId: 'acme',
      passwordHash: await hashPassword('secret'),
      readOnly: false,
      revoked: false,
    };
    const store = new MemoryStore(row, () => now);
    const authenticator = new Authenticator(store, { clock: () => now });
    const reads = () => store.asked.filter((what) => what.startsWith('find'));
    /** Another API process on the same store. */
    const otherProcess = () => {
      const other = new Authenticator(store, { clock: () => now });
      store.listeners.push(other);
      return other;
    };
    return { authenticator, store, reads, otherProcess, advance: (ms: number) => (now += ms) };
  };

  it('remembers a verified username and password: the next request reads no credential row', async () => {
    const { authenticator, store } = await setup();
    const first = await authenticator.authenticate('erp', 'secret', '10.0.0.1');
    const second = await authenticator.authenticate('erp', 'secret', '10.0.0.1');
    expect(first).toMatchObject({ ok: true, remembered: false, principal: { clientId: 'acme', readOnly: false } });
    expect(second).toMatchObject({ ok: true, remembered: true });
    expect(store.asked).toEqual(['find erp']);
  });

  it('never remembers a wrong password, and a different password is checked against the row', async () => {
    const { authenticator, store } = await setup();
    await authenticator.authenticate('erp', 'secret', '10.0.0.1');
    for (let i = 0; i < 2; i++) {
      expect(await authenticator.authenticate('erp', 'wrong', '10.0.0.1')).toEqual({
        ok: false,
        reason: 'unauthorized',
        knownUsername: true,
      });
    }
    expect(store.asked).toEqual(['find erp', 'find erp', 'record', 'find erp', 'record']);
  });

  it('forgets on request and after a minute', async () => {
    const { authenticator, reads, advance } = await setup();
    await authenticator.authenticate('erp', 'secret', '10.0.0.1');
    authenticator.forget('erp');
    expect(await authenticator.authenticate('erp', 'secret', '10.0.0.1')).toMatchObject({ remembered: false });
    advance(60_001);
    expect(await authenticator.authenticate('erp', 'secret', '10.0.0.1')).toMatchObject({ remembered: false });
    expect(reads()).toHaveLength(3);
  });

  it('10 failures lock the username out, even for the right password; the lock-out is announced once', async () => {
    const { authenticator, store, reads, advance } = await setup();
    for (let i = 0; i < 10; i++) {
      expect(await authenticator.authenticate('erp', `wrong-${i}`, `10.0.0.${i}`)).toMatchObject({ ok: false });
    }
    expect(store.asked.filter((what) => what === 'announce')).toHaveLength(1);
    const readsBefore = reads().length;
    const blocked = await authenticator.authenticate('erp', 'secret', '10.0.9.9');
    expect(blocked).toEqual({ ok: false, reason: 'throttled', retryAfterSeconds: FAILED_LOGIN_WINDOW_MS / 1000 });
    // known in memory: refused without reading the row
    expect(reads()).toHaveLength(readsBefore);
    advance(FAILED_LOGIN_WINDOW_MS);
    expect(await authenticator.authenticate('erp', 'secret', '10.0.9.9')).toMatchObject({ ok: true });
  });

  it("a remembered principal is refused once another process's failures lock its username out", async () => {
    const { authenticator, otherProcess, reads } = await setup();
    expect(await authenticator.authenticate('erp', 'secret', '10.0.0.1')).toMatchObject({ ok: true });
    const other = otherProcess();
    for (let i = 0; i < 10; i++) await other.authenticate('erp', `wrong-${i}`, '10.9.0.1');
    // this process was told (the app calls refreshLockouts on the announcement's NOTIFY)
    await authenticator.refreshLockouts();
    const readsBefore = reads().length;
    expect(await authenticator.authenticate('erp', 'secret', '10.0.0.1')).toMatchObject({ reason: 'throttled' });
    expect(reads()).toHaveLength(readsBefore);
  });

  it('a lock-out this process was not told of is found when the row is read, without a password check', async () => {
    const { authenticator, store, reads } = await setup();
    const other = new Authenticator(store, { clock: store.clock }); // not listening
    for (let i = 0; i < 10; i++) await other.authenticate('ghost', `guess-${i}`, '10.9.0.1');
    expect(await authenticator.authenticate('ghost', 'guess-11', '10.0.0.1')).toMatchObject({ reason: 'throttled' });
    expect(store.asked.at(-1)).toBe('find ghost'); // refused before any failure was recorded
    expect(await authenticator.authenticate('ghost', 'guess-12', '10.0.0.1')).toMatchObject({ reason: 'throttled' });
    expect(reads().filter((what) => what === 'find ghost')).toHaveLength(11); // learned: no second read
  });

  it('refused bearer tokens count per address, across processes; addressRetryAfterSeconds reads nothing', async () => {
    const { authenticator, otherProcess, store } = await setup();
    const other = otherProcess();
    await other.refreshLockouts();
    for (let i = 0; i < FAILED_LOGIN_LIMITS.address - 1; i++) await authenticator.recordRefusedToken('10.0.0.7');
    expect(await other.addressRetryAfterSeconds('10.0.0.7')).toBe(0);
    await authenticator.recordRefusedToken('10.0.0.7');
    const asked = store.asked.length;
    expect(await other.addressRetryAfterSeconds('10.0.0.7')).toBe(FAILED_LOGIN_WINDOW_MS / 1000);
    expect(await authenticator.addressRetryAfterSeconds('10.0.0.7')).toBe(FAILED_LOGIN_WINDOW_MS / 1000);
    expect(await other.addressRetryAfterSeconds('10.0.0.8')).toBe(0);
    expect(store.asked).toHaveLength(asked);
    // Basic from that address is refused too, remembered or not; the username itself is not locked
    expect(await other.authenticate('erp', 'secret', '10.0.0.7')).toMatchObject({ reason: 'throttled' });
    expect(await other.authenticate('erp', 'secret', '10.0.0.8')).toMatchObject({ ok: true });
  });

  it('a store that cannot be reached is an error, not a refusal (the HTTP layer answers 503)', async () => {
    const { authenticator, store } = await setup();
    store.offline = true;
    await expect(authenticator.authenticate('erp', 'secret', '10.0.0.1')).rejects.toThrow(/ECONNREFUSED/);
    await expect(authenticator.recordRefusedToken('10.0.0.1')).rejects.toThrow(/ECONNREFUSED/);
    await expect(authenticator.refreshLockouts()).rejects.toThrow(/ECONNREFUSED/);
  });
});
