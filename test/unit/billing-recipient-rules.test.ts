import { describe, expect, it } from 'vitest';
import { processDelivery } from '../../src/domain/process-delivery.js';
import { profileNamed } from '../../src/domain/profiles.js';
import type { TimelineRole } from '../../src/domain/timeline.js';
import { KALO, type LooseRole, MESSAGE, plainMessage, roleEcho } from '../support/spec.js';
import { body, expectRow, input, partner, type RowExpectation, role, state, stored } from './fixtures.js';

/**
 * Spec 8.3 and 8.4 as one table (arge profile): every row of the INSERT, UPDATE and DELETE table
 * for billing recipients (BR-I1, BR-U1, BR-U2, BR-X1, BR-X2, BR-X3 and the rows that apply the
 * change) and of the timeline check (BR-T1, BR-T2), with the closed-until boundaries and the cases
 * that decide the order of the rules. Driven through processDelivery, so a row checks the rule,
 * its message, the role echo and that nothing of a FAIL is kept.
 */

const ARGE = profileNamed('arge', KALO);
const ALL_CONTRACTS = ['S-COR', 'S-BIR', 'S-BVA'];

const bir = (from: string, to: string | null, pmnumber: string) => stored(from, to, pmnumber, 'S-BIR');
const bva = (from: string, to: string | null, pmnumber: string) => stored(from, to, pmnumber, 'S-BVA');
const birChange = (change: 'INSERT' | 'UPDATE' | 'DELETE', from: string, to: string | undefined, pm: string) =>
  role(change, from, to, pm, 'S-BIR');
const bvaChange = (change: 'INSERT' | 'UPDATE' | 'DELETE', from: string, to: string | undefined, pm: string) =>
  role(change, from, to, pm, 'S-BVA');

/** The tenant since 2020-01-01, open-ended (the start of 8.4's example). */
const TENANT_OPEN = bir('2020-01-01', null, '1');
/** The tenant until 2021-12-31, then the owner during vacancy, open-ended. */
const TENANT = bir('2020-01-01', '2021-12-31', '1');
const VACANCY_OPEN = bva('2022-01-01', null, '2');
const TENANT_THEN_VACANCY = [TENANT, VACANCY_OPEN];
const CLOSED_UNTIL = '2021-12-31';

interface Row {
  name: string;
  before: TimelineRole[];
  closedUntil?: string | null;
  /** The delivery's roles, applied in this order. */
  roles: LooseRole[];
  /**
   * FAIL with the rule's message on the role at `at` (default 0), FAIL with these delivery-level
   * messages (8.4), or SUCCESS with this timeline.
   */
  expected: RowExpectation;
}

