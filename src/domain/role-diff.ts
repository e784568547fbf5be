import type { AppliedChange } from './process-delivery.js';
import type { Timeline, TimelineRole } from './timeline.js';

/**
 * The net effect of a delivery's changes on the stored roles, so that it can be written in one
 * statement: roles to delete, to insert and to update, keyed by type and `from` (unique among
 * a unit's roles). A role removed and added again with the same key is an update.
 */
export interface RoleDiff {
  deleted: TimelineRole[];
  inserted: TimelineRole[];
  updated: TimelineRole[];
}

const keyOf = (role: TimelineRole) => `${role.role}\u0000${role.from}`;

const sameRole = (a: TimelineRole, b: TimelineRole) =>
  a.role === b.role && a.from === b.from && a.to === b.to && a.pmnumber === b.pmnumber;

/**
 * The roles after the changes, applied in order. Billing-recipient rules (8.3) may hold two roles
 * with one key for a moment (an INSERT with the `from` of a role that a later DELETE removes), so
 * each key holds a list and a change removes exactly its `before`; a delivery that ends with two
 * roles of one key fails 8.4 (they overlap), so a SUCCESS leaves at most one per key.
 */
export function applyChanges(initial: Timeline, changes: readonly AppliedChange[]): TimelineRole[] {
  const roles = new Map<string, TimelineRole[]>();
  const add = (role: TimelineRole) => roles.set(keyOf(role), [...(roles.get(keyOf(role)) ?? []), role]);
  for (const role of initial) add(role);
  for (const { before, after } of changes) {
    if (before) {
      const list = roles.get(keyOf(before)) ?? [];
      const at = list.findIndex((role) => sameRole(role, before));
      if (at >= 0) roles.set(keyOf(before), list.toSpliced(at, 1));
    }
    if (after) add(after);
  }
  return [...roles.values()].flat();
}

export function diffRoles(initial: Timeline, changes: readonly AppliedChange[]): RoleDiff {
  const before = new Map(initial.map((role) => [keyOf(role), role]));
  const after = new Map(applyChanges(initial, changes).map((role) => [keyOf(role), role]));
  const diff: RoleDiff = { deleted: [], inserted: [], updated: [] };
  for (const [key, role] of before) if (!after.has(key)) diff.deleted.push(role);
  for (const [key, role] of after) {
    const old = before.get(key);
    if (!old) diff.inserted.push(role);
    else if (old.to !== role.to || old.pmnumber !== role.pmnumber) diff.updated.push(role);
  }
  return diff;
}
