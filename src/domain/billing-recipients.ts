import type { ChangeKind, RoleRequest, Timeline, TimelineRole } from './timeline.js';
import { timelineOrder } from './timeline.js';

/**
 * The billing-recipient rules of spec section 8 (arge profile), next to the S-COR rules of
 * timeline.ts and in the same form. The billing-recipient timeline is every S-BIR and S-BVA role
 * of one residential unit together; dates are ISO `YYYY-MM-DD` strings (string order is date
 * order), `to` null = open. Rule ids (8.3 table rows, then the 8.4 table):
 *
 *   BR-I1  INSERT N: N.from ≤ closed-until                                   → OSR-2005
 *   BR-U1  UPDATE U: no role of U's type matches (type, from, pmnumber)       → OSR-2007
 *   BR-U2  UPDATE U: `to` changes and a+1 ≤ closed-until (a = earlier to)    → OSR-2005
 *   BR-X1  DELETE X: no role of X's type matches                             → vendor key
 *   BR-X2  DELETE X: target.from ≤ closed-until                              → OSR-2005
 *   BR-X3  DELETE X: the target is the unit's only billing-recipient role    → vendor key
 *   BR-T1  8.4: two periods share at least one day                          → OSR-2003
 *   BR-T2  8.4: a period starts more than one day after all earlier ones end → OSR-2004
 *
 * The rows "otherwise" of 8.3 apply the change. Closed-until never restricts S-COR (8.2).
 */

export type BillingRecipientRule = 'BR-I1' | 'BR-U1' | 'BR-U2' | 'BR-X1' | 'BR-X2' | 'BR-X3';
export type BillingRecipientTimelineRule = 'BR-T1' | 'BR-T2';

export type BillingRecipientOutcome =
  | { ok: true; timeline: Timeline; before: TimelineRole | null; after: TimelineRole | null }
  | { ok: false; rule: BillingRecipientRule };

/** What the rules of a change look at. */
interface Situation {
  request: RoleRequest;
  /** The billing-recipient timeline (both types) as the earlier changes left it. */
  timeline: Timeline;
  /** The role the request names (same type, `from` and pmnumber), if there is one. */
  match: TimelineRole | undefined;
  /** The billing unit's closed-until date; null: nothing closed yet. */
  closedUntil: string | null;
}

interface BillingRecipientCheck {
  id: BillingRecipientRule;
  failed: (situation: Situation) => boolean;
}

/** On or before closed-until: the day is closed. */
const isClosed = (day: string, closedUntil: string | null) => closedUntil !== null && day <= closedUntil;

/**
 * 8.3 "before closed-until" for UPDATE: the changed days are a+1 … b (a the earlier, b the later
 * of old and new `to`, open latest); refused when a+1 ≤ closed-until, i.e. a < closed-until for
 * whole days. An unchanged `to` changes no day.
 */
function changesClosedDays(oldTo: string | null, newTo: string | null, closedUntil: string | null): boolean {
  if (oldTo === newTo || closedUntil === null) return false;
  const earlier = oldTo === null ? newTo : newTo === null ? oldTo : oldTo < newTo ? oldTo : newTo;
  return earlier !== null && earlier < closedUntil;
}

const noMatch = ({ match }: Situation) => match === undefined;

/** INSERT (new role N), decided in this order; otherwise N is added. */
const INSERT_CHECKS: readonly BillingRecipientCheck[] = [
  { id: 'BR-I1', failed: ({ request, closedUntil }) => isClosed(request.from, closedUntil) },
];

/** UPDATE (request U), in this order; otherwise target.to := U.to (the partner data is stored too). */
const UPDATE_CHECKS: readonly BillingRecipientCheck[] = [
  { id: 'BR-U1', failed: noMatch },
  {
    id: 'BR-U2',
    failed: ({ match, request, closedUntil }) =>
      match !== undefined && changesClosedDays(match.to, request.to, closedUntil),
  },
];

