import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/auth/password.js';
import {
  awaitResult,
  basic,
  getResult,
  getRoles,
  type Harness,
  postDelivery,
  seed,
  startHarness,
} from '../support/harness.js';
import { HTTP_ERROR, moveInMustermann } from '../support/spec.js';

/**
 * The app remembers a verified username/password for a minute (no credential read, no scrypt per
 * request); every request statement re-checks the credential row. These tests change the row
 * directly in the database between requests — as another process (`osr credential …`) would —
 * with the app's memory warm, and expect the change to count from the very next request.
 */

const BU = '654321';
const USERNAME = 'acme-erp';
const PASSWORD = 'acme-password';
const AUTH = basic(USERNAME, PASSWORD);
const UNAUTHORIZED = {
  status: 'FAIL',
  messages: [HTTP_ERROR.unauthorized],
  roleMessages: null,
  partnerMessages: null,
};

describe('credential changes while the app remembers the credential', () => {
  let h: Harness;
  let deliveryId: string;
  const credentials = () => h.database.handle.db.updateTable('credentials').where('username', '=', USERNAME);

  beforeAll(async () => {
    h = await startHarness();
    await seed(h, {
      clients: [{ id: 'acme', billingUnits: [{ mscnumber: BU, units: ['0001', '0002'] }] }],
      credentials: [{ clientId: 'acme', username: USERNAME, password: PASSWORD }],
    });
    const accepted = await postDelivery(h.app, AUTH, BU, '0001', moveInMustermann({ bu: BU }));
    expect(accepted.statusCode).toBe(202);
    deliveryId = accepted.json().dataDeliveryId;
    expect((await awaitResult(h.app, AUTH, BU, deliveryId)).status).toBe('SUCCESS');
  });
  afterAll(() => h?.close());

  beforeEach(async () => {
    // A valid, writable credential with the original password, and the app's memory warm.
    await credentials()
      .set({ password_hash: await hashPassword(PASSWORD), read_only: false, revoked_at: null })
      .execute();
    expect((await getRoles(h.app, AUTH, BU, '0001')).statusCode).toBe(200);
  });

  const everyEndpoint = () => [
    getRoles(h.app, AUTH, BU, '0001'),
    getResult(h.app, AUTH, BU, deliveryId),
    postDelivery(h.app, AUTH, BU, '0002', moveInMustermann({ bu: BU, ru: '0002' })),
  ];

  it('a revoked credential gets 401 from E1, E2 and E3 at once, and nothing is stored', async () => {
    const before = await h.database.handle.db
      .selectFrom('deliveries')
      .select(sql<number>`count(*)::int`.as('n'))
      .executeTakeFirstOrThrow();
    await credentials().set({ revoked_at: new Date() }).execute();
    for (const response of await Promise.all(everyEndpoint())) {
      expect(response.statusCode).toBe(401);
      expect(response.headers['www-authenticate']).toBe('Basic realm="on-site-roles"');
      expect(response.json()).toEqual(UNAUTHORIZED);
    }
    const after = await h.database.handle.db
      .selectFrom('deliveries')
      .select(sql<number>`count(*)::int`.as('n'))
      .executeTakeFirstOrThrow();
    expect(after.n).toBe(before.n);
  });

  it('a rotated credential refuses the old password at once', async () => {
    await credentials()
      .set({ password_hash: await hashPassword('a-new-password') })
      .execute();
    for (const response of await Promise.all(everyEndpoint())) expect(response.statusCode).toBe(401);
    h.logs.remember('a-new-password');
    expect((await getRoles(h.app, basic(USERNAME, 'a-new-password'), BU, '0001')).statusCode).toBe(200);
  });

  it('a credential rotated to the same password keeps working without a hiccup', async () => {
    await credentials()
      .set({ password_hash: await hashPassword(PASSWORD) })
      .execute();
    const [roles, result] = await Promise.all(everyEndpoint());
    expect(roles?.statusCode).toBe(200);
    expect(result?.statusCode).toBe(200);
  });

  it('a credential made read-only gets 403 on E1 at once and still reads', async () => {
    await credentials().set({ read_only: true }).execute();
    const [roles, result, submitted] = await Promise.all(everyEndpoint());
    expect(roles?.statusCode).toBe(200);
    expect(result?.statusCode).toBe(200);
    expect(submitted?.statusCode).toBe(403);
  });

  it('a request refused before any statement ran still answers 401 once the credential is revoked', async () => {
    await credentials().set({ revoked_at: new Date() }).execute();
    // Schema violation (E1), malformed unit number (E2), malformed delivery id (E3).
    const refusals = await Promise.all([
      postDelivery(h.app, AUTH, BU, '0001', { timestamp: 'not a delivery' }),
      getRoles(h.app, AUTH, BU, 'x'),
      getResult(h.app, AUTH, BU, 'not-a-uuid'),
    ]);
    for (const response of refusals) {
      expect(response.statusCode).toBe(401);
      expect(response.json()).toEqual(UNAUTHORIZED);
    }
  });

  it('with the credential unchanged, such refusals stay what they are', async () => {
    expect((await postDelivery(h.app, AUTH, BU, '0001', { timestamp: 'not a delivery' })).statusCode).toBe(400);
    expect((await getRoles(h.app, AUTH, BU, 'x')).statusCode).toBe(400);
    expect((await getResult(h.app, AUTH, BU, 'not-a-uuid')).statusCode).toBe(404);
  });
});
