import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import {
  BEARER_ALGORITHMS,
  CLAIM_VALUE_FORMAT,
  CLOCK_TOLERANCE_SECONDS,
  issuedInTheFuture,
  tokenClientValue,
} from '../../src/domain/bearer-tokens.js';

describe('tokenClientValue: the claim that names the client (spec 9.3)', () => {
  it('is azp', () => {
    expect(tokenClientValue({ azp: 'erp-app', client_id: 'other' })).toBe('erp-app');
  });
  it('is client_id when azp is absent', () => {
    expect(tokenClientValue({ client_id: 'erp-app' })).toBe('erp-app');
  });
  it('is nothing when both are absent, or the one present is not a non-empty string (no fallback then)', () => {
    expect(tokenClientValue({ sub: 'erp-app' })).toBeUndefined();
    expect(tokenClientValue({ azp: 42, client_id: 'erp-app' })).toBeUndefined();
    expect(tokenClientValue({ azp: '', client_id: 'erp-app' })).toBeUndefined();
    expect(tokenClientValue({ azp: null, client_id: 'erp-app' })).toBeUndefined();
    expect(tokenClientValue({ azp: ['erp-app'] })).toBeUndefined();
  });
  it('is the configured claim alone when one is configured', () => {
    expect(tokenClientValue({ appid: 'erp-app', azp: 'other' }, 'appid')).toBe('erp-app');
    expect(tokenClientValue({ azp: 'erp-app', client_id: 'erp-app' }, 'appid')).toBeUndefined();
    expect(tokenClientValue({ azp: 'erp-app' }, 'azp')).toBe('erp-app');
  });
});

describe('issuedInTheFuture: iat, when present, ≤ now + 60 s', () => {
  const now = 1_700_000_000;
  it('accepts up to 60 s ahead, refuses more', () => {
    expect(issuedInTheFuture({ iat: now + CLOCK_TOLERANCE_SECONDS }, now)).toBe(false);
    expect(issuedInTheFuture({ iat: now + CLOCK_TOLERANCE_SECONDS + 1 }, now)).toBe(true);
    expect(issuedInTheFuture({ iat: now - 3600 }, now)).toBe(false);
  });
  it('accepts a token without iat', () => {
    expect(issuedInTheFuture({}, now)).toBe(false);
  });
});

describe('the accepted algorithms', () => {
  it('are RS256, PS256 and ES256 only: never none or HS*', () => {
    expect([...BEARER_ALGORITHMS]).toEqual(['RS256', 'PS256', 'ES256']);
  });
});

describe('claim values of osr oidc', () => {
  it('are 1 to 256 characters without spaces or control characters', () => {
    for (const value of [
      'erp-app',
      '0oa1b2c3d4',
      'https://erp.example.com/client',
      '6f1c7c2e-9a1b-4b6e-8f0e-1d2c3b4a5f60',
    ]) {
      expect(CLAIM_VALUE_FORMAT.test(value), value).toBe(true);
    }
    for (const value of ['', 'erp app', 'erp\tapp', 'erp\u0000', 'x'.repeat(257)]) {
      expect(CLAIM_VALUE_FORMAT.test(value), JSON.stringify(value)).toBe(false);
    }
  });
});

describe('OSR_OIDC_* configuration', () => {
  const issuer = 'https://login.example.com/realms/erp';

  it('is off without OSR_OIDC_ISSUER', () => {
    expect(loadConfig({}).oidc).toBeUndefined();
  });
  it('needs OSR_OIDC_AUDIENCE with the issuer: a clear start-up error otherwise', () => {
    expect(() => loadConfig({ OSR_OIDC_ISSUER: issuer })).toThrow(ConfigError);
    expect(() => loadConfig({ OSR_OIDC_ISSUER: issuer })).toThrow(
      'invalid environment: OSR_OIDC_AUDIENCE is required with OSR_OIDC_ISSUER',
    );
    expect(() => loadConfig({ OSR_OIDC_ISSUER: issuer, OSR_OIDC_AUDIENCE: '' })).toThrow(
      /OSR_OIDC_AUDIENCE is required/,
    );
  });
  it('refuses the other variables without the issuer (a mistyped issuer variable)', () => {
    expect(() => loadConfig({ OSR_OIDC_AUDIENCE: 'on-site-roles' })).toThrow(
      'invalid environment: OSR_OIDC_AUDIENCE is set but OSR_OIDC_ISSUER is not',
    );
    expect(() => loadConfig({ OSR_OIDC_CLIENT_CLAIM: 'appid' })).toThrow(/OSR_OIDC_CLIENT_CLAIM is set/);
  });
  it('refuses an issuer or JWKS URL that is not http(s)', () => {
    expect(() => loadConfig({ OSR_OIDC_ISSUER: 'login.example.com', OSR_OIDC_AUDIENCE: 'a' })).toThrow(
      /OSR_OIDC_ISSUER: must be an http:\/\/ or https:\/\/ URL/,
    );
    expect(() =>
      loadConfig({ OSR_OIDC_ISSUER: issuer, OSR_OIDC_AUDIENCE: 'a', OSR_OIDC_JWKS_URL: 'ftp://example.com/jwks' }),
    ).toThrow(/OSR_OIDC_JWKS_URL/);
  });
  it('takes the issuer exactly as given (http:// too), with the optional JWKS URL and client claim', () => {
    expect(
      loadConfig({ OSR_OIDC_ISSUER: 'http://10.0.0.5:8080/idp', OSR_OIDC_AUDIENCE: 'on-site-roles' }).oidc,
    ).toEqual({ issuer: 'http://10.0.0.5:8080/idp', audience: 'on-site-roles' });
    expect(
      loadConfig({
        OSR_OIDC_ISSUER: issuer,
        OSR_OIDC_AUDIENCE: 'on-site-roles',
        OSR_OIDC_JWKS_URL: `${issuer}/protocol/openid-connect/certs`,
        OSR_OIDC_CLIENT_CLAIM: 'appid',
      }).oidc,
    ).toEqual({
      issuer,
      audience: 'on-site-roles',
      jwksUrl: `${issuer}/protocol/openid-connect/certs`,
      clientClaim: 'appid',
    });
  });
});
