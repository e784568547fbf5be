import { afterEach, describe, expect, it } from 'vitest';
import type { DeliveryBody, DeliveryPartner } from '../../src/domain/delivery-schema.js';
import {
  type DeliveryDecision,
  type ProcessingProfile,
  processDelivery,
  UnexpectedApplyError,
  unexpectedFailure,
} from '../../src/domain/process-delivery.js';
import { profileNamed } from '../../src/domain/profiles.js';
import { applyChanges } from '../../src/domain/role-diff.js';
import { APPLY, sortTimeline } from '../../src/domain/timeline.js';
import { BU, KALO, MESSAGE, OPEN, partnerEcho, plainMessage, RU, roleEcho, withKey } from '../support/spec.js';
import { body, CLIENT, input, partner, role, shown, state, stored } from './fixtures.js';

const M_OPEN = stored('2018-05-01', null, '12345611');
const M = stored('2018-05-01', '2022-05-31', '12345611');
const F = stored('2022-06-01', '2022-12-31', '12345612');

const FAIL_EMPTY: DeliveryDecision = {
  status: 'FAIL',
  messages: [],
  roleMessages: [],
  partnerMessages: [],
  changes: [],
};

const failWith = (parts: Partial<DeliveryDecision>): DeliveryDecision => ({ ...FAIL_EMPTY, ...parts });

/** The delivered partner with this pmnumber, as the parsed body holds it. */
function deliveredPartner(b: DeliveryBody, pmnumber: string): DeliveryPartner {
  const found = b.billingunit.residentialunit.partners?.find((p) => p.reference?.pmnumber === pmnumber);
  if (!found) throw new Error(`no partner ${pmnumber}`);
  return found;
}

/** Same members, any order (the spec does not fix the order of messages). */
function expectSameMembers(actual: readonly unknown[], expected: readonly unknown[]) {
  expect(actual).toHaveLength(expected.length);
  expect(actual).toEqual(expect.arrayContaining([...expected]));
}

/** A valid S-COR INSERT on an empty unit: gives the D-tests a body that would otherwise succeed. */
const validBody = (bu = BU, ru = RU) =>
  body({ bu, ru, roles: [role('INSERT', '2022-06-01', undefined, '1')], partners: [partner('1')] });

