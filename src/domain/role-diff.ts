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

export function applyChanges(initial: Timeline, changes: readonly AppliedChange[]): TimelineRole[] {
  const roles = new Map(initial.map((role) => [keyOf(role), role]));
  for (const change of changes) {
    if (change.before) roles.delete(keyOf(change.before));
    if (change.after) roles.set(keyOf(change.after), change.after);
  }
  return [...roles.values()];
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
