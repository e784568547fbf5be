import { describe, expect, it } from 'vitest';
import { VENDOR } from '../../src/domain/messages.js';
import {
  activeRole,
  type ChangeOutcome,
  deleteRole,
  insertRole,
  type RoleRequest,
  type Timeline,
  updateRole,
} from '../../src/domain/timeline.js';
import { stored, TEXT } from './fixtures.js';

const req = (from: string, to: string | null, pmnumber: string, role = 'S-COR'): RoleRequest => ({
  role,
  from,
  to,
  pmnumber,
});

/** The literal text a rejected outcome stands for (so the catalogue is checked against the spec). */
function rejection(outcome: ChangeOutcome): string {
  if (outcome.ok) throw new Error(`expected a rejection, got ${JSON.stringify(outcome)}`);
  return VENDOR[outcome.message];
}

function success(outcome: ChangeOutcome) {
  if (!outcome.ok) throw new Error(`expected success, got ${outcome.message}`);
  return outcome;
}

// Mustermann ended 2022-05-31, Musterfrau active from 2022-06-01 to 2022-12-31.
const M = stored('2018-05-01', '2022-05-31', '12345611');
const F = stored('2022-06-01', '2022-12-31', '12345612');
const ENDED: Timeline = [M, F];
const M_OPEN = stored('2018-05-01', null, '12345611');

describe('activeRole', () => {
  it('is undefined for an empty timeline', () => {
    expect(activeRole([])).toBeUndefined();
  });
  it('is the role with the latest from', () => {
    expect(activeRole(ENDED)).toStrictEqual(F);
    expect(activeRole([M_OPEN])).toStrictEqual(M_OPEN);
  });
  it('is the role with the latest from even when it has already ended (gap / vacancy after it)', () => {
    const ended = stored('2020-01-01', '2020-12-31', '1');
    expect(activeRole([stored('2019-01-01', '2019-06-30', '2'), ended])).toStrictEqual(ended);
  });
});

describe('insertRole (spec 5.3, INSERT)', () => {
  it('inserts into an empty timeline: N becomes the active role', () => {
    const outcome = success(insertRole([], req('2022-06-01', '2022-12-31', '12345612')));
    expect(outcome).toStrictEqual({
      ok: true,
      timeline: [stored('2022-06-01', '2022-12-31', '12345612')],
      before: null,
      after: stored('2022-06-01', '2022-12-31', '12345612'),
    });
    expect(activeRole(outcome.timeline)).toStrictEqual(stored('2022-06-01', '2022-12-31', '12345612'));
  });

  it('inserts an open-ended role into an empty timeline', () => {
    const outcome = success(insertRole([], req('2022-06-01', null, '1')));
    expect(outcome.after).toStrictEqual(stored('2022-06-01', null, '1'));
  });

  it('inserts after an ended active role: N becomes active', () => {
    const outcome = success(insertRole(ENDED, req('2023-01-01', null, '3')));
    expect(outcome.timeline).toStrictEqual([M, F, stored('2023-01-01', null, '3')]);
    expect(outcome.before).toBeNull();
    expect(outcome.after).toStrictEqual(stored('2023-01-01', null, '3'));
    expect(activeRole(outcome.timeline)).toStrictEqual(stored('2023-01-01', null, '3'));
  });

  it('inserts after a gap (vacancy allowed)', () => {
    const outcome = success(insertRole(ENDED, req('2024-03-01', '2024-12-31', '3')));
    expect(outcome.timeline).toStrictEqual([M, F, stored('2024-03-01', '2024-12-31', '3')]);
  });

  it('does not modify the timeline it was given', () => {
    const timeline: Timeline = [M, F];
    const copy = structuredClone(timeline);
    insertRole(timeline, req('2023-01-01', null, '3'));
    expect(timeline).toStrictEqual(copy);
  });

  it('I1: N.from before active.from', () => {
    expect(rejection(insertRole(ENDED, req('2022-05-31', '2022-05-31', '3')))).toBe(TEXT.I1);
    expect(rejection(insertRole(ENDED, req('2017-01-01', '2017-12-31', '3')))).toBe(TEXT.I1);
  });

  it('I1 is decided before I2 (active open-ended, N earlier)', () => {
    expect(rejection(insertRole([M_OPEN], req('2018-04-30', '2018-04-30', '3')))).toBe(TEXT.I1);
  });

  it('I2: active role open-ended', () => {
    expect(rejection(insertRole([M_OPEN], req('2022-06-01', '2022-12-31', '12345612')))).toBe(TEXT.I2);
  });

  it('I2 is decided before I3 (active open-ended, N.from = active.from)', () => {
    expect(rejection(insertRole([M_OPEN], req('2018-05-01', null, '3')))).toBe(TEXT.I2);
  });

  it('I3: N.from <= active.to (equal, inside)', () => {
    expect(rejection(insertRole(ENDED, req('2022-12-31', null, '3')))).toBe(TEXT.I3);
    expect(rejection(insertRole(ENDED, req('2022-07-01', null, '3')))).toBe(TEXT.I3);
    expect(rejection(insertRole(ENDED, req('2022-06-01', '2022-06-30', '3')))).toBe(TEXT.I3);
  });

  it('I3 boundary: the day after active.to is accepted', () => {
    expect(insertRole(ENDED, req('2023-01-01', null, '3')).ok).toBe(true);
  });
});

