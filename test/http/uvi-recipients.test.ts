import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UVI_QUERY_RULES } from '../../src/domain/uvi-recipients.js';
import { uviRecipientsSchema } from '../../src/http/routes/msc-uvi-recipients.js';
import { basic, type Harness, seedOperators, startHarness } from '../support/harness.js';
import { type SeedUnit, seedUnits } from '../support/seed-units.js';
import { SCHEMA_KEY } from '../support/spec.js';

/**
 * Spec 10.3 over HTTP: `GET /msc/v1/uvi-recipients` with an operator's credentials, on real
 * PostgreSQL (units, roles and partners seeded with SQL). The rule itself is table-tested in
 * test/unit/uvi-recipients.test.ts; here: the query's validation, the filter, paging and order.
 */

const OPERATOR = basic('billing', 'billing-password');
const READ_ONLY = basic('viewer', 'viewer-password');

const UNITS: SeedUnit[] = [
  {
    bu: '654321',
    ru: '0001',
    roles: [{ from: '2018-05-01', to: null, pmnumber: '11' }],
    partners: [{ pmnumber: '11', name: 'Mustermann', firstname: 'Max' }],
  },
  {
    bu: '654321',
    ru: '1',
    roles: [
      { from: '2024-02-10', to: null, pmnumber: '22' },
      { from: '2020-01-01', to: '2024-02-09', pmnumber: '21' },
    ],
    partners: [
      { pmnumber: '21', name: 'Alt', firstname: 'Anna' },
      { pmnumber: '22', name: 'Neu', firstname: 'Nils' },
    ],
  },
  {
    bu: '654321',
    ru: '10',
    roles: [{ from: '2024-02-29', to: null, pmnumber: '31' }],
    partners: [{ pmnumber: '31', name: 'Schalt', firstname: 'Tag' }],
  },
  // only a billing recipient: not listed
  {
    bu: '654321',
    ru: '2',
    roles: [{ role: 'S-BIR', from: '2018-01-01', to: null, pmnumber: '41' }],
    partners: [{ pmnumber: '41', name: 'Zahl', firstname: 'Zoe' }],
  },
  // moved out before the month: not listed
  {
    bu: '654321',
    ru: '3',
    roles: [{ from: '2018-01-01', to: '2024-01-31', pmnumber: '51' }],
    partners: [{ pmnumber: '51', name: 'Weg', firstname: 'Willi' }],
  },
  // the partner is not on record: its fields are null
  { bu: '099123456', ru: '0001', roles: [{ from: '2023-01-01', to: null, pmnumber: '61' }], partners: [] },
  {
    bu: '123456',
    ru: '0001',
    roles: [{ from: '2024-02-15', to: '2024-02-20', pmnumber: '71' }],
    partners: [{ pmnumber: '71', name: 'Kurz GmbH', firstname: null }],
  },
];

const partner = (pmnumber: string, name: string | null, firstname: string | null) => ({
  pmnumber,
  name,
  firstname,
  additionalname: null,
  commercial: name === null ? null : 'NON_COMMERCIAL',
});

/** February 2024 (a leap year), every unit in the answer's order: billing unit, then residential unit, by code point. */
const FEBRUARY = [
  {
    billingUnit: '099123456',
    residentialUnit: '0001',
    recipients: [
      { partner: partner('61', null, null), from: '2024-02-01', to: '2024-02-29', days: 29, fullMonth: true },
    ],
  },
  {
    billingUnit: '123456',
    residentialUnit: '0001',
    recipients: [
      { partner: partner('71', 'Kurz GmbH', null), from: '2024-02-15', to: '2024-02-20', days: 6, fullMonth: false },
    ],
  },
  {
    billingUnit: '654321',
    residentialUnit: '0001',
    recipients: [
      { partner: partner('11', 'Mustermann', 'Max'), from: '2024-02-01', to: '2024-02-29', days: 29, fullMonth: true },
    ],
  },
  {
    billingUnit: '654321',
    residentialUnit: '1',
    recipients: [
      { partner: partner('21', 'Alt', 'Anna'), from: '2024-02-01', to: '2024-02-09', days: 9, fullMonth: false },
      { partner: partner('22', 'Neu', 'Nils'), from: '2024-02-10', to: '2024-02-29', days: 20, fullMonth: false },
    ],
  },
  {
    billingUnit: '654321',
    residentialUnit: '10',
    recipients: [
      { partner: partner('31', 'Schalt', 'Tag'), from: '2024-02-29', to: '2024-02-29', days: 1, fullMonth: false },
    ],
  },
];

const schemaError = (...violations: [name: keyof typeof UVI_QUERY_RULES][]) => ({
  status: 'FAIL',
  messages: violations.map(([name]) => ({ key: SCHEMA_KEY, message: UVI_QUERY_RULES[name], path: `/query/${name}` })),
  roleMessages: null,
  partnerMessages: null,
});