describe('processDelivery step 1: D1-D6 in order, the first failure ends processing (5.1)', () => {
  it.each(['12345', '1234567', '098654321', '0996543210', '65432a', ''])('D1: billing unit path %j', (bu) => {
    const decision = processDelivery(input(validBody(bu.slice(0, 9) || '1'), bu), state([]));
    expect(decision).toStrictEqual(failWith({ messages: [plainMessage('D1')] }));
  });

  it.each(['12345', 'a1', '', '01 '])('D2: residential unit path %j', (ru) => {
    const decision = processDelivery(input(validBody(BU, ru.slice(0, 4) || '1'), BU, ru), state([]));
    expect(decision).toStrictEqual(failWith({ messages: [plainMessage('D2')] }));
  });

  it('D1 is reported alone when D2..D6 also fail', () => {
    const decision = processDelivery(input(validBody('999999', '9'), 'x', 'y'), {
      billingUnit: null,
      residentialUnit: null,
    });
    expect(decision).toStrictEqual(failWith({ messages: [plainMessage('D1')] }));
  });

  it('D2 is reported alone when D3..D6 also fail', () => {
    const decision = processDelivery(input(validBody('999999', '9'), BU, 'y'), {
      billingUnit: null,
      residentialUnit: null,
    });
    expect(decision).toStrictEqual(failWith({ messages: [plainMessage('D2')] }));
  });

  it('D3: body billing-unit mscnumber differs from the path', () => {
    const decision = processDelivery(input(validBody('654322'), BU), state([]));
    expect(decision).toStrictEqual(failWith({ messages: [plainMessage('D3')] }));
  });

  it('D3: 9-digit path vs. 6-digit body number', () => {
    const decision = processDelivery(input(validBody('654321'), '099654321'), state([]));
    expect(decision).toStrictEqual(failWith({ messages: [plainMessage('D3')] }));
  });

  it('D3 is reported alone when D4..D6 also fail', () => {
    const decision = processDelivery(input(validBody('654322', '0002'), BU, RU), {
      billingUnit: null,
      residentialUnit: null,
    });
    expect(decision).toStrictEqual(failWith({ messages: [plainMessage('D3')] }));
  });

  it('D4: residential units are compared as strings ("0001" != "1")', () => {
    expect(processDelivery(input(validBody(BU, '0001'), BU, '1'), state([]))).toStrictEqual(
      failWith({ messages: [plainMessage('D4')] }),
    );
    expect(processDelivery(input(validBody(BU, '1'), BU, '0001'), state([]))).toStrictEqual(
      failWith({ messages: [plainMessage('D4')] }),
    );
  });

  it('D4 is reported alone when D5, D6 also fail', () => {
    const decision = processDelivery(input(validBody(BU, '0002'), BU, RU), {
      billingUnit: null,
      residentialUnit: null,
    });
    expect(decision).toStrictEqual(failWith({ messages: [plainMessage('D4')] }));
  });

  it('D5: billing unit unknown (OSR-2001)', () => {
    const decision = processDelivery(input(validBody()), { billingUnit: null, residentialUnit: { roles: [] } });
    expect(decision).toStrictEqual(failWith({ messages: [plainMessage('D5')] }));
  });

  it('D5: billing unit of another client: the same answer as an unknown one, even with every contract', () => {
    const foreign = { billingUnit: { clientId: 'globex', contracts: ['S-COR'] }, residentialUnit: { roles: [] } };
    expect(processDelivery(input(validBody()), foreign)).toStrictEqual(failWith({ messages: [plainMessage('D5')] }));
    // the same unit passes D5 for its owner
    const owned = { ...foreign, billingUnit: { ...foreign.billingUnit, clientId: CLIENT } };
    expect(processDelivery(input(validBody()), owned).status).toBe('SUCCESS');
  });

  it('D5 is reported alone when D6 also fails', () => {
    const decision = processDelivery(input(validBody()), { billingUnit: null, residentialUnit: null });
    expect(decision).toStrictEqual(failWith({ messages: [plainMessage('D5')] }));
  });

  it('D6: residential unit unknown or not part of the billing unit (OSR-2002)', () => {
    const decision = processDelivery(input(validBody()), {
      billingUnit: { clientId: CLIENT, contracts: ['S-COR'] },
      residentialUnit: null,
    });
    expect(decision).toStrictEqual(failWith({ messages: [plainMessage('D6')] }));
  });

  it('a D-failure ends processing before D7/D8/R-checks', () => {
    const b = body({
      roles: [{ role: 'S-COR' }, role('INSERT', '2022-06-01', undefined, '1', 'S-XYZ')],
      partners: [partner('1'), partner('1')],
    });
    const decision = processDelivery(input(b), {
      billingUnit: { clientId: CLIENT, contracts: [] },
      residentialUnit: null,
    });
    expect(decision).toStrictEqual(failWith({ messages: [plainMessage('D6')] }));
  });

  it('accepts a 9-digit (099 prefix) billing unit and a 1-digit residential unit', () => {
    const b = validBody('099654321', '1');
    const decision = processDelivery(input(b, '099654321', '1'), state([]));
    expect(decision.status).toBe('SUCCESS');
  });
});

describe('processDelivery step 2: D7, D8 (5.1)', () => {
  it('D7: two partners share a pmnumber (partnerMessages with the partner echo)', () => {
    const b = body({
      roles: [role('INSERT', '2022-06-01', undefined, '1')],
      partners: [partner('1'), partner('2'), partner('1', { name: 'Other' })],
    });
    const decision = processDelivery(input(b), state([]));
    expect(decision.status).toBe('FAIL');
    expect(decision.messages).toStrictEqual([]);
    expect(decision.roleMessages).toStrictEqual([]);
    expect(decision.changes).toStrictEqual([]);
    expect(decision.partnerMessages.length).toBeGreaterThanOrEqual(1);
    for (const message of decision.partnerMessages) {
      expect(message).toStrictEqual(partnerEcho('1', 'D7'));
    }
  });

  it('D8: no roles at all (missing, null or empty)', () => {
    for (const roles of [undefined, null, []]) {
      const decision = processDelivery(input(body({ roles, partners: [partner('1')] })), state([]));
      expect(decision).toStrictEqual(failWith({ messages: [plainMessage('D8')] }));
    }
  });

  it('D8: only unsupported roles (each with R1)', () => {
    const b = body({
      roles: [
        role('INSERT', '2022-06-01', undefined, '1', 'S-BIR'),
        role(undefined, undefined, undefined, undefined, 'S-BVA'),
      ],
      partners: [partner('1')],
    });
    const decision = processDelivery(input(b), state([]));
    expect(decision.status).toBe('FAIL');
    expect(decision.messages).toStrictEqual([plainMessage('D8')]);
    expectSameMembers(decision.roleMessages, [
      roleEcho(shown('S-BIR', '2022-06-01', OPEN, '1'), 'R1'),
      roleEcho(shown('S-BVA', null, OPEN, null), 'R1'),
    ]);
    expect(decision.partnerMessages).toStrictEqual([]);
    expect(decision.changes).toStrictEqual([]);
  });

  it('D7 and D8 are both reported', () => {
    const b = body({ roles: [], partners: [partner('1'), partner('1')] });
    const decision = processDelivery(input(b), state([]));
    expect(decision.status).toBe('FAIL');
    expect(decision.messages).toStrictEqual([plainMessage('D8')]);
    expect(decision.partnerMessages).toContainEqual(partnerEcho('1', 'D7'));
  });

  it('a delivered partner without reference.pmnumber gets an asynchronous message and FAIL', () => {
    const b = body({
      roles: [role('INSERT', '2022-06-01', undefined, '1')],
      partners: [partner('1'), partner(undefined)],
    });
    const decision = processDelivery(input(b), state([]));
    expect(decision.status).toBe('FAIL');
    expect(decision.changes).toStrictEqual([]);
    expect(decision.partnerMessages).toStrictEqual([
      partnerEcho(null, 'R4'), // README: R4's text, on the partner
    ]);
  });
});

