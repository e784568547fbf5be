import { createHash, randomBytes } from 'node:crypto';
import { FailureThrottle } from './limits.js';
import { hashPassword, verifyPassword } from './password.js';

export interface Principal {
  username: string;
  clientId: string;
  readOnly: boolean;
}

export interface StoredCredential {
  username: string;
  clientId: string;
  passwordHash: string;
  readOnly: boolean;
  revoked: boolean;
}

export type AuthOutcome =
  | { ok: true; principal: Principal }
  | { ok: false; reason: 'unauthorized' }
  | { ok: false; reason: 'throttled'; retryAfterSeconds: number };

const FAILURE_WINDOW_MS = 15 * 60 * 1000;
const CACHE_TTL_MS = 60 * 1000;
const CACHE_MAX = 10_000;

/**
 * Basic-auth verification. The credential row is read on every request (a primary-key lookup),
 * so revoking or rotating takes effect at once; only the slow scrypt comparison is cached, keyed
 * by the stored hash and a digest of the offered password, so a changed hash never hits the cache.
 */
export class Authenticator {
  private readonly verified = new Map<string, number>();
  private readonly perUsername = new FailureThrottle(10, FAILURE_WINDOW_MS);
  private readonly perAddress = new FailureThrottle(100, FAILURE_WINDOW_MS);
  private decoyHash: Promise<string> | undefined;

  constructor(
    private readonly findCredential: (username: string) => Promise<StoredCredential | undefined>,
    private readonly clock: () => number = Date.now,
  ) {}

  async authenticate(username: string, password: string, sourceAddress: string): Promise<AuthOutcome> {
    const now = this.clock();
    const retryAfterSeconds = Math.max(
      this.perUsername.retryAfterSeconds(username, now),
      this.perAddress.retryAfterSeconds(sourceAddress, now),
    );
    if (retryAfterSeconds > 0) return { ok: false, reason: 'throttled', retryAfterSeconds };

    const credential = await this.findCredential(username);
    const valid =
      credential && !credential.revoked
        ? await this.verifyCached(credential, password, now)
        : // Unknown users cost the same slow hash as wrong passwords: identical timing.
          await verifyPassword(password, await this.decoy()).then(() => false);
    if (!valid || !credential) {
      this.perUsername.recordFailure(username, now);
      this.perAddress.recordFailure(sourceAddress, now);
      return { ok: false, reason: 'unauthorized' };
    }
    return {
      ok: true,
      principal: { username: credential.username, clientId: credential.clientId, readOnly: credential.readOnly },
    };
  }

  private async verifyCached(credential: StoredCredential, password: string, now: number): Promise<boolean> {
    const key = createHash('sha256')
      .update(credential.username)
      .update('\0')
      .update(credential.passwordHash)
      .update('\0')
      .update(password)
      .digest('base64');
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
