import type { VendorMessage } from './messages.js';

/**
 * The S-COR timeline of one residential unit (spec 5.3): non-overlapping periods [from, to]
 * (`to` inclusive, null = open), gaps allowed, sorted by `from`. The active role is the one with
 * the latest `from`. Dates are ISO `YYYY-MM-DD` strings, so string order is date order.
 */
export interface TimelineRole {
  role: string;
  from: string;
  to: string | null;
  pmnumber: string;
}
export type Timeline = readonly TimelineRole[];

export type ChangeKind = 'INSERT' | 'UPDATE' | 'DELETE';

/** A role as a change names it: type, `from` and partner pmnumber identify it. */
export interface RoleRequest {
  role: string;
  from: string;
  to: string | null;
  pmnumber: string;
}

export type ChangeOutcome =
  | { ok: true; timeline: Timeline; before: TimelineRole | null; after: TimelineRole | null }
  | { ok: false; message: VendorMessage };

const byFrom = (a: TimelineRole, b: TimelineRole) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0);

export const sortTimeline = (roles: readonly TimelineRole[]): Timeline => [...roles].sort(byFrom);

export const activeRole = (timeline: Timeline): TimelineRole | undefined => timeline.at(-1);

const matches = (role: TimelineRole, request: RoleRequest) =>
  role.role === request.role && role.from === request.from && role.pmnumber === request.pmnumber;

const rejected = (message: VendorMessage): ChangeOutcome => ({ ok: false, message });

/** INSERT, decided in the order I1, I2, I3; otherwise N becomes the active role. */
export function insertRole(timeline: Timeline, request: RoleRequest): ChangeOutcome {
  const active = activeRole(timeline);
  if (active) {
    if (request.from < active.from) return rejected('insertBeforeActive');
    if (active.to === null) return rejected('insertActiveOpen');
    if (request.from <= active.to) return rejected('insertOverlapsActive');
  }
  const inserted: TimelineRole = { ...request };
  return { ok: true, timeline: [...timeline, inserted], before: null, after: inserted };
}

/** Which role a change targets, and whether the matching-or-not case is U1/U2/U3 (X1/X2/X3). */
type Target =
  | { kind: 'active'; role: TimelineRole }
  | { kind: 'matchNotActive' }
  | { kind: 'activeWithOtherFrom' }
  | { kind: 'noMatch' };

function findTarget(timeline: Timeline, request: RoleRequest): Target {
  const active = activeRole(timeline);
  const match = timeline.find((role) => matches(role, request));
  if (match) return match === active ? { kind: 'active', role: match } : { kind: 'matchNotActive' };
  if (active && active.pmnumber === request.pmnumber) return { kind: 'activeWithOtherFrom' };
  return { kind: 'noMatch' };
}

/** UPDATE: only the active role can change its `to`. */
export function updateRole(timeline: Timeline, request: RoleRequest): ChangeOutcome {
  const target = findTarget(timeline, request);
  switch (target.kind) {
    case 'active': {
      const updated: TimelineRole = { ...target.role, to: request.to };
      return {
        ok: true,
        timeline: [...timeline.slice(0, -1), updated],
        before: target.role,
        after: updated,
      };
    }
    case 'matchNotActive':
      return rejected('updateNotActive');
    case 'activeWithOtherFrom':
      return rejected('updateFromMismatch');
    case 'noMatch':
      return rejected('updateNoMatch');
  }
}

/** DELETE (`to` ignored): only the active role can be removed; its predecessor becomes active. */
export function deleteRole(timeline: Timeline, request: RoleRequest): ChangeOutcome {
  const target = findTarget(timeline, request);
  switch (target.kind) {
    case 'active':
      return { ok: true, timeline: timeline.slice(0, -1), before: target.role, after: null };
    case 'matchNotActive':
      return rejected('deleteNotActive');
    case 'activeWithOtherFrom':
      return rejected('deleteFromMismatch');
    case 'noMatch':
      return rejected('deleteNoMatch');
  }
}

export const APPLY: Record<ChangeKind, (timeline: Timeline, request: RoleRequest) => ChangeOutcome> = {
  INSERT: insertRole,
  UPDATE: updateRole,
  DELETE: deleteRole,
};
