import { describe, expect, it } from 'vitest';
import type { AppliedChange } from '../../src/domain/process-delivery.js';
import { applyChanges, diffRoles } from '../../src/domain/role-diff.js';
import type { TimelineRole } from '../../src/domain/timeline.js';

const role = (from: string, to: string | null, pmnumber: string): TimelineRole => ({
  role: 'S-COR',
  from,
  to,
  pmnumber,
});
const change = (
  kind: AppliedChange['change'],
  before: TimelineRole | null,
  after: TimelineRole | null,
): AppliedChange => ({
  roleIndex: 0,
  change: kind,
  before,
  after,
  partner: null,
});

describe('net role changes of a delivery (one-statement writes)', () => {
  const mustermann = role('2018-05-01', null, 'P1');

  it('use case 1: the active role is ended (update) and a new one inserted', () => {
    const ended = role('2018-05-01', '2022-05-31', 'P1');
    const musterfrau = role('2022-06-01', '2022-12-31', 'P2');
    const changes = [change('UPDATE', mustermann, ended), change('INSERT', null, musterfrau)];
    expect(diffRoles([mustermann], changes)).toEqual({ deleted: [], inserted: [musterfrau], updated: [ended] });
    expect(applyChanges([mustermann], changes)).toEqual([ended, musterfrau]);
  });

  it('insert then delete of the same role in one delivery leaves nothing to write', () => {
    const added = role('2023-01-01', null, 'P2');
    const ended = role('2018-05-01', '2022-12-31', 'P1');
    const changes = [change('UPDATE', mustermann, ended), change('INSERT', null, added), change('DELETE', added, null)];
    expect(diffRoles([mustermann], changes)).toEqual({ deleted: [], inserted: [], updated: [ended] });
  });

  it('delete and insert again with the same type and from is an update (new partner)', () => {
    const other = role('2018-05-01', null, 'P9');
    expect(diffRoles([mustermann], [change('DELETE', mustermann, null), change('INSERT', null, other)])).toEqual({
      deleted: [],
      inserted: [],
      updated: [other],
    });
  });

  it('insert with the same type and from first, then delete of the old role (8.3): an update', () => {
    const other = role('2018-05-01', null, 'P9');
    const changes = [change('INSERT', null, other), change('DELETE', mustermann, null)];
    expect(applyChanges([mustermann], changes)).toEqual([other]);
    expect(diffRoles([mustermann], changes)).toEqual({ deleted: [], inserted: [], updated: [other] });
  });

  it('insert with the same type and from, then delete of the new role: the old one stays', () => {
    const other = role('2018-05-01', null, 'P9');
    const changes = [change('INSERT', null, other), change('DELETE', other, null)];
    expect(applyChanges([mustermann], changes)).toEqual([mustermann]);
    expect(diffRoles([mustermann], changes)).toEqual({ deleted: [], inserted: [], updated: [] });
  });

  it('a deleted active role', () => {
    expect(diffRoles([mustermann], [change('DELETE', mustermann, null)])).toEqual({
      deleted: [mustermann],
      inserted: [],
      updated: [],
    });
  });
});
