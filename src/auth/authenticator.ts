import { createHash, randomBytes } from 'node:crypto';
import { retryAfterSeconds, type ThrottleScope } from '../domain/login-throttle.js';
import { KnownLockouts, throttleKey } from './limits.js';
import { hashPassword, verifyPassword } from './password.js';

export interface Principal {
  username: string;
  clientId: string;
  readOnly: boolean;
  /**
   * The stored hash the password was verified against. Every request statement re-checks the
   * credential row against it (osr_credential_current), so a cached principal never outlives a
   * revoke or rotate. Never logged.
   */
  passwordHash: string;
}

export interface StoredCredential {
  username: string;
  clientId: string;
  passwordHash: string;
  readOnly: boolean;
  revoked: boolean;
}

/** The failed sign-ins recorded for a username's and an address's key (ms), and the database's clock then. */
export interface RecordedFailures {
  username: number[];
  address: number[];
  now: number;
}

/** A key with as many recent failures as its limit, as the database had it at `now`. */
export interface LockedKey {
  key: string;
  scope: ThrottleScope;
  failures: number[];
  now: number;
}

/** The throttle keys of an attempt (src/auth/limits.ts throttleKey); no username's for a bearer token. */
export interface AttemptKeys {
  username: string | null;
  address: string;
}

/**
 * Where credentials and failed sign-ins are kept: the database (src/db/repositories/), shared by
 * every API process, so the throttle of spec section 7 counts all their attempts.
 */
export interface CredentialStore {
  /** The credential row, if any, and the failures of the attempt's keys: one statement. */
  find(
    username: string,
    keys: { username: string; address: string },
  ): Promise<{
    credential: StoredCredential | undefined;
    failures: RecordedFailures;
  }>;
  /** Whether the row still is the one the principal was verified against (revoked, rotated, changed). */
  isCurrent(principal: Principal): Promise<boolean>;
  /** Records one failed attempt for each of the keys; their failures after it. */
  recordFailure(keys: AttemptKeys): Promise<RecordedFailures>;
  /** Every key that may be locked out now. */
  lockedKeys(): Promise<LockedKey[]>;
  /** Tells every process (this one too) that a key reached its limit: each calls `refreshLockouts`. */
  announceLockout(): Promise<void>;
}

export type AuthOutcome =
  /** `remembered`: taken from memory, the credential row was not read. */
  | { ok: true; principal: Principal; remembered: boolean }
  /** `knownUsername`: the username is a credential's (only then may a log name it). */
  | { ok: false; reason: 'unauthorized'; knownUsername: boolean }
  | { ok: false; reason: 'throttled'; retryAfterSeconds: number };

export interface AuthenticatorOptions {
  clock?: () => number;
  /** Work done in the background failed (telling the other processes of a lock-out). */
  onBackgroundError?: (error: unknown) => void;
  /**
   * Put before every username in its throttle key, so that the accounts of another store (the
   * operators of spec 10.1: `operator:`) are counted apart from the clients' usernames of the same
   * name. A username cannot hold ':' (Basic auth), so a prefix ending in ':' meets no client's.
   * The address is counted together: 100 failures from one source address, whatever they tried.
   */
  usernameKeyPrefix?: string;
}

const CACHE_TTL_MS = 60 * 1000;
const CACHE_MAX = 10_000;

/**
 * Basic-auth verification. A request whose username and password were verified in the last
 * minute gets its principal from memory (no database read, no scrypt); the route's own statement
 * then re-checks the credential row in the same round trip and calls `forget` + `authenticate`
 * again when it no longer matches, so revoking or rotating still takes effect at once. Otherwise
 * the credential row is read and the slow scrypt comparison runs (its result cached by stored
 * hash and password digest, so a changed hash never hits the cache).
 *
 * Failed attempts (spec section 7) are counted in the database, so all API processes share the
 * counts: each failure is recorded there (a failing request may cost round trips), and the
 * credential row is read in the same statement as the failures of the username and the address,
 * so a request that reads the row gains no round trip. A remembered principal is refused too while
 * its username or address is locked out: section 7 says further attempts get 429 until the window
 * has passed, whatever the password, and a remembered password is no exception. This process
 * knows those lock-outs without a round trip (`KnownLockouts`): from the failures it records, from
 * the rows it reads, and from the other processes, which announce a key that reaches its limit
 * (NOTIFY; the app then calls `refreshLockouts`, as it does at start and after reconnecting).
 * Until an announcement arrives (milliseconds; if it could not be sent, until the remembered
 * principal expires, at most a minute) another process may still serve a remembered password:
 * it proved the right password within that minute, so no guess gains from it.
 */
export class Authenticator {
  private readonly verified = new Map<string, number>();
  /** username → the principal last verified for it, and a digest of the password that proved it. */
  private readonly principals = new Map<string, { passwordDigest: string; principal: Principal; expires: number }>();
  private readonly lockouts = new KnownLockouts();
  private readonly clock: () => number;
  private readonly onBackgroundError: (error: unknown) => void;
  private readonly usernameKeyPrefix: string;
  private refreshing: Promise<void> | undefined;
  private refreshAgain = false;
  private decoyHash: Promise<string> | undefined;

  constructor(
    private readonly credentials: CredentialStore,
    options: AuthenticatorOptions = {},
  ) {
    this.clock = options.clock ?? Date.now;
    this.onBackgroundError = options.onBackgroundError ?? (() => {});
    this.usernameKeyPrefix = options.usernameKeyPrefix ?? '';
  }

