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

/** The rules of 5.3 that reject a change; each names its message in the catalogue. */
export type TimelineRule = 'I1' | 'I2' | 'I3' | 'U1' | 'U2' | 'U3' | 'X1' | 'X2' | 'X3';

export type ChangeOutcome =
  | { ok: true; timeline: Timeline; before: TimelineRole | null; after: TimelineRole | null }
  | { ok: false; rule: TimelineRule };

/**
 * The one order of roles: by `from`, then by role type (E2 lists several types; within one type
 * no two roles share a `from`, so a timeline of one type is simply sorted by `from`).
 */
export function timelineOrder(a: TimelineRole, b: TimelineRole): number {
  if (a.from !== b.from) return a.from < b.from ? -1 : 1;
  return a.role < b.role ? -1 : a.role > b.role ? 1 : 0;
}

export const sortTimeline = (roles: readonly TimelineRole[]): TimelineRole[] => [...roles].sort(timelineOrder);

/** The active role of a sorted timeline. */
export const activeRole = (timeline: Timeline): TimelineRole | undefined => timeline.at(-1);

/** What the rules of a change look at. */
interface Situation {
  request: RoleRequest;
  active: TimelineRole | undefined;
  /** The role the request names (same type, `from` and pmnumber), if there is one. */
  match: TimelineRole | undefined;
}

interface TimelineCheck {
  id: TimelineRule;
  failed: (situation: Situation) => boolean;
}

/** INSERT (new role N), decided in this order; otherwise N becomes the active role. */
const INSERT_CHECKS: readonly TimelineCheck[] = [
  { id: 'I1', failed: ({ request, active }) => active !== undefined && request.from < active.from },
  { id: 'I2', failed: ({ active }) => active !== undefined && active.to === null },
  { id: 'I3', failed: ({ request, active }) => active?.to != null && request.from <= active.to },
];

// UPDATE and DELETE apply to the matching role when it is the active one; otherwise the first
// of these conditions, in this order, names the rejection.
const matchIsNotActive = ({ match, active }: Situation) => match !== undefined && match !== active;
const activeHasOtherFrom = ({ match, active, request }: Situation) =>
  match === undefined && active?.pmnumber === request.pmnumber;
const noMatch = ({ match }: Situation) => match === undefined;

/** UPDATE (request U): only the active role can change its `to`. */
const UPDATE_CHECKS: readonly TimelineCheck[] = [
  { id: 'U3', failed: matchIsNotActive },
  { id: 'U2', failed: activeHasOtherFrom },
  { id: 'U1', failed: noMatch },
];

/** DELETE (request X, `to` ignored): only the active role can be removed. */
const DELETE_CHECKS: readonly TimelineCheck[] = [
  { id: 'X3', failed: matchIsNotActive },
  { id: 'X2', failed: activeHasOtherFrom },
  { id: 'X1', failed: noMatch },
];

function situationOf(timeline: Timeline, request: RoleRequest): Situation {
  const match = timeline.find(
    (role) => role.role === request.role && role.from === request.from && role.pmnumber === request.pmnumber,
  );
  return { request, active: activeRole(timeline), match };
}

const firstFailed = (checks: readonly TimelineCheck[], situation: Situation) =>
  checks.find((check) => check.failed(situation))?.id;

export function insertRole(timeline: Timeline, request: RoleRequest): ChangeOutcome {
  const rule = firstFailed(INSERT_CHECKS, situationOf(timeline, request));
  if (rule) return { ok: false, rule };
  const inserted: TimelineRole = { ...request };
  return { ok: true, timeline: [...timeline, inserted], before: null, after: inserted };
}

export function updateRole(timeline: Timeline, request: RoleRequest): ChangeOutcome {
  const situation = situationOf(timeline, request);
  const rule = firstFailed(UPDATE_CHECKS, situation);
  if (rule) return { ok: false, rule };
  const target = situation.match as TimelineRole; // the checks leave only: it is the active role
  const updated: TimelineRole = { ...target, to: request.to };
  return { ok: true, timeline: [...timeline.slice(0, -1), updated], before: target, after: updated };
}

/** Removes the active role: its predecessor becomes active again. */
export function deleteRole(timeline: Timeline, request: RoleRequest): ChangeOutcome {
  const situation = situationOf(timeline, request);
  const rule = firstFailed(DELETE_CHECKS, situation);
  if (rule) return { ok: false, rule };
  const target = situation.match as TimelineRole; // the checks leave only: it is the active role
  return { ok: true, timeline: timeline.slice(0, -1), before: target, after: null };
}

export const APPLY: Record<ChangeKind, (timeline: Timeline, request: RoleRequest) => ChangeOutcome> = {
  INSERT: insertRole,
  UPDATE: updateRole,
  DELETE: deleteRole,
};