const ROWS: Row[] = [
  // 8.3 INSERT N: BR-I1; otherwise N is added.
  {
    name: 'INSERT into a unit without billing recipients: N is added',
    before: [],
    roles: [birChange('INSERT', '2022-06-01', undefined, '1')],
    expected: { timeline: [bir('2022-06-01', null, '1')] },
  },
  {
    name: 'INSERT without closed-until: any from is open to changes',
    before: [],
    closedUntil: null,
    roles: [bvaChange('INSERT', '1990-01-01', '1990-12-31', '2')],
    expected: { timeline: [bva('1990-01-01', '1990-12-31', '2')] },
  },
  {
    name: 'INSERT with N.from the day after closed-until',
    before: [TENANT],
    closedUntil: CLOSED_UNTIL,
    roles: [bvaChange('INSERT', '2022-01-01', undefined, '2')],
    expected: { timeline: TENANT_THEN_VACANCY },
  },
  {
    name: 'BR-I1: N.from is closed-until (the day itself)',
    before: [bir('2020-01-01', '2021-12-30', '1')],
    closedUntil: CLOSED_UNTIL,
    roles: [bvaChange('INSERT', '2021-12-31', undefined, '2')],
    expected: { fails: 'BR-I1' },
  },
  {
    name: 'BR-I1: N.from before closed-until',
    before: [],
    closedUntil: CLOSED_UNTIL,
    roles: [birChange('INSERT', '2021-06-01', '2021-06-30', '1')],
    expected: { fails: 'BR-I1' },
  },
  {
    name: 'BR-I1 is decided while applying, before the 8.4 check (N would also overlap)',
    before: [TENANT_OPEN],
    closedUntil: CLOSED_UNTIL,
    roles: [bvaChange('INSERT', '2021-01-01', undefined, '2')],
    expected: { fails: 'BR-I1' },
  },

  // 8.3 UPDATE U: BR-U1, BR-U2 in this order; otherwise target.to := U.to.
  {
    name: 'UPDATE ends the open period on closed-until itself (changed days start the day after)',
    before: [TENANT_OPEN],
    closedUntil: CLOSED_UNTIL,
    roles: [birChange('UPDATE', '2020-01-01', '2021-12-31', '1')],
    expected: { timeline: [TENANT] },
  },
  {
    name: 'UPDATE extends a period that ends on closed-until (changed days after it)',
    before: [TENANT],
    closedUntil: CLOSED_UNTIL,
    roles: [birChange('UPDATE', '2020-01-01', '2022-12-31', '1')],
    expected: { timeline: [bir('2020-01-01', '2022-12-31', '1')] },
  },
  {
    name: 'UPDATE of a role that is not the latest (no active-role rule for billing recipients)',
    before: TENANT_THEN_VACANCY,
    closedUntil: null,
    roles: [birChange('UPDATE', '2020-01-01', '2021-12-31', '1')],
    expected: { timeline: TENANT_THEN_VACANCY },
  },
  {
    name: 'UPDATE that keeps to (partner data only) is never refused, however closed the period',
    before: TENANT_THEN_VACANCY,
    closedUntil: '2030-12-31',
    roles: [birChange('UPDATE', '2020-01-01', '2021-12-31', '1')],
    expected: { timeline: TENANT_THEN_VACANCY },
  },
  ...(
    [
      ['missing', undefined],
      ['9999-12-31', '9999-12-31'],
    ] as const
  ).map(
    ([how, to]): Row => ({
      name: `UPDATE of an open period with to ${how} keeps it open: not refused`,
      before: [TENANT_OPEN],
      closedUntil: '2030-12-31',
      roles: [birChange('UPDATE', '2020-01-01', to, '1')],
      expected: { timeline: [TENANT_OPEN] },
    }),
  ),
  {
    name: 'BR-U1: no role with the pmnumber',
    before: [TENANT_OPEN],
    roles: [birChange('UPDATE', '2020-01-01', '2022-05-31', '9')],
    expected: { fails: 'BR-U1' },
  },
  {
    name: 'BR-U1: no role with the from',
    before: [TENANT_OPEN],
    roles: [birChange('UPDATE', '2020-01-02', '2022-05-31', '1')],
    expected: { fails: 'BR-U1' },
  },
  {
    name: "BR-U1: same from and pmnumber, but the other billing-recipient type (U's type must match)",
    before: [TENANT_OPEN],
    roles: [bvaChange('UPDATE', '2020-01-01', '2022-05-31', '1')],
    expected: { fails: 'BR-U1' },
  },
  {
    name: 'BR-U1 is decided before BR-U2 (no match, and the change would touch closed days)',
    before: [TENANT_OPEN],
    closedUntil: CLOSED_UNTIL,
    roles: [birChange('UPDATE', '2020-01-01', '2020-05-31', '9')],
    expected: { fails: 'BR-U1' },
  },
  {
    name: 'BR-U2: new to is the day before closed-until (a+1 = closed-until)',
    before: [TENANT_OPEN],
    closedUntil: CLOSED_UNTIL,
    roles: [birChange('UPDATE', '2020-01-01', '2021-12-30', '1')],
    expected: { fails: 'BR-U2' },
  },
  {
    name: 'BR-U2: extending a period whose old to is before closed-until',
    before: [bir('2020-01-01', '2021-06-30', '1')],
    closedUntil: CLOSED_UNTIL,
    roles: [birChange('UPDATE', '2020-01-01', undefined, '1')],
    expected: { fails: 'BR-U2' },
  },

  // 8.3 DELETE X: BR-X1, BR-X2, BR-X3 in this order; otherwise the role is removed.
  {
    name: 'DELETE removes the role (X.to ignored); a closed last period is allowed',
    before: TENANT_THEN_VACANCY,
    roles: [bvaChange('DELETE', '2022-01-01', '2000-01-01', '2')],
    expected: { timeline: [TENANT] },
  },
  {
    name: 'DELETE of a role whose from is the day after closed-until',
    before: TENANT_THEN_VACANCY,
    closedUntil: CLOSED_UNTIL,
    roles: [bvaChange('DELETE', '2022-01-01', undefined, '2')],
    expected: { timeline: [TENANT] },
  },
  {
    name: 'BR-X1: no role with the pmnumber',
    before: TENANT_THEN_VACANCY,
    roles: [bvaChange('DELETE', '2022-01-01', undefined, '9')],
    expected: { fails: 'BR-X1' },
  },
  {
    name: "BR-X1: same from and pmnumber, but the other billing-recipient type (X's type must match)",
    before: TENANT_THEN_VACANCY,
    roles: [birChange('DELETE', '2022-01-01', undefined, '2')],
    expected: { fails: 'BR-X1' },
  },
  {
    name: 'BR-X1 is decided before BR-X2 and BR-X3 (no match in a closed, single-role unit)',
    before: [TENANT_OPEN],
    closedUntil: CLOSED_UNTIL,
    roles: [birChange('DELETE', '2020-01-01', undefined, '9')],
    expected: { fails: 'BR-X1' },
  },
  {
    name: 'BR-X2: target.from is closed-until (the day itself)',
    before: [bir('2020-01-01', '2021-12-30', '1'), bva('2021-12-31', null, '2')],
    closedUntil: CLOSED_UNTIL,
    roles: [bvaChange('DELETE', '2021-12-31', undefined, '2')],
    expected: { fails: 'BR-X2' },
  },
  {
    name: 'BR-X2: target.from before closed-until',
    before: TENANT_THEN_VACANCY,
    closedUntil: CLOSED_UNTIL,
    roles: [birChange('DELETE', '2020-01-01', undefined, '1')],
    expected: { fails: 'BR-X2' },
  },
  {
    name: 'BR-X2 is decided before BR-X3 (the only role, and closed)',
    before: [TENANT_OPEN],
    closedUntil: CLOSED_UNTIL,
    roles: [birChange('DELETE', '2020-01-01', undefined, '1')],
    expected: { fails: 'BR-X2' },
  },
  {
    name: 'BR-X3: the only billing-recipient role',
    before: [TENANT_OPEN],
    roles: [birChange('DELETE', '2020-01-01', undefined, '1')],
    expected: { fails: 'BR-X3' },
  },
  {
    name: 'BR-X3: the only billing-recipient role, while the unit has S-COR roles',
    before: [stored('2018-05-01', null, '12345611'), VACANCY_OPEN],
    roles: [bvaChange('DELETE', '2022-01-01', undefined, '2')],
    expected: { fails: 'BR-X3' },
  },
  {
    name: 'BR-X3 in array order: DELETE before the INSERT of its successor',
    before: [TENANT_OPEN],
    roles: [birChange('DELETE', '2020-01-01', undefined, '1'), birChange('INSERT', '2020-01-01', undefined, '3')],
    expected: { fails: 'BR-X3' },
  },
  {
    name: 'INSERT of a replacement with the same from, then DELETE of the old role',
    before: [TENANT_OPEN],
    roles: [birChange('INSERT', '2020-01-01', undefined, '3'), birChange('DELETE', '2020-01-01', undefined, '1')],
    expected: { timeline: [bir('2020-01-01', null, '3')] },
  },

  // 8.4: the billing-recipient timeline after applying.
  {
    name: '8.4 example: UPDATE S-BIR to 2022-05-31, INSERT S-BVA from 2022-06-01',
    before: [TENANT_OPEN],
    roles: [birChange('UPDATE', '2020-01-01', '2022-05-31', '1'), bvaChange('INSERT', '2022-06-01', undefined, '2')],
    expected: { timeline: [bir('2020-01-01', '2022-05-31', '1'), bva('2022-06-01', null, '2')] },
  },
  {
    name: 'BR-T2: 8.4 example with the S-BVA from 2022-07-01',
    before: [TENANT_OPEN],
    roles: [birChange('UPDATE', '2020-01-01', '2022-05-31', '1'), bvaChange('INSERT', '2022-07-01', undefined, '2')],
    expected: { messages: ['BR-T2'] },
  },
  {
    name: 'BR-T1: 8.4 example with the S-BVA from 2022-05-01',
    before: [TENANT_OPEN],
    roles: [birChange('UPDATE', '2020-01-01', '2022-05-31', '1'), bvaChange('INSERT', '2022-05-01', undefined, '2')],
    expected: { messages: ['BR-T1'] },
  },
  {
    name: 'BR-T1: an open period followed by a later one',
    before: [TENANT_OPEN],
    roles: [bvaChange('INSERT', '2030-01-01', undefined, '2')],
    expected: { messages: ['BR-T1'] },
  },
  {
    name: 'BR-T1: the next period starts on the last day of the one before',
    before: [TENANT],
    roles: [bvaChange('INSERT', '2021-12-31', undefined, '2')],
    expected: { messages: ['BR-T1'] },
  },
  {
    name: 'BR-T1: S-BIR and S-BVA with the same from',
    before: [TENANT],
    roles: [bvaChange('INSERT', '2020-01-01', '2020-01-31', '2')],
    expected: { messages: ['BR-T1'] },
  },
  {
    name: 'BR-T2: the next period starts two days after the one before ends (one empty day)',
    before: [TENANT],
    roles: [bvaChange('INSERT', '2022-01-02', undefined, '2')],
    expected: { messages: ['BR-T2'] },
  },
  {
    name: 'BR-T1 only: a gap is measured from the latest to of all earlier periods',
    before: [bir('2020-01-01', '2022-12-31', '1')],
    roles: [bvaChange('INSERT', '2021-01-01', '2021-06-30', '2'), birChange('INSERT', '2023-01-01', undefined, '3')],
    expected: { messages: ['BR-T1'] },
  },
  {
    name: 'BR-T1 and BR-T2 both, OSR-2003 first, each once',
    before: [TENANT],
    roles: [
      bvaChange('INSERT', '2023-01-01', '2023-12-31', '2'),
      bvaChange('INSERT', '2025-01-01', '2025-12-31', '3'),
      birChange('INSERT', '2025-06-01', '2025-06-30', '4'),
      birChange('INSERT', '2027-01-01', undefined, '5'),
    ],
    expected: { messages: ['BR-T1', 'BR-T2'] },
  },
  {
    name: 'BR-T2 on a gap the unit had already, once a billing-recipient change is applied',
    before: [bir('2020-01-01', '2020-12-31', '1'), bva('2022-01-01', '2022-12-31', '2')],
    roles: [bvaChange('UPDATE', '2022-01-01', undefined, '2')],
    expected: { messages: ['BR-T2'] },
  },
  {
    name: '8.4 is not checked when no billing-recipient change is applied (S-COR only)',
    before: [bir('2020-01-01', null, '1'), bva('2022-01-01', null, '2')],
    roles: [role('INSERT', '2022-06-01', undefined, '12345611')],
    expected: {
      timeline: [bir('2020-01-01', null, '1'), bva('2022-01-01', null, '2'), stored('2022-06-01', null, '12345611')],
    },
  },

  // Array order with S-COR: the first failure of either kind ends processing; closed-until never
  // restricts S-COR.
  {
    name: 'S-COR INSERT before closed-until is not restricted',
    before: [TENANT_OPEN],
    closedUntil: CLOSED_UNTIL,
    roles: [role('INSERT', '2019-01-01', undefined, '12345611')],
    expected: { timeline: [stored('2019-01-01', null, '12345611'), TENANT_OPEN] },
  },
  {
    name: 'an S-COR rejection after an applied billing-recipient change: FAIL, nothing kept',
    before: [stored('2018-05-01', null, '12345611'), TENANT_OPEN],
    roles: [birChange('UPDATE', '2020-01-01', '2022-05-31', '1'), role('INSERT', '2022-06-01', undefined, '12345612')],
    expected: { fails: 'I2', at: 1 },
  },
  {
    name: 'a billing-recipient rejection after an applied S-COR change: FAIL, nothing kept',
    before: [stored('2018-05-01', null, '12345611'), TENANT_OPEN],
    closedUntil: CLOSED_UNTIL,
    roles: [
      role('UPDATE', '2018-05-01', '2022-05-31', '12345611'),
      birChange('UPDATE', '2020-01-01', '2021-01-31', '1'),
    ],
    expected: { fails: 'BR-U2', at: 1 },
  },
];

