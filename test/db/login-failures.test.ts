import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Authenticator } from '../../src/auth/authenticator.js';
import { throttleKey } from '../../src/auth/limits.js';
import { hashPassword } from '../../src/auth/password.js';
import { openDatabase } from '../../src/db/connection.js';
import { addClient, addCredential } from '../../src/db/repositories/admin.js';
import { credentialStore, findSignIn } from '../../src/db/repositories/credentials.js';
import {
  announceLoginLockout,
  deleteExpiredLoginFailures,
  LOGIN_LOCKOUT_CHANNEL,
  lockedLoginKeys,
  recordLoginFailure,
} from '../../src/db/repositories/login-failures.js';
import { FAILED_LOGIN_LIMITS, FAILED_LOGIN_WINDOW_MS } from '../../src/domain/login-throttle.js';
import { expectOk, osr } from '../support/cli.js';
import { createTestDatabase, multiConnectionSkipReason, type TestDatabase } from '../support/database.js';

const skipReason = multiConnectionSkipReason();
if (skipReason) console.warn(`[skipped] a lock-out announcement between connections: ${skipReason}`);

/**
 * The failed-login counts of spec section 7 as PostgreSQL keeps them (migrations/0007), shared by
 * every API process: recording, the sign-in read, the window, clean-up, concurrent recordings.
 */
let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
  const { db } = database.handle;
  await addClient(db, 'acme', undefined);
  await addCredential(db, {
    clientId: 'acme',
    username: 'erp',
    password: 'erp-password',
    passwordHash: await hashPassword('erp-password'),
    readOnly: false,
  });
});
afterAll(async () => {
  await database?.destroy();
});

const db = () => database.handle.db;
const keysOf = (username: string, address: string) => ({
  username: throttleKey('username', username),
  address: throttleKey('address', address),
});
/** Moves a key's stored failures (and its expiry) into the past. */
const age = (key: string, ms: number) =>
  sql`UPDATE login_failures
      SET failed_at = ARRAY(SELECT t - make_interval(secs => ${ms / 1000}) FROM unnest(failed_at) AS t),
          expires_at = expires_at - make_interval(secs => ${ms / 1000})
      WHERE key = ${key}`.execute(db());
const rowCount = async () =>
  Number((await db().selectFrom('login_failures').select(sql<string>`count(*)`.as('n')).executeTakeFirstOrThrow()).n);

describe('recording failed logins', () => {
  it('returns the failure times of both keys, newest last, with the database clock', async () => {
    const keys = keysOf('erp', '10.0.0.1');
    const first = await recordLoginFailure(db(), keys);
    const second = await recordLoginFailure(db(), keys);
    expect(first.username).toHaveLength(1);
    expect(second.username).toHaveLength(2);
    expect(second.address).toHaveLength(2);
    expect(second.username[1]).toBeGreaterThanOrEqual(second.username[0] as number);
    expect(second.now).toBe(second.username[1]);
    expect(Math.abs(second.now - Date.now())).toBeLessThan(60_000);
  });

  it('a refused bearer token (no username) counts for the address only', async () => {
    const recorded = await recordLoginFailure(db(), { username: null, address: throttleKey('address', '10.0.0.2') });
    expect(recorded).toMatchObject({ username: [], address: [expect.any(Number)] });
  });

  it('keeps no more times per key than its limit', async () => {
    const keys = keysOf('keeper', '10.0.0.3');
    let last = await recordLoginFailure(db(), keys);
    for (let i = 1; i < FAILED_LOGIN_LIMITS.username + 5; i++) last = await recordLoginFailure(db(), keys);
    expect(last.username).toHaveLength(FAILED_LOGIN_LIMITS.username);
    expect(last.address).toHaveLength(FAILED_LOGIN_LIMITS.username + 5);
  });

  it('forgets failures that left the window; a later recording deletes expired rows', async () => {
    const keys = keysOf('forgotten', '10.0.0.4');
    for (let i = 0; i < 3; i++) await recordLoginFailure(db(), keys);
    await age(keys.username, FAILED_LOGIN_WINDOW_MS - 60_000); // still inside
    expect((await recordLoginFailure(db(), keys)).username).toHaveLength(4);
    await age(keys.username, 61_000); // the first three are out, the fourth is not
    expect((await recordLoginFailure(db(), keys)).username).toHaveLength(2);

    const gone = keysOf('gone', '10.0.0.5');
    await recordLoginFailure(db(), gone);
    await age(gone.username, FAILED_LOGIN_WINDOW_MS + 1_000);
    await age(gone.address, FAILED_LOGIN_WINDOW_MS + 1_000);
    const before = await rowCount();
    await recordLoginFailure(db(), keysOf('someone', '10.0.0.4')); // adds one row (the address's exists)
    expect(await rowCount()).toBe(before + 1 - 2);
    expect((await findSignIn(db(), 'gone', gone)).failures).toMatchObject({ username: [], address: [] });
  });

  it('expired rows are deleted by `osr purge` too', async () => {
    const stale = keysOf('stale', '10.0.0.9');
    await recordLoginFailure(db(), stale);
    await age(stale.username, FAILED_LOGIN_WINDOW_MS + 1_000);
    await age(stale.address, FAILED_LOGIN_WINDOW_MS + 1_000);
    const before = await rowCount();
    if (database.url) {
      const run = await osr(database.url, ['purge', '--older-than', '30']);
      expectOk(run);
      expect(run.stdout).toMatch(/^deleted 2 expired failed-login counts$/m);
    } else {
      expect(await deleteExpiredLoginFailures(db())).toBe(2); // PGlite: no second process
    }
    expect(await rowCount()).toBe(before - 2);
  });

  it('concurrent recordings of one key each see the others (no failure is lost)', async () => {
    const keys = keysOf('raced', '10.0.0.6');
    const results = await Promise.all(
      Array.from({ length: FAILED_LOGIN_LIMITS.username }, () => recordLoginFailure(db(), keys)),
    );
    expect(results.map((result) => result.username.length).sort((a, b) => a - b)).toEqual(
      Array.from({ length: FAILED_LOGIN_LIMITS.username }, (_, i) => i + 1),
    );
  });
});