describe('processDelivery step 2: R1-R10 (5.2)', () => {
  const run = (roles: unknown[], partners: unknown[], timeline = [M_OPEN], contracts = ['S-COR']) => {
    const b = body({ roles, partners });
    return { b, decision: processDelivery(input(b), state(timeline, contracts)) };
  };

  describe('R1: role not supported', () => {
    it('R1 only -> SUCCESS with R1 as information; the unsupported role is neither checked nor applied', () => {
      const { b, decision } = run(
        [
          { role: 'S-XYZ' },
          role('INSERT', '2022-06-01', undefined, '1'),
          role('DELETE', '2010-01-01', '2000-01-01', '1', 'S-BIR'),
        ],
        [partner('1')],
        [],
        ['S-COR'],
      );
      expect(decision).toStrictEqual({
        status: 'SUCCESS',
        messages: [],
        roleMessages: [
          roleEcho(shown('S-XYZ', null, OPEN, null), 'R1'),
          roleEcho(shown('S-BIR', '2010-01-01', '2000-01-01', '1'), 'R1'),
        ],
        partnerMessages: [],
        changes: [
          {
            roleIndex: 1,
            change: 'INSERT',
            before: null,
            after: stored('2022-06-01', null, '1'),
            partner: deliveredPartner(b, '1'),
          },
        ],
      });
    });

    it('R1 together with another failure -> FAIL, both reported', () => {
      const { decision } = run(
        [
          role('INSERT', '2022-06-01', undefined, '1', 'S-BVA'),
          role(undefined, '2018-05-01', '2022-05-31', '12345611'),
        ],
        [partner('1'), partner('12345611')],
      );
      expect(decision.status).toBe('FAIL');
      expect(decision.changes).toStrictEqual([]);
      expectSameMembers(decision.roleMessages, [
        roleEcho(shown('S-BVA', '2022-06-01', OPEN, '1'), 'R1'),
        roleEcho(shown('S-COR', '2018-05-01', '2022-05-31', '12345611'), 'R2'),
      ]);
    });
  });

  it.each([
    ['missing', role(undefined, '2018-05-01', '2022-05-31', '12345611')],
    ['null', { ...role(undefined, '2018-05-01', '2022-05-31', '12345611'), change: null }],
  ])('R2: change %s', (_how, r) => {
    const { decision } = run([r], [partner('12345611')]);
    expect(decision).toStrictEqual(
      failWith({ roleMessages: [roleEcho(shown('S-COR', '2018-05-01', '2022-05-31', '12345611'), 'R2')] }),
    );
  });

  it.each([
    ['missing', role('DELETE', '2018-05-01', undefined, undefined)],
    ['null', { ...role('DELETE', '2018-05-01', undefined, undefined), partner: null }],
  ])('R3: partner %s (echo partner {pmnumber: null, mscnumber: null})', (_how, r) => {
    const { decision } = run([r], [partner('12345611')]);
    expect(decision).toStrictEqual(
      failWith({ roleMessages: [roleEcho(shown('S-COR', '2018-05-01', OPEN, null), 'R3')] }),
    );
  });

  it.each([
    ['missing', {}],
    ['null', { pmnumber: null }],
  ])('R4: partner.pmnumber %s', (_how, partnerReference) => {
    const r = { ...role('UPDATE', '2018-05-01', '2022-05-31', undefined), partner: partnerReference };
    const { decision } = run([r], [partner('12345611')]);
    expect(decision).toStrictEqual(
      failWith({ roleMessages: [roleEcho(shown('S-COR', '2018-05-01', '2022-05-31', null), 'R4')] }),
    );
  });

  it.each([
    ['missing', role('UPDATE', undefined, '2022-05-31', '12345611')],
    ['null', { ...role('UPDATE', undefined, '2022-05-31', '12345611'), from: null }],
  ])('R5: from %s (echo from: null)', (_how, r) => {
    const { decision } = run([r], [partner('12345611')]);
    expect(decision).toStrictEqual(
      failWith({ roleMessages: [roleEcho(shown('S-COR', null, '2022-05-31', '12345611'), 'R5')] }),
    );
  });

  describe('R6: INSERT/UPDATE with from >= to', () => {
    it('INSERT with from = to', () => {
      const { decision } = run([role('INSERT', '2022-06-01', '2022-06-01', '1')], [partner('1')], []);
      expect(decision).toStrictEqual(
        failWith({ roleMessages: [roleEcho(shown('S-COR', '2022-06-01', '2022-06-01', '1'), 'R6')] }),
      );
    });
    it('UPDATE with from > to', () => {
      const { decision } = run([role('UPDATE', '2018-05-01', '2018-04-30', '12345611')], [partner('12345611')]);
      expect(decision).toStrictEqual(
        failWith({ roleMessages: [roleEcho(shown('S-COR', '2018-05-01', '2018-04-30', '12345611'), 'R6')] }),
      );
    });
    it('not for to missing, null or 9999-12-31', () => {
      for (const to of [undefined, null, '9999-12-31']) {
        const r = { ...role('INSERT', '2022-06-01', undefined, '1'), ...(to === undefined ? {} : { to }) };
        const { decision } = run([r], [partner('1')], []);
        expect(decision.status).toBe('SUCCESS');
        expect(decision.changes[0]?.after).toStrictEqual(stored('2022-06-01', null, '1'));
      }
    });
    it('from one day before to is fine', () => {
      const { decision } = run([role('INSERT', '2022-06-01', '2022-06-02', '1')], [partner('1')], []);
      expect(decision.status).toBe('SUCCESS');
    });
    it('not for DELETE (X.to is ignored)', () => {
      const { decision } = run([role('DELETE', '2018-05-01', '2000-01-01', '12345611')], [partner('12345611')]);
      expect(decision.status).toBe('SUCCESS');
      expect(decision.roleMessages).toStrictEqual([]);
    });
  });

  describe('R7/R8: partner name and first name', () => {
    it.each([
      ['missing', { name: undefined }],
      ['null', { name: null }],
      ['empty', { name: '' }],
      ['blank', { name: '   ' }],
    ])('R7: name %s (INSERT)', (_how, overrides) => {
      const p = partner('1', overrides);
      if (overrides.name === undefined) delete p.name;
      const { decision } = run([role('INSERT', '2022-06-01', undefined, '1')], [p], []);
      expect(decision).toStrictEqual(
        failWith({ roleMessages: [roleEcho(shown('S-COR', '2022-06-01', OPEN, '1'), 'R7')] }),
      );
    });

    it('R7 for UPDATE', () => {
      const { decision } = run(
        [role('UPDATE', '2018-05-01', '2022-05-31', '12345611')],
        [partner('12345611', { name: ' ' })],
      );
      expect(decision).toStrictEqual(
        failWith({ roleMessages: [roleEcho(shown('S-COR', '2018-05-01', '2022-05-31', '12345611'), 'R7')] }),
      );
    });

    it.each([
      ['missing', { firstname: undefined }],
      ['null', { firstname: null }],
      ['empty', { firstname: '' }],
      ['blank', { firstname: '\t ' }],
    ])('R8: NON_COMMERCIAL partner, firstname %s (UPDATE)', (_how, overrides) => {
      const p = partner('12345611', overrides);
      if (overrides.firstname === undefined) delete p.firstname;
      const { decision } = run([role('UPDATE', '2018-05-01', '2022-05-31', '12345611')], [p]);
      expect(decision).toStrictEqual(
        failWith({ roleMessages: [roleEcho(shown('S-COR', '2018-05-01', '2022-05-31', '12345611'), 'R8')] }),
      );
    });

    it('R8: commercial missing or null defaults to NON_COMMERCIAL', () => {
      for (const commercial of [undefined, null]) {
        const p = partner('1', { commercial, firstname: null });
        if (commercial === undefined) delete p.commercial;
        const { decision } = run([role('INSERT', '2022-06-01', undefined, '1')], [p], []);
        expect(decision).toStrictEqual(
          failWith({ roleMessages: [roleEcho(shown('S-COR', '2022-06-01', OPEN, '1'), 'R8')] }),
        );
      }
    });

    it('no R8 for a COMMERCIAL partner without firstname', () => {
      const p = partner('1', { commercial: 'COMMERCIAL', firstname: null });
      const { decision } = run([role('INSERT', '2022-06-01', undefined, '1')], [p], []);
      expect(decision.status).toBe('SUCCESS');
    });

    it('R7 and R8 together on one role', () => {
      const { decision } = run(
        [role('INSERT', '2022-06-01', undefined, '1')],
        [partner('1', { name: '', firstname: '' })],
        [],
      );
      expect(decision.status).toBe('FAIL');
      expectSameMembers(decision.roleMessages, [
        roleEcho(shown('S-COR', '2022-06-01', OPEN, '1'), 'R7'),
        roleEcho(shown('S-COR', '2022-06-01', OPEN, '1'), 'R8'),
      ]);
    });

    it('not for DELETE', () => {
      const { decision } = run(
        [role('DELETE', '2018-05-01', undefined, '12345611')],
        [partner('12345611', { name: null, firstname: null })],
      );
      expect(decision.status).toBe('SUCCESS');
      expect(decision.roleMessages).toStrictEqual([]);
    });
  });

  describe('R9: two INSERTs of the same type overlap (reported on the later one)', () => {
    it('closed periods sharing one day', () => {
      const { decision } = run(
        [role('INSERT', '2022-06-01', '2022-12-31', '1'), role('INSERT', '2022-12-31', '2023-06-30', '2')],
        [partner('1'), partner('2')],
        [],
      );
      expect(decision).toStrictEqual(
        failWith({ roleMessages: [roleEcho(shown('S-COR', '2022-12-31', '2023-06-30', '2'), 'R9')] }),
      );
    });

    it('an open-ended earlier INSERT overlaps any later-starting one', () => {
      const { decision } = run(
        [role('INSERT', '2022-06-01', undefined, '1'), role('INSERT', '2030-01-01', '2030-12-31', '2')],
        [partner('1'), partner('2')],
        [],
      );
      expect(decision).toStrictEqual(
        failWith({ roleMessages: [roleEcho(shown('S-COR', '2030-01-01', '2030-12-31', '2'), 'R9')] }),
      );
    });

    it('reported on the later one in the array even if it starts earlier', () => {
      const { decision } = run(
        [role('INSERT', '2022-06-01', '2022-12-31', '1'), role('INSERT', '2022-01-01', '2022-06-01', '2')],
        [partner('1'), partner('2')],
        [],
      );
      expect(decision).toStrictEqual(
        failWith({ roleMessages: [roleEcho(shown('S-COR', '2022-01-01', '2022-06-01', '2'), 'R9')] }),
      );
    });

    it('three INSERTs: only the later ones of overlapping pairs are reported', () => {
      const { decision } = run(
        [
          role('INSERT', '2022-01-01', '2022-03-31', '1'),
          role('INSERT', '2022-04-01', '2022-06-30', '2'),
          role('INSERT', '2022-03-01', '2022-03-15', '3'),
        ],
        [partner('1'), partner('2'), partner('3')],
        [],
      );
      expect(decision).toStrictEqual(
        failWith({ roleMessages: [roleEcho(shown('S-COR', '2022-03-01', '2022-03-15', '3'), 'R9')] }),
      );
    });

    it('adjacent INSERTs do not overlap and are applied in order', () => {
      const { decision } = run(
        [role('INSERT', '2022-06-01', '2022-12-31', '1'), role('INSERT', '2023-01-01', undefined, '2')],
        [partner('1'), partner('2')],
        [],
      );
      expect(decision.status).toBe('SUCCESS');
      expect(sortTimeline(applyChanges([], decision.changes))).toStrictEqual([
        stored('2022-06-01', '2022-12-31', '1'),
        stored('2023-01-01', null, '2'),
      ]);
    });

    it('an INSERT overlapping an UPDATE is not R9 (the timeline rules decide: I3)', () => {
      const { decision } = run(
        [role('UPDATE', '2018-05-01', '2022-06-30', '12345611'), role('INSERT', '2022-06-01', undefined, '2')],
        [partner('12345611'), partner('2')],
      );
      expect(decision).toStrictEqual(
        failWith({ roleMessages: [roleEcho(shown('S-COR', '2022-06-01', OPEN, '2'), 'I3')] }),
      );
    });

    it('INSERTs of different (supported) types do not overlap each other', () => {
      const profile = profileNamed('arge', KALO);
      const b = body({
        roles: [role('INSERT', '2022-06-01', undefined, '1'), role('INSERT', '2022-06-01', undefined, '1', 'S-BIR')],
        partners: [partner('1')],
      });
      const decision = processDelivery(input(b), state([], ['S-COR', 'S-BIR']), profile);
      expect(decision.status).toBe('SUCCESS');
      expect(decision.changes.map((c) => c.after)).toStrictEqual([
        stored('2022-06-01', null, '1'),
        stored('2022-06-01', null, '1', 'S-BIR'),
      ]);
    });
  });

  describe('R10: no contract for the role type (OSR-2006)', () => {
    it('billing unit without any contract', () => {
      const { decision } = run(
        [role('DELETE', '2018-05-01', undefined, '12345611')],
        [partner('12345611')],
        [M_OPEN],
        [],
      );
      expect(decision).toStrictEqual(
        failWith({ roleMessages: [roleEcho(shown('S-COR', '2018-05-01', OPEN, '12345611'), 'R10')] }),
      );
    });

    it('billing unit with contracts for other types only; reported for every supported role', () => {
      const { decision } = run(
        [
          role('UPDATE', '2018-05-01', '2022-05-31', '12345611'),
          role('INSERT', '2022-06-01', '2022-12-31', '12345612'),
        ],
        [partner('12345611'), partner('12345612')],
        [M_OPEN],
        ['S-BIR', 'S-BVA'],
      );
      expect(decision.status).toBe('FAIL');
      expect(decision.changes).toStrictEqual([]);
      expectSameMembers(decision.roleMessages, [
        roleEcho(shown('S-COR', '2018-05-01', '2022-05-31', '12345611'), 'R10'),
        roleEcho(shown('S-COR', '2022-06-01', '2022-12-31', '12345612'), 'R10'),
      ]);
    });

    it('not for unsupported roles (R1 only)', () => {
      const { decision } = run(
        [role('INSERT', '2022-06-01', undefined, '1', 'S-BIR'), role('INSERT', '2022-06-01', undefined, '1')],
        [partner('1')],
        [],
        ['S-COR'],
      );
      expect(decision.status).toBe('SUCCESS');
      expect(decision.roleMessages).toStrictEqual([roleEcho(shown('S-BIR', '2022-06-01', OPEN, '1'), 'R1')]);
    });
  });

  it('every failure is reported, not only the first', () => {
    const { decision } = run(
      [
        { role: 'S-COR' }, // R2, R3, R5
        role('INSERT', '2022-06-01', '2022-06-01', '2'), // R6, R7, R8
        role('INSERT', '2022-03-01', '2022-12-31', '3'), // R9 (overlaps the one before)
        role(undefined, undefined, undefined, undefined, 'S-XYZ'), // R1
        { ...role('UPDATE', '2018-05-01', '2022-05-31', undefined), partner: {} }, // R4
      ],
      [partner('2', { name: '', firstname: ' ' }), partner('3'), partner('3')], // D7
    );
    expect(decision.status).toBe('FAIL');
    expect(decision.changes).toStrictEqual([]);
    expect(decision.messages).toStrictEqual([]);
    expectSameMembers(decision.roleMessages, [
      roleEcho(shown('S-COR', null, OPEN, null), 'R2'),
      roleEcho(shown('S-COR', null, OPEN, null), 'R3'),
      roleEcho(shown('S-COR', null, OPEN, null), 'R5'),
      roleEcho(shown('S-COR', '2022-06-01', '2022-06-01', '2'), 'R6'),
      roleEcho(shown('S-COR', '2022-06-01', '2022-06-01', '2'), 'R7'),
      roleEcho(shown('S-COR', '2022-06-01', '2022-06-01', '2'), 'R8'),
      roleEcho(shown('S-COR', '2022-03-01', '2022-12-31', '3'), 'R9'),
      roleEcho(shown('S-XYZ', null, OPEN, null), 'R1'),
      roleEcho(shown('S-COR', '2018-05-01', '2022-05-31', null), 'R4'),
    ]);
    expect(decision.partnerMessages.length).toBeGreaterThanOrEqual(1);
    for (const message of decision.partnerMessages) expect(message).toStrictEqual(partnerEcho('3', 'D7'));
  });

  it('every failure is reported, including R10 next to other R-failures and D8 next to D7', () => {
    const { decision } = run(
      [role(undefined, '2022-06-01', undefined, '1'), role('INSERT', undefined, undefined, '1')],
      [partner('1')],
      [],
      [],
    );
    expect(decision.status).toBe('FAIL');
    expectSameMembers(decision.roleMessages, [
      roleEcho(shown('S-COR', '2022-06-01', OPEN, '1'), 'R2'),
      roleEcho(shown('S-COR', '2022-06-01', OPEN, '1'), 'R10'),
      roleEcho(shown('S-COR', null, OPEN, '1'), 'R5'),
      roleEcho(shown('S-COR', null, OPEN, '1'), 'R10'),
    ]);
  });

  it('a step-2 failure ends processing before step 3 (no timeline message, nothing applied)', () => {
    // the UPDATE would also fail U1 in step 3; only R7 is reported
    const { decision } = run([role('UPDATE', '2020-01-01', '2022-05-31', '9')], [partner('9', { name: null })], []);
    expect(decision).toStrictEqual(
      failWith({ roleMessages: [roleEcho(shown('S-COR', '2020-01-01', '2022-05-31', '9'), 'R7')] }),
    );
  });
});

