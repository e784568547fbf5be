import { describe, expect, it } from 'vitest';
import {
  compareCodePoints,
  daysInMonth,
  decodeUnitCursor,
  encodeUnitCursor,
  type Month,
  parseMonth,
  parseUviQuery,
  type StoredUviRole,
  UVI_QUERY_RULES,
  type UviRecipient,
  unitOrder,
  uviRecipients,
} from '../../src/domain/uvi-recipients.js';

/** Spec 10.3: which S-COR roles get a month's UVI, clipped to the month; and the query of the route. */

const MAX = { name: 'Mustermann', firstname: 'Max', additionalname: null, commercial: 'NON_COMMERCIAL' };
const ERIKA = { name: 'Musterfrau', firstname: 'Erika', additionalname: 'c/o Meier', commercial: 'NON_COMMERCIAL' };

const scor = (from: string, to: string | null, pmnumber = '1', partner: StoredUviRole['partner'] = MAX) => ({
  role: 'S-COR',
  from,
  to,
  pmnumber,
  partner,
});

/** A recipient of Max (pmnumber 1) unless said otherwise. */
const got = (
  from: string,
  to: string,
  days: number,
  fullMonth: boolean,
  partner: UviRecipient['partner'] = { pmnumber: '1', ...MAX },
): UviRecipient => ({ partner, from, to, days, fullMonth });

const month = (text: string): Month => parseMonth(text) as Month;

interface Row {
  name: string;
  month: string;
  roles: StoredUviRole[];
  expected: UviRecipient[];
}

const ROWS: Row[] = [
  {
    name: 'no change: an open role from long before covers the month',
    month: '2024-03',
    roles: [scor('2018-05-01', null)],
    expected: [got('2024-03-01', '2024-03-31', 31, true)],
  },
  {
    name: 'no change: an ended role that ends exactly on the last day',
    month: '2024-04',
    roles: [scor('2024-04-01', '2024-04-30')],
    expected: [got('2024-04-01', '2024-04-30', 30, true)],
  },
  {
    name: 'a change inside the month: two recipients, neither for the full month, ordered by from',
    month: '2024-03',
    roles: [scor('2024-03-15', null, '2', ERIKA), scor('2018-05-01', '2024-03-14')],
    expected: [
      got('2024-03-01', '2024-03-14', 14, false),
      got('2024-03-15', '2024-03-31', 17, false, { pmnumber: '2', ...ERIKA }),
    ],
  },
  {
    name: 'a change on the first day: only the new recipient, for the full month',
    month: '2024-03',
    roles: [scor('2018-05-01', '2024-02-29'), scor('2024-03-01', null, '2', ERIKA)],
    expected: [got('2024-03-01', '2024-03-31', 31, true, { pmnumber: '2', ...ERIKA })],
  },
  {
    name: 'vacancy in the middle of the month: two recipients with a gap',
    month: '2023-11',
    roles: [scor('2020-01-01', '2023-11-10'), scor('2023-11-21', null, '2', ERIKA)],
    expected: [
      got('2023-11-01', '2023-11-10', 10, false),
      got('2023-11-21', '2023-11-30', 10, false, { pmnumber: '2', ...ERIKA }),
    ],
  },
  {
    name: 'vacancy for the whole month: nobody',
    month: '2023-11',
    roles: [scor('2020-01-01', '2023-10-31'), scor('2023-12-01', null, '2', ERIKA)],
    expected: [],
  },
  {
    name: 'an open role that starts after the month: nobody',
    month: '2023-11',
    roles: [scor('2023-12-01', null)],
    expected: [],
  },
  {
    name: 'an open role that starts on the last day: one day',
    month: '2023-11',
    roles: [scor('2023-11-30', null)],
    expected: [got('2023-11-30', '2023-11-30', 1, false)],
  },
  {
    name: 'a role of one day inside the month',
    month: '2023-11',
    roles: [scor('2023-11-07', '2023-11-07')],
    expected: [got('2023-11-07', '2023-11-07', 1, false)],
  },
  {
    name: 'three tenants in one month',
    month: '2023-06',
    roles: [
      scor('2023-06-11', '2023-06-20', '2', ERIKA),
      scor('2023-01-01', '2023-06-10'),
      scor('2023-06-21', null, '3'),
    ],
    expected: [
      got('2023-06-01', '2023-06-10', 10, false),
      got('2023-06-11', '2023-06-20', 10, false, { pmnumber: '2', ...ERIKA }),
      got('2023-06-21', '2023-06-30', 10, false, { pmnumber: '3', ...MAX }),
    ],
  },
  {
    name: 'February of a leap year has 29 days',
    month: '2024-02',
    roles: [scor('2020-01-01', null)],
    expected: [got('2024-02-01', '2024-02-29', 29, true)],
  },
  {
    name: 'February of a common year has 28 days',
    month: '2023-02',
    roles: [scor('2020-01-01', null)],
    expected: [got('2023-02-01', '2023-02-28', 28, true)],
  },
  {
    name: 'February 1900 (divisible by 100, not by 400) has 28 days',
    month: '1900-02',
    roles: [scor('1890-01-01', null)],
    expected: [got('1900-02-01', '1900-02-28', 28, true)],
  },
  {
    name: 'February 2000 (divisible by 400) has 29 days',
    month: '2000-02',
    roles: [scor('1999-01-01', null)],
    expected: [got('2000-02-01', '2000-02-29', 29, true)],
  },
  {
    name: 'a role ending on 28 February of a leap year misses one day',
    month: '2024-02',
    roles: [scor('2020-01-01', '2024-02-28')],
    expected: [got('2024-02-01', '2024-02-28', 28, false)],
  },
  {
    name: 'a role ending on 29 February of a leap year covers the month',
    month: '2024-02',
    roles: [scor('2020-01-01', '2024-02-29')],
    expected: [got('2024-02-01', '2024-02-29', 29, true)],
  },
  {
    name: 'the year 0001 and the year 9999',
    month: '9999-12',
    roles: [scor('0001-01-01', null)],
    expected: [got('9999-12-01', '9999-12-31', 31, true)],
  },
  {
    name: 'roles of other types get no UVI',
    month: '2024-03',
    roles: [
      { ...scor('2018-05-01', null), role: 'S-BIR' },
      { ...scor('2018-05-01', null, '2'), role: 'S-BVA' },
    ],
    expected: [],
  },
  {
    name: 'a partner not on record: every field but pmnumber is null',
    month: '2024-03',
    roles: [scor('2018-05-01', null, '7', null)],
    expected: [
      got('2024-03-01', '2024-03-31', 31, true, {
        pmnumber: '7',
        name: null,
        firstname: null,
        additionalname: null,
        commercial: null,
      }),
    ],
  },
  {
    name: 'a commercial partner without firstname keeps its nulls',
    month: '2024-03',
    roles: [
      scor('2018-05-01', null, '8', {
        name: 'Hausbau GmbH',
        firstname: null,
        additionalname: null,
        commercial: 'COMMERCIAL',
      }),
    ],
    expected: [
      got('2024-03-01', '2024-03-31', 31, true, {
        pmnumber: '8',
        name: 'Hausbau GmbH',
        firstname: null,
        additionalname: null,
        commercial: 'COMMERCIAL',
      }),
    ],
  },
  {
    name: 'no roles at all',
    month: '2024-03',
    roles: [],
    expected: [],
  },
];