describe('updateRole (spec 5.3, UPDATE)', () => {
  it('updates the active role: to := U.to', () => {
    const outcome = success(updateRole([M_OPEN], req('2018-05-01', '2022-05-31', '12345611')));
    expect(outcome).toStrictEqual({
      ok: true,
      timeline: [M],
      before: M_OPEN,
      after: M,
    });
  });

  it('open-ends the active role when U.to is null (missing / 9999-12-31 after normalisation)', () => {
    const outcome = success(updateRole(ENDED, req('2022-06-01', null, '12345612')));
    expect(outcome.timeline).toStrictEqual([M, stored('2022-06-01', null, '12345612')]);
    expect(outcome.before).toStrictEqual(F);
    expect(outcome.after).toStrictEqual(stored('2022-06-01', null, '12345612'));
  });

  it('does not modify the timeline it was given', () => {
    const timeline: Timeline = [M_OPEN];
    updateRole(timeline, req('2018-05-01', '2022-05-31', '12345611'));
    expect(timeline).toStrictEqual([stored('2018-05-01', null, '12345611')]);
  });

  it('U3: the matching role is not the active one', () => {
    expect(rejection(updateRole(ENDED, req('2018-05-01', '2022-04-30', '12345611')))).toBe(TEXT.U3);
  });

  it('U3 wins over U2 when a predecessor matches and the active role has the same pmnumber', () => {
    const timeline: Timeline = [stored('2018-01-01', '2018-12-31', '1'), stored('2019-01-01', null, '1')];
    expect(rejection(updateRole(timeline, req('2018-01-01', '2018-06-30', '1')))).toBe(TEXT.U3);
  });

  it('U2: no match, active role has the pmnumber with another from', () => {
    expect(rejection(updateRole(ENDED, req('2022-06-02', '2023-07-31', '12345612')))).toBe(TEXT.U2);
    expect(rejection(updateRole([M_OPEN], req('2018-05-02', '2022-05-31', '12345611')))).toBe(TEXT.U2);
  });

  it('U1: the unit has no role at all', () => {
    expect(rejection(updateRole([], req('2018-05-01', '2022-05-31', '12345611')))).toBe(TEXT.U1);
  });

  it('U1: no match and the active role has another pmnumber', () => {
    expect(rejection(updateRole(ENDED, req('2022-06-01', '2023-07-31', '999')))).toBe(TEXT.U1);
    // predecessor's pmnumber with a wrong from: not the active one's pmnumber -> U1
    expect(rejection(updateRole(ENDED, req('2018-05-02', '2022-05-31', '12345611')))).toBe(TEXT.U1);
  });
});

describe('deleteRole (spec 5.3, DELETE)', () => {
  it('deletes the active role: its predecessor becomes active again', () => {
    const outcome = success(deleteRole(ENDED, req('2022-06-01', '2022-12-31', '12345612')));
    expect(outcome).toStrictEqual({ ok: true, timeline: [M], before: F, after: null });
    expect(activeRole(outcome.timeline)).toStrictEqual(M);
  });

  it('ignores X.to', () => {
    const outcome = success(deleteRole(ENDED, req('2022-06-01', '2000-01-01', '12345612')));
    expect(outcome.timeline).toStrictEqual([M]);
    expect(success(deleteRole(ENDED, req('2022-06-01', null, '12345612'))).timeline).toStrictEqual([M]);
  });

  it('deletes the only role: the timeline becomes empty', () => {
    const outcome = success(deleteRole([M_OPEN], req('2018-05-01', null, '12345611')));
    expect(outcome).toStrictEqual({ ok: true, timeline: [], before: M_OPEN, after: null });
  });

  it('does not modify the timeline it was given', () => {
    const timeline: Timeline = [M, F];
    deleteRole(timeline, req('2022-06-01', null, '12345612'));
    expect(timeline).toStrictEqual([M, F]);
  });

  it('X3: the matching role is not the active one', () => {
    expect(rejection(deleteRole(ENDED, req('2018-05-01', '2022-05-31', '12345611')))).toBe(TEXT.X3);
  });

  it('X3 wins over X2 when a predecessor matches and the active role has the same pmnumber', () => {
    const timeline: Timeline = [stored('2018-01-01', '2018-12-31', '1'), stored('2019-01-01', null, '1')];
    expect(rejection(deleteRole(timeline, req('2018-01-01', null, '1')))).toBe(TEXT.X3);
  });

  it('X2: no match, active role has the pmnumber with another from', () => {
    expect(rejection(deleteRole(ENDED, req('2022-06-02', '2022-12-31', '12345612')))).toBe(TEXT.X2);
  });

  it('X1: no match otherwise', () => {
    expect(rejection(deleteRole([], req('2022-06-01', null, '12345612')))).toBe(TEXT.X1);
    expect(rejection(deleteRole(ENDED, req('2022-06-01', null, '999')))).toBe(TEXT.X1);
    expect(rejection(deleteRole(ENDED, req('2018-05-02', null, '12345611')))).toBe(TEXT.X1);
  });
});