describe('the sign-in read', () => {
  it('returns the credential row and the failures of both keys in one statement', async () => {
    const keys = keysOf('erp', '10.0.1.1');
    await recordLoginFailure(db(), keys);
    const found = await findSignIn(db(), 'erp', keys);
    expect(found.credential).toMatchObject({ username: 'erp', clientId: 'acme', readOnly: false, revoked: false });
    expect(found.failures.username.length).toBeGreaterThanOrEqual(1); // earlier tests failed for erp too
    expect(found.failures.address).toHaveLength(1);
    expect(found.failures.now).toBeGreaterThanOrEqual(found.failures.address[0] as number);
  });

  it('an unknown username: no credential, its failures all the same', async () => {
    const keys = keysOf('nobody', '10.0.1.2');
    expect(await findSignIn(db(), 'nobody', keys)).toMatchObject({
      credential: undefined,
      failures: { username: [], address: [] },
    });
    await recordLoginFailure(db(), keys);
    expect((await findSignIn(db(), 'nobody', keys)).failures.username).toHaveLength(1);
  });
});

describe('lock-outs shared between processes', () => {
  it('lockedLoginKeys: only keys at their limit within the window', async () => {
    const locked = keysOf('locked', '10.0.2.1');
    for (let i = 0; i < FAILED_LOGIN_LIMITS.username; i++) await recordLoginFailure(db(), locked);
    const almost = keysOf('almost', '10.0.2.2');
    for (let i = 0; i < FAILED_LOGIN_LIMITS.username - 1; i++) await recordLoginFailure(db(), almost);
    let keys = (await lockedLoginKeys(db())).map((row) => row.key);
    expect(keys).toContain(locked.username);
    expect(keys).not.toContain(almost.username);
    expect(keys).not.toContain(locked.address); // 10 of 100
    await age(locked.username, FAILED_LOGIN_WINDOW_MS + 1_000);
    keys = (await lockedLoginKeys(db())).map((row) => row.key);
    expect(keys).not.toContain(locked.username);
  });

  it('two authenticators on one database: failures in one lock the username in the other, remembered or not', async () => {
    const store = credentialStore(db());
    const first = new Authenticator(store);
    const second = new Authenticator(store);
    const address = '10.0.3.1';
    expect(await second.authenticate('erp', 'erp-password', address)).toMatchObject({ ok: true });
    await sql`DELETE FROM login_failures WHERE key = ${throttleKey('username', 'erp')}`.execute(db());
    for (let i = 0; i < FAILED_LOGIN_LIMITS.username; i++) {
      expect(await first.authenticate('erp', `wrong-${i}`, address)).toMatchObject({ reason: 'unauthorized' });
    }
    // read with the row: refused, not remembered
    expect(await new Authenticator(store).authenticate('erp', 'erp-password', address)).toMatchObject({
      reason: 'throttled',
      retryAfterSeconds: expect.any(Number),
    });
    // remembered: refused once the announcement was heard (the app calls refreshLockouts on it)
    await second.refreshLockouts();
    expect(await second.authenticate('erp', 'erp-password', address)).toMatchObject({ reason: 'throttled' });
    // and once the window has passed, the right password works again
    await age(throttleKey('username', 'erp'), FAILED_LOGIN_WINDOW_MS);
    const fresh = new Authenticator(store);
    await fresh.refreshLockouts();
    expect(await fresh.authenticate('erp', 'erp-password', address)).toMatchObject({ ok: true });
  });

  it.skipIf(Boolean(skipReason))('an announcement reaches the listeners of another connection', async () => {
    const listener = await openDatabase({ databaseUrl: database.url, dataDir: '' });
    const heard: (string | undefined)[] = [];
    try {
      const unlisten = await listener.listen(LOGIN_LOCKOUT_CHANNEL, (payload) => heard.push(payload));
      // listening once the connection says so (undefined: nothing before it was heard)
      await expect.poll(() => heard.length, { timeout: 10_000 }).toBeGreaterThan(0);
      await announceLoginLockout(db());
      await expect.poll(() => heard.includes(''), { timeout: 10_000 }).toBe(true);
      await unlisten();
    } finally {
      await listener.close();
    }
  });
});