describe('uviRecipients (10.3): the S-COR roles of a month, clipped to it', () => {
  it.each(ROWS)('$name', ({ month: text, roles, expected }) => {
    expect(uviRecipients(month(text), roles)).toEqual(expected);
  });
});

describe('months', () => {
  it.each([
    ['2024-01', '2024-01-01', '2024-01-31', 31],
    ['2024-02', '2024-02-01', '2024-02-29', 29],
    ['2023-02', '2023-02-01', '2023-02-28', 28],
    ['2100-02', '2100-02-01', '2100-02-28', 28],
    ['2400-02', '2400-02-01', '2400-02-29', 29],
    ['2024-04', '2024-04-01', '2024-04-30', 30],
    ['2024-12', '2024-12-01', '2024-12-31', 31],
    ['0001-01', '0001-01-01', '0001-01-31', 31],
  ])('%s runs from %s to %s (%i days)', (text, first, last, days) => {
    expect(parseMonth(text)).toEqual({ month: text, first, last, days });
  });

  it.each(['2024-13', '2024-00', '2024-1', '24-01', '2024-01-01', '0000-01', ' 2024-01', '2024/01', '', '２０２４-01'])(
    '"%s" is not a month',
    (text) => {
      expect(parseMonth(text)).toBeUndefined();
    },
  );

  it('every month has 28 to 31 days, as the calendar says', () => {
    for (let year = 1895; year <= 2105; year++) {
      for (let m = 1; m <= 12; m++) {
        const viaDate = new Date(Date.UTC(year, m, 0)).getUTCDate();
        expect(daysInMonth(year, m), `${year}-${m}`).toBe(viaDate);
      }
    }
  });
});

/** The same bytes in another spelling: the last character's unused low bits set. */
function nonCanonical(position: { billingUnit: string; residentialUnit: string }): string {
  const cursor = encodeUnitCursor(position);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const last = alphabet.indexOf(cursor.at(-1) as string);
  const other = `${cursor.slice(0, -1)}${alphabet[last | 1]}`;
  expect(other).not.toBe(cursor);
  expect(Buffer.from(other, 'base64url').toString()).toBe(`${position.billingUnit}/${position.residentialUnit}`);
  return other;
}