describe('processDelivery step 3: what an applied change records (each rule of 5.3: timeline-rules.test.ts)', () => {
  const run = (roles: unknown[], partners: unknown[], timeline = [M_OPEN]) => {
    const b = body({ roles, partners });
    return { b, decision: processDelivery(input(b), state(timeline)) };
  };

  it('INSERT: the new role after, and the delivered partner data to store', () => {
    const { b, decision } = run([role('INSERT', '2022-06-01', '2022-12-31', '12345612')], [partner('12345612')], []);
    expect(decision).toStrictEqual({
      status: 'SUCCESS',
      messages: [],
      roleMessages: [],
      partnerMessages: [],
      changes: [
        {
          roleIndex: 0,
          change: 'INSERT',
          before: null,
          after: stored('2022-06-01', '2022-12-31', '12345612'),
          partner: deliveredPartner(b, '12345612'),
        },
      ],
    });
  });

  it('UPDATE: the active role before and after, and the delivered partner data to store', () => {
    const { b, decision } = run(
      [role('UPDATE', '2018-05-01', '2022-05-31', '12345611')],
      [partner('12345611', { name: 'Mustermann', firstname: 'Max', email: 'max@example.org' })],
    );
    expect(decision).toStrictEqual({
      status: 'SUCCESS',
      messages: [],
      roleMessages: [],
      partnerMessages: [],
      changes: [{ roleIndex: 0, change: 'UPDATE', before: M_OPEN, after: M, partner: deliveredPartner(b, '12345611') }],
    });
    expect(decision.changes[0]?.partner).toMatchObject({
      name: 'Mustermann',
      firstname: 'Max',
      email: 'max@example.org',
    });
  });

  it('DELETE: the removed role before, nothing after, no partner data', () => {
    const { decision } = run([role('DELETE', '2022-06-01', '2030-01-01', '12345612')], [partner('12345612')], [M, F]);
    expect(decision).toStrictEqual({
      status: 'SUCCESS',
      messages: [],
      roleMessages: [],
      partnerMessages: [],
      changes: [{ roleIndex: 0, change: 'DELETE', before: F, after: null, partner: null }],
    });
  });

  it("a rejected change: the source document's example FAIL answer, written out (U1)", () => {
    const { decision } = run([role('UPDATE', '2022-06-16', undefined, '654321')], [partner('654321')]);
    expect(decision).toStrictEqual({
      status: 'FAIL',
      messages: [],
      roleMessages: [
        {
          role: 'S-COR',
          from: '2022-06-16',
          to: '9999-12-31',
          partner: { pmnumber: '654321', mscnumber: null },
          ...MESSAGE.U1,
        },
      ],
      partnerMessages: [],
      changes: [],
    });
  });

  it('does not modify the state it was given', () => {
    const given = state([F, M]);
    const snapshot = structuredClone(given);
    const b = body({
      roles: [role('DELETE', '2022-06-01', undefined, '12345612'), role('UPDATE', '2018-05-01', undefined, '12345611')],
      partners: [partner('12345612'), partner('12345611')],
    });
    expect(processDelivery(input(b), given).status).toBe('SUCCESS');
    expect(given).toStrictEqual(snapshot);
  });
});

