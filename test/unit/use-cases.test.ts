import { describe, expect, it } from 'vitest';
import type { DeliveryBody } from '../../src/domain/delivery-schema.js';
import { type DeliveryDecision, processDelivery } from '../../src/domain/process-delivery.js';
import { applyChanges } from '../../src/domain/role-diff.js';
import { checkDeliverySynchronously } from '../../src/domain/sync-checks.js';
import { activeRole, sortTimeline, type TimelineRole } from '../../src/domain/timeline.js';
import { BU, RU, roleEcho, useCase1, useCase2, useCase3 } from '../support/spec.js';
import { input, parseBody, shown, state, stored } from './fixtures.js';

/**
 * Use cases 1-3 of the source document, chained: UC1 starts from Mustermann (12345611, S-COR
 * from 2018-05-01, open-ended); UC2 builds on UC1's result, UC3 on UC2's. Each result timeline
 * is derived from the SUCCESS decision's changes (before/after).
 */

const uc1 = parseBody(useCase1());
const uc2 = parseBody(useCase2());
const uc3 = parseBody(useCase3());

const partnerOf = (b: DeliveryBody, pmnumber: string) =>
  b.billingunit.residentialunit.partners?.find((p) => p.reference?.pmnumber === pmnumber) ?? null;

function run(b: DeliveryBody, timeline: TimelineRole[]): DeliveryDecision {
  // each UC body passes the synchronous checks first, as E1 would require
  expect(checkDeliverySynchronously(b)).toStrictEqual({ roleMessages: [], partnerMessages: [] });
  return processDelivery(input(b, BU, RU), state(timeline));
}

/** Mustermann before use case 1: S-COR from 2018-05-01, open-ended. */
const START: TimelineRole[] = [stored('2018-05-01', null, '12345611')];
const AFTER_UC1: TimelineRole[] = [
  stored('2018-05-01', '2022-05-31', '12345611'),
  stored('2022-06-01', '2022-12-31', '12345612'),
];
const AFTER_UC2: TimelineRole[] = [
  stored('2018-05-01', '2022-05-31', '12345611'),
  stored('2022-06-01', '2023-07-31', '12345612'),
];
const AFTER_UC3: TimelineRole[] = [stored('2018-05-01', '2022-05-31', '12345611')];

