import { describe, expect, it } from 'vitest';
import {
  activeRole,
  deleteRole,
  insertRole,
  type RoleRequest,
  sortTimeline,
  type Timeline,
  updateRole,
} from '../../src/domain/timeline.js';
import { stored } from './fixtures.js';

/**
 * The timeline functions' own contract: what a change returns and that it leaves its input alone.
 * Which change each rule of 5.3 rejects or applies is the table in timeline-rules.test.ts.
 */

const req = (from: string, to: string | null, pmnumber: string, role = 'S-COR'): RoleRequest => ({
  role,
  from,
  to,
  pmnumber,
});

// Mustermann ended 2022-05-31, Musterfrau active from 2022-06-01 to 2022-12-31.
const M = stored('2018-05-01', '2022-05-31', '12345611');
const F = stored('2022-06-01', '2022-12-31', '12345612');
const ENDED: Timeline = [M, F];
const M_OPEN = stored('2018-05-01', null, '12345611');

describe('sortTimeline and activeRole', () => {
  it('sorts by from without changing the list it was given', () => {
    const unsorted = [F, stored('2023-01-01', null, '3'), M];
    expect(sortTimeline(unsorted)).toStrictEqual([M, F, stored('2023-01-01', null, '3')]);
    expect(unsorted).toStrictEqual([F, stored('2023-01-01', null, '3'), M]);
  });
  it('orders roles with the same from by role type (E2 lists several types)', () => {
    const bir = stored('2022-06-01', null, '1', 'S-BIR');
    expect(sortTimeline([F, bir, M])).toStrictEqual([M, bir, F]);
  });
  it('the active role is undefined for an empty timeline', () => {
    expect(activeRole([])).toBeUndefined();
  });
  it('the active role is the one with the latest from', () => {
    expect(activeRole(ENDED)).toStrictEqual(F);
    expect(activeRole([M_OPEN])).toStrictEqual(M_OPEN);
  });
  it('the active role is the latest also when it has already ended (gap / vacancy after it)', () => {
    const ended = stored('2020-01-01', '2020-12-31', '1');
    expect(activeRole([stored('2019-01-01', '2019-06-30', '2'), ended])).toStrictEqual(ended);
  });
});

describe('what a change returns', () => {
  it('INSERT: the new timeline, no before, the inserted role after', () => {
    const inserted = stored('2023-01-01', null, '3');
    expect(insertRole(ENDED, req('2023-01-01', null, '3'))).toStrictEqual({
      ok: true,
      timeline: [M, F, inserted],
      before: null,
      after: inserted,
    });
  });

  it('UPDATE: the active role before and after', () => {
    expect(updateRole([M_OPEN], req('2018-05-01', '2022-05-31', '12345611'))).toStrictEqual({
      ok: true,
      timeline: [M],
      before: M_OPEN,
      after: M,
    });
  });

  it('DELETE: the removed role before, nothing after', () => {
    expect(deleteRole(ENDED, req('2022-06-01', '2022-12-31', '12345612'))).toStrictEqual({
      ok: true,
      timeline: [M],
      before: F,
      after: null,
    });
    expect(deleteRole([M_OPEN], req('2018-05-01', null, '12345611'))).toStrictEqual({
      ok: true,
      timeline: [],
      before: M_OPEN,
      after: null,
    });
  });

  it('a rejection names the rule of 5.3 (its message is in the catalogue)', () => {
    expect(insertRole([M_OPEN], req('2022-06-01', null, '3'))).toStrictEqual({ ok: false, rule: 'I2' });
    expect(updateRole([], req('2018-05-01', null, '12345611'))).toStrictEqual({ ok: false, rule: 'U1' });
    expect(deleteRole(ENDED, req('2018-05-01', null, '12345611'))).toStrictEqual({ ok: false, rule: 'X3' });
  });
});

describe('a change does not modify the timeline it was given', () => {
  it.each([
    ['INSERT', () => insertRole, req('2023-01-01', null, '3')],
    ['UPDATE', () => updateRole, req('2022-06-01', '2023-07-31', '12345612')],
    ['DELETE', () => deleteRole, req('2022-06-01', null, '12345612')],
  ] as const)('%s', (_kind, change, request) => {
    const timeline: Timeline = [M, F];
    const copy = structuredClone(timeline);
    expect(change()(timeline, request).ok).toBe(true);
    expect(timeline).toStrictEqual(copy);
  });
});
