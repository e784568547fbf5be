import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changeFeedPageSchema, encodeFeedCursor, FEED_QUERY_RULES } from '../../src/domain/change-feed.js';
import { errorEnvelopeSchema } from '../../src/domain/response-schema.js';
import { basic, deliver, type Harness, postDelivery, seed, seedOperators, startHarness } from '../support/harness.js';
import { moveInMustermann, SCHEMA_KEY, useCase1 } from '../support/spec.js';

/**
 * Spec 10.2 over HTTP: `GET /msc/v1/changes` with an operator's credentials — the page, `next`,
 * the 400s of the query, and `Prefer: wait` (held until a change follows the cursor, or empty
 * after its time), with the real worker in process.
 */

const BU = '654321';
const CLIENT = basic('acme-erp', 'acme-password');
const OPERATOR = basic('feed-reader', 'feed-reader-password');
const READ_ONLY = basic('auditor', 'auditor-password');

describe('GET /msc/v1/changes', () => {
  let h: Harness;
  const get = async (query: string, headers: Record<string, string> = {}, auth = OPERATOR) => {
    const response = await h.app.inject({
      method: 'GET',
      url: `/msc/v1/changes${query}`,
      headers: { authorization: auth, ...headers },
    });
    const schema = response.statusCode === 200 ? changeFeedPageSchema : errorEnvelopeSchema;
    expect(schema.safeParse(response.json()).success, response.body).toBe(true);
    return response;
  };
  const page = (response: LightMyRequestResponse) => {
    expect(response.statusCode, response.body).toBe(200);
    return changeFeedPageSchema.parse(response.json());
  };
  const refused = (path: string) => ({
    status: 'FAIL',
    messages: [
      { key: SCHEMA_KEY, message: path === '/query/after' ? FEED_QUERY_RULES.after : FEED_QUERY_RULES.limit, path },
    ],
    roleMessages: null,
    partnerMessages: null,
  });

  beforeAll(async () => {
    h = await startHarness();
    await seed(h, {
      clients: [{ id: 'acme', billingUnits: [{ mscnumber: BU, units: ['0001', '0002'] }] }],
      credentials: [{ clientId: 'acme', username: 'acme-erp', password: 'acme-password' }],
    });
    await seedOperators(h, [
      { name: 'feed-reader', password: 'feed-reader-password' },
      { name: 'auditor', password: 'auditor-password', readOnly: true },
    ]);
  });
  afterAll(() => h?.close());

  it('is empty at first (next null), and for operators only', async () => {
    expect(page(await get(''))).toEqual({ changes: [], next: null });
    expect((await get('', {}, CLIENT)).statusCode).toBe(401);
  });

  it('shows the applied changes with their cursors; next continues after the last', async () => {
    const moveIn = await deliver(h.app, CLIENT, BU, '0001', moveInMustermann());
    const uc1 = await deliver(h.app, CLIENT, BU, '0001', useCase1());
    expect([moveIn.status, uc1.status]).toEqual(['SUCCESS', 'SUCCESS']);

    const everything = page(await get(''));
    expect(everything.changes.map((change) => [change.dataDeliveryId, change.change])).toEqual([
      [moveIn.dataDeliveryId, 'INSERT'],
      [uc1.dataDeliveryId, 'UPDATE'],
      [uc1.dataDeliveryId, 'INSERT'],
    ]);
    expect(everything.changes[0]).toMatchObject({
      client: 'acme',
      billingUnit: BU,
      residentialUnit: '0001',
      appliedAt: moveIn.processedAt,
      role: 'S-COR',
      before: null,
      after: { role: 'S-COR', from: '2018-05-01', to: '9999-12-31', partner: { pmnumber: '12345611' } },
      partner: { reference: { pmnumber: '12345611' }, name: 'Mustermann', firstname: 'Max' },
    });
    expect(everything.next).toBe(everything.changes[2]?.cursor);

    const first = page(await get('?limit=1'));
    expect(first.changes).toEqual(everything.changes.slice(0, 1));
    const rest = page(await get(`?after=${first.next}&limit=1000`));
    expect(rest).toEqual({ changes: everything.changes.slice(1), next: everything.next });
    // nothing after the last: next is the given cursor; a read-only operator reads too
    expect(page(await get(`?after=${everything.next}`, {}, READ_ONLY))).toEqual({
      changes: [],
      next: everything.next,
    });
  });

  it('refuses a malformed or never handed-out cursor and a limit outside 1–1000: 400 OSR-SCHEMA with the path', async () => {
    for (const query of ['?after=nope', '?after=', `?after=${encodeFeedCursor('999999')}`, '?after=a&after=b']) {
      const response = await get(query);
      expect(response.statusCode, query).toBe(400);
      expect(response.json(), query).toEqual(refused('/query/after'));
    }
    for (const query of ['?limit=0', '?limit=1001', '?limit=2.5', '?limit=-1', '?limit=many']) {
      const response = await get(query);
      expect(response.statusCode, query).toBe(400);
      expect(response.json(), query).toEqual(refused('/query/limit'));
    }
    const both = await get('?after=nope&limit=0');
    expect(both.json().messages.map((message: { path: string }) => message.path)).toEqual([
      '/query/after',
      '/query/limit',
    ]);
  });

  it('Prefer: wait answers at once when a change follows the cursor (no Preference-Applied)', async () => {
    const response = await get('', { prefer: 'wait=10' });
    expect(page(response).changes.length).toBeGreaterThan(0);
    expect(response.headers['preference-applied']).toBeUndefined();
  });

  it('Prefer: wait holds the answer until a change follows the cursor', async () => {
    const { next } = page(await get(''));
    const started = Date.now();
    const waiting = get(`?after=${next}`, { prefer: 'wait=20' });
    await new Promise((resolve) => setTimeout(resolve, 300)); // the request is waiting by now
    const posted = await postDelivery(h.app, CLIENT, BU, '0002', moveInMustermann({ ru: '0002' }));
    expect(posted.statusCode).toBe(202);
    const response = await waiting;
    const elapsed = Date.now() - started;
    expect(response.headers['preference-applied']).toBe('wait=20');
    expect(page(response).changes.map((change) => [change.dataDeliveryId, change.residentialUnit])).toEqual([
      [posted.json().dataDeliveryId, '0002'],
    ]);
    // released by the worker's notification, long before the 20 s (generous for a busy machine)
    expect(elapsed).toBeLessThan(10_000);
  });

  it('Prefer: wait answers empty after its time when nothing follows', async () => {
    const { next } = page(await get(''));
    const started = Date.now();
    const response = await get(`?after=${next}`, { prefer: 'wait=1' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(response.headers['preference-applied']).toBe('wait=1');
    expect(page(response)).toEqual({ changes: [], next });
    // a malformed preference is ignored: answered at once
    const ignored = await get(`?after=${next}`, { prefer: 'wait=0' });
    expect(ignored.headers['preference-applied']).toBeUndefined();
  });

  it('decides the 400 before any waiting', async () => {
    const started = Date.now();
    const response = await get(`?after=${encodeFeedCursor('999999')}`, { prefer: 'wait=5' });
    expect(response.statusCode).toBe(400);
    expect(Date.now() - started).toBeLessThan(4_000);
  });
});
