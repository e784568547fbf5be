import {
  createLocalJWKSet,
  type FlattenedJWSInput,
  type JSONWebKeySet,
  type JWSHeaderParameters,
  errors as joseErrors,
} from 'jose';
import { ISSUER_REQUEST_INTERVAL_MS } from '../domain/bearer-tokens.js';

/**
 * The issuer's signing keys (spec 9.3): found through its discovery document
 * (`/.well-known/openid-configuration` → `jwks_uri`) unless a JWKS URL is configured, then
 * cached. Fetched again when a token names a key that is not cached, and, so that a key the
 * issuer withdrew stops working, when the cached set is older than 10 minutes (in the background:
 * that request goes on with the cached keys). Never more than one request to the issuer per 30 s,
 * successful or not; concurrent requests share one fetch. Parsing, importing and choosing the
 * keys is jose's (createLocalJWKSet); this class only decides when to fetch.
 */

/** No cached key fits the token and the latest request to the issuer failed: 503, not 401. */
export class IssuerUnavailableError extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super('the token names a key that is not cached, and the issuer could not be reached');
  }
}

export interface IssuerKeysOptions {
  issuer: string;
  /** Skips discovery. */
  jwksUrl?: string;
  clock?: () => number;
  /** Most time one request to the issuer may take (default 5 s). */
  requestTimeoutMs?: number;
  /** Told about every failed request to the issuer (never about tokens). */
  onFetchFailed?: (error: unknown, url: string) => void;
}

const KEYS_MAX_AGE_MS = 10 * 60 * 1000;
const DEFAULT_REQUEST_TIMEOUT_MS = 5_000;

type KeyLookup = ReturnType<typeof createLocalJWKSet>;

export class IssuerKeys {
  private keys: KeyLookup | undefined;
  private keysFetchedAt = 0;
  private jwksUrl: string | undefined;
  /** When the latest request to the issuer started (undefined: none yet), and whether it failed. */
  private lastRequestAt: number | undefined;
  private lastRequestFailed = false;
  private pending: Promise<void> | undefined;
  private readonly clock: () => number;

  constructor(private readonly options: IssuerKeysOptions) {
    this.clock = options.clock ?? Date.now;
    this.jwksUrl = options.jwksUrl;
  }

  /** jose's key-resolution function for jwtVerify. */
  readonly getKey = async (header: JWSHeaderParameters, token: FlattenedJWSInput) => {
    const cached = await this.cachedKey(header, token);
    if (cached) {
      if (this.clock() - this.keysFetchedAt > KEYS_MAX_AGE_MS && this.mayRequest()) {
        this.refresh().catch(() => {}); // failures go to onFetchFailed
      }
      return cached;
    }
    if (this.mayRequest()) await this.refresh().catch(() => {});
    else if (this.pending) await this.pending.catch(() => {});
    const fetched = await this.cachedKey(header, token);
    if (fetched) return fetched;
    if (this.lastRequestFailed) throw new IssuerUnavailableError(this.secondsUntilNextRequest());
    throw new joseErrors.JWKSNoMatchingKey();
  };

  /** The key the cached set has for the token, or undefined when none fits. */
  private async cachedKey(header: JWSHeaderParameters, token: FlattenedJWSInput) {
    if (!this.keys) return undefined;
    try {
      return await this.keys(header, token);
    } catch (error) {
      if (error instanceof joseErrors.JWKSNoMatchingKey) return undefined;
      throw error;
    }
  }

  private mayRequest(): boolean {
    return !this.pending && (this.lastRequestAt === undefined || this.secondsUntilNextRequest() === 0);
  }

  private secondsUntilNextRequest(): number {
    const next = (this.lastRequestAt ?? 0) + ISSUER_REQUEST_INTERVAL_MS;
    return Math.max(0, Math.ceil((next - this.clock()) / 1000));
  }

  /** One request to the issuer: the key set (after the discovery document, until that was read once). */
  private refresh(): Promise<void> {
    this.lastRequestAt = this.clock();
    this.pending = this.fetchKeys()
      .then((keys) => {
        this.keys = keys;
        this.keysFetchedAt = this.clock();
        this.lastRequestFailed = false;
      })
      .catch((error: unknown) => {
        this.lastRequestFailed = true;
        throw error;
      })
      .finally(() => {
        this.pending = undefined;
      });
    return this.pending;
  }

  private async fetchKeys(): Promise<KeyLookup> {
    this.jwksUrl ??= await this.discoverJwksUrl();
    const keySet = (await this.fetchJson(this.jwksUrl)) as JSONWebKeySet;
    try {
      return createLocalJWKSet(keySet);
    } catch (error) {
      this.options.onFetchFailed?.(error, this.jwksUrl);
      throw error;
    }
  }

  /**
   * OpenID Connect Discovery 1.0, section 4: a document that names an issuer must name this very
   * one. One without `issuer` (a minimal provider stand-in) is used for its `jwks_uri`: tokens
   * must carry `iss` = OSR_OIDC_ISSUER all the same, so nothing is trusted more for it.
   */
  private async discoverJwksUrl(): Promise<string> {
    const url = `${this.options.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
    const document = (await this.fetchJson(url)) as { issuer?: unknown; jwks_uri?: unknown };
    const problem =
      document.issuer !== undefined && document.issuer !== this.options.issuer
        ? 'its "issuer" is not OSR_OIDC_ISSUER'
        : typeof document.jwks_uri !== 'string' || !/^https?:\/\//.test(document.jwks_uri)
          ? 'it has no http(s) "jwks_uri"'
          : undefined;
    if (problem) {
      const error = new Error(`unusable discovery document: ${problem}`);
      this.options.onFetchFailed?.(error, url);
      throw error;
    }
    return document.jwks_uri as string;
  }

  private async fetchJson(url: string): Promise<unknown> {
    try {
      const response = await fetch(url, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(this.options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS),
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      return await response.json();
    } catch (error) {
      this.options.onFetchFailed?.(error, url);
      throw error;
    }
  }
}
