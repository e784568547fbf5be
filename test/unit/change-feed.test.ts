import { describe, expect, it } from 'vitest';
import {
  type ChangeFeedEntry,
  changeFeedEntries,
  decodeFeedCursor,
  encodeFeedCursor,
  FEED_QUERY_RULES,
  nextCursor,
  parseChangeFeedQuery,
} from '../../src/domain/change-feed.js';
import type { DeliveryPartner } from '../../src/domain/delivery-schema.js';
import type { AppliedChange } from '../../src/domain/process-delivery.js';
import { renderUnitDocument } from '../../src/domain/unit-document.js';
import { toPartnerRecord } from '../../src/domain/unit-writes.js';

/** Spec 10.2: what a feed entry says about an applied change; its cursor; the query of the route. */

const MAX: DeliveryPartner = {
  reference: { pmnumber: '12345611' },
  name: 'Mustermann',
  firstname: 'Max',
  commercial: 'NON_COMMERCIAL',
  phonenumbers: [{ number: '0176-55555555', type: 'MOBILE' }],
};
const ERIKA: DeliveryPartner = {
  reference: { pmnumber: '12345612' },
  name: 'Musterfrau',
  firstname: 'Erika',
  additionalname: 'c/o Meier',
  commercial: 'COMMERCIAL',
  email: 'erika@example.org',
  taxnumber: 'DE123',
  phonenumbers: [],
};

const role = (from: string, to: string | null, pmnumber: string, type = 'S-COR') => ({
  role: type,
  from,
  to,
  pmnumber,
});

/** Use case 1: Max's open role ends, Erika moves in (open-ended). */
const useCase1: AppliedChange[] = [
  {
    roleIndex: 0,
    change: 'UPDATE',
    before: role('2018-05-01', null, '12345611'),
    after: role('2018-05-01', '2022-05-31', '12345611'),
    partner: MAX,
  },
  { roleIndex: 1, change: 'INSERT', before: null, after: role('2022-06-01', null, '12345612'), partner: ERIKA },
];

describe('changeFeedEntries', () => {
  it('gives one entry per change, in the order applied, with before/after in E2 form (open to as 9999-12-31)', () => {
    const entries = changeFeedEntries(useCase1);
    expect(entries).toEqual<ChangeFeedEntry[]>([
      {
        change: 'UPDATE',
        role: 'S-COR',
        before: { role: 'S-COR', from: '2018-05-01', to: '9999-12-31', partner: { pmnumber: '12345611' } },
        after: { role: 'S-COR', from: '2018-05-01', to: '2022-05-31', partner: { pmnumber: '12345611' } },
        partner: {
          reference: { pmnumber: '12345611' },
          name: 'Mustermann',
          firstname: 'Max',
          additionalname: null,
          commercial: 'NON_COMMERCIAL',
          email: null,
          taxnumber: null,
          phonenumbers: [{ number: '0176-55555555', type: 'MOBILE' }],
        },
      },
      {
        change: 'INSERT',
        role: 'S-COR',
        before: null,
        after: { role: 'S-COR', from: '2022-06-01', to: '9999-12-31', partner: { pmnumber: '12345612' } },
        partner: {
          reference: { pmnumber: '12345612' },
          name: 'Musterfrau',
          firstname: 'Erika',
          additionalname: 'c/o Meier',
          commercial: 'COMMERCIAL',
          email: 'erika@example.org',
          taxnumber: 'DE123',
          phonenumbers: [],
        },
      },
    ]);
    // before/after have exactly these members, in this order
    expect(Object.keys(entries[0]?.before ?? {})).toEqual(['role', 'from', 'to', 'partner']);
  });

  it('shows the partner exactly as E2 shows the stored partner (same members, same order)', () => {
    const [entry] = changeFeedEntries([useCase1[1] as AppliedChange]);
    const record = toPartnerRecord('12345612', ERIKA);
    const document = JSON.parse(
      `{${renderUnitDocument([role('2022-06-01', null, '12345612')], [record], new Set(['S-COR']))}}`,
    );
    expect(JSON.stringify(entry?.partner)).toBe(JSON.stringify(document.partners[0]));
  });

  it('drops members the delivery sent beyond the stored ones (as the partners table keeps them)', () => {
    const phoneWithExtra = { number: '030 1234567', type: 'BUSINESS', note: 'x' } as never;
    const [entry] = changeFeedEntries([
      {
        roleIndex: 0,
        change: 'INSERT',
        before: null,
        after: role('2020-01-01', null, '1'),
        partner: { ...MAX, reference: { pmnumber: '1' }, phonenumbers: [phoneWithExtra] },
      },
    ]);
    expect(entry?.partner?.phonenumbers).toEqual([{ number: '030 1234567', type: 'BUSINESS' }]);
  });

  it('has partner null for a DELETE (after null) and when the change stored no partner', () => {
    const entries = changeFeedEntries([
      {
        roleIndex: 0,
        change: 'DELETE',
        before: role('2022-06-01', '2022-12-31', '12345612'),
        after: null,
        partner: null,
      },
      { roleIndex: 1, change: 'INSERT', before: null, after: role('2023-01-01', '2023-12-31', '9'), partner: null },
    ]);
    expect(entries).toEqual([
      {
        change: 'DELETE',
        role: 'S-COR',
        before: { role: 'S-COR', from: '2022-06-01', to: '2022-12-31', partner: { pmnumber: '12345612' } },
        after: null,
        partner: null,
      },
      {
        change: 'INSERT',
        role: 'S-COR',
        before: null,
        after: { role: 'S-COR', from: '2023-01-01', to: '2023-12-31', partner: { pmnumber: '9' } },
        partner: null,
      },
    ]);
  });

  it('names the changed role type (billing recipients too) and gives nothing for no changes', () => {
    const [entry] = changeFeedEntries([
      { roleIndex: 0, change: 'INSERT', before: null, after: role('2024-01-01', null, '7', 'S-BVA'), partner: MAX },
    ]);
    expect(entry?.role).toBe('S-BVA');
    expect(entry?.after?.role).toBe('S-BVA');
    expect(changeFeedEntries([])).toEqual([]);
  });
});