describe('spec 8.3 and 8.4: billing-recipient changes under the arge profile', () => {
  it.each(ROWS)('$name', (row) => expectRow(row, state(row.before, ALL_CONTRACTS, row.closedUntil), ARGE));

  it('has a row for every BR rule of the 8.3 and 8.4 tables', () => {
    const rules = new Set(
      ROWS.flatMap(({ expected }) =>
        'fails' in expected ? [expected.fails] : 'messages' in expected ? expected.messages : [],
      ).filter((id) => id.startsWith('BR-')),
    );
    const catalogued = Object.keys(MESSAGE).filter((id) => id.startsWith('BR-'));
    expect([...rules].sort()).toStrictEqual(catalogued.sort());
    expect(catalogued.sort()).toStrictEqual(['BR-I1', 'BR-T1', 'BR-T2', 'BR-U1', 'BR-U2', 'BR-X1', 'BR-X2', 'BR-X3']);
  });

  it('UPDATE stores the delivered partner data, like S-COR', () => {
    const roles = [birChange('UPDATE', '2020-01-01', '2021-12-31', '1')];
    const renamed = partner('1', { name: 'Neuname', email: 'neu@example.org' });
    const decision = processDelivery(
      input(body({ roles, partners: [renamed] })),
      state(TENANT_THEN_VACANCY, ALL_CONTRACTS, '2030-12-31'),
      ARGE,
    );
    expect(decision.status).toBe('SUCCESS');
    expect(decision.changes).toStrictEqual([
      {
        roleIndex: 0,
        change: 'UPDATE',
        before: TENANT,
        after: TENANT,
        partner: body({ roles, partners: [renamed] }).billingunit.residentialunit.partners?.[0],
      },
    ]);
  });

  it('an 8.4 FAIL keeps the R1 information of unsupported roles', () => {
    const roles = [{ role: 'S-XYZ' }, bvaChange('INSERT', '2030-01-01', undefined, '2')];
    const decision = processDelivery(
      input(body({ roles, partners: [partner('2')] })),
      state([TENANT_OPEN], ALL_CONTRACTS),
      ARGE,
    );
    expect(decision).toStrictEqual({
      status: 'FAIL',
      messages: [plainMessage('BR-T1')],
      roleMessages: [roleEcho(roles[0] as LooseRole, 'R1')],
      partnerMessages: [],
      changes: [],
    });
  });

  it('vendor-key messages take the configured key; OSR-2003…2007 keep theirs', () => {
    const acme = profileNamed('arge', 'OSR-ACME');
    const roles = [birChange('DELETE', '2020-01-01', undefined, '1')];
    const decision = processDelivery(
      input(body({ roles, partners: [partner('1')] })),
      state([TENANT_OPEN], ALL_CONTRACTS),
      acme,
    );
    expect(decision.roleMessages).toStrictEqual([
      roleEcho(roles[0] as LooseRole, { key: 'OSR-ACME', message: MESSAGE['BR-X3'].message }),
    ]);
    const closed = processDelivery(
      input(body({ roles: [birChange('INSERT', '2021-01-01', undefined, '1')], partners: [partner('1')] })),
      state([], ALL_CONTRACTS, CLOSED_UNTIL),
      acme,
    );
    expect(closed.roleMessages.map(({ key, message }) => ({ key, message }))).toStrictEqual([MESSAGE['BR-I1']]);
  });

  it('under the kalo profile S-BIR and S-BVA still get R1 (and closed-until changes nothing)', () => {
    const roles = [
      birChange('INSERT', '2021-01-01', undefined, '1'),
      bvaChange('DELETE', '2020-01-01', undefined, '2'),
    ];
    const decision = processDelivery(
      input(body({ roles, partners: [partner('1'), partner('2')] })),
      state([TENANT_OPEN], ALL_CONTRACTS, CLOSED_UNTIL),
      profileNamed('kalo'),
    );
    expect(decision).toStrictEqual({
      status: 'FAIL',
      messages: [plainMessage('D8')],
      roleMessages: roles.map((r) => roleEcho(r, 'R1')),
      partnerMessages: [],
      changes: [],
    });
  });
});