describe('GET /msc/v1/uvi-recipients (10.3)', () => {
  let h: Harness;
  const get = async (query: string, authorization = OPERATOR) => {
    const response = await h.app.inject({
      method: 'GET',
      url: `/msc/v1/uvi-recipients${query}`,
      headers: { authorization },
    });
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    if (response.statusCode === 200) uviRecipientsSchema.parse(response.json());
    return response;
  };

  beforeAll(async () => {
    h = await startHarness({ worker: false });
    await seedUnits(h.database.handle.db, UNITS, { contracts: ['S-COR'] });
    await seedOperators(h, [
      { name: 'billing', password: 'billing-password' },
      { name: 'viewer', password: 'viewer-password', readOnly: true },
    ]);
  });
  afterAll(() => h?.close());

  it('one item per unit with an S-COR role in the month, ordered by billing unit, then residential unit, by code point', async () => {
    const response = await get('?month=2024-02');
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toEqual({ month: '2024-02', units: FEBRUARY, next: null });
    // a read-only operator reads the same
    expect((await get('?month=2024-02', READ_ONLY)).json()).toEqual(response.json());
  });

  it('another month: other recipients, whole months', async () => {
    const response = await get('?month=2024-01');
    expect(response.statusCode).toBe(200);
    const units = response.json().units as { billingUnit: string; residentialUnit: string; recipients: unknown[] }[];
    expect(units.map((unit) => `${unit.billingUnit}/${unit.residentialUnit}`)).toEqual([
      '099123456/0001',
      '654321/0001',
      '654321/1',
      '654321/3',
    ]);
    expect(units[3]?.recipients).toEqual([
      { partner: partner('51', 'Weg', 'Willi'), from: '2024-01-01', to: '2024-01-31', days: 31, fullMonth: true },
    ]);
  });

  it('month: missing or malformed is 400 OSR-SCHEMA with path /query/month', async () => {
    for (const query of [
      '',
      '?month=',
      '?month=2024-13',
      '?month=2024-2',
      '?month=24-02',
      '?month=0000-01',
      '?month=2024-02-01',
      '?month=2024-01&month=2024-02',
    ]) {
      const response = await get(query);
      expect(response.statusCode, query).toBe(400);
      expect(response.json(), query).toEqual(schemaError(['month']));
    }
  });

  it('every malformed parameter is reported, each with its path', async () => {
    const response = await get('?billingUnit=12345&after=%%%&limit=0');
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual(schemaError(['month'], ['billingUnit'], ['after'], ['limit']));
  });

  it('billingUnit filters; a well-formed unknown one is 200 with no units; a malformed one is 400', async () => {
    const filtered = await get('?month=2024-02&billingUnit=654321');
    expect(filtered.json()).toEqual({ month: '2024-02', units: FEBRUARY.slice(2), next: null });
    const nine = await get('?month=2024-02&billingUnit=099123456');
    expect(nine.json()).toEqual({ month: '2024-02', units: FEBRUARY.slice(0, 1), next: null });
    const unknown = await get('?month=2024-02&billingUnit=999999');
    expect(unknown.statusCode).toBe(200);
    expect(unknown.json()).toEqual({ month: '2024-02', units: [], next: null });
    for (const billingUnit of ['12345', '1234567', '099', 'abcdef', '098123456']) {
      const response = await get(`?month=2024-02&billingUnit=${billingUnit}`);
      expect(response.statusCode, billingUnit).toBe(400);
      expect(response.json(), billingUnit).toEqual(schemaError(['billingUnit']));
    }
  });

  it('limit: 1 to 5000, a whole number; else 400 with path /query/limit', async () => {
    expect((await get('?month=2024-02&limit=5000')).statusCode).toBe(200);
    expect((await get('?month=2024-02&limit=1')).statusCode).toBe(200);
    for (const limit of ['0', '5001', '1.5', '-1', 'abc', '', '1e3']) {
      const response = await get(`?month=2024-02&limit=${limit}`);
      expect(response.statusCode, limit).toBe(400);
      expect(response.json(), limit).toEqual(schemaError(['limit']));
    }
  });

  it('pages with after and limit: every unit once, in order; next is null exactly when no unit follows', async () => {
    for (const limit of [1, 2, 3, 4, 5]) {
      const seen: unknown[] = [];
      let after: string | null = null;
      let pages = 0;
      do {
        const response = await get(`?month=2024-02&limit=${limit}${after ? `&after=${after}` : ''}`);
        expect(response.statusCode, response.body).toBe(200);
        const page = response.json() as { units: unknown[]; next: string | null };
        seen.push(...page.units);
        pages += 1;
        // a page that is not the last is full
        if (page.next !== null) expect(page.units).toHaveLength(limit);
        after = page.next;
      } while (after !== null);
      expect(seen, `limit ${limit}`).toEqual(FEBRUARY);
      expect(pages, `limit ${limit}`).toBe(Math.ceil(FEBRUARY.length / limit));
    }
  });

  it('after the last unit: 200 with no units and next null; with a billingUnit filter, the pages stay inside it', async () => {
    const all = (await get('?month=2024-02&limit=5')).json();
    expect(all.next).toBeNull();
    const last = (await get('?month=2024-02&limit=4')).json();
    const end = (await get(`?month=2024-02&limit=4&after=${last.next}`)).json();
    expect(end.units).toEqual(FEBRUARY.slice(4));
    expect(end.next).toBeNull();
    const first = (await get('?month=2024-02&limit=1&billingUnit=654321')).json();
    expect(first.units).toEqual(FEBRUARY.slice(2, 3));
    const second = (await get(`?month=2024-02&limit=5&billingUnit=654321&after=${first.next}`)).json();
    expect(second).toEqual({ month: '2024-02', units: FEBRUARY.slice(3), next: null });
  });

  it('after: anything but a cursor the endpoint gave is 400 with path /query/after', async () => {
    for (const after of [
      '',
      'x',
      'not-a-cursor',
      Buffer.from('654321/0001/x').toString('base64url'),
      Buffer.from('12/1').toString('base64url'),
    ]) {
      const response = await get(`?month=2024-02&after=${after}`);
      expect(response.statusCode, after).toBe(400);
      expect(response.json(), after).toEqual(schemaError(['after']));
    }
  });

  it('without operator credentials: 401 with the operators’ challenge, before the query is looked at', async () => {
    const response = await h.app.inject({ method: 'GET', url: '/msc/v1/uvi-recipients' });
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Basic realm="on-site-roles-msc"');
  });
});
