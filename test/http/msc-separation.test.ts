import type { FastifyRequest, InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/auth/password.js';
import { addOidcClient } from '../../src/db/repositories/oidc-clients.js';
import { revokeOperator, rotateOperator } from '../../src/db/repositories/operators.js';
import { requireOperatorWriteAccess } from '../../src/http/msc-scope.js';
import { BASE, basic, deliver, type Harness, seed, seedOperators, startHarness } from '../support/harness.js';
import { IdentityProvider } from '../support/identity-provider.js';
import { HTTP_ERROR, moveInMustermann } from '../support/spec.js';

/**
 * Spec 10.1: operator accounts and the clients' credentials are strictly apart. Every /msc/v1
 * route (as the served OpenAPI document lists them, so a new route is covered too) refuses every
 * client credential, Basic or Bearer, with the operators' challenge; E1–E3 refuse every operator;
 * a name in both tables never crosses over; revoking or rotating an operator takes effect with the
 * next request; a read-only operator reads; wrong passwords are throttled per operator name,
 * apart from the clients' usernames.
 */

const BU = '654321';
const MSC_CHALLENGE = 'Basic realm="on-site-roles-msc"';
const CLIENT_CHALLENGE = 'Basic realm="on-site-roles"';
const E2 = `${BASE}/billingunits/${BU}/residentialunits/0001/on-site-roles`;
const E1 = `${BASE}/billingunits/${BU}/residentialunits/0002/on-site-roles`;
const UVI = '/msc/v1/uvi-recipients?month=2024-02';

const CLIENT = basic('acme-erp', 'acme-password');
const OPERATOR = basic('ops', 'operator-password');
const READ_ONLY_OPERATOR = basic('auditor', 'auditor-password');
/** A client credential and an operator that share the name `shared`, each with its own password. */
const SHARED_CLIENT = basic('shared', 'client-side-password');
const SHARED_OPERATOR = basic('shared', 'operator-side-password');

const envelope = (message: { key: string; message: string }) => ({
  status: 'FAIL',
  messages: [message],
  roleMessages: null,
  partnerMessages: null,
});

/** A 401 of the /msc/v1 scope: the operators' challenge only, and the envelope. */
function expectMscRefusal(response: LightMyRequestResponse, where: string) {
  expect(response.statusCode, `${where}: ${response.body}`).toBe(401);
  expect(response.headers['www-authenticate'], where).toBe(MSC_CHALLENGE);
  expect(response.headers['content-type'], where).toMatch(/^application\/json/);
  expect(response.json(), where).toEqual(envelope(HTTP_ERROR.unauthorized));
}

/** A 401 of E1–E3: the clients' challenge (with OIDC configured, a Bearer one next to it), and the envelope. */
function expectClientRefusal(response: LightMyRequestResponse, where: string) {
  expect(response.statusCode, `${where}: ${response.body}`).toBe(401);
  expect([response.headers['www-authenticate']].flat(), where).toContain(CLIENT_CHALLENGE);
  expect([response.headers['www-authenticate']].flat(), where).not.toContain(MSC_CHALLENGE);
  expect(response.json(), where).toEqual(envelope(HTTP_ERROR.unauthorized));
}

describe('operator accounts and client credentials are apart (spec 10.1)', () => {
  let idp: IdentityProvider;
  let h: Harness;
  let deliveryId: string;
  /** Every /msc/v1 operation of the served document: method and a URL to request. */
  let mscRoutes: { method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'; url: string }[];
  let clientToken: string;

  const request = (options: InjectOptions) => h.app.inject(options);
  const as = (authorization: string | undefined, url: string, remoteAddress: string, method = 'GET') =>
    request({
      method: method as InjectOptions['method'],
      url,
      remoteAddress,
      ...(authorization ? { headers: { authorization } } : {}),
    });

  beforeAll(async () => {
    idp = await IdentityProvider.start();
    await idp.addKey('rsa-1', 'RS256');
    h = await startHarness({ oidc: { issuer: idp.issuer, audience: idp.audience, issuerTimeoutMs: 2_000 } });
    await seed(h, {
      clients: [{ id: 'acme', billingUnits: [{ mscnumber: BU, units: ['0001', '0002'] }] }],
      credentials: [
        { clientId: 'acme', username: 'acme-erp', password: 'acme-password' },
        { clientId: 'acme', username: 'shared', password: 'client-side-password' },
        { clientId: 'acme', username: 'twin', password: 'twin-client-password' },
        { clientId: 'acme', username: 'pair', password: 'pair-client-password' },
      ],
    });
    await seedOperators(h, [
      { name: 'ops', password: 'operator-password' },
      { name: 'auditor', password: 'auditor-password', readOnly: true },
      { name: 'shared', password: 'operator-side-password' },
      { name: 'twin', password: 'twin-operator-password' },
      { name: 'pair', password: 'pair-operator-password' },
      { name: 'leaving', password: 'leaving-password' },
      { name: 'rotating', password: 'rotating-old-password' },
    ]);
    await addOidcClient(h.database.handle.db, { claimValue: 'erp-app', clientId: 'acme', readOnly: false });
    clientToken = `Bearer ${await idp.sign({ kid: 'rsa-1', claims: { azp: 'erp-app' } })}`;
    deliveryId = (await deliver(h.app, CLIENT, BU, '0001', moveInMustermann({ bu: BU }))).dataDeliveryId;

    const document = (await request({ method: 'GET', url: '/openapi.json' })).json() as {
      paths: Record<string, Record<string, unknown>>;
    };
    mscRoutes = Object.entries(document.paths)
      .filter(([path]) => path.startsWith('/msc/v1/'))
      .flatMap(([path, item]) =>
        Object.keys(item).map((method) => ({
          method: method.toUpperCase() as 'GET',
          // Path parameters, if any, get a placeholder: authentication comes before them.
          url: path.replace(/\{[^}]+\}/g, 'x'),
        })),
      );
  });
  afterAll(async () => {
    await h?.close();
    await idp?.close();
  });

  it('the document lists the /msc/v1 routes the matrix runs over', () => {
    expect(mscRoutes).toContainEqual({ method: 'GET', url: '/msc/v1/uvi-recipients' });
  });

  describe('every /msc/v1 route refuses all but operators: 401 with the operators’ challenge', () => {
    const refused: [string, () => string | undefined][] = [
      ['no credentials', () => undefined],
      ['a client’s Basic credential', () => CLIENT],
      ['a client’s bearer token', () => clientToken],
      ['the client credential of a name that is an operator’s too', () => SHARED_CLIENT],
      ['an operator’s name with a wrong password', () => basic('ops', 'not-the-password')],
      ['an unknown name', () => basic('nobody', 'operator-password')],
      ['an operator’s password as a bearer token', () => 'Bearer operator-password'],
    ];
    it.each(refused)('%s', async (_what, authorization) => {
      for (const [index, { method, url }] of mscRoutes.entries()) {
        const response = await as(authorization(), url, `10.1.0.${index + 1}`, method);
        expectMscRefusal(response, `${method} ${url}`);
      }
    });

    it('the same credentials are fine on E2, the client side (so the refusals above are about the side)', async () => {
      expect((await as(CLIENT, E2, '10.1.1.1')).statusCode).toBe(200);
      expect((await as(clientToken, E2, '10.1.1.1')).statusCode).toBe(200);
      expect((await as(SHARED_CLIENT, E2, '10.1.1.1')).statusCode).toBe(200);
    });
  });

  describe('E1–E3 refuse operators: 401 with the clients’ challenge', () => {
    const e3 = () => `${BASE}/billingunits/${BU}/on-site-roles/data-delivery/${deliveryId}`;
    const operators: [string, string][] = [
      ['an operator', OPERATOR],
      ['a read-only operator', READ_ONLY_OPERATOR],
      ['the operator of a name that is a client credential’s too', SHARED_OPERATOR],
    ];
    it.each(operators)('%s: E1, E2 and E3', async (_what, authorization) => {
      const posted = await request({
        method: 'POST',
        url: E1,
        remoteAddress: '10.2.0.1',
        headers: { authorization, 'content-type': 'application/json' },
        payload: JSON.stringify(moveInMustermann({ bu: BU, ru: '0002' })),
      });
      expectClientRefusal(posted, 'E1');
      expectClientRefusal(await as(authorization, E2, '10.2.0.1'), 'E2');
      expectClientRefusal(await as(authorization, e3(), '10.2.0.1'), 'E3');
    });

    it('nothing was stored for the refused POSTs', async () => {
      const stored = await h.database.handle.db
        .selectFrom('deliveries')
        .select('id')
        .where('residential_unit', '=', '0002')
        .execute();
      expect(stored).toEqual([]);
    });
  });

  describe('operators under /msc/v1', () => {
    it('an operator, a read-only operator and the operator of a shared name read', async () => {
      for (const authorization of [OPERATOR, READ_ONLY_OPERATOR, SHARED_OPERATOR]) {
        const response = await as(authorization, UVI, '10.3.0.1');
        expect(response.statusCode, response.body).toBe(200);
        expect(response.json()).toMatchObject({ month: '2024-02', next: null });
      }
    });

    it('a revoked operator is refused from the next request on, also one remembered from the last', async () => {
      const leaving = basic('leaving', 'leaving-password');
      expect((await as(leaving, UVI, '10.3.0.2')).statusCode).toBe(200);
      expect((await as(leaving, UVI, '10.3.0.2')).statusCode).toBe(200); // from memory now
      expect(await revokeOperator(h.database.handle.db, 'leaving')).toBe('revoked');
      expectMscRefusal(await as(leaving, UVI, '10.3.0.2'), 'revoked');
      expectMscRefusal(await as(leaving, UVI, '10.3.0.2'), 'revoked, again');
    });

    it('a rotated operator’s old password is refused from the next request on; the new one works', async () => {
      const old = basic('rotating', 'rotating-old-password');
      expect((await as(old, UVI, '10.3.0.3')).statusCode).toBe(200);
      expect((await as(old, UVI, '10.3.0.3')).statusCode).toBe(200);
      h.logs.remember('rotating-new-password');
      await rotateOperator(h.database.handle.db, 'rotating', await hashPassword('rotating-new-password'));
      expectMscRefusal(await as(old, UVI, '10.3.0.3'), 'old password');
      expect((await as(basic('rotating', 'rotating-new-password'), UVI, '10.3.0.3')).statusCode).toBe(200);
    });

    it('requireOperatorWriteAccess: a read-only operator gets 403, a read-write one passes', async () => {
      const of = (readOnly: boolean) => ({ operator: { name: 'x', readOnly } }) as unknown as FastifyRequest;
      await expect(requireOperatorWriteAccess(of(true))).rejects.toMatchObject({
        statusCode: 403,
        lists: { messages: [HTTP_ERROR.forbidden] },
      });
      await expect(requireOperatorWriteAccess(of(false))).resolves.toBeUndefined();
    });
  });

  describe('failed sign-ins are throttled (spec 7), operator names apart from client usernames', () => {
    it('10 wrong passwords for an operator: 429 with Retry-After, also for the right one from elsewhere; the client of the same name still works', async () => {
      const wrong = basic('pair', 'wrong-operator-password');
      for (let attempt = 1; attempt <= 10; attempt++) {
        expectMscRefusal(await as(wrong, UVI, '10.4.0.1'), `attempt ${attempt}`);
      }
      const throttled = await as(basic('pair', 'pair-operator-password'), UVI, '10.4.0.2');
      expect(throttled.statusCode).toBe(429);
      expect(Number(throttled.headers['retry-after'])).toBeGreaterThan(0);
      expect(throttled.json()).toEqual(envelope(HTTP_ERROR.tooManyRequests));
      // The client credential `pair` is counted under its own key.
      expect((await as(basic('pair', 'pair-client-password'), E2, '10.4.0.2')).statusCode).toBe(200);
    });

    it('10 wrong passwords for a client username leave the operator of the same name alone', async () => {
      const wrong = basic('twin', 'wrong-client-password');
      for (let attempt = 1; attempt <= 10; attempt++) {
        expectClientRefusal(await as(wrong, E2, '10.4.1.1'), `attempt ${attempt}`);
      }
      expect((await as(basic('twin', 'twin-client-password'), E2, '10.4.1.2')).statusCode).toBe(429);
      expect((await as(basic('twin', 'twin-operator-password'), UVI, '10.4.1.2')).statusCode).toBe(200);
    });
  });
});
