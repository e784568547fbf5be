import { describe, expect, it } from 'vitest';
import type { TimelineRole } from '../../src/domain/timeline.js';
import { type LooseRole, MUSTERFRAU, MUSTERMANN } from '../support/spec.js';
import { expectRow, type RowExpectation, role, stored } from './fixtures.js';

/**
 * Spec 5.3 as one table: every row of the INSERT, UPDATE and DELETE tables (I1–I3, U1–U3, X1–X3
 * and the rows that apply the change), each with the cases that decide the order of the rules.
 * Driven through processDelivery, so a row checks the rule, its message and the role echo.
 */

const PM1 = MUSTERMANN.reference.pmnumber;
const PM2 = MUSTERFRAU.reference.pmnumber;

// Starting timelines of the residential unit.
const M_OPEN = stored('2018-05-01', null, PM1);
const M = stored('2018-05-01', '2022-05-31', PM1);
const F = stored('2022-06-01', '2022-12-31', PM2);
const EMPTY: TimelineRole[] = [];
/** Mustermann, open-ended since 2018-05-01 (before use case 1). */
const OPEN_ACTIVE = [M_OPEN];
/** Mustermann 2018-05-01..2022-05-31, nobody after him. */
const CLOSED = [M];
/** Mustermann, then Musterfrau 2022-06-01..2022-12-31 as the active role (after use case 1). */
const SUCCESSOR = [M, F];
/** The same partner twice: an ended role and the open-ended active one. */
const SAME_PARTNER_TWICE = [stored('2018-01-01', '2018-12-31', '1'), stored('2019-01-01', null, '1')];

const closeMustermann = role('UPDATE', '2018-05-01', '2022-05-31', PM1);

interface Row {
  name: string;
  before: TimelineRole[];
  /** The S-COR roles of the delivery, applied in this order. */
  roles: LooseRole[];
  /** FAIL with the rule's message on the role at `at` (default 0), or SUCCESS with this timeline. */
  expected: RowExpectation;
}