describe('use cases 1 -> 2 -> 3 of the source document', () => {
  it('the bodies use billing unit 654321 and residential unit 0001', () => {
    for (const b of [uc1, uc2, uc3]) {
      expect(b.billingunit.reference.mscnumber).toBe('654321');
      expect(b.billingunit.residentialunit.reference.mscnumber).toBe('0001');
    }
  });

  it('chained: each SUCCESS timeline feeds the next delivery', () => {
    // UC1: Mustermann moves out on 2022-05-31, Musterfrau moves in on 2022-06-01.
    const d1 = run(uc1, START);
    expect(d1).toStrictEqual({
      status: 'SUCCESS',
      messages: [],
      roleMessages: [],
      partnerMessages: [],
      changes: [
        {
          roleIndex: 0,
          change: 'UPDATE',
          before: stored('2018-05-01', null, '12345611'),
          after: stored('2018-05-01', '2022-05-31', '12345611'),
          partner: partnerOf(uc1, '12345611'),
        },
        {
          roleIndex: 1,
          change: 'INSERT',
          before: null,
          after: stored('2022-06-01', '2022-12-31', '12345612'),
          partner: partnerOf(uc1, '12345612'),
        },
      ],
    });
    expect(d1.changes[0]?.partner).toMatchObject({ name: 'Mustermann', firstname: 'Max' });
    expect(d1.changes[1]?.partner).toMatchObject({ name: 'Musterfrau', firstname: 'Meike' });
    const t1 = sortTimeline(applyChanges(START, d1.changes));
    expect(t1).toStrictEqual(AFTER_UC1);
    expect(activeRole(t1)).toStrictEqual(stored('2022-06-01', '2022-12-31', '12345612'));

    // UC2: Musterfrau's move-out date becomes 2023-07-31 (partner data as delivered).
    const d2 = run(uc2, t1);
    expect(d2).toStrictEqual({
      status: 'SUCCESS',
      messages: [],
      roleMessages: [],
      partnerMessages: [],
      changes: [
        {
          roleIndex: 0,
          change: 'UPDATE',
          before: stored('2022-06-01', '2022-12-31', '12345612'),
          after: stored('2022-06-01', '2023-07-31', '12345612'),
          partner: partnerOf(uc2, '12345612'),
        },
      ],
    });
    expect(d2.changes[0]?.partner).toMatchObject({ name: 'Mustermann', firstname: 'Meike' });
    const t2 = sortTimeline(applyChanges(t1, d2.changes));
    expect(t2).toStrictEqual(AFTER_UC2);

    // UC3: Musterfrau does not move in after all; her role is removed, Mustermann's is active again.
    const d3 = run(uc3, t2);
    expect(d3).toStrictEqual({
      status: 'SUCCESS',
      messages: [],
      roleMessages: [],
      partnerMessages: [],
      changes: [
        {
          roleIndex: 0,
          change: 'DELETE',
          before: stored('2022-06-01', '2023-07-31', '12345612'),
          after: null,
          partner: null,
        },
      ],
    });
    const t3 = sortTimeline(applyChanges(t2, d3.changes));
    expect(t3).toStrictEqual(AFTER_UC3);
    expect(activeRole(t3)).toStrictEqual(stored('2018-05-01', '2022-05-31', '12345611'));
  });

  it('UC1 replayed on its own result fails with U3 (Mustermann is no longer the active role)', () => {
    expect(run(uc1, AFTER_UC1)).toStrictEqual({
      status: 'FAIL',
      messages: [],
      roleMessages: [roleEcho(shown('S-COR', '2018-05-01', '2022-05-31', '12345611'), 'U3')],
      partnerMessages: [],
      changes: [],
    });
  });

  it('UC2 without UC1 before it fails with U1', () => {
    expect(run(uc2, START)).toStrictEqual({
      status: 'FAIL',
      messages: [],
      roleMessages: [roleEcho(shown('S-COR', '2022-06-01', '2023-07-31', '12345612'), 'U1')],
      partnerMessages: [],
      changes: [],
    });
  });

  it('UC3 directly after UC1 (without UC2) still deletes Musterfrau (X.to is ignored)', () => {
    const decision = run(uc3, AFTER_UC1);
    expect(decision.status).toBe('SUCCESS');
    expect(sortTimeline(applyChanges(AFTER_UC1, decision.changes))).toStrictEqual(AFTER_UC3);
  });

  it('UC3 replayed on its own result fails with X1', () => {
    expect(run(uc3, AFTER_UC3)).toStrictEqual({
      status: 'FAIL',
      messages: [],
      roleMessages: [roleEcho(shown('S-COR', '2022-06-01', '2023-07-31', '12345612'), 'X1')],
      partnerMessages: [],
      changes: [],
    });
  });

  it('UC2 replayed after UC3 fails with U1 (Musterfrau is gone)', () => {
    expect(run(uc2, AFTER_UC3).roleMessages).toStrictEqual([
      roleEcho(shown('S-COR', '2022-06-01', '2023-07-31', '12345612'), 'U1'),
    ]);
  });

  it('UC1 on a unit without contract for S-COR fails with R10 on both roles and applies nothing', () => {
    const decision = processDelivery(input(uc1, BU, RU), state(START, []));
    expect(decision.status).toBe('FAIL');
    expect(decision.changes).toStrictEqual([]);
    expect(decision.roleMessages).toHaveLength(2);
    expect(decision.roleMessages).toEqual(
      expect.arrayContaining([
        roleEcho(shown('S-COR', '2018-05-01', '2022-05-31', '12345611'), 'R10'),
        roleEcho(shown('S-COR', '2022-06-01', '2022-12-31', '12345612'), 'R10'),
      ]),
    );
  });
});
