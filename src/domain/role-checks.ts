import { type DeliveryPartner, type DeliveryRole, normaliseTo } from './delivery-schema.js';

/** What the checks of one role look at besides the role itself. */
export interface RoleContext {
  /** The delivered partner the role references (the first with its pmnumber), if delivered. */
  partner: DeliveryPartner | undefined;
  /** The supported roles before this one in the delivery. */
  earlier: readonly DeliveryRole[];
  /** Role types the billing unit has a contract for. */
  contracts: ReadonlySet<string>;
}

export type RoleRule = 'R2' | 'R3' | 'R4' | 'R5' | 'R6' | 'R7' | 'R8' | 'R9' | 'R10';

interface RoleCheck {
  id: RoleRule;
  failed: (role: DeliveryRole, context: RoleContext) => boolean;
}

const storesPartner = (role: DeliveryRole) => role.change === 'INSERT' || role.change === 'UPDATE';
const isBlank = (value: string | null | undefined) => value == null || value.trim() === '';
const isNonCommercial = (partner: DeliveryPartner) => (partner.commercial ?? 'NON_COMMERCIAL') === 'NON_COMMERCIAL';

/** Two periods overlap when each starts on or before the other's end (open end = never ends). */
function overlaps(a: DeliveryRole, b: DeliveryRole): boolean {
  const aTo = normaliseTo(a.to);
  const bTo = normaliseTo(b.to);
  return (aTo === null || (b.from as string) <= aTo) && (bTo === null || (a.from as string) <= bTo);
}

const isDatedInsert = (role: DeliveryRole) => role.change === 'INSERT' && role.from != null;

/**
 * 5.2 R2–R10 for one role of a supported type (R1 decides which types are supported). Every
 * failure is reported, in this order.
 */
const ROLE_CHECKS: readonly RoleCheck[] = [
  { id: 'R2', failed: (role) => role.change == null },
  { id: 'R3', failed: (role) => role.partner == null },
  { id: 'R4', failed: (role) => role.partner != null && role.partner.pmnumber == null },
  { id: 'R5', failed: (role) => role.from == null },
  {
    id: 'R6',
    failed: (role) => {
      const to = normaliseTo(role.to);
      return storesPartner(role) && role.from != null && to !== null && role.from >= to;
    },
  },
  {
    id: 'R7',
    failed: (role, { partner }) => storesPartner(role) && partner !== undefined && isBlank(partner.name),
  },
  {
    id: 'R8',
    failed: (role, { partner }) =>
      storesPartner(role) && partner !== undefined && isNonCommercial(partner) && isBlank(partner.firstname),
  },
  {
    // reported on the later of two overlapping INSERTs of the same type
    id: 'R9',
    failed: (role, { earlier }) =>
      isDatedInsert(role) &&
      earlier.some((other) => isDatedInsert(other) && other.role === role.role && overlaps(other, role)),
  },
  { id: 'R10', failed: (role, { contracts }) => !contracts.has(role.role) },
];

/** The rules of R2–R10 that this role breaks, in rule order. */
export function failedRoleChecks(role: DeliveryRole, context: RoleContext): RoleRule[] {
  return ROLE_CHECKS.filter((check) => check.failed(role, context)).map((check) => check.id);
}
