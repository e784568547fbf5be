import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awaitResult, BASE, basic, getResult, type Harness, seed, startHarness } from '../support/harness.js';
import { HTTP_ERROR, MESSAGE, moveInMustermann, SCHEMA_KEY } from '../support/spec.js';

/**
 * The edges of the contract (spec sections 3, 6, 7) through the real app: every schema violation
 * reported together with the strings PostgreSQL cannot store, {bu}/{ru} of any length, a U+0000
 * in E1's path, content codings and a UTF-8 byte-order mark before the body.
 */

const AUTH = basic('erp', 'erp-password');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const unitUrl = (bu: string, ru: string) => `${BASE}/billingunits/${bu}/residentialunits/${ru}/on-site-roles`;

// biome-ignore lint/suspicious/noExplicitAny: request bodies are mutated freely to break the schema
type Body = any;
const validBody = (unit?: { bu?: string; ru?: string }): Body => structuredClone(moveInMustermann(unit));
const residentialUnit = (body: Body) => body.billingunit.residentialunit;

/** Status, content type, a request id and the complete envelope (empty lists are null). */
function expectFail(response: LightMyRequestResponse, statusCode: number, messages: unknown[]): void {
  expect(response.statusCode, response.body).toBe(statusCode);
  expect(response.headers['content-type']).toMatch(/^application\/json(;|$)/);
  expect(response.headers['x-request-id']).toMatch(/\S/);
  expect(response.json()).toEqual({ status: 'FAIL', messages, roleMessages: null, partnerMessages: null });
}