const ROWS: Row[] = [
  // INSERT (new role N): I1, I2, I3 in this order; otherwise N becomes the active role.
  {
    name: 'INSERT into an empty unit: N becomes the active role',
    before: EMPTY,
    roles: [role('INSERT', '2022-06-01', '2022-12-31', PM2)],
    expected: { timeline: [F] },
  },
  {
    name: 'INSERT of an open-ended role into an empty unit',
    before: EMPTY,
    roles: [role('INSERT', '2022-06-01', undefined, '1')],
    expected: { timeline: [stored('2022-06-01', null, '1')] },
  },
  {
    name: 'INSERT the day after the ended active role (I3 boundary)',
    before: CLOSED,
    roles: [role('INSERT', '2022-06-01', '2022-12-31', PM2)],
    expected: { timeline: [M, F] },
  },
  {
    name: 'INSERT after a gap (vacancy is allowed); to 9999-12-31 is stored as open',
    before: SUCCESSOR,
    roles: [role('INSERT', '2024-03-01', '9999-12-31', '3')],
    expected: { timeline: [M, F, stored('2024-03-01', null, '3')] },
  },
  {
    name: 'I1: N.from one day before active.from',
    before: SUCCESSOR,
    roles: [role('INSERT', '2022-05-31', undefined, '3')],
    expected: { fails: 'I1' },
  },
  {
    name: "I1: N inside the predecessor's period",
    before: SUCCESSOR,
    roles: [role('INSERT', '2020-01-01', '2020-12-31', '3')],
    expected: { fails: 'I1' },
  },
  {
    name: 'I1 is decided before I2 (active role open-ended, N earlier)',
    before: OPEN_ACTIVE,
    roles: [role('INSERT', '2017-01-01', '2017-12-31', PM2)],
    expected: { fails: 'I1' },
  },
  {
    name: 'I2: the active role is open-ended (use case 1 without its UPDATE)',
    before: OPEN_ACTIVE,
    roles: [role('INSERT', '2022-06-01', '2022-12-31', PM2)],
    expected: { fails: 'I2' },
  },
  {
    name: 'I2 is decided before I3 (active role open-ended, N.from = active.from)',
    before: OPEN_ACTIVE,
    roles: [role('INSERT', '2018-05-01', undefined, '3')],
    expected: { fails: 'I2' },
  },
  {
    name: 'I3: N.from = active.to (to is inclusive)',
    before: CLOSED,
    roles: [role('INSERT', '2022-05-31', '2022-12-31', PM2)],
    expected: { fails: 'I3' },
  },
  {
    name: 'I3: N.from inside the active period',
    before: CLOSED,
    roles: [role('INSERT', '2020-01-01', undefined, PM2)],
    expected: { fails: 'I3' },
  },
  {
    name: 'I3: N.from = active.from',
    before: SUCCESSOR,
    roles: [role('INSERT', '2022-06-01', '2022-06-30', '3')],
    expected: { fails: 'I3' },
  },

  // UPDATE (request U): the active role matches → its `to` changes; else U3, U2, U1 in this order.
  {
    name: 'UPDATE of the active role: to := U.to',
    before: OPEN_ACTIVE,
    roles: [closeMustermann],
    expected: { timeline: [M] },
  },
  ...(
    [
      ['missing', undefined],
      ['null', null],
      ['9999-12-31', '9999-12-31'],
    ] as const
  ).map(
    ([how, to]): Row => ({
      name: `UPDATE with to ${how} open-ends the active role`,
      before: SUCCESSOR,
      roles: [{ ...role('UPDATE', '2022-06-01', undefined, PM2), ...(to === undefined ? {} : { to }) }],
      expected: { timeline: [M, stored('2022-06-01', null, PM2)] },
    }),
  ),
  {
    name: 'UPDATE finds the active role by the latest from, also when the stored roles come unsorted',
    before: [F, M],
    roles: [role('UPDATE', '2022-06-01', '2023-07-31', PM2)],
    expected: { timeline: [M, stored('2022-06-01', '2023-07-31', PM2)] },
  },
  {
    name: 'U3: the matching role is the predecessor, not the active one',
    before: SUCCESSOR,
    roles: [role('UPDATE', '2018-05-01', '2022-04-30', PM1)],
    expected: { fails: 'U3' },
  },
  {
    name: 'U3 is decided before U2 (a predecessor matches, the active role has the same pmnumber)',
    before: SAME_PARTNER_TWICE,
    roles: [role('UPDATE', '2018-01-01', '2018-06-30', '1')],
    expected: { fails: 'U3' },
  },
  {
    name: 'U2: the active role has the pmnumber, with another from',
    before: SUCCESSOR,
    roles: [role('UPDATE', '2022-06-02', '2023-07-31', PM2)],
    expected: { fails: 'U2' },
  },
  {
    name: 'U2: the open-ended active role has the pmnumber, with another from',
    before: OPEN_ACTIVE,
    roles: [role('UPDATE', '2019-01-01', '2022-05-31', PM1)],
    expected: { fails: 'U2' },
  },
  { name: 'U1: the unit has no S-COR role at all', before: EMPTY, roles: [closeMustermann], expected: { fails: 'U1' } },
  {
    name: 'U1: neither the role nor the active pmnumber matches',
    before: SUCCESSOR,
    roles: [role('UPDATE', '2022-06-01', '2023-07-31', '999')],
    expected: { fails: 'U1' },
  },
  {
    name: "U1: the predecessor's pmnumber with another from (not the active role's pmnumber)",
    before: SUCCESSOR,
    roles: [role('UPDATE', '2018-05-02', '2022-05-31', PM1)],
    expected: { fails: 'U1' },
  },
  {
    name: "U1: the active role's from with another pmnumber",
    before: OPEN_ACTIVE,
    roles: [role('UPDATE', '2018-05-01', '2022-05-31', PM2)],
    expected: { fails: 'U1' },
  },

  // DELETE (request X, X.to ignored): the active role matches → removed; else X3, X2, X1 in this order.
  {
    name: 'DELETE of the active role: its predecessor becomes active again',
    before: SUCCESSOR,
    roles: [role('DELETE', '2022-06-01', '2022-12-31', PM2)],
    expected: { timeline: [M] },
  },
  {
    name: 'DELETE ignores X.to (even one before X.from)',
    before: SUCCESSOR,
    roles: [role('DELETE', '2022-06-01', '2000-01-01', PM2)],
    expected: { timeline: [M] },
  },
  {
    name: 'DELETE of the only role leaves the unit without roles',
    before: OPEN_ACTIVE,
    roles: [role('DELETE', '2018-05-01', undefined, PM1)],
    expected: { timeline: [] },
  },
  {
    name: 'X3: the matching role is the predecessor, not the active one',
    before: SUCCESSOR,
    roles: [role('DELETE', '2018-05-01', '2022-05-31', PM1)],
    expected: { fails: 'X3' },
  },
  {
    name: 'X3 is decided before X2 (a predecessor matches, the active role has the same pmnumber)',
    before: SAME_PARTNER_TWICE,
    roles: [role('DELETE', '2018-01-01', undefined, '1')],
    expected: { fails: 'X3' },
  },
  {
    name: 'X2: the active role has the pmnumber, with another from',
    before: SUCCESSOR,
    roles: [role('DELETE', '2022-06-02', '2022-12-31', PM2)],
    expected: { fails: 'X2' },
  },
  {
    name: 'X2: the open-ended active role has the pmnumber, with another from',
    before: OPEN_ACTIVE,
    roles: [role('DELETE', '2019-01-01', undefined, PM1)],
    expected: { fails: 'X2' },
  },
  {
    name: 'X1: the unit has no S-COR role at all',
    before: EMPTY,
    roles: [role('DELETE', '2022-06-01', undefined, PM2)],
    expected: { fails: 'X1' },
  },
  {
    name: 'X1: neither the role nor the active pmnumber matches',
    before: SUCCESSOR,
    roles: [role('DELETE', '2022-06-01', undefined, '999')],
    expected: { fails: 'X1' },
  },
  {
    name: "X1: the predecessor's pmnumber with another from",
    before: SUCCESSOR,
    roles: [role('DELETE', '2018-05-02', undefined, PM1)],
    expected: { fails: 'X1' },
  },
  {
    name: "X1: the active role's from with another pmnumber",
    before: OPEN_ACTIVE,
    roles: [role('DELETE', '2018-05-01', undefined, PM2)],
    expected: { fails: 'X1' },
  },

  // Array order: each change sees the ones before it; the first failure ends processing.
  {
    name: 'use case 1: UPDATE ends the active role, then INSERT adds the new one',
    before: OPEN_ACTIVE,
    roles: [closeMustermann, role('INSERT', '2022-06-01', '2022-12-31', PM2)],
    expected: { timeline: [M, F] },
  },
  {
    name: 'I2: the same two changes in the other order (INSERT sees the open-ended active role)',
    before: OPEN_ACTIVE,
    roles: [role('INSERT', '2022-06-01', '2022-12-31', PM2), closeMustermann],
    expected: { fails: 'I2' },
  },
  {
    name: 'I3 on the active role that an UPDATE earlier in the delivery ended',
    before: OPEN_ACTIVE,
    roles: [closeMustermann, role('INSERT', '2022-05-31', undefined, PM2)],
    expected: { fails: 'I3', at: 1 },
  },
  {
    name: 'I1 after an UPDATE earlier in the delivery',
    before: OPEN_ACTIVE,
    roles: [closeMustermann, role('INSERT', '2017-01-01', '2017-12-31', PM2)],
    expected: { fails: 'I1', at: 1 },
  },
  {
    name: 'DELETE, then UPDATE of the predecessor that became active again',
    before: SUCCESSOR,
    roles: [role('DELETE', '2022-06-01', undefined, PM2), role('UPDATE', '2018-05-01', undefined, PM1)],
    expected: { timeline: [M_OPEN] },
  },
  {
    name: 'INSERT, UPDATE and DELETE of the same new role',
    before: CLOSED,
    roles: [
      role('INSERT', '2022-06-01', '2022-12-31', '1'),
      role('UPDATE', '2022-06-01', '2023-06-30', '1'),
      role('DELETE', '2022-06-01', undefined, '1'),
    ],
    expected: { timeline: [M] },
  },
  {
    name: 'U1 ends processing: the X1 of the next role is not reported',
    before: EMPTY,
    roles: [closeMustermann, role('DELETE', '2018-05-01', undefined, PM1)],
    expected: { fails: 'U1' },
  },
];

describe('spec 5.3: applying S-COR changes (the I/U/X table)', () => {
  it.each(ROWS)('$name', (row) => expectRow(row));

  it('has a row for every rule of the three tables', () => {
    const rules = new Set(ROWS.flatMap(({ expected }) => ('fails' in expected ? [expected.fails] : [])));
    expect([...rules].sort()).toStrictEqual(['I1', 'I2', 'I3', 'U1', 'U2', 'U3', 'X1', 'X2', 'X3']);
  });
});
