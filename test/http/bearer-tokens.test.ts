import type { LightMyRequestResponse } from 'fastify';
import { SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { addOidcClient, removeOidcClient } from '../../src/db/repositories/oidc-clients.js';
import {
  awaitResult,
  BASE,
  basic,
  deliver,
  getResult,
  getRoles,
  type Harness,
  postDelivery,
  seed,
  startHarness,
} from '../support/harness.js';
import { IdentityProvider } from '../support/identity-provider.js';
import { HTTP_ERROR, moveInMustermann } from '../support/spec.js';

/**
 * Bearer tokens next to Basic auth (spec 9.3), against a real local identity provider stand-in
 * (test/support/identity-provider.ts: discovery document, JWKS, signing). The app's clock is
 * fake only so that the 30 s between requests to the issuer can pass without waiting; tokens are
 * signed against the same clock.
 */

const BU = '654321';
const E2 = `${BASE}/billingunits/${BU}/residentialunits/0001/on-site-roles`;
const BASIC = basic('acme-erp', 'acme-password');
/** Claims that are not the client value: they must never reach the log. */
const PRIVATE_CLAIMS = { sub: 'service-account-7f3c9d21', email: 'robot.erp@example.invalid' };
const ISSUER_INTERVAL_MS = 30_000;

const bearer = (token: string) => `Bearer ${token}`;
const envelope = (message: { key: string; message: string }) => ({
  status: 'FAIL',
  messages: [message],
  roleMessages: null,
  partnerMessages: null,
});
const challenges = (response: LightMyRequestResponse) => response.headers['www-authenticate'];
const BASIC_CHALLENGE = 'Basic realm="on-site-roles"';
const BEARER_CHALLENGE = 'Bearer realm="on-site-roles"';
const REFUSED_CHALLENGE = 'Bearer realm="on-site-roles", error="invalid_token"';

/** A clock that runs with real time, plus whatever a test adds. */
function fakeClock() {
  let offsetMs = 0;
  return {
    now: () => Date.now() + offsetMs,
    seconds: () => Math.floor((Date.now() + offsetMs) / 1000),
    advance(ms: number) {
      offsetMs += ms;
    },
  };
}

async function startWithIssuer(idp: IdentityProvider, clock: ReturnType<typeof fakeClock>, clientClaim?: string) {
  const h = await startHarness({
    oidc: {
      issuer: idp.issuer,
      audience: idp.audience,
      clock: clock.now,
      issuerTimeoutMs: 2_000,
      ...(clientClaim ? { clientClaim } : {}),
    },
  });
  await seed(h, {
    clients: [
      { id: 'acme', billingUnits: [{ mscnumber: BU, units: ['0001', '0002'] }] },
      { id: 'globex', billingUnits: [{ mscnumber: '111111', units: ['0001'] }] },
    ],
    credentials: [{ clientId: 'acme', username: 'acme-erp', password: 'acme-password' }],
  });
  // Unit 0001 has roles, so that E2 answers 200 to whoever may read it.
  expect((await deliver(h.app, BASIC, BU, '0001', moveInMustermann({ bu: BU }))).status).toBe('SUCCESS');
  const db = h.database.handle.db;
  await addOidcClient(db, { claimValue: 'erp-app', clientId: 'acme', readOnly: false });
  await addOidcClient(db, { claimValue: 'erp-reader', clientId: 'acme', readOnly: true });
  for (const value of Object.values(PRIVATE_CLAIMS)) h.logs.remember(value);
  return h;
}

const get = (h: Harness, authorization?: string, remoteAddress?: string) =>
  h.app.inject({
    method: 'GET',
    url: E2,
    ...(authorization ? { headers: { authorization } } : {}),
    ...(remoteAddress ? { remoteAddress } : {}),
  });

describe('bearer tokens (spec 9.3)', () => {
  let idp: IdentityProvider;
  let h: Harness;
  const clock = fakeClock();
  /** A token of client `erp-app` (or the given claims) signed with `kid`, against the app's clock. */
  const token = (kid = 'rsa-1', claims: Record<string, unknown> = {}) =>
    idp.sign({ kid, now: clock.seconds(), claims: { azp: 'erp-app', ...PRIVATE_CLAIMS, ...claims } });
  /** Lets the 30 s between two requests to the issuer pass. */
  const afterTheInterval = () => clock.advance(ISSUER_INTERVAL_MS + 1_000);

  beforeAll(async () => {
    idp = await IdentityProvider.start();
    await idp.addKey('rsa-1', 'RS256');
    await idp.addKey('ec-1', 'ES256');
    await idp.addKey('ps-1', 'PS256');
    h = await startWithIssuer(idp, clock);
  });
  afterAll(async () => {
    await h?.close();
    await idp?.close();
  });

  describe('accepted tokens', () => {
    it('an RS256 token of a mapped client submits (E1), reads the result (E3) and the roles (E2)', async () => {
      const auth = bearer(await token());
      const posted = await postDelivery(h.app, auth, BU, '0002', moveInMustermann({ bu: BU, ru: '0002' }));
      expect(posted.statusCode).toBe(202);
      const id = posted.json().dataDeliveryId as string;
      expect((await awaitResult(h.app, auth, BU, id)).status).toBe('SUCCESS');
      expect((await getRoles(h.app, auth, BU, '0002')).statusCode).toBe(200);
      // Basic credentials of the same client see it too: the token acted for client acme.
      expect((await getResult(h.app, BASIC, BU, id)).statusCode).toBe(200);
      const stored = await h.database.handle.db
        .selectFrom('deliveries')
        .select(['client_id', 'credential'])
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      expect(stored).toEqual({ client_id: 'acme', credential: 'oidc:erp-app' });
      // Discovery once, then the key set once.
      expect(idp.requests).toEqual({ discovery: 1, jwks: 1 });
    });

    it('ES256 and PS256 tokens are accepted as well', async () => {
      expect((await get(h, bearer(await token('ec-1')))).statusCode).toBe(200);
      expect((await get(h, bearer(await token('ps-1')))).statusCode).toBe(200);
    });

    it('the client is the azp claim, else client_id', async () => {
      expect((await get(h, bearer(await token('rsa-1', { azp: undefined, client_id: 'erp-app' })))).statusCode).toBe(
        200,
      );
      // azp present: client_id is not consulted
      const both = await get(h, bearer(await token('rsa-1', { azp: 'stranger', client_id: 'erp-app' })));
      expect(both.statusCode).toBe(401);
    });

    it('a token sees only its client’s billing units (another client’s: as unknown)', async () => {
      const response = await h.app.inject({
        method: 'GET',
        url: `${BASE}/billingunits/111111/residentialunits/0001/on-site-roles`,
        headers: { authorization: bearer(await token()) },
      });
      expect(response.statusCode).toBe(404);
    });

    it('times within the 60 s tolerance: exp 30 s ago, nbf and iat 30 s ahead', async () => {
      const now = clock.seconds();
      const lenient = await token('rsa-1', { exp: now - 30, nbf: now + 30, iat: now + 30 });
      expect((await get(h, bearer(lenient))).statusCode).toBe(200);
    });
  });

  describe('refused tokens: 401 with both challenges, the Bearer one with error="invalid_token"', () => {
    const refusedWith = async (tokenText: string) => {
      const response = await get(h, bearer(tokenText));
      expect(response.statusCode, response.body).toBe(401);
      expect(response.json()).toEqual(envelope(HTTP_ERROR.unauthorized));
      expect(challenges(response)).toEqual([BASIC_CHALLENGE, REFUSED_CHALLENGE]);
    };

    it('expired (exp more than 60 s ago)', async () => {
      await refusedWith(await token('rsa-1', { exp: clock.seconds() - 61 }));
    });
    it('not yet valid (nbf more than 60 s ahead)', async () => {
      await refusedWith(await token('rsa-1', { nbf: clock.seconds() + 120 }));
    });
    it('issued in the future (iat more than 60 s ahead)', async () => {
      await refusedWith(await token('rsa-1', { iat: clock.seconds() + 120 }));
    });
    it('for another audience', async () => {
      await refusedWith(await token('rsa-1', { aud: 'another-api' }));
    });
    it('an audience list without ours, and one with it (accepted)', async () => {
      await refusedWith(await token('rsa-1', { aud: ['another-api', 'a-third-api'] }));
      expect((await get(h, bearer(await token('rsa-1', { aud: ['another-api', idp.audience] })))).statusCode).toBe(200);
    });
    it('from another issuer', async () => {
      await refusedWith(await token('rsa-1', { iss: 'http://127.0.0.1:1/elsewhere' }));
    });
    it('without exp, iss or aud', async () => {
      for (const missing of ['exp', 'iss', 'aud']) await refusedWith(await token('rsa-1', { [missing]: undefined }));
    });
    it('alg "none" (unsigned)', async () => {
      const now = clock.seconds();
      const unsigned = new UnsecuredJWT({
        azp: 'erp-app',
        iss: idp.issuer,
        aud: idp.audience,
        exp: now + 300,
      }).encode();
      await refusedWith(unsigned);
    });
    it('HS256 with the public key as the secret', async () => {
      const now = clock.seconds();
      const forged = await new SignJWT({ azp: 'erp-app', iss: idp.issuer, aud: idp.audience, exp: now + 300 })
        .setProtectedHeader({ alg: 'HS256', kid: 'rsa-1', typ: 'JWT' })
        .sign(new TextEncoder().encode(idp.publicPem('rsa-1')));
      await refusedWith(forged);
    });
    it('a valid signature over changed claims', async () => {
      const [header, , signature] = (await token()).split('.');
      const claims = Buffer.from(JSON.stringify({ azp: 'erp-app', iss: idp.issuer, aud: idp.audience })).toString(
        'base64url',
      );
      await refusedWith(`${header}.${claims}.${signature}`);
    });
    it('garbage, and an empty token', async () => {
      await refusedWith('not-a-token');
      await refusedWith('');
    });
    it('a client value that is not mapped (unregistered client)', async () => {
      await refusedWith(await token('rsa-1', { azp: 'stranger' }));
      await refusedWith(await token('rsa-1', { azp: undefined }));
    });
  });

  describe('WWW-Authenticate when OIDC is enabled', () => {
    it('no credentials, or wrong Basic ones: both challenges, the Bearer one without an error', async () => {
      for (const auth of [undefined, basic('acme-erp', 'wrong-password')]) {
        const response = await get(h, auth);
        expect(response.statusCode).toBe(401);
        expect(challenges(response)).toEqual([BASIC_CHALLENGE, BEARER_CHALLENGE]);
      }
    });
    it('answers that are not 401 carry none', async () => {
      expect(challenges(await get(h, bearer(await token())))).toBeUndefined();
    });
  });

  describe('the issuer’s keys', () => {
    beforeEach(() => {
      idp.failing = false;
      afterTheInterval();
    });

    it('an unknown kid: the key set is fetched again, at most once per 30 s; after a rotation the new key works', async () => {
      await idp.addKey('rsa-2', 'RS256', { published: false });
      const rotated = await token('rsa-2');
      const before = idp.requests.jwks;
      // The issuer answers without that kid: 401 (not 503).
      const first = await get(h, bearer(rotated));
      expect(first.statusCode).toBe(401);
      expect(challenges(first)).toEqual([BASIC_CHALLENGE, REFUSED_CHALLENGE]);
      expect(idp.requests.jwks).toBe(before + 1);
      // The issuer rotates; within 30 s of the last request it is not asked again.
      idp.publish('rsa-2');
      expect((await get(h, bearer(rotated))).statusCode).toBe(401);
      expect(idp.requests.jwks).toBe(before + 1);
      clock.advance(ISSUER_INTERVAL_MS - 5_000);
      expect((await get(h, bearer(await token('rsa-2')))).statusCode).toBe(401);
      expect(idp.requests.jwks).toBe(before + 1);
      // Once 30 s have passed, the next unknown kid fetches the new set.
      clock.advance(6_000);
      expect((await get(h, bearer(await token('rsa-2')))).statusCode).toBe(200);
      expect(idp.requests.jwks).toBe(before + 2);
      // Known keys never ask the issuer.
      expect((await get(h, bearer(await token('rsa-1')))).statusCode).toBe(200);
      expect(idp.requests.jwks).toBe(before + 2);
      expect(idp.requests.discovery).toBe(1);
    });

    it('many concurrent requests with unknown kids: one request to the issuer', async () => {
      const before = idp.requests.jwks;
      const forged = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          token('rsa-1').then((text) => {
            const [, claims, signature] = text.split('.');
            const header = Buffer.from(JSON.stringify({ alg: 'RS256', kid: `unknown-${i}` })).toString('base64url');
            return `${header}.${claims}.${signature}`;
          }),
        ),
      );
      const statuses = await Promise.all(forged.map(async (text) => (await get(h, bearer(text))).statusCode));
      expect(statuses).toEqual(forged.map(() => 401));
      expect(idp.requests.jwks).toBe(before + 1);
    });

    it('the issuer unreachable: cached keys still work; an unknown kid gets 503 (never 401), asked again after 30 s', async () => {
      await idp.addKey('rsa-3', 'RS256');
      idp.failing = true;
      const before = idp.requests.jwks;
      expect((await get(h, bearer(await token('rsa-1')))).statusCode).toBe(200);
      expect(idp.requests.jwks).toBe(before);

      const unavailable = await get(h, bearer(await token('rsa-3')));
      expect(unavailable.statusCode).toBe(503);
      expect(unavailable.json()).toEqual(envelope(HTTP_ERROR.unavailable));
      expect(Number(unavailable.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(Number(unavailable.headers['retry-after'])).toBeLessThanOrEqual(30);
      expect(idp.requests.jwks).toBe(before + 1);
      // Within 30 s of the failed request: still 503, and the issuer is not asked.
      idp.failing = false;
      expect((await get(h, bearer(await token('rsa-3')))).statusCode).toBe(503);
      expect(idp.requests.jwks).toBe(before + 1);
      // After 30 s it is asked again, and answers.
      afterTheInterval();
      expect((await get(h, bearer(await token('rsa-3')))).statusCode).toBe(200);
      expect(idp.requests.jwks).toBe(before + 2);
      expect(h.logs.matching("could not read the OIDC issuer's signing keys")).not.toHaveLength(0);
    });

    it('a key the issuer withdrew stops working once the cached set is 10 minutes old', async () => {
      await idp.addKey('rsa-old', 'RS256');
      expect((await get(h, bearer(await token('rsa-old')))).statusCode).toBe(200); // fetched: not cached yet
      idp.withdraw('rsa-old');
      clock.advance(10 * 60_000 + 1_000);
      const before = idp.requests.jwks;
      // The request that finds the set old still uses it, and has it read again in the background.
      expect((await get(h, bearer(await token('rsa-old')))).statusCode).toBe(200);
      await expect.poll(() => idp.requests.jwks).toBe(before + 1);
      await expect.poll(async () => (await get(h, bearer(await token('rsa-old')))).statusCode).toBe(401);
      expect((await get(h, bearer(await token('rsa-1')))).statusCode).toBe(200);
    });
  });

  describe('the mapping (osr oidc) takes effect with the next request', () => {
    const db = () => h.database.handle.db;

    it('removed: 401 at once, though the app remembers the token’s client; added again: accepted', async () => {
      await addOidcClient(db(), { claimValue: 'erp-temp', clientId: 'acme', readOnly: false });
      const auth = bearer(await token('rsa-1', { azp: 'erp-temp' }));
      expect((await get(h, auth)).statusCode).toBe(200); // now remembered
      await removeOidcClient(db(), 'erp-temp');
      const refused = await get(h, auth);
      expect(refused.statusCode).toBe(401);
      expect(challenges(refused)).toEqual([BASIC_CHALLENGE, REFUSED_CHALLENGE]);
      const posted = await postDelivery(h.app, auth, BU, '0002', moveInMustermann({ bu: BU, ru: '0002' }));
      expect(posted.statusCode).toBe(401);
      await addOidcClient(db(), { claimValue: 'erp-temp', clientId: 'acme', readOnly: false });
      expect((await get(h, auth)).statusCode).toBe(200);
    });

    it('a read-only mapping reads (E2, E3) but gets 403 on E1', async () => {
      const auth = bearer(await token('rsa-1', { azp: 'erp-reader' }));
      expect((await get(h, auth)).statusCode).toBe(200);
      const posted = await postDelivery(h.app, auth, BU, '0001', moveInMustermann({ bu: BU }));
      expect(posted.statusCode).toBe(403);
      expect(posted.json()).toEqual(envelope(HTTP_ERROR.forbidden));
    });

    it('made read-only: 403 on the next E1; made writable again: 202 on the next E1', async () => {
      await addOidcClient(db(), { claimValue: 'erp-switch', clientId: 'acme', readOnly: false });
      const auth = bearer(await token('rsa-1', { azp: 'erp-switch' }));
      const post = () => postDelivery(h.app, auth, BU, '0002', moveInMustermann({ bu: BU, ru: '0002' }));
      expect((await get(h, auth)).statusCode).toBe(200); // remembered as writable
      await db().updateTable('oidc_clients').set({ read_only: true }).where('claim_value', '=', 'erp-switch').execute();
      expect((await post()).statusCode).toBe(403);
      expect((await get(h, auth)).statusCode).toBe(200); // remembered as read-only now
      await db()
        .updateTable('oidc_clients')
        .set({ read_only: false })
        .where('claim_value', '=', 'erp-switch')
        .execute();
      expect((await post()).statusCode).toBe(202);
    });

    it('moved to another client: the next request acts for that one', async () => {
      await addOidcClient(db(), { claimValue: 'erp-mover', clientId: 'acme', readOnly: false });
      const auth = bearer(await token('rsa-1', { azp: 'erp-mover' }));
      expect((await get(h, auth)).statusCode).toBe(200);
      await db()
        .updateTable('oidc_clients')
        .set({ client_id: 'globex' })
        .where('claim_value', '=', 'erp-mover')
        .execute();
      expect((await get(h, auth)).statusCode).toBe(404); // 654321 is acme's: unknown to globex
    });
  });

  describe('the per-address throttle of section 7', () => {
    it('refused tokens count: after 100 from one address, even a valid token from there gets 429', async () => {
      const address = '198.51.100.7';
      const expired = bearer(await token('rsa-1', { exp: clock.seconds() - 3600 }));
      for (let i = 0; i < 100; i++) expect((await get(h, expired, address)).statusCode).toBe(401);
      const valid = bearer(await token());
      const throttled = await get(h, valid, address);
      expect(throttled.statusCode).toBe(429);
      expect(throttled.json()).toEqual(envelope(HTTP_ERROR.tooManyRequests));
      expect(Number(throttled.headers['retry-after'])).toBeGreaterThan(0);
      // Basic from there too (the throttle is per address); another address is not affected.
      expect((await get(h, BASIC, address)).statusCode).toBe(429);
      expect((await get(h, valid, '198.51.100.8')).statusCode).toBe(200);
    });
  });

  describe('the log', () => {
    it('a refused token is a warning naming what was wrong and, for an unmapped one, only the client value', async () => {
      await get(h, bearer(await token('rsa-1', { aud: 'another-api' })));
      await get(h, bearer(await token('rsa-1', { azp: 'stranger-app' })));
      const refused = h.logs.matching('"login refused"').map((line) => JSON.parse(line));
      expect(refused.at(-2)).toMatchObject({
        level: 40,
        reason: 'unauthorized',
        scheme: 'bearer',
        tokenProblem: 'ERR_JWT_CLAIM_VALIDATION_FAILED',
        claim: 'aud',
      });
      expect(refused.at(-2)).not.toHaveProperty('tokenClient');
      expect(refused.at(-1)).toMatchObject({
        scheme: 'bearer',
        tokenProblem: 'UNMAPPED_CLIENT',
        tokenClient: 'stranger-app',
      });
    });

    it('an accepted token’s request line names the client and the mapping', async () => {
      const response = await get(h, bearer(await token()));
      const line = h.logs
        .matching('"request completed"')
        .map((text) => JSON.parse(text))
        .find((entry) => entry.reqId === response.headers['x-request-id']);
      expect(line).toMatchObject({ client: 'acme', credential: 'oidc:erp-app' });
    });

    it('never a token or a claim other than the client value (every token sent in this file)', () => {
      // close() fails on any remembered secret in the log: every token and its parts (as sent
      // through app.inject) and the private claims; checked here as well, explicitly.
      expect(h.logs.leaks()).toEqual([]);
      for (const value of Object.values(PRIVATE_CLAIMS)) expect(h.logs.matching(value)).toEqual([]);
      expect(h.logs.matching('eyJ')).toEqual([]);
    });
  });
});

describe('OSR_OIDC_CLIENT_CLAIM: that claim alone names the client', () => {
  let idp: IdentityProvider;
  let h: Harness;
  const clock = fakeClock();
  beforeAll(async () => {
    idp = await IdentityProvider.start();
    await idp.addKey('rsa-1', 'RS256');
    h = await startWithIssuer(idp, clock, 'appid');
  });
  afterAll(async () => {
    await h?.close();
    await idp?.close();
  });

  it('is used when set; azp and client_id are then ignored', async () => {
    const sign = (claims: Record<string, unknown>) => idp.sign({ kid: 'rsa-1', now: clock.seconds(), claims });
    expect((await get(h, bearer(await sign({ appid: 'erp-app' })))).statusCode).toBe(200);
    expect((await get(h, bearer(await sign({ azp: 'erp-app', client_id: 'erp-app' })))).statusCode).toBe(401);
    expect((await get(h, bearer(await sign({ appid: 'stranger', azp: 'erp-app' })))).statusCode).toBe(401);
  });
});

describe("the discovery document's issuer", () => {
  for (const [named, expected] of [
    ['none', 200],
    ['http://elsewhere.invalid', 503],
  ] as const) {
    it(`${named === 'none' ? 'absent: its jwks_uri is used' : 'another issuer: unusable, 503'}`, async () => {
      const idp = await IdentityProvider.start();
      idp.discoveryIssuer = named;
      await idp.addKey('rsa-1', 'RS256');
      const clock = fakeClock();
      const h = await startWithIssuer(idp, clock);
      try {
        const token = await idp.sign({ kid: 'rsa-1', now: clock.seconds(), claims: { azp: 'erp-app' } });
        expect((await get(h, bearer(token))).statusCode).toBe(expected);
        expect(idp.requests).toEqual({ discovery: 1, jwks: expected === 200 ? 1 : 0 });
      } finally {
        await h.close();
        await idp.close();
      }
    });
  }
});

describe('an issuer that was never reached', () => {
  let idp: IdentityProvider;
  let h: Harness;
  const clock = fakeClock();
  beforeAll(async () => {
    idp = await IdentityProvider.start();
    await idp.addKey('rsa-1', 'RS256');
    idp.failing = true;
    h = await startWithIssuer(idp, clock);
  });
  afterAll(async () => {
    await h?.close();
    await idp?.close();
  });

  it('503 OSR-503 with Retry-After, one request per 30 s; once it answers, tokens are accepted', async () => {
    const sign = () => idp.sign({ kid: 'rsa-1', now: clock.seconds(), claims: { azp: 'erp-app' } });
    const first = await get(h, bearer(await sign()));
    expect(first.statusCode).toBe(503);
    expect(first.json()).toEqual(envelope(HTTP_ERROR.unavailable));
    expect(first.headers['retry-after']).toBe('30');
    expect(idp.requests).toEqual({ discovery: 1, jwks: 0 });
    expect((await get(h, bearer(await sign()))).statusCode).toBe(503);
    expect(idp.requests).toEqual({ discovery: 1, jwks: 0 });
    // Basic auth is not affected.
    expect((await get(h, BASIC)).statusCode).toBe(200);
    idp.failing = false;
    clock.advance(ISSUER_INTERVAL_MS);
    expect((await get(h, bearer(await sign()))).statusCode).toBe(200);
    expect(idp.requests).toEqual({ discovery: 2, jwks: 1 });
  });
});

describe('without OIDC configured', () => {
  let idp: IdentityProvider;
  let h: Harness;
  beforeAll(async () => {
    idp = await IdentityProvider.start();
    await idp.addKey('rsa-1', 'RS256');
    h = await startHarness({ worker: false });
    await seed(h, {
      clients: [{ id: 'acme', billingUnits: [{ mscnumber: BU, units: ['0001'] }] }],
      credentials: [{ clientId: 'acme', username: 'acme-erp', password: 'acme-password' }],
    });
  });
  afterAll(async () => {
    await h?.close();
    await idp?.close();
  });

  it('a bearer token is a missing Basic credential: 401 with the Basic challenge only', async () => {
    const response = await get(h, bearer(await idp.sign({ kid: 'rsa-1', claims: { azp: 'erp-app' } })));
    expect(response.statusCode).toBe(401);
    expect(challenges(response)).toBe(BASIC_CHALLENGE);
    expect(idp.requests).toEqual({ discovery: 0, jwks: 0 });
  });
});
