import { errors as joseErrors, jwtVerify } from 'jose';
import type { OidcConfig } from '../config.js';
import {
  BEARER_ALGORITHMS,
  CLOCK_TOLERANCE_SECONDS,
  DEFAULT_CLIENT_CLAIMS,
  issuedInTheFuture,
  REQUIRED_CLAIMS,
  tokenClientValue,
} from '../domain/bearer-tokens.js';
import type { Principal } from './authenticator.js';
import { IssuerKeys, IssuerUnavailableError } from './issuer-keys.js';

/**
 * Bearer tokens (OpenID Connect, spec 9.3): verifies a token with jose against the issuer's keys
 * (src/auth/issuer-keys.ts) and finds the principal its client claim is mapped to. Nothing here
 * keeps or reports a token or its claims, except the client value.
 */

export interface BearerOptions extends OidcConfig {
  /** For tests: the time the tokens and the issuer's request interval are measured against. */
  clock?: () => number;
  /** Most time one request to the issuer may take (default 5 s). */
  issuerTimeoutMs?: number;
}

export type TokenOutcome =
  | { ok: true; clientValue: string }
  /** 401. `problem`: jose's error code or what else was wrong; `claim`: the name of the claim at fault. */
  | { ok: false; reason: 'refused'; problem: string; claim?: string }
  /** 503: no cached key fits and the latest request to the issuer failed. */
  | { ok: false; reason: 'unavailable'; retryAfterSeconds: number };

/** Where the mapping of client values to clients is read (`osr oidc`). */
export interface BearerPrincipalStore {
  /** The principal a client value is mapped to; undefined when it is not mapped. */
  find(clientValue: string): Promise<Principal | undefined>;
}

const CACHE_TTL_MS = 60 * 1000;
const CACHE_MAX = 10_000;

/**
 * Like the Basic authenticator, a mapping read in the last minute is remembered (no database read
 * for the token's request); every request statement re-checks it in its own round trip
 * (osr_credential_current), and the caller `forget`s it when that fails, so removing a mapping or
 * changing its access takes effect with the next request. Unmapped values are never remembered:
 * a mapping added takes effect with the next request too.
 */
export class BearerAuthenticator {
  readonly keys: IssuerKeys;
  private readonly clock: () => number;
  private readonly principals = new Map<string, { principal: Principal; expires: number }>();

  constructor(
    private readonly options: BearerOptions,
    private readonly store: BearerPrincipalStore,
    onIssuerRequestFailed?: (error: unknown, url: string) => void,
  ) {
    this.clock = options.clock ?? Date.now;
    this.keys = new IssuerKeys({
      issuer: options.issuer,
      clock: this.clock,
      ...(options.jwksUrl === undefined ? {} : { jwksUrl: options.jwksUrl }),
      ...(options.issuerTimeoutMs === undefined ? {} : { requestTimeoutMs: options.issuerTimeoutMs }),
      ...(onIssuerRequestFailed ? { onFetchFailed: onIssuerRequestFailed } : {}),
    });
  }

  /** Whether the token is one of the issuer's, for this audience, still valid; and its client value. */
  async verify(token: string): Promise<TokenOutcome> {
    const now = this.clock();
    let claims: Record<string, unknown>;
    try {
      ({ payload: claims } = await jwtVerify(token, this.keys.getKey, {
        issuer: this.options.issuer,
        audience: this.options.audience,
        algorithms: [...BEARER_ALGORITHMS],
        requiredClaims: [...REQUIRED_CLAIMS],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        currentDate: new Date(now),
      }));
    } catch (error) {
      if (error instanceof IssuerUnavailableError) {
        return { ok: false, reason: 'unavailable', retryAfterSeconds: error.retryAfterSeconds };
      }
      // Only the error's code and the claim's name: jose's claim errors also carry the claims.
      const claim = error instanceof joseErrors.JWTClaimValidationFailed ? { claim: error.claim } : {};
      return { ok: false, reason: 'refused', problem: problemOf(error), ...claim };
    }
    if (issuedInTheFuture(claims, Math.floor(now / 1000))) {
      return { ok: false, reason: 'refused', problem: 'ERR_JWT_CLAIM_VALIDATION_FAILED', claim: 'iat' };
    }
    const clientValue = tokenClientValue(claims, this.options.clientClaim);
    if (clientValue === undefined) {
      const claim = this.options.clientClaim ?? DEFAULT_CLIENT_CLAIMS.join('/');
      return { ok: false, reason: 'refused', problem: 'NO_CLIENT_CLAIM', claim };
    }
    return { ok: true, clientValue };
  }

  /** The principal the client value is mapped to (`remembered`: from memory, not read). */
  async principal(clientValue: string): Promise<{ principal: Principal; remembered: boolean } | undefined> {
    const known = this.principals.get(clientValue);
    if (known && known.expires > this.clock()) return { principal: known.principal, remembered: true };
    const principal = await this.store.find(clientValue);
    if (!principal) {
      this.principals.delete(clientValue);
      return undefined;
    }
    if (this.principals.size >= CACHE_MAX) this.principals.clear();
    this.principals.set(clientValue, { principal, expires: this.clock() + CACHE_TTL_MS });
    return { principal, remembered: false };
  }

  /** Drops the remembered mapping (it changed): the next request reads it. */
  forget(clientValue: string): void {
    this.principals.delete(clientValue);
  }
}

const problemOf = (error: unknown): string =>
  error instanceof joseErrors.JOSEError ? error.code : error instanceof Error ? error.name : 'UNKNOWN';
