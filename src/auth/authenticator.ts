import { createHash, randomBytes } from 'node:crypto';
import { FailureThrottle } from './limits.js';
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

/** Where credentials are read, and the database's own re-check of a principal's credential row. */
export interface CredentialStore {
  find(username: string): Promise<StoredCredential | undefined>;
  /** Whether the row still is the one the principal was verified against (revoked, rotated, changed). */
  isCurrent(principal: Principal): Promise<boolean>;
}

export type AuthOutcome =
  /** `remembered`: taken from memory, the credential row was not read. */
  | { ok: true; principal: Principal; remembered: boolean }
  /** `knownUsername`: the username is a credential's (only then may a log name it). */
  | { ok: false; reason: 'unauthorized'; knownUsername: boolean }
  | { ok: false; reason: 'throttled'; retryAfterSeconds: number };

const FAILURE_WINDOW_MS = 15 * 60 * 1000;
const CACHE_TTL_MS = 60 * 1000;
const CACHE_MAX = 10_000;

/**
 * Basic-auth verification. A request whose username and password were verified in the last
 * minute gets its principal from memory (no database read, no scrypt); the route's own statement
 * then re-checks the credential row in the same round trip and calls `forget` + `authenticate`
 * again when it no longer matches, so revoking or rotating still takes effect at once. Otherwise
 * the credential row is read and the slow scrypt comparison runs (its result cached by stored
 * hash and password digest, so a changed hash never hits the cache).
 */
export class Authenticator {
  private readonly verified = new Map<string, number>();
  /** username → the principal last verified for it, and a digest of the password that proved it. */
  private readonly principals = new Map<string, { passwordDigest: string; principal: Principal; expires: number }>();
  private readonly perUsername = new FailureThrottle(10, FAILURE_WINDOW_MS);
  private readonly perAddress = new FailureThrottle(100, FAILURE_WINDOW_MS);
  private decoyHash: Promise<string> | undefined;

  constructor(
    private readonly credentials: CredentialStore,
    private readonly clock: () => number = Date.now,
  ) {}

  async authenticate(username: string, password: string, sourceAddress: string): Promise<AuthOutcome> {
    const now = this.clock();
    const retryAfterSeconds = Math.max(
      this.perUsername.retryAfterSeconds(username, now),
      this.perAddress.retryAfterSeconds(sourceAddress, now),
    );
    if (retryAfterSeconds > 0) return { ok: false, reason: 'throttled', retryAfterSeconds };

    const passwordDigest = digest(username, password);
    const known = this.principals.get(username);
    if (known && known.passwordDigest === passwordDigest && known.expires > now) {
      return { ok: true, principal: known.principal, remembered: true };
    }

    const credential = await this.credentials.find(username);
    const valid =
      credential && !credential.revoked
        ? await this.verifyCached(credential, password, now)
        : // Unknown users cost the same slow hash as wrong passwords: identical timing.
          await verifyPassword(password, await this.decoy()).then(() => false);
    if (!valid || !credential) {
      this.perUsername.recordFailure(username, now);
      this.perAddress.recordFailure(sourceAddress, now);
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
   * Bearer tokens (spec 9.3) are throttled per address only.
   */
  async addressRetryAfterSeconds(sourceAddress: string): Promise<number> {
    return this.perAddress.retryAfterSeconds(sourceAddress, this.clock());
  }

  /** A refused bearer token counts towards the per-address throttle of section 7 (spec 9.3). */
  async recordRefusedToken(sourceAddress: string): Promise<void> {
    this.perAddress.recordFailure(sourceAddress, this.clock());
  }

  /** Whether the credential row still is the one the principal was verified against. */
  isCurrent(principal: Principal): Promise<boolean> {
    return this.credentials.isCurrent(principal);
  }

  /** Drops the remembered principal (its credential row changed): the next request reads the row. */
  forget(username: string): void {
    this.principals.delete(username);
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