describe('edges of the contract', () => {
  let h: Harness;

  const countDeliveries = async () => {
    const { db } = h.database.handle;
    const row = await db.selectFrom('deliveries').select(db.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    return Number(row.n);
  };

  const post = (url: string, payload: string | Buffer, headers: Record<string, string> = {}) =>
    h.app.inject({
      method: 'POST',
      url,
      headers: { authorization: AUTH, 'content-type': 'application/json', ...headers },
      payload,
    });

  beforeAll(async () => {
    h = await startHarness();
    await seed(h, {
      clients: [{ id: 'acme', billingUnits: [{ mscnumber: '654321', units: ['0001', '0002'] }] }],
      credentials: [{ clientId: 'acme', username: 'erp', password: 'erp-password' }],
    });
  });
  afterAll(() => h?.close());

  describe('400 OSR-SCHEMA: strings that cannot be stored hide no other violation', () => {
    it('U+0000, lone surrogates (in values and names) and schema violations: one message each, with its pointer', async () => {
      const body = validBody();
      delete body.timestamp;
      residentialUnit(body).roles[0].change = 'MODIFY';
      residentialUnit(body).partners[0].name = 'Muster\u0000mann';
      // letters: a run of digits could also stand in a logged URL of another test here
      residentialUnit(body).partners[0].taxnumber = 'DE'.repeat(11);
      body.comment = 'a\u0000b';
      const text = JSON.stringify(body)
        .replace('"firstname":"Max"', '"firstname":"\\ud800"')
        .replace('"comment"', '"\\u0000note":"x","comment"');
      const before = await countDeliveries();
      const response = await post(unitUrl('654321', '0001'), text);
      const schema = (message: string, path: string) => ({ key: SCHEMA_KEY, message, path });
      // The schema's violations in schema order, then the unstorable strings in document order.
      expectFail(response, 400, [
        schema('Invalid input: expected string, received undefined', '/timestamp'),
        schema(
          'Invalid option: expected one of "INSERT"|"UPDATE"|"DELETE"',
          '/billingunit/residentialunit/roles/0/change',
        ),
        schema('Too big: expected string to have <=20 characters', '/billingunit/residentialunit/partners/0/taxnumber'),
        schema('String must not contain U+0000.', '/billingunit/residentialunit/partners/0/name'),
        schema(
          'String must be well-formed Unicode (no lone surrogates).',
          '/billingunit/residentialunit/partners/0/firstname',
        ),
        schema('String must not contain U+0000.', '/\u0000note'),
        schema('String must not contain U+0000.', '/comment'),
      ]);
      expect(response.headers.location).toBeUndefined();
      expect(await countDeliveries()).toBe(before);
    });

    it('a value that breaks a rule and also holds U+0000 gets both messages', async () => {
      const body = validBody();
      residentialUnit(body).roles[0].role = 'S-COR\u0000TOO-LONG';
      expectFail(await post(unitUrl('654321', '0001'), JSON.stringify(body)), 400, [
        {
          key: SCHEMA_KEY,
          message: 'Too big: expected string to have <=10 characters',
          path: '/billingunit/residentialunit/roles/0/role',
        },
        {
          key: SCHEMA_KEY,
          message: 'String must not contain U+0000.',
          path: '/billingunit/residentialunit/roles/0/role',
        },
      ]);
    });
  });

  describe('{bu} and {ru} of any length are numbers like any other', () => {
    const longBu = '6'.repeat(201);
    const longRu = '1'.repeat(300);

    it.each([
      ['{bu}', longBu, '0001', [MESSAGE.D1]],
      ['{ru}', '654321', longRu, [MESSAGE.D2]],
      ['both', longBu, longRu, [MESSAGE.D1, MESSAGE.D2]],
    ])('E2 with an over-long %s: 400 with D1/D2', async (_name, bu, ru, messages) => {
      expectFail(
        await h.app.inject({ method: 'GET', url: unitUrl(bu, ru), headers: { authorization: AUTH } }),
        400,
        messages,
      );
    });

    it.each([
      ['{bu} of 201 digits', longBu, '0001', [MESSAGE.D1]],
      ['{ru} of 300 digits', '654321', longRu, [MESSAGE.D2]],
      // Random, so PostgreSQL cannot compress it: the longest a request line of 16 KiB allows.
      ['{bu} of 16,000 random characters', randomBytes(12_000).toString('base64url'), '0001', [MESSAGE.D1]],
    ])('E1 with a %s: accepted, then FAIL with D1/D2, readable under that {bu}', async (_name, bu, ru, messages) => {
      const response = await post(unitUrl(bu, ru), JSON.stringify(validBody()));
      expect(response.statusCode, response.body).toBe(202);
      const id = response.json().dataDeliveryId;
      expect(id).toMatch(UUID);
      expect(response.headers.location).toBe(`${BASE}/billingunits/${bu}/on-site-roles/data-delivery/${id}`);
      const result = await awaitResult(h.app, AUTH, bu, id);
      expect(result).toMatchObject({ status: 'FAIL', roleMessages: null, partnerMessages: null, messages });
      expect((await getResult(h.app, AUTH, '999999', id)).statusCode).toBe(404);
    });
  });

  describe('U+0000 in E1’s {bu}/{ru} (%00): it could not be stored for D1/D2', () => {
    it.each([
      ['{bu}', unitUrl('65%004321', '0001')],
      ['{ru}', unitUrl('654321', '%00')],
    ])('%s: 400 Malformed request URL., nothing stored', async (_name, url) => {
      const before = await countDeliveries();
      expectFail(await post(url, JSON.stringify(validBody())), 400, [
        { key: SCHEMA_KEY, message: 'Malformed request URL.', path: '' },
      ]);
      expect(await countDeliveries()).toBe(before);
    });

    it('E2 answers it with D1 like any other malformed number', async () => {
      const response = await h.app.inject({
        method: 'GET',
        url: unitUrl('%00', '0001'),
        headers: { authorization: AUTH },
      });
      expectFail(response, 400, [MESSAGE.D1]);
    });
  });

  describe('content codings and the byte-order mark', () => {
    const plain = () => JSON.stringify(validBody());

    it.each([
      ['gzip', () => gzipSync(plain())],
      ['br', plain],
      ['deflate', plain],
      ['x-custom', plain],
      ['GZIP', () => gzipSync(plain())],
      ['identity, gzip', () => gzipSync(plain())],
    ])(
      'Content-Encoding: %s gets 415 OSR-415 with Accept-Encoding: identity, nothing stored',
      async (coding, payload) => {
        const before = await countDeliveries();
        const response = await post(unitUrl('654321', '0001'), payload(), { 'content-encoding': coding });
        expectFail(response, 415, [HTTP_ERROR.unsupportedMediaType]);
        expect(response.headers['accept-encoding']).toBe('identity');
        expect(await countDeliveries()).toBe(before);
      },
    );

    it.each(['identity', 'IDENTITY', 'identity, identity'])(
      'Content-Encoding: %s is plain JSON: 202',
      async (coding) => {
        const response = await post(unitUrl('654321', '0001'), plain(), { 'content-encoding': coding });
        expect(response.statusCode, response.body).toBe(202);
      },
    );

    it('a UTF-8 byte-order mark before the JSON is accepted, and the delivery is processed', async () => {
      const withMark = Buffer.concat([
        Buffer.from([0xef, 0xbb, 0xbf]),
        Buffer.from(JSON.stringify(validBody({ ru: '0002' }))),
      ]);
      const response = await post(unitUrl('654321', '0002'), withMark, {
        'content-type': 'application/json; charset=utf-8',
      });
      expect(response.statusCode, response.body).toBe(202);
      const result = await awaitResult(h.app, AUTH, '654321', response.json().dataDeliveryId);
      expect(result).toMatchObject({ status: 'SUCCESS', roleMessages: null, partnerMessages: null, messages: null });
    });

    it.each([
      ['two marks', '\uFEFF\uFEFF{}'],
      ['a mark before a body that is not JSON', '\uFEFF{'],
      ['a mark alone', '\uFEFF'],
    ])('%s: 400, not JSON', async (_name, text) => {
      expectFail(await post(unitUrl('654321', '0001'), text), 400, [
        { key: SCHEMA_KEY, message: 'Request body is not valid JSON.', path: '' },
      ]);
    });
  });
});