describe('the feed cursor', () => {
  it('round-trips every position, one spelling each, opaque base64url', () => {
    for (const position of ['1', '42', '1000000', '9223372036854775807']) {
      const cursor = encodeFeedCursor(position);
      expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(cursor).not.toContain(position);
      expect(decodeFeedCursor(cursor)).toBe(position);
    }
  });

  it('refuses what it never gives', () => {
    const raw = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
    for (const cursor of [
      '',
      '42',
      'not a cursor',
      `${encodeFeedCursor('42')}=`, // padded: another spelling
      `${encodeFeedCursor('42')}A`,
      raw('1:0'), // position 0 is never handed out
      raw('1:042'), // leading zero: another spelling of 42
      raw('1:-1'),
      raw('1:9223372036854775808'), // beyond bigint
      raw('2:42'), // an unknown version
      raw('1:42 '),
      raw('42'),
      'x'.repeat(41),
    ]) {
      expect(decodeFeedCursor(cursor), cursor).toBeUndefined();
    }
  });
});

describe('parseChangeFeedQuery', () => {
  const ok = (query: Record<string, unknown>) => {
    const parsed = parseChangeFeedQuery(query);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.violations));
    return parsed.query;
  };
  const violations = (query: Record<string, unknown>) => {
    const parsed = parseChangeFeedQuery(query);
    return parsed.ok ? [] : parsed.violations;
  };
  const AFTER = { message: FEED_QUERY_RULES.after, path: '/query/after' };
  const LIMIT = { message: FEED_QUERY_RULES.limit, path: '/query/limit' };

  it('defaults: from the first change, 100 entries', () => {
    expect(ok({})).toEqual({ after: undefined, afterPosition: undefined, limit: 100 });
  });

  it('takes a cursor and a limit of 1 to 1000', () => {
    const after = encodeFeedCursor('17');
    expect(ok({ after, limit: '1' })).toEqual({ after, afterPosition: '17', limit: 1 });
    expect(ok({ limit: '1000' }).limit).toBe(1000);
    expect(ok({ limit: '0050' }).limit).toBe(50);
  });

  it('refuses a limit outside 1–1000 or not a whole number, with path /query/limit', () => {
    for (const limit of ['0', '1001', '-1', '1.0', '1.5', '1e3', ' 5', '', 'ten', '99999999999', ['5', '6']]) {
      expect(violations({ limit }), JSON.stringify(limit)).toEqual([LIMIT]);
    }
  });

  it('refuses a malformed cursor, with path /query/after, and reports both at once', () => {
    expect(violations({ after: 'nope' })).toEqual([AFTER]);
    expect(violations({ after: [encodeFeedCursor('1'), encodeFeedCursor('2')] })).toEqual([AFTER]);
    expect(violations({ after: '', limit: '0' })).toEqual([AFTER, LIMIT]);
  });
});

describe('nextCursor', () => {
  it('is the last entry’s cursor, else the given after, else null', () => {
    expect(nextCursor([{ cursor: 'a' }, { cursor: 'b' }], 'x')).toBe('b');
    expect(nextCursor([], 'x')).toBe('x');
    expect(nextCursor([], undefined)).toBeNull();
  });
});