  async authenticate(username: string, password: string, sourceAddress: string): Promise<AuthOutcome> {
    const keys = {
      username: throttleKey('username', this.usernameKeyPrefix + username),
      address: throttleKey('address', sourceAddress),
    };
    const known = this.knownRetryAfterSeconds(keys);
    if (known > 0) return { ok: false, reason: 'throttled', retryAfterSeconds: known };

    const now = this.clock();
    const passwordDigest = digest(username, password);
    const remembered = this.principals.get(username);
    if (remembered && remembered.passwordDigest === passwordDigest && remembered.expires > now) {
      return { ok: true, principal: remembered.principal, remembered: true };
    }

    const { credential, failures } = await this.credentials.find(username, keys);
    const retryAfterSeconds = this.learn(keys, failures);
    if (retryAfterSeconds > 0) return { ok: false, reason: 'throttled', retryAfterSeconds };
    const valid =
      credential && !credential.revoked
        ? await this.verifyCached(credential, password, now)
        : // Unknown users cost the same slow hash as wrong passwords: identical timing.
          await verifyPassword(password, await this.decoy()).then(() => false);
    if (!valid || !credential) {
      await this.recordFailure(keys);
      return { ok: false, reason: 'unauthorized', knownUsername: credential !== undefined };
    }
    const principal: Principal = {
      username: credential.username,
      clientId: credential.clientId,
      readOnly: credential.readOnly,
      passwordHash: credential.passwordHash,
    };
    if (this.principals.size >= CACHE_MAX) this.principals.clear();
    this.principals.set(username, { passwordDigest, principal, expires: now + CACHE_TTL_MS });
    return { ok: true, principal, remembered: false };
  }

  /**
   * Seconds a source address must wait before its next sign-in attempt (Basic or Bearer), or 0.
   * Bearer tokens (spec 9.3) are throttled per address only. From the lock-outs this process
   * knows of (every process's, see the class comment): no round trip.
   */
  async addressRetryAfterSeconds(sourceAddress: string): Promise<number> {
    return this.lockouts.retryAfterSeconds(throttleKey('address', sourceAddress), this.clock());
  }

  /**
   * A refused bearer token counts towards the per-address throttle of section 7 (spec 9.3).
   * Recorded in the database: rejects when it cannot be (the database is unreachable).
   */
  async recordRefusedToken(sourceAddress: string): Promise<void> {
    await this.recordFailure({ username: null, address: throttleKey('address', sourceAddress) });
  }

  /**
   * Loads the lock-outs of every process from the database: at start, when another process
   * announces one, and after the announcements may have been missed (reconnected). At most one
   * load runs at a time; calls meanwhile are served by one more load after it.
   */
  refreshLockouts(): Promise<void> {
    if (this.refreshing) {
      this.refreshAgain = true;
      return this.refreshing;
    }
    const refresh = async () => {
      try {
        do {
          this.refreshAgain = false;
          const locked = await this.credentials.lockedKeys();
          const now = this.clock();
          for (const { key, scope, failures, now: then } of locked) {
            this.lockouts.learn(key, retryAfterSeconds(scope, failures, then), now);
          }
        } while (this.refreshAgain);
      } finally {
        this.refreshing = undefined;
      }
    };
    this.refreshing = refresh();
    return this.refreshing;
  }

  /** Whether the credential row still is the one the principal was verified against. */
  isCurrent(principal: Principal): Promise<boolean> {
    return this.credentials.isCurrent(principal);
  }

  /** Drops the remembered principal (its credential row changed): the next request reads the row. */
  forget(username: string): void {
    this.principals.delete(username);
  }

  private knownRetryAfterSeconds(keys: { username: string; address: string }): number {
    const now = this.clock();
    return Math.max(
      this.lockouts.retryAfterSeconds(keys.username, now),
      this.lockouts.retryAfterSeconds(keys.address, now),
    );
  }

  /** Remembers the lock-outs the failures amount to; the longer wait of the two keys, or 0. */
  private learn(keys: AttemptKeys, failures: RecordedFailures): number {
    const now = this.clock();
    const address = retryAfterSeconds('address', failures.address, failures.now);
    this.lockouts.learn(keys.address, address, now);
    if (keys.username === null) return address;
    const username = retryAfterSeconds('username', failures.username, failures.now);
    this.lockouts.learn(keys.username, username, now);
    return Math.max(username, address);
  }

  /** Records the failure; when it locks a key out, tells the other processes (best effort). */
  private async recordFailure(keys: AttemptKeys): Promise<void> {
    const failures = await this.credentials.recordFailure(keys);
    if (this.learn(keys, failures) > 0) this.credentials.announceLockout().catch(this.onBackgroundError);
  }

  private async verifyCached(credential: StoredCredential, password: string, now: number): Promise<boolean> {
    const key = digest(credential.username, credential.passwordHash, password);
    const expires = this.verified.get(key);
    if (expires !== undefined && expires > now) return true;
    const valid = await verifyPassword(password, credential.passwordHash);
    if (valid) {
      if (this.verified.size >= CACHE_MAX) this.verified.clear();
      this.verified.set(key, now + CACHE_TTL_MS);
    }
    return valid;
  }

  /** Builds the decoy hash ahead, so even the first unknown-user answer takes one scrypt run. */
  prepare(): void {
    this.decoy().catch(() => {});
  }

  private decoy(): Promise<string> {
    this.decoyHash ??= hashPassword(randomBytes(16).toString('hex'));
    return this.decoyHash;
  }
}

/** A one-way digest of the given parts, so that no password is kept in memory as such. */
function digest(...parts: string[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part).update('\0');
  return hash.digest('base64');
}