/** DELETE (request X, `to` ignored), in this order; otherwise the role is removed. */
const DELETE_CHECKS: readonly BillingRecipientCheck[] = [
  { id: 'BR-X1', failed: noMatch },
  { id: 'BR-X2', failed: ({ match, closedUntil }) => match !== undefined && isClosed(match.from, closedUntil) },
  { id: 'BR-X3', failed: ({ timeline }) => timeline.length === 1 },
];

function situationOf(timeline: Timeline, request: RoleRequest, closedUntil: string | null): Situation {
  const match = timeline.find(
    (role) => role.role === request.role && role.from === request.from && role.pmnumber === request.pmnumber,
  );
  return { request, timeline, match, closedUntil };
}

const firstFailed = (checks: readonly BillingRecipientCheck[], situation: Situation) =>
  checks.find((check) => check.failed(situation))?.id;

export function insertBillingRecipient(
  timeline: Timeline,
  request: RoleRequest,
  closedUntil: string | null,
): BillingRecipientOutcome {
  const rule = firstFailed(INSERT_CHECKS, situationOf(timeline, request, closedUntil));
  if (rule) return { ok: false, rule };
  const inserted: TimelineRole = { ...request };
  return { ok: true, timeline: [...timeline, inserted], before: null, after: inserted };
}

export function updateBillingRecipient(
  timeline: Timeline,
  request: RoleRequest,
  closedUntil: string | null,
): BillingRecipientOutcome {
  const situation = situationOf(timeline, request, closedUntil);
  const rule = firstFailed(UPDATE_CHECKS, situation);
  if (rule) return { ok: false, rule };
  const target = situation.match as TimelineRole; // BR-U1 leaves only a match
  const updated: TimelineRole = { ...target, to: request.to };
  return {
    ok: true,
    timeline: timeline.map((role) => (role === target ? updated : role)),
    before: target,
    after: updated,
  };
}

export function deleteBillingRecipient(
  timeline: Timeline,
  request: RoleRequest,
  closedUntil: string | null,
): BillingRecipientOutcome {
  const situation = situationOf(timeline, request, closedUntil);
  const rule = firstFailed(DELETE_CHECKS, situation);
  if (rule) return { ok: false, rule };
  const target = situation.match as TimelineRole; // BR-X1 leaves only a match
  return { ok: true, timeline: timeline.filter((role) => role !== target), before: target, after: null };
}

export const APPLY_BILLING_RECIPIENT: Record<
  ChangeKind,
  (timeline: Timeline, request: RoleRequest, closedUntil: string | null) => BillingRecipientOutcome
> = {
  INSERT: insertBillingRecipient,
  UPDATE: updateBillingRecipient,
  DELETE: deleteBillingRecipient,
};

/** The calendar day after an ISO date. */
function dayAfter(date: string): string {
  const next = new Date(`${date}T00:00:00Z`);
  next.setUTCDate(next.getUTCDate() + 1);
  return next.toISOString().slice(0, 10);
}

/**
 * 8.4: the rules the billing-recipient timeline breaks after applying, each at most once, BR-T1
 * first. Sorted by `from`, a period overlaps an earlier one when it starts on or before the latest
 * `to` of all periods before it (an open one never ends), and leaves a gap when it starts more than
 * one day after that `to`. A closed last period is allowed.
 */
export function billingRecipientTimelineProblems(timeline: Timeline): BillingRecipientTimelineRule[] {
  let overlap = false;
  let gap = false;
  let latestTo: string | null | undefined; // undefined: no period yet; null: open
  for (const role of [...timeline].sort(timelineOrder)) {
    if (latestTo === null || (latestTo !== undefined && role.from <= latestTo)) overlap = true;
    else if (latestTo !== undefined && role.from > dayAfter(latestTo)) gap = true;
    if (latestTo !== null)
      latestTo = role.to === null || latestTo === undefined || role.to > latestTo ? role.to : latestTo;
  }
  const problems: BillingRecipientTimelineRule[] = [];
  if (overlap) problems.push('BR-T1');
  if (gap) problems.push('BR-T2');
  return problems;
}