describe('unit order and cursor', () => {
  it('orders by billing unit, then residential unit, by code point ("0001" before "1", "099…" before "1…")', () => {
    const units = [
      { billingUnit: '654321', residentialUnit: '2' },
      { billingUnit: '654321', residentialUnit: '10' },
      { billingUnit: '099123456', residentialUnit: '0001' },
      { billingUnit: '654321', residentialUnit: '0001' },
      { billingUnit: '123456', residentialUnit: '9999' },
      { billingUnit: '654321', residentialUnit: '1' },
    ];
    expect([...units].sort(unitOrder)).toEqual([
      { billingUnit: '099123456', residentialUnit: '0001' },
      { billingUnit: '123456', residentialUnit: '9999' },
      { billingUnit: '654321', residentialUnit: '0001' },
      { billingUnit: '654321', residentialUnit: '1' },
      { billingUnit: '654321', residentialUnit: '10' },
      { billingUnit: '654321', residentialUnit: '2' },
    ]);
  });

  it('compares code points, not UTF-16 code units', () => {
    // U+FF61 is one code unit, U+1F600 two (a surrogate pair starting 0xD83D < 0xFF61)
    expect(compareCodePoints('\u{FF61}', '\u{1F600}')).toBe(-1);
    expect(compareCodePoints('a', 'ab')).toBe(-1);
    expect(compareCodePoints('b', 'ab')).toBe(1);
    expect(compareCodePoints('ab', 'ab')).toBe(0);
  });

  it('a cursor decodes to the position it encodes, and only canonical cursors decode', () => {
    for (const position of [
      { billingUnit: '654321', residentialUnit: '0001' },
      { billingUnit: '099123456', residentialUnit: '1' },
      { billingUnit: '000000', residentialUnit: '9999' },
    ]) {
      const cursor = encodeUnitCursor(position);
      expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(decodeUnitCursor(cursor)).toEqual(position);
    }
  });

  it.each([
    ['empty', ''],
    ['not base64url', 'NjU0MzIxLzAwMDE='],
    ['plain text', '654321/0001'],
    ['a malformed billing unit inside', encodeUnitCursor({ billingUnit: '12345', residentialUnit: '0001' })],
    ['a malformed residential unit inside', encodeUnitCursor({ billingUnit: '654321', residentialUnit: '00001' })],
    ['no separator', Buffer.from('6543210001').toString('base64url')],
    ['two separators', Buffer.from('654321/0001/1').toString('base64url')],
    ['a character outside base64url', `${encodeUnitCursor({ billingUnit: '654321', residentialUnit: '1' })}.`],
    ['a non-canonical spelling of a valid position', nonCanonical({ billingUnit: '654321', residentialUnit: '1' })],
    ['far too long', 'A'.repeat(1000)],
  ])('%s is not a cursor', (_, cursor) => {
    expect(decodeUnitCursor(cursor)).toBeUndefined();
  });
});

describe('parseUviQuery: 400 OSR-SCHEMA with path /query/<name>', () => {
  const after = encodeUnitCursor({ billingUnit: '654321', residentialUnit: '0001' });

  it('takes month alone, with the default limit 500', () => {
    expect(parseUviQuery({ month: '2024-02' })).toEqual({
      ok: true,
      query: { month: month('2024-02'), billingUnit: undefined, after: undefined, limit: 500 },
    });
  });

  it('takes every parameter and ignores unknown ones', () => {
    expect(parseUviQuery({ month: '2024-02', billingUnit: '099123456', after, limit: '5000', other: 'x' })).toEqual({
      ok: true,
      query: {
        month: month('2024-02'),
        billingUnit: '099123456',
        after: { billingUnit: '654321', residentialUnit: '0001' },
        limit: 5000,
      },
    });
    expect(parseUviQuery({ month: '2024-02', limit: '1' })).toMatchObject({ ok: true, query: { limit: 1 } });
  });

  const violation = (name: keyof typeof UVI_QUERY_RULES) => ({
    message: UVI_QUERY_RULES[name],
    path: `/query/${name}`,
  });

  it.each<[string, Record<string, unknown>, (keyof typeof UVI_QUERY_RULES)[]]>([
    ['month missing', {}, ['month']],
    ['month malformed', { month: '2024-2' }, ['month']],
    ['month impossible', { month: '2024-13' }, ['month']],
    ['month empty', { month: '' }, ['month']],
    ['month repeated', { month: ['2024-01', '2024-02'] }, ['month']],
    ['billingUnit of 5 digits', { month: '2024-02', billingUnit: '12345' }, ['billingUnit']],
    ['billingUnit of 9 digits without 099', { month: '2024-02', billingUnit: '123456789' }, ['billingUnit']],
    ['billingUnit empty', { month: '2024-02', billingUnit: '' }, ['billingUnit']],
    ['after not a cursor', { month: '2024-02', after: 'abc' }, ['after']],
    ['after empty', { month: '2024-02', after: '' }, ['after']],
    ['limit 0', { month: '2024-02', limit: '0' }, ['limit']],
    ['limit 5001', { month: '2024-02', limit: '5001' }, ['limit']],
    ['limit not whole', { month: '2024-02', limit: '1.5' }, ['limit']],
    ['limit negative', { month: '2024-02', limit: '-1' }, ['limit']],
    ['limit in exponent form', { month: '2024-02', limit: '1e3' }, ['limit']],
    ['limit empty', { month: '2024-02', limit: '' }, ['limit']],
    [
      'everything wrong, each reported',
      { billingUnit: 'x', after: 'x', limit: 'x' },
      ['month', 'billingUnit', 'after', 'limit'],
    ],
  ])('%s', (_, query, names) => {
    expect(parseUviQuery(query)).toEqual({ ok: false, violations: names.map(violation) });
  });
});
