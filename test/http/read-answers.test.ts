import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
import { moveInMustermann, useCase1 } from '../support/spec.js';

/**
 * What saves E2 and E3 work without changing an answer (issue 15): E2's weak ETag and 304 on
 * `If-None-Match`; E3 answering a processed delivery from memory after the first read, with the
 * same body and the same access rules as from the database.
 */

const BU = '654321';
const OTHER_BU = '777777';
const AUTH = basic('acme-erp', 'acme-password');
const RIVAL = basic('rival-erp', 'rival-password');

describe('E2 and E3 answers that need less work', () => {
  let h: Harness;
  let processedId: string;

  beforeAll(async () => {
    h = await startHarness();
    await seed(h, {
      clients: [
        {
          id: 'acme',
          billingUnits: [
            { mscnumber: BU, units: ['0001', '0002'] },
            { mscnumber: OTHER_BU, units: ['0001'] },
          ],
        },
        { id: 'rival', billingUnits: [{ mscnumber: '888888', units: ['0001'] }] },
      ],
      credentials: [
        { clientId: 'acme', username: 'acme-erp', password: 'acme-password' },
        { clientId: 'rival', username: 'rival-erp', password: 'rival-password' },
      ],
    });
    processedId = (await deliver(h.app, AUTH, BU, '0001', moveInMustermann({ bu: BU }))).dataDeliveryId;
  });
  afterAll(() => h?.close());

  const conditionalRoles = (ifNoneMatch: string, ru = '0001') =>
    h.app.inject({
      method: 'GET',
      url: `${BASE}/billingunits/${BU}/residentialunits/${ru}/on-site-roles`,
      headers: { authorization: AUTH, 'if-none-match': ifNoneMatch },
    });

  it('E2 tags its answer; the same tag in If-None-Match gets 304 without a body', async () => {
    const first = await getRoles(h.app, AUTH, BU, '0001');
    expect(first.statusCode).toBe(200);
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^W\/"[A-Za-z0-9_-]{32}"$/);
    // The answer's timestamp changes, the tag does not.
    await new Promise((resolve) => setTimeout(resolve, 5));
    const again = await getRoles(h.app, AUTH, BU, '0001');
    expect(again.headers.etag).toBe(etag);
    expect(again.json().timestamp).not.toBe(first.json().timestamp);

    for (const field of [etag, etag.slice(2), `"other", ${etag}`, '*']) {
      const notModified = await conditionalRoles(field);
      expect(notModified.statusCode, field).toBe(304);
      expect(notModified.body).toBe('');
      expect(notModified.headers.etag).toBe(etag);
      expect(notModified.headers['x-request-id']).toBeTruthy();
    }
    const otherTag = await conditionalRoles('W/"something-else"');
    expect(otherTag.statusCode).toBe(200);
    expect(otherTag.json()).toEqual({ ...first.json(), timestamp: otherTag.json().timestamp });
  });

  it('E2 gets a new tag when the unit changes, and the old one no longer gets 304', async () => {
    const before = (await getRoles(h.app, AUTH, BU, '0001')).headers.etag as string;
    expect((await deliver(h.app, AUTH, BU, '0001', useCase1({ bu: BU }))).status).toBe('SUCCESS');
    const changed = await conditionalRoles(before);
    expect(changed.statusCode).toBe(200);
    expect(changed.body).toContain('12345612'); // Musterfrau moved in
    expect(changed.headers.etag).not.toBe(before);
    // Another unit with the same roles has a tag of its own (its numbers are part of the answer).
    await deliver(h.app, AUTH, BU, '0002', moveInMustermann({ bu: BU, ru: '0002' }));
    const otherUnit = await getRoles(h.app, AUTH, BU, '0002');
    expect(otherUnit.statusCode).toBe(200);
    expect(otherUnit.headers.etag).not.toBe(before);
  });

  it('E2 with If-None-Match still refuses what it refuses without: 401, 404, another client', async () => {
    const etag = (await getRoles(h.app, AUTH, BU, '0001')).headers.etag as string;
    const wrongPassword = await h.app.inject({
      method: 'GET',
      url: `${BASE}/billingunits/${BU}/residentialunits/0001/on-site-roles`,
      headers: { authorization: basic('acme-erp', 'wrong-password'), 'if-none-match': '*' },
    });
    expect(wrongPassword.statusCode).toBe(401);
    const rival = await h.app.inject({
      method: 'GET',
      url: `${BASE}/billingunits/${BU}/residentialunits/0001/on-site-roles`,
      headers: { authorization: RIVAL, 'if-none-match': etag },
    });
    expect(rival.statusCode).toBe(404);
    expect(rival.headers.etag).toBeUndefined();
    expect((await conditionalRoles('*', '0999')).statusCode).toBe(404);
  });

  it('E3 answers a processed delivery the same from memory as from the database', async () => {
    const reads = [];
    for (let i = 0; i < 3; i++) reads.push(await getResult(h.app, AUTH, BU, processedId));
    for (const read of reads) {
      expect(read.statusCode).toBe(200);
      expect(read.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(read.body).toBe(reads[0]?.body);
    }
    expect(reads[0]?.json()).toMatchObject({ dataDeliveryId: processedId, status: 'SUCCESS' });
    // Upper case ids are the same delivery.
    expect((await getResult(h.app, AUTH, BU, processedId.toUpperCase())).body).toBe(reads[0]?.body);
  });

  it('E3 from memory still refuses another {bu}, another client and a wrong password', async () => {
    expect((await getResult(h.app, AUTH, BU, processedId)).statusCode).toBe(200);
    expect((await getResult(h.app, AUTH, OTHER_BU, processedId)).statusCode).toBe(404);
    expect((await getResult(h.app, RIVAL, BU, processedId)).statusCode).toBe(404);
    expect((await getResult(h.app, basic('acme-erp', 'wrong-password'), BU, processedId)).statusCode).toBe(401);
  });

  it('E3 of a delivery posted under another {bu} is 404 however it is read', async () => {
    const other = await postDelivery(h.app, AUTH, OTHER_BU, '0001', moveInMustermann({ bu: OTHER_BU }));
    const id = other.json().dataDeliveryId as string;
    expect((await getResult(h.app, AUTH, BU, id)).statusCode).toBe(404); // possibly still PENDING
    expect((await awaitResult(h.app, AUTH, OTHER_BU, id)).status).toBe('SUCCESS');
    expect((await getResult(h.app, AUTH, BU, id)).statusCode).toBe(404); // processed, read once
  });
});
