import { randomBytes } from 'node:crypto';

/** What @fastify/session signs and checks the session cookie with (@fastify/cookie's Signer). */
export interface CookieSigner {
  sign(value: string): string;
  unsign(input: string): { valid: boolean; renew: boolean; value: string | null };
}

/** A new session secret: 32 random bytes, as text. */
export const newSessionSecret = (): string => randomBytes(32).toString('base64url');

/**
 * The session cookies' signer, whose secret is known only once `ready()` resolved: the secret
 * of OSR_CONSOLE_SECRET at once, else the one kept in the database (made by the first process
 * that asks, shared by all), read at the console's first request rather than at start, so the
 * API's start-up gains no database round trip and an unmigrated database does not stop it. A
 * failed read is tried again by the next request.
 */
export class LazySessionSigner implements CookieSigner {
  private signer: CookieSigner | undefined;
  private loading: Promise<void> | undefined;

  constructor(
    private readonly loadSecret: () => Promise<string>,
    private readonly makeSigner: (secret: string) => CookieSigner,
  ) {}

  ready(): Promise<void> {
    if (this.signer) return Promise.resolve();
    this.loading ??= this.loadSecret().then(
      (secret) => {
        this.signer = this.makeSigner(secret);
      },
      (error: unknown) => {
        this.loading = undefined;
        throw error;
      },
    );
    return this.loading;
  }

  sign(value: string): string {
    return this.current().sign(value);
  }

  unsign(input: string) {
    return this.current().unsign(input);
  }

  private current(): CookieSigner {
    if (!this.signer) throw new Error('the console session secret is not loaded yet');
    return this.signer;
  }
}
