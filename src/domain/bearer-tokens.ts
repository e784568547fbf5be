/**
 * Bearer tokens (spec 9.3) as pure rules: which tokens are acceptable and which claim names the
 * client. The signature and the standard claims are checked by jose (src/auth/bearer.ts) with
 * the parameters below; what jose does not check is decided here.
 */

/** Asymmetric algorithms only: never `none`, never HS* (a public key must not work as a secret). */
export const BEARER_ALGORITHMS = ['RS256', 'PS256', 'ES256'] as const;

/** Claims a token must carry. */
export const REQUIRED_CLAIMS = ['exp', 'iss', 'aud'] as const;

/** `exp` > now − 60 s; `nbf` and `iat`, when present, ≤ now + 60 s. */
export const CLOCK_TOLERANCE_SECONDS = 60;

/** At most one request to the issuer in this time, successful or not. */
export const ISSUER_REQUEST_INTERVAL_MS = 30_000;

/** The claims consulted when OSR_OIDC_CLIENT_CLAIM is not set, in this order. */
export const DEFAULT_CLIENT_CLAIMS = ['azp', 'client_id'] as const;

/**
 * The value that names the token's client: `azp`, or `client_id` when `azp` is absent; only
 * `configuredClaim` when one is configured. Undefined when that claim is absent or not a
 * non-empty string (the token then maps to no client).
 */
export function tokenClientValue(claims: Record<string, unknown>, configuredClaim?: string): string | undefined {
  const name =
    configuredClaim ?? DEFAULT_CLIENT_CLAIMS.find((claim) => claims[claim] !== undefined) ?? DEFAULT_CLIENT_CLAIMS[0];
  const value = claims[name];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/**
 * `iat`, when present, ≤ now + tolerance (jose checks `exp` and `nbf`, and `iat` only together
 * with a maximum token age, which the spec does not set). `nowSeconds`: seconds since the epoch.
 */
export function issuedInTheFuture(claims: { iat?: unknown }, nowSeconds: number): boolean {
  return typeof claims.iat === 'number' && claims.iat > nowSeconds + CLOCK_TOLERANCE_SECONDS;
}

/**
 * The values `osr oidc add` accepts as a claim value: what client ids of identity providers look
 * like (names, UUIDs, URLs), and nothing that would garble a table or a log line.
 */
export const CLAIM_VALUE_FORMAT = /^[^\s\p{Cc}]{1,256}$/u;
export const CLAIM_VALUE_RULE = '1 to 256 characters, no spaces or control characters';
