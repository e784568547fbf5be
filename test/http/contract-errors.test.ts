import { randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
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
import {
  delivery,
  HTTP_ERROR,
  MESSAGE,
  MUSTERMANN,
  moveInMustermann,
  SCHEMA_KEY,
  partnerEcho as specPartnerEcho,
  roleEcho as specRoleEcho,
} from '../support/spec.js';

/**
 * Every HTTP status code and synchronous message of spec sections 2–4, 6 and 7, through the real
 * app: the full error envelope, its content type and the headers the contract requires.
 */

const AUTH = basic('erp', 'erp-password');
const READER = basic('reader', 'reader-password');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const E2 = (bu: string, ru: string) => `${BASE}/billingunits/${bu}/residentialunits/${ru}/on-site-roles`;
const E3 = (bu: string, id: string) => `${BASE}/billingunits/${bu}/on-site-roles/data-delivery/${id}`;

const MESSAGES = {
  ...HTTP_ERROR,
  partnerNotInDelivery: MESSAGE['OSR-1001'].message,
  invalidEmail: MESSAGE['OSR-1002'].message,
  invalidPhone: MESSAGE['OSR-1003'].message,
  fromMissingBillingRecipient: MESSAGE['OSR-1004'].message,
  d1: MESSAGE.D1,
  d2: MESSAGE.D2,
  unitNotFound: MESSAGE.UNIT_NOT_FOUND,
  noRoles: MESSAGE.NO_ROLES,
} as const;

// biome-ignore lint/suspicious/noExplicitAny: request bodies are mutated freely to break the schema
type Body = any;

/** A fresh, valid delivery body (move-in of Mustermann into 654321/0001) to be broken by a test. */
const validBody = (unit?: { bu?: string; ru?: string }): Body => structuredClone(moveInMustermann(unit));
const residentialUnit = (body: Body) => body.billingunit.residentialunit;

interface Lists {
  messages?: unknown[];
  roleMessages?: unknown[];
  partnerMessages?: unknown[];
}

/** Status, content type and the complete error envelope (empty lists are null). */
function expectFail(response: LightMyRequestResponse, statusCode: number, lists: Lists): void {
  expect(response.statusCode, response.body).toBe(statusCode);
  expect(response.headers['content-type']).toMatch(/^application\/json(;|$)/);
  expect(response.json()).toEqual({
    status: 'FAIL',
    messages: lists.messages ?? null,
    roleMessages: lists.roleMessages ?? null,
    partnerMessages: lists.partnerMessages ?? null,
  });
}

const byJson = (a: unknown, b: unknown) => JSON.stringify(a).localeCompare(JSON.stringify(b));
const sorted = <T>(list: T[]): T[] => [...list].sort(byJson);

const withoutRequestId = (headers: LightMyRequestResponse['headers']) => {
  const { 'x-request-id': _id, date: _date, ...rest } = headers;
  return rest;
};

const roleEcho = (
  role: { role: string; from?: string | null; to?: string | null; pmnumber?: string | null },
  key: string,
  message: string,
) => specRoleEcho({ ...role, partner: { pmnumber: role.pmnumber } }, { key, message });

const partnerEcho = (pmnumber: string | null, key: string, message: string) =>
  specPartnerEcho(pmnumber, { key, message });

const partnerWith = (pmnumber: string, extra: Record<string, unknown>) => ({
  reference: { pmnumber },
  name: `Name ${pmnumber}`,
  firstname: 'Vorname',
  commercial: 'NON_COMMERCIAL',
  ...extra,
});

describe('error envelope and status codes of the contract', () => {
  let h: Harness;

  const countDeliveries = async () => {
    const { db } = h.database.handle;
    const row = await db.selectFrom('deliveries').select(db.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    return Number(row.n);
  };

  beforeAll(async () => {
    h = await startHarness();
    await seed(h, {
      clients: [
        {
          id: 'acme',
          billingUnits: [
            { mscnumber: '654321', units: ['0001', '0002', '0003', '0004'] },
            { mscnumber: '123456', units: ['0001'] },
            { mscnumber: '099000001', units: ['12'] },
          ],
        },
      ],
      credentials: [
        { clientId: 'acme', username: 'erp', password: 'erp-password' },
        { clientId: 'acme', username: 'reader', password: 'reader-password', readOnly: true },
        { clientId: 'acme', username: 'victim', password: 'victim-password' },
      ],
    });
    // 654321/0003 has a role on record (for reads with the read-only credential).
    const result = await deliver(h.app, AUTH, '654321', '0003', moveInMustermann({ ru: '0003' }));
    expect(result.status).toBe('SUCCESS');
  });
  afterAll(() => h?.close());

  describe('401 Authorization failure', () => {
    const expect401 = (response: LightMyRequestResponse) => {
      expectFail(response, 401, { messages: [MESSAGES.unauthorized] });
      expect(response.headers['www-authenticate']).toBe('Basic realm="on-site-roles"');
    };

    it('without an Authorization header, on E1, E2 and E3', async () => {
      expect401(await h.app.inject({ method: 'GET', url: E2('654321', '0003') }));
      expect401(await h.app.inject({ method: 'GET', url: E3('654321', randomUUID()) }));
      const before = await countDeliveries();
      expect401(
        await h.app.inject({
          method: 'POST',
          url: E2('654321', '0001'),
          headers: { 'content-type': 'application/json' },
          payload: JSON.stringify(validBody()),
        }),
      );
      expect(await countDeliveries()).toBe(before);
    });

    it.each([
      ['another scheme', 'Bearer abcdef'],
      ['Basic without credentials', 'Basic'],
      ['Basic with garbage', 'Basic !!!not-base64!!!'],
      ['Basic without a colon', `Basic ${Buffer.from('erp-without-colon').toString('base64')}`],
      ['an empty header', ''],
    ])('with a malformed header (%s)', async (_name, authorization) => {
      expect401(await h.app.inject({ method: 'GET', url: E2('654321', '0003'), headers: { authorization } }));
    });

    it('with a wrong password and with an unknown user, byte-identical answers', async () => {
      const wrongPassword = await getRoles(h.app, basic('erp', 'not-the-password'), '654321', '0003');
      const unknownUser = await getRoles(h.app, basic('nobody-here', 'erp-password'), '654321', '0003');
      expect401(wrongPassword);
      expect401(unknownUser);
      expect(unknownUser.statusCode).toBe(wrongPassword.statusCode);
      expect(unknownUser.body).toBe(wrongPassword.body);
      expect(unknownUser.rawPayload.equals(wrongPassword.rawPayload)).toBe(true);
      expect(withoutRequestId(unknownUser.headers)).toEqual(withoutRequestId(wrongPassword.headers));
    });

    it('a POST with a wrong password stores nothing', async () => {
      const before = await countDeliveries();
      expect401(await postDelivery(h.app, basic('erp', 'wrong'), '654321', '0001', validBody()));
      expect(await countDeliveries()).toBe(before);
    });
  });

  describe('403 for a read-only credential', () => {
    it('POST is forbidden and stores nothing', async () => {
      const before = await countDeliveries();
      const response = await postDelivery(h.app, READER, '654321', '0001', validBody());
      expectFail(response, 403, { messages: [MESSAGES.forbidden] });
      expect(response.headers.location).toBeUndefined();
      expect(await countDeliveries()).toBe(before);
    });

    it('GET E2 and E3 work with it', async () => {
      const roles = await getRoles(h.app, READER, '654321', '0003');
      expect(roles.statusCode).toBe(200);
      expect(roles.json().billingunit.residentialunit.roles).toEqual([
        { role: 'S-COR', from: '2018-05-01', to: '9999-12-31', partner: { pmnumber: '12345611' } },
      ]);
      const accepted = await postDelivery(h.app, AUTH, '654321', '0004', moveInMustermann({ ru: '0004' }));
      expect(accepted.statusCode).toBe(202);
      const result = await getResult(h.app, READER, '654321', accepted.json().dataDeliveryId);
      expect(result.statusCode).toBe(200);
      expect(result.json().dataDeliveryId).toBe(accepted.json().dataDeliveryId);
    });
  });

  describe('400 OSR-SCHEMA', () => {
    /** POST, expect 400 with one OSR-SCHEMA message per expected path, and nothing stored. */
    async function expectSchemaError(payload: Body, paths: string[], contentType = 'application/json') {
      const before = await countDeliveries();
      const response = await h.app.inject({
        method: 'POST',
        url: E2('654321', '0001'),
        headers: { authorization: AUTH, 'content-type': contentType },
        payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
      });
      expect(response.statusCode, response.body).toBe(400);
      expect(response.headers['content-type']).toMatch(/^application\/json(;|$)/);
      expect(response.headers.location).toBeUndefined();
      const body = response.json();
      expect(body).toEqual({ status: 'FAIL', messages: expect.any(Array), roleMessages: null, partnerMessages: null });
      for (const message of body.messages) {
        expect(message).toEqual({ key: SCHEMA_KEY, message: expect.stringMatching(/\S/), path: expect.any(String) });
      }
      expect(sorted(body.messages.map((m: { path: string }) => m.path))).toEqual(sorted(paths));
      expect(body).not.toHaveProperty('dataDeliveryId');
      expect(await countDeliveries()).toBe(before);
      return body.messages as { key: string; message: string; path: string }[];
    }

    it.each([
      ['truncated JSON', '{"timestamp": "2022-05-16T10:17:17Z", "billingunit": {'],
      ['not JSON at all', 'hello'],
      ['an empty body', ''],
    ])('a body that is not JSON (%s), path "" (the whole document)', async (_name, text) => {
      await expectSchemaError(text, ['']);
    });

    it('missing timestamp', async () => {
      const body = validBody();
      delete body.timestamp;
      await expectSchemaError(body, ['/timestamp']);
    });

    it.each([
      ['no offset', '2022-05-16T10:17:17'],
      ['a date only', '2022-05-16'],
      ['not a date', 'yesterday'],
      ['a number', 1652696237],
      ['null', null],
    ])('timestamp that is not a date-time with offset (%s)', async (_name, timestamp) => {
      await expectSchemaError({ ...validBody(), timestamp }, ['/timestamp']);
    });

    it.each([
      ['2022-02-30', 'from'],
      ['2023-02-29', 'from'],
      ['2022-13-01', 'to'],
      ['2022-5-1', 'from'],
      ['01.05.2022', 'to'],
    ])('impossible or malformed date %s in roles[0].%s', async (date, field) => {
      const body = validBody();
      residentialUnit(body).roles[0][field] = date;
      await expectSchemaError(body, [`/billingunit/residentialunit/roles/0/${field}`]);
    });

    it.each([
      ['roles/0/change', (b: Body) => (residentialUnit(b).roles[0].change = 'MODIFY')],
      ['roles/0/change', (b: Body) => (residentialUnit(b).roles[0].change = 'insert')],
      ['partners/0/commercial', (b: Body) => (residentialUnit(b).partners[0].commercial = 'PRIVATE')],
      ['partners/0/phonenumbers/0/type', (b: Body) => (residentialUnit(b).partners[0].phonenumbers[0].type = 'FAX')],
    ])('wrong enum value at %s', async (path, breakIt) => {
      const body = validBody();
      breakIt(body);
      await expectSchemaError(body, [`/billingunit/residentialunit/${path}`]);
    });

    it.each([
      ['/billingunit/reference/mscnumber', (b: Body) => (b.billingunit.reference.mscnumber = '1234567890')],
      ['/billingunit/reference/pmnumber', (b: Body) => (b.billingunit.reference.pmnumber = 'P'.repeat(21))],
      [
        '/billingunit/residentialunit/reference/mscnumber',
        (b: Body) => (residentialUnit(b).reference.mscnumber = '00001'),
      ],
      ['/billingunit/residentialunit/roles/0/role', (b: Body) => (residentialUnit(b).roles[0].role = 'S-COR-TOO-LONG')],
      [
        '/billingunit/residentialunit/roles/0/partner/pmnumber',
        (b: Body) => (residentialUnit(b).roles[0].partner.pmnumber = '1'.repeat(21)),
      ],
      [
        '/billingunit/residentialunit/partners/0/name',
        (b: Body) => (residentialUnit(b).partners[0].name = 'n'.repeat(101)),
      ],
      [
        '/billingunit/residentialunit/partners/0/email',
        (b: Body) => (residentialUnit(b).partners[0].email = `${'a'.repeat(250)}@b.de`),
      ],
      [
        '/billingunit/residentialunit/partners/0/taxnumber',
        (b: Body) => (residentialUnit(b).partners[0].taxnumber = '1'.repeat(21)),
      ],
      [
        '/billingunit/residentialunit/partners/0/phonenumbers/0/number',
        (b: Body) => (residentialUnit(b).partners[0].phonenumbers[0].number = '1'.repeat(31)),
      ],
    ])('string too long at %s', async (path, breakIt) => {
      const body = validBody();
      breakIt(body);
      await expectSchemaError(body, [path]);
    });

    it('an empty required string (role "") is a schema error', async () => {
      const body = validBody();
      residentialUnit(body).roles[0].role = '';
      await expectSchemaError(body, ['/billingunit/residentialunit/roles/0/role']);
    });

    it.each([
      ['timestamp', '/timestamp', (b: Body) => (b.timestamp = { at: 'now' })],
      ['roles', '/billingunit/residentialunit/roles', (b: Body) => (residentialUnit(b).roles = 'S-COR')],
      ['partners', '/billingunit/residentialunit/partners', (b: Body) => (residentialUnit(b).partners = {})],
      ['billingunit', '/billingunit', (b: Body) => (b.billingunit = [])],
      ['mscnumber', '/billingunit/reference/mscnumber', (b: Body) => (b.billingunit.reference.mscnumber = 654321)],
    ])('wrong type of %s', async (_name, path, breakIt) => {
      const body = validBody();
      breakIt(body);
      await expectSchemaError(body, [path]);
    });

    it.each(['[]', '[1,2]', 'null', '"text"', '42'])(
      'a JSON document that is not an object (%s), path ""',
      async (text) => {
        await expectSchemaError(text, ['']);
      },
    );

    it('more than 100 roles (and more than 100 partners, more than 10 phone numbers)', async () => {
      const body = validBody();
      const role = residentialUnit(body).roles[0];
      residentialUnit(body).roles = Array.from({ length: 101 }, () => ({ ...role }));
      await expectSchemaError(body, ['/billingunit/residentialunit/roles']);

      const exactly100 = validBody({ ru: '0002' });
      residentialUnit(exactly100).roles = Array.from({ length: 100 }, () => ({ ...role }));
      const accepted = await postDelivery(h.app, AUTH, '654321', '0002', exactly100);
      expect(accepted.statusCode, accepted.body).toBe(202);

      const partners = validBody();
      residentialUnit(partners).partners = Array.from({ length: 101 }, (_, i) => partnerWith(`P${i}`, {}));
      residentialUnit(partners).roles = [];
      await expectSchemaError(partners, ['/billingunit/residentialunit/partners']);

      const phones = validBody();
      residentialUnit(phones).partners[0].phonenumbers = Array.from({ length: 11 }, () => ({
        number: '0176-55555555',
        type: 'MOBILE',
      }));
      await expectSchemaError(phones, ['/billingunit/residentialunit/partners/0/phonenumbers']);
    });

    it.each<[string, string | string[], (b: Body) => unknown]>([
      [
        'a partner name',
        '/billingunit/residentialunit/partners/0/name',
        (b: Body) => (residentialUnit(b).partners[0].name = 'Muster\u0000mann'),
      ],
      // also no date-time: two messages on one path
      ['the timestamp', ['/timestamp', '/timestamp'], (b: Body) => (b.timestamp = '2022-05-16T10:17:17Z\u0000')],
      [
        'the role type',
        '/billingunit/residentialunit/roles/0/role',
        (b: Body) => (residentialUnit(b).roles[0].role = '\u0000'),
      ],
      ['an unknown top-level property', '/comment', (b: Body) => (b.comment = 'a\u0000b')],
      [
        'an unknown nested property',
        '/billingunit/residentialunit/roles/0/note',
        (b: Body) => (residentialUnit(b).roles[0].note = '\u0000'),
      ],
      [
        'an array inside an unknown property',
        '/billingunit/extra/1',
        (b: Body) => (b.billingunit.extra = ['fine', 'not \u0000 fine']),
      ],
    ])('a string containing U+0000 in %s', async (_name, path, breakIt) => {
      const body = validBody();
      breakIt(body);
      const text = JSON.stringify(body);
      expect(text).toContain('\\u0000'); // sent as the JSON escape
      await expectSchemaError(text, typeof path === 'string' ? [path] : path);
    });

    it.each([
      [
        'a lone high surrogate in a partner field',
        '"taxnumber":"\\ud800"',
        '/billingunit/residentialunit/partners/0/taxnumber',
      ],
      [
        'a lone low surrogate in an unknown property',
        '"note":"x\\udfffy"',
        '/billingunit/residentialunit/partners/0/note',
      ],
    ])('%s (PostgreSQL could not store it)', async (_name, field, path) => {
      const text = JSON.stringify(validBody()).replace('"name":"Mustermann"', `"name":"Mustermann",${field}`);
      expect(JSON.parse(text)).toBeTruthy();
      await expectSchemaError(text, [path]);
    });

    it('U+0000 deep inside a nested unknown property: 400 with its path, quickly and without recursion limits', async () => {
      const depth = 20_000;
      const text = JSON.stringify(validBody()).replace(
        '"timestamp"',
        `"deep":${'['.repeat(depth)}"\\u0000"${']'.repeat(depth)},"timestamp"`,
      );
      await expectSchemaError(text, [`/deep${'/0'.repeat(depth)}`]);
    });

    it('year 0000 is not a calendar date PostgreSQL can store', async () => {
      const body = validBody();
      residentialUnit(body).roles[0].from = '0000-01-01';
      await expectSchemaError(body, ['/billingunit/residentialunit/roles/0/from']);
    });

    it('several violations give several messages, each with its own path', async () => {
      const body = validBody();
      delete body.timestamp;
      residentialUnit(body).roles[0].from = '2022-02-30';
      residentialUnit(body).roles[0].change = 'MODIFY';
      residentialUnit(body).partners[0].name = 'n'.repeat(101);
      residentialUnit(body).partners[0].phonenumbers[0].type = 'FAX';
      await expectSchemaError(body, [
        '/timestamp',
        '/billingunit/residentialunit/roles/0/from',
        '/billingunit/residentialunit/roles/0/change',
        '/billingunit/residentialunit/partners/0/name',
        '/billingunit/residentialunit/partners/0/phonenumbers/0/type',
      ]);
    });

    it('the schema is checked before OSR-1xxx: a schema error alone is reported', async () => {
      const body = validBody();
      residentialUnit(body).roles[0].partner.pmnumber = 'not-sent'; // would be OSR-1001
      residentialUnit(body).roles[0].to = '2022-02-30';
      await expectSchemaError(body, ['/billingunit/residentialunit/roles/0/to']);
    });
  });

  describe('400 OSR-1xxx (synchronous validation)', () => {
    /** POST, expect 400 with exactly these role and partner messages (any order), nothing stored. */
    async function expectRejected(body: Body, lists: { roleMessages?: unknown[]; partnerMessages?: unknown[] }) {
      const before = await countDeliveries();
      const response = await postDelivery(h.app, AUTH, '654321', '0001', body);
      expect(response.statusCode, response.body).toBe(400);
      expect(response.headers['content-type']).toMatch(/^application\/json(;|$)/);
      expect(response.headers.location).toBeUndefined();
      const json = response.json();
      expect(Object.keys(json).sort()).toEqual(['messages', 'partnerMessages', 'roleMessages', 'status']);
      expect(json.status).toBe('FAIL');
      expect(json.messages).toBeNull();
      expect(json.roleMessages === null ? null : sorted(json.roleMessages)).toEqual(
        lists.roleMessages ? sorted(lists.roleMessages) : null,
      );
      expect(json.partnerMessages === null ? null : sorted(json.partnerMessages)).toEqual(
        lists.partnerMessages ? sorted(lists.partnerMessages) : null,
      );
      expect(await countDeliveries()).toBe(before);
    }

    it('OSR-1001: a role references a partner that is not in the delivery', async () => {
      await expectRejected(
        delivery(
          [
            {
              change: 'UPDATE',
              role: 'S-COR',
              from: '2018-05-01',
              to: '2022-05-31',
              partner: { pmnumber: '12345611' },
            },
            { change: 'INSERT', role: 'S-COR', from: '2022-06-01', partner: { pmnumber: '99999999' } },
          ],
          [MUSTERMANN],
        ),
        {
          roleMessages: [
            roleEcho(
              { role: 'S-COR', from: '2022-06-01', pmnumber: '99999999' },
              'OSR-1001',
              MESSAGES.partnerNotInDelivery,
            ),
          ],
        },
      );
    });

    it('OSR-1001 is not raised for a role without partner or without pmnumber (left to R3/R4)', async () => {
      const response = await postDelivery(
        h.app,
        AUTH,
        '654321',
        '0002',
        delivery(
          [
            { change: 'INSERT', role: 'S-COR', from: '2030-01-01' },
            { change: 'INSERT', role: 'S-COR', from: '2031-01-01', partner: {} },
          ],
          [],
          { ru: '0002' },
        ),
      );
      expect(response.statusCode, response.body).toBe(202);
    });

    it('OSR-1002: invalid e-mail addresses (incl. "" and "a@"), valid ones pass', async () => {
      const invalid = [
        '',
        'a@',
        '@example.org',
        'plainaddress',
        'a b@example.org',
        'a@b@c.de',
        'a@-example.org',
        'a@exa_mple.org',
      ];
      const valid = ['max@example.org', 'a@b', "o'brien+tag@sub.example.co", 'x.y-z@a-b.de'];
      const partners = [
        ...invalid.map((email, i) => partnerWith(`BAD${i}`, { email })),
        ...valid.map((email, i) => partnerWith(`GOOD${i}`, { email })),
        { ...MUSTERMANN, email: null },
      ];
      await expectRejected(delivery(moveInMustermann().billingunit.residentialunit.roles, partners), {
        partnerMessages: invalid.map((_, i) => partnerEcho(`BAD${i}`, 'OSR-1002', MESSAGES.invalidEmail)),
      });
    });

    it('OSR-1003: invalid phone numbers (digit count, letters, misplaced +), valid ones pass', async () => {
      const invalid = [
        '1234', // 4 digits
        '123456789012345678901', // 21 digits
        '0176-5555abc',
        'abcdefgh',
        '++49 176 555555',
        '0176+555555',
        '0176.555555',
        '',
        '+',
        '(--) //',
      ];
      const valid = ['12345', '12345678901234567890', '+49 176 5555555', '+49 (0)176 / 555-555', '0176-55555555'];
      const partners = [
        ...invalid.map((number, i) => partnerWith(`BAD${i}`, { phonenumbers: [{ number, type: 'MOBILE' }] })),
        ...valid.map((number, i) => partnerWith(`GOOD${i}`, { phonenumbers: [{ number, type: 'PRIVATE' }] })),
        MUSTERMANN,
      ];
      await expectRejected(delivery(moveInMustermann().billingunit.residentialunit.roles, partners), {
        partnerMessages: invalid.map((_, i) => partnerEcho(`BAD${i}`, 'OSR-1003', MESSAGES.invalidPhone)),
      });
    });

    it('OSR-1004: S-BIR / S-BVA without from (missing or null); with a from, or S-COR without, passes', async () => {
      await expectRejected(
        delivery(
          [
            { change: 'INSERT', role: 'S-BIR', partner: { pmnumber: '12345611' } },
            {
              change: 'INSERT',
              role: 'S-BVA',
              from: null,
              to: '2022-12-31',
              partner: { pmnumber: '12345611' },
            } as never,
            { role: 'S-BIR' },
            { change: 'INSERT', role: 'S-BVA', from: '2022-01-01', partner: { pmnumber: '12345611' } },
            { change: 'INSERT', role: 'S-COR', partner: { pmnumber: '12345611' } },
          ],
          [MUSTERMANN],
        ),
        {
          roleMessages: [
            roleEcho({ role: 'S-BIR', pmnumber: '12345611' }, 'OSR-1004', MESSAGES.fromMissingBillingRecipient),
            roleEcho(
              { role: 'S-BVA', to: '2022-12-31', pmnumber: '12345611' },
              'OSR-1004',
              MESSAGES.fromMissingBillingRecipient,
            ),
            // a missing partner is echoed as { pmnumber: null, mscnumber: null }
            roleEcho({ role: 'S-BIR' }, 'OSR-1004', MESSAGES.fromMissingBillingRecipient),
          ],
        },
      );
    });

    it('several failures at once are all reported, in roleMessages and partnerMessages', async () => {
      await expectRejected(
        delivery(
          [
            { change: 'INSERT', role: 'S-BVA', partner: { pmnumber: 'NOT-SENT-1' } },
            {
              change: 'INSERT',
              role: 'S-COR',
              from: '2022-06-01',
              to: '9999-12-31',
              partner: { pmnumber: 'NOT-SENT-2' },
            },
            { change: 'INSERT', role: 'S-COR', from: '2018-05-01', partner: { pmnumber: '12345611' } },
          ],
          [
            MUSTERMANN,
            partnerWith('BAD-MAIL', { email: 'a@' }),
            partnerWith('BAD-PHONE', { phonenumbers: [{ number: '12', type: 'BUSINESS' }] }),
            partnerWith('BAD-BOTH', { email: 'no-at-sign', phonenumbers: [{ number: 'call me', type: 'MOBILE' }] }),
          ],
        ),
        {
          roleMessages: [
            roleEcho({ role: 'S-BVA', pmnumber: 'NOT-SENT-1' }, 'OSR-1001', MESSAGES.partnerNotInDelivery),
            roleEcho({ role: 'S-BVA', pmnumber: 'NOT-SENT-1' }, 'OSR-1004', MESSAGES.fromMissingBillingRecipient),
            roleEcho(
              { role: 'S-COR', from: '2022-06-01', pmnumber: 'NOT-SENT-2' },
              'OSR-1001',
              MESSAGES.partnerNotInDelivery,
            ),
          ],
          partnerMessages: [
            partnerEcho('BAD-MAIL', 'OSR-1002', MESSAGES.invalidEmail),
            partnerEcho('BAD-PHONE', 'OSR-1003', MESSAGES.invalidPhone),
            partnerEcho('BAD-BOTH', 'OSR-1002', MESSAGES.invalidEmail),
            partnerEcho('BAD-BOTH', 'OSR-1003', MESSAGES.invalidPhone),
          ],
        },
      );
    });
  });

  describe('202 Accepted', () => {
    it('answers with the delivery id and the E3 URL in Location, and stores the delivery', async () => {
      const before = await countDeliveries();
      const response = await postDelivery(h.app, AUTH, '654321', '0001', validBody());
      expect(response.statusCode, response.body).toBe(202);
      expect(response.headers['content-type']).toMatch(/^application\/json(;|$)/);
      const body = response.json();
      expect(Object.keys(body)).toEqual(['dataDeliveryId']);
      expect(body.dataDeliveryId).toMatch(UUID);
      expect(response.headers.location).toBe(
        `${BASE}/billingunits/654321/on-site-roles/data-delivery/${body.dataDeliveryId}`,
      );
      expect(await countDeliveries()).toBe(before + 1);
      const stored = await h.database.handle.db
        .selectFrom('deliveries')
        .select(['billing_unit', 'residential_unit', 'credential', 'client_id'])
        .where('id', '=', body.dataDeliveryId)
        .executeTakeFirstOrThrow();
      expect(stored).toEqual({
        billing_unit: '654321',
        residential_unit: '0001',
        credential: 'erp',
        client_id: 'acme',
      });
      const result = await getResult(h.app, AUTH, '654321', body.dataDeliveryId);
      expect(result.statusCode).toBe(200);
    });

    it('the Location header leads to the delivery (E3)', async () => {
      const response = await postDelivery(
        h.app,
        AUTH,
        '099000001',
        '12',
        moveInMustermann({ bu: '099000001', ru: '12' }),
      );
      expect(response.statusCode, response.body).toBe(202);
      const location = response.headers.location as string;
      expect(location).toBe(E3('099000001', response.json().dataDeliveryId));
      const result = await h.app.inject({ method: 'GET', url: location, headers: { authorization: AUTH } });
      expect(result.statusCode).toBe(200);
      expect(result.json().dataDeliveryId).toBe(response.json().dataDeliveryId);
    });

    const unicode = (b: Body) => {
      const p = residentialUnit(b).partners[0];
      p.name = 'Müller-Lüdenscheidt 山田 😀';
      p.firstname = 'Zoë Ångström';
      p.additionalname = 'c/o Øresund ß';
    };
    const nulls = (b: Body) => {
      b.billingunit.reference.pmnumber = null;
      residentialUnit(b).reference.pmnumber = null;
      residentialUnit(b).roles[0].to = null;
      Object.assign(residentialUnit(b).partners[0], {
        additionalname: null,
        commercial: null,
        email: null,
        taxnumber: null,
        phonenumbers: null,
      });
    };
    const extras = (b: Body) => {
      b.extra = { nested: [1, 'two', null, { deep: true }] };
      b.billingunit.costcenter = 42;
      b.billingunit.reference.erp = 'SAP';
      residentialUnit(b).floor = '3. OG links';
      residentialUnit(b).roles[0].comment = 'moved in';
      residentialUnit(b).partners[0].salutation = 'Herr';
      residentialUnit(b).partners[0].phonenumbers[0].preferred = true;
    };
    const leapDay = (b: Body) => {
      residentialUnit(b).roles[0].from = '2024-02-29';
    };
    const openEnd = (b: Body) => {
      residentialUnit(b).roles[0].to = '9999-12-31';
    };

    it.each([
      ['unicode names', unicode],
      ['null for every optional field', nulls],
      [
        'null roles and partners lists',
        (b: Body) => Object.assign(residentialUnit(b), { roles: null, partners: null }),
      ],
      [
        'no roles and partners at all',
        (b: Body) => {
          delete residentialUnit(b).roles;
          delete residentialUnit(b).partners;
        },
      ],
      ['unknown extra properties', extras],
      ['leap day 2024-02-29', leapDay],
      ['to 9999-12-31', openEnd],
      ['a timestamp with an offset and fractions', (b: Body) => (b.timestamp = '2022-05-16T12:17:17.123+02:00')],
      [
        'the longest allowed strings',
        (b: Body) => {
          residentialUnit(b).partners[0].name = 'n'.repeat(100);
          residentialUnit(b).partners[0].taxnumber = '1'.repeat(20);
          residentialUnit(b).roles[0].role = 'R'.repeat(10);
        },
      ],
    ])('accepts valid-but-odd input: %s', async (_name, adjust) => {
      const body = validBody();
      adjust(body);
      const response = await postDelivery(h.app, AUTH, '654321', '0001', body);
      expect(response.statusCode, response.body).toBe(202);
      expect(response.json().dataDeliveryId).toMatch(UUID);
    });

    it('accepts application/json with a charset parameter', async () => {
      const response = await h.app.inject({
        method: 'POST',
        url: E2('654321', '0001'),
        headers: { authorization: AUTH, 'content-type': 'application/json; charset=utf-8' },
        payload: JSON.stringify(validBody()),
      });
      expect(response.statusCode, response.body).toBe(202);
    });

    it('odd input is processed and stored as sent (unicode, nulls, extras, leap day, open end)', async () => {
      const body = validBody({ ru: '0002' });
      for (const adjust of [extras, nulls, unicode, leapDay, openEnd]) adjust(body);
      const result = await deliver(h.app, AUTH, '654321', '0002', body);
      expect(result).toMatchObject({ status: 'SUCCESS', roleMessages: null, partnerMessages: null, messages: null });
      const roles = await getRoles(h.app, AUTH, '654321', '0002');
      expect(roles.statusCode).toBe(200);
      const unit = roles.json().billingunit.residentialunit;
      expect(unit.roles).toEqual([
        { role: 'S-COR', from: '2024-02-29', to: '9999-12-31', partner: { pmnumber: '12345611' } },
      ]);
      expect(unit.partners).toEqual([
        {
          reference: { pmnumber: '12345611' },
          name: 'Müller-Lüdenscheidt 山田 😀',
          firstname: 'Zoë Ångström',
          additionalname: 'c/o Øresund ß',
          commercial: 'NON_COMMERCIAL',
          email: null,
          taxnumber: null,
          phonenumbers: [],
        },
      ]);
    });
  });

  describe('413 and 415', () => {
    /** A valid body padded with an unknown property to exactly `bytes` bytes. */
    const paddedBody = (bytes: number) => {
      const body = validBody();
      body.padding = '';
      const size = Buffer.byteLength(JSON.stringify(body));
      body.padding = 'x'.repeat(bytes - size);
      const text = JSON.stringify(body);
      expect(Buffer.byteLength(text)).toBe(bytes);
      return text;
    };

    it('a body over 1 048 576 bytes gets 413 OSR-413, nothing stored', async () => {
      const before = await countDeliveries();
      const response = await postDelivery(h.app, AUTH, '654321', '0001', paddedBody(1_048_577));
      expectFail(response, 413, { messages: [MESSAGES.payloadTooLarge] });
      const huge = await postDelivery(h.app, AUTH, '654321', '0001', paddedBody(3_000_000));
      expectFail(huge, 413, { messages: [MESSAGES.payloadTooLarge] });
      expect(await countDeliveries()).toBe(before);
    });

    it('a body of exactly 1 048 576 bytes is accepted', async () => {
      const response = await postDelivery(h.app, AUTH, '654321', '0001', paddedBody(1_048_576));
      expect(response.statusCode, response.body).toBe(202);
    });

    it.each(['text/plain', 'application/xml', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x'])(
      'content type %s gets 415 OSR-415, nothing stored',
      async (contentType) => {
        const before = await countDeliveries();
        const response = await h.app.inject({
          method: 'POST',
          url: E2('654321', '0001'),
          headers: { authorization: AUTH, 'content-type': contentType },
          payload: JSON.stringify(validBody()),
        });
        expectFail(response, 415, { messages: [MESSAGES.unsupportedMediaType] });
        expect(await countDeliveries()).toBe(before);
      },
    );

    it('a body without a content type gets 415 OSR-415', async () => {
      const before = await countDeliveries();
      const response = await h.app.inject({
        method: 'POST',
        url: E2('654321', '0001'),
        headers: { authorization: AUTH },
        payload: Buffer.from(JSON.stringify(validBody())),
      });
      expect(response.statusCode).toBe(415);
      expectFail(response, 415, { messages: [MESSAGES.unsupportedMediaType] });
      expect(await countDeliveries()).toBe(before);
    });
  });

  describe('errors Fastify raises before routing', () => {
    it('a malformed percent-encoding in the path: 400 envelope with a request id', async () => {
      const response = await h.app.inject({
        method: 'GET',
        url: `${BASE}/billingunits/%E0%A4%A/residentialunits/0001/on-site-roles`,
        headers: { authorization: AUTH },
      });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ status: 'FAIL', messages: [{ key: SCHEMA_KEY }] });
      expect(response.headers['x-request-id']).toMatch(/\S/);
    });
  });

  describe('404', () => {
    it.each([
      ['GET', `${BASE}/nothing-here`],
      ['GET', `${BASE}/billingunits/654321`],
      ['GET', `${BASE}/billingunits/654321/residentialunits/0001`],
      ['GET', `${BASE}/billingunits/654321/residentialunits/0001/on-site-roles/extra`],
      ['GET', '/'],
      ['GET', '/arge/on-site-roles/v2/billingunits/654321/residentialunits/0001/on-site-roles'],
      ['POST', `${BASE}/billingunits/654321/on-site-roles`],
    ])('%s %s (unknown path) gets OSR-404 Not found.', async (method, url) => {
      const response = await h.app.inject({ method: method as 'GET' | 'POST', url, headers: { authorization: AUTH } });
      expectFail(response, 404, { messages: [MESSAGES.notFound] });
    });

    it.each([
      ['DELETE', E2('654321', '0001')],
      ['PUT', E2('654321', '0001')],
      ['PATCH', E2('654321', '0001')],
      ['POST', E3('654321', randomUUID())],
      ['DELETE', E3('654321', randomUUID())],
    ])('%s on a known path (wrong method) gets OSR-404 Not found.', async (method, url) => {
      const response = await h.app.inject({
        method: method as 'DELETE' | 'PUT' | 'PATCH' | 'POST',
        url,
        headers: { authorization: AUTH, 'content-type': 'application/json' },
        payload: JSON.stringify(validBody()),
      });
      expectFail(response, 404, { messages: [MESSAGES.notFound] });
    });

    describe('E3: Data delivery not found.', () => {
      let id: string;
      beforeAll(async () => {
        const response = await postDelivery(h.app, AUTH, '654321', '0001', validBody());
        expect(response.statusCode).toBe(202);
        id = response.json().dataDeliveryId;
      });

      it('the delivery itself is found under its {bu}', async () => {
        expect((await getResult(h.app, AUTH, '654321', id)).statusCode).toBe(200);
      });

      it.each([
        ['not a UUID', () => 'not-a-uuid'],
        ['a UUID with garbage appended', () => `${randomUUID()}x`],
        ['a UUID without dashes', () => randomUUID().replaceAll('-', '')],
        ['a number', () => '12345'],
        ['an unknown UUID', () => randomUUID()],
        ['the nil UUID', () => '00000000-0000-0000-0000-000000000000'],
      ])('%s', async (_name, makeId) => {
        expectFail(await getResult(h.app, AUTH, '654321', makeId()), 404, { messages: [MESSAGES.deliveryNotFound] });
      });

      it.each([
        ['another billing unit of the same client', '123456'],
        ['an unknown billing unit', '999999'],
        ['the same number with a leading zero', '0654321'],
        ['a malformed billing unit', 'abc'],
      ])('a known delivery under %s', async (_name, bu) => {
        expectFail(await getResult(h.app, AUTH, bu, id), 404, { messages: [MESSAGES.deliveryNotFound] });
      });

      it('all E3 404 answers are byte-identical', async () => {
        const answers = await Promise.all([
          getResult(h.app, AUTH, '654321', 'not-a-uuid'),
          getResult(h.app, AUTH, '654321', randomUUID()),
          getResult(h.app, AUTH, '123456', id),
        ]);
        for (const answer of answers) expect(answer.body).toBe(answers[0]?.body);
      });
    });

    describe('E2', () => {
      it.each([
        ['an unknown billing unit', '999999', '0001'],
        ['an unknown 099 billing unit', '099999999', '0001'],
        ['an unknown residential unit', '654321', '9999'],
        ['a residential unit of another billing unit', '123456', '0002'],
        ['"1" is not "0001" (compared as strings)', '654321', '1'],
        ['"001" is not "0001"', '654321', '001'],
      ])('%s: 404 Residential unit not found.', async (_name, bu, ru) => {
        expectFail(await getRoles(h.app, AUTH, bu, ru), 404, { messages: [MESSAGES.unitNotFound] });
      });

      it('a known unit without roles: 404 No on-site-roles found in residential unit.', async () => {
        expectFail(await getRoles(h.app, AUTH, '123456', '0001'), 404, { messages: [MESSAGES.noRoles] });
      });

      it.each([
        ['abc', '0001', [MESSAGES.d1]],
        ['12345', '0001', [MESSAGES.d1]],
        ['1234567', '0001', [MESSAGES.d1]],
        ['098123456', '0001', [MESSAGES.d1]],
        ['0991234567', '0001', [MESSAGES.d1]],
        ['654321', '12345', [MESSAGES.d2]],
        ['654321', '00a1', [MESSAGES.d2]],
        ['654321', '-1', [MESSAGES.d2]],
        ['abc', 'xyz', [MESSAGES.d1, MESSAGES.d2]],
      ])('malformed {bu}=%s / {ru}=%s: 400 with D1/D2 in messages', async (bu, ru, messages) => {
        expectFail(await getRoles(h.app, AUTH, bu, ru), 400, { messages });
      });
    });
  });

  describe('X-Request-Id and operational endpoints', () => {
    it('echoes a sane X-Request-Id, also on errors', async () => {
      const ok = await h.app.inject({ method: 'GET', url: '/health', headers: { 'x-request-id': 'erp-4711.a:b_c' } });
      expect(ok.headers['x-request-id']).toBe('erp-4711.a:b_c');
      const unauthorized = await h.app.inject({
        method: 'GET',
        url: E2('654321', '0001'),
        headers: { 'x-request-id': 'req-401' },
      });
      expect(unauthorized.statusCode).toBe(401);
      expect(unauthorized.headers['x-request-id']).toBe('req-401');
      const notFound = await h.app.inject({
        method: 'GET',
        url: `${BASE}/nope`,
        headers: { 'x-request-id': 'req-404' },
      });
      expect(notFound.statusCode).toBe(404);
      expect(notFound.headers['x-request-id']).toBe('req-404');
      const schema = await h.app.inject({
        method: 'POST',
        url: E2('654321', '0001'),
        headers: { authorization: AUTH, 'content-type': 'application/json', 'x-request-id': 'req-400' },
        payload: '{',
      });
      expect(schema.statusCode).toBe(400);
      expect(schema.headers['x-request-id']).toBe('req-400');
    });

    it('generates one when none or an insane one is sent, also on errors', async () => {
      const ids = new Set<string>();
      for (const headers of [
        {},
        { 'x-request-id': 'has spaces in it' },
        { 'x-request-id': 'x'.repeat(1000) },
        { 'x-request-id': '<script>' },
        { 'x-request-id': '' },
      ]) {
        for (const url of ['/health', E2('654321', '0001'), `${BASE}/nope`]) {
          const response = await h.app.inject({ method: 'GET', url, headers });
          const id = response.headers['x-request-id'];
          expect(typeof id).toBe('string');
          expect(id).toMatch(/^\S{1,128}$/);
          expect(id).not.toBe((headers as { 'x-request-id'?: string })['x-request-id']);
          ids.add(id as string);
        }
      }
      expect(ids.size).toBe(15);
    });

    it('GET /health and GET /ready answer 200 without credentials', async () => {
      expect((await h.app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
      expect((await h.app.inject({ method: 'GET', url: '/ready' })).statusCode).toBe(200);
    });
  });

  describe('E3 for a delivery that failed D1', () => {
    it('is accepted under bu "abc", ends FAIL with D1 and stays readable under "abc"', async () => {
      const response = await postDelivery(h.app, AUTH, 'abc', '0001', moveInMustermann({ bu: 'abc' }));
      expect(response.statusCode, response.body).toBe(202);
      const id = response.json().dataDeliveryId;
      expect(response.headers.location).toBe(E3('abc', id));
      const result = await awaitResult(h.app, AUTH, 'abc', id);
      expect(result).toMatchObject({
        dataDeliveryId: id,
        status: 'FAIL',
        roleMessages: null,
        partnerMessages: null,
        messages: [MESSAGES.d1],
      });
      expect(typeof result.processedAt).toBe('string');
      expectFail(await getResult(h.app, AUTH, '654321', id), 404, { messages: [MESSAGES.deliveryNotFound] });
      // a read-only credential of the same client reads it too
      expect((await getResult(h.app, READER, 'abc', id)).json().status).toBe('FAIL');
    });
  });
});

describe('429 Too many requests', () => {
  describe('failed authentication attempts', () => {
    let h: Harness;
    beforeAll(async () => {
      h = await startHarness({ worker: false });
      await seed(h, {
        clients: [{ id: 'acme', billingUnits: [{ mscnumber: '654321', units: ['0001'] }] }],
        credentials: [
          { clientId: 'acme', username: 'victim', password: 'victim-password' },
          { clientId: 'acme', username: 'bystander', password: 'bystander-password' },
        ],
      });
    });
    afterAll(() => h?.close());

    it('after 10 failed attempts for one username, the 11th gets 429 even with the right password', async () => {
      for (let attempt = 1; attempt <= 10; attempt++) {
        const response = await getRoles(h.app, basic('victim', `wrong-${attempt}`), '654321', '0001');
        expect(response.statusCode, `attempt ${attempt}`).toBe(401);
      }
      const blocked = await getRoles(h.app, basic('victim', 'victim-password'), '654321', '0001');
      expectFail(blocked, 429, { messages: [MESSAGES.tooManyRequests] });
      expect(blocked.headers['retry-after']).toMatch(/^[1-9]\d*$/);
      expect(Number(blocked.headers['retry-after'])).toBeLessThanOrEqual(15 * 60);
      const stillBlocked = await getRoles(h.app, basic('victim', 'wrong-again'), '654321', '0001');
      expectFail(stillBlocked, 429, { messages: [MESSAGES.tooManyRequests] });
      // other usernames are not affected
      const other = await getRoles(h.app, basic('bystander', 'bystander-password'), '654321', '0001');
      expect(other.statusCode).toBe(404); // authenticated: the unit has no roles
    });

    it('the same holds for an unknown username', async () => {
      for (let attempt = 1; attempt <= 10; attempt++) {
        expect((await getRoles(h.app, basic('ghost', `guess-${attempt}`), '654321', '0001')).statusCode).toBe(401);
      }
      const blocked = await getRoles(h.app, basic('ghost', 'guess-11'), '654321', '0001');
      expectFail(blocked, 429, { messages: [MESSAGES.tooManyRequests] });
      expect(blocked.headers['retry-after']).toMatch(/^[1-9]\d*$/);
    });
  });

  describe('per-credential request rate', () => {
    let h: Harness;
    beforeAll(async () => {
      h = await startHarness({ worker: false, requestsPerMinute: 5 });
      await seed(h, {
        clients: [{ id: 'acme', billingUnits: [{ mscnumber: '654321', units: ['0001'] }] }],
        credentials: [
          { clientId: 'acme', username: 'busy', password: 'busy-password' },
          { clientId: 'acme', username: 'calm', password: 'calm-password' },
        ],
      });
    });
    afterAll(() => h?.close());

    it('with requestsPerMinute 5, the 6th request gets 429 with Retry-After; others are not affected', async () => {
      const busy = basic('busy', 'busy-password');
      for (let request = 1; request <= 5; request++) {
        expect((await getRoles(h.app, busy, '654321', '0001')).statusCode, `request ${request}`).toBe(404);
      }
      const sixth = await getRoles(h.app, busy, '654321', '0001');
      expectFail(sixth, 429, { messages: [MESSAGES.tooManyRequests] });
      expect(sixth.headers['retry-after']).toMatch(/^[1-9]\d*$/);
      expect(Number(sixth.headers['retry-after'])).toBeLessThanOrEqual(60);
      // a POST is limited too, and stores nothing
      const post = await postDelivery(h.app, busy, '654321', '0001', validBody());
      expectFail(post, 429, { messages: [MESSAGES.tooManyRequests] });
      const { db } = h.database.handle;
      expect(await db.selectFrom('deliveries').select('id').execute()).toEqual([]);
      // another credential has its own budget; /health is outside the limits
      expect((await getRoles(h.app, basic('calm', 'calm-password'), '654321', '0001')).statusCode).toBe(404);
      for (let i = 0; i < 10; i++) expect((await h.app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    });
  });
});