describe('processing profile', () => {
  it('vendor messages use the configured key; standard keys stay', () => {
    const profile: ProcessingProfile = { name: 'kalo', vendorKey: 'OSR-ACME', supportedRoles: new Set(['S-COR']) };
    const b = body({
      roles: [role('UPDATE', '2018-05-02', undefined, '12345611'), { role: 'S-XYZ' }],
      partners: [partner('12345611')],
    });
    const decision = processDelivery(input(b), state([M_OPEN]), profile);
    expect(decision.status).toBe('FAIL');
    expect(decision.roleMessages).toContainEqual(
      roleEcho(shown('S-COR', '2018-05-02', OPEN, '12345611'), withKey('U2', 'OSR-ACME')),
    );
    expect(processDelivery(input(validBody('12345'), '12345'), state([]), profile).messages).toStrictEqual([
      plainMessage(withKey('D1', 'OSR-ACME')),
    ]);
    expect(processDelivery(input(validBody()), state([], []), profile).roleMessages).toStrictEqual([
      roleEcho(shown('S-COR', '2022-06-01', OPEN, '1'), 'R10'),
    ]);
  });
});

describe('S-COR and the billing recipients have separate timelines (arge profile)', () => {
  const profile = profileNamed('arge', KALO);
  const both = ['S-COR', 'S-BIR'];

  it('BR-U1: UPDATE of an S-BIR role when the unit only has S-COR roles (same pmnumber and from)', () => {
    const b = body({
      roles: [role('UPDATE', '2022-06-01', '2023-07-31', '12345612', 'S-BIR')],
      partners: [partner('12345612')],
    });
    expect(processDelivery(input(b), state([M, F], both), profile)).toStrictEqual(
      failWith({ roleMessages: [roleEcho(shown('S-BIR', '2022-06-01', '2023-07-31', '12345612'), 'BR-U1')] }),
    );
  });

  it('BR-X1: DELETE of an S-BIR role when the unit only has S-COR roles (same pmnumber and from)', () => {
    const b = body({
      roles: [role('DELETE', '2022-06-01', undefined, '12345612', 'S-BIR')],
      partners: [partner('12345612')],
    });
    expect(processDelivery(input(b), state([M, F], both), profile)).toStrictEqual(
      failWith({ roleMessages: [roleEcho(shown('S-BIR', '2022-06-01', OPEN, '12345612'), 'BR-X1')] }),
    );
  });

  it('INSERT of an S-BIR role is not blocked by the open-ended active S-COR role', () => {
    const b = body({
      roles: [role('INSERT', '2022-06-01', undefined, '12345611', 'S-BIR')],
      partners: [partner('12345611')],
    });
    const decision = processDelivery(input(b), state([M_OPEN], both), profile);
    expect(decision.status).toBe('SUCCESS');
    expect(sortTimeline(applyChanges([M_OPEN], decision.changes))).toStrictEqual([
      M_OPEN,
      stored('2022-06-01', null, '12345611', 'S-BIR'),
    ]);
  });
});

describe('unexpected failure while applying', () => {
  const original = { ...APPLY };
  afterEach(() => {
    Object.assign(APPLY, original);
  });

  it.each([
    ['INSERT', 'INSERT_UNEXPECTED'],
    ['UPDATE', 'UPDATE_UNEXPECTED'],
    ['DELETE', 'DELETE_UNEXPECTED'],
  ] as const)('unexpectedFailure for %s: FAIL with the role echo and the support text', (change, id) => {
    const b = body({
      roles: [{ role: 'S-XYZ' }, role(change, '2022-06-01', '2022-12-31', '12345612')],
      partners: [partner('12345612')],
    });
    expect(unexpectedFailure(b, 1)).toStrictEqual(
      failWith({ roleMessages: [roleEcho(shown('S-COR', '2022-06-01', '2022-12-31', '12345612'), id)] }),
    );
  });

  it('processDelivery names the role being applied (UnexpectedApplyError.roleIndex)', () => {
    APPLY.UPDATE = () => {
      throw new Error('boom');
    };
    const b = body({
      roles: [{ role: 'S-XYZ' }, role('UPDATE', '2018-05-01', '2022-05-31', '12345611')],
      partners: [partner('12345611')],
    });
    let thrown: unknown;
    try {
      processDelivery(input(b), state([M_OPEN]));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(UnexpectedApplyError);
    const roleIndex = (thrown as UnexpectedApplyError).roleIndex;
    expect(roleIndex).toBe(1);
    expect(unexpectedFailure(b, roleIndex)).toStrictEqual(
      failWith({
        roleMessages: [roleEcho(shown('S-COR', '2018-05-01', '2022-05-31', '12345611'), 'UPDATE_UNEXPECTED')],
      }),
    );
  });
});
