/**
 * The role types the contract knows: `S-COR` (sections 1–7) and the billing recipients `S-BIR`
 * and `S-BVA` (section 8). Which of them a server processes is its profile's choice (R1); a
 * billing unit can have a contract (R10) only for one of these.
 */
export const KNOWN_ROLE_TYPES = ['S-COR', 'S-BIR', 'S-BVA'] as const;

export type KnownRoleType = (typeof KNOWN_ROLE_TYPES)[number];

export function isKnownRoleType(value: string): value is KnownRoleType {
  return (KNOWN_ROLE_TYPES as readonly string[]).includes(value);
}

/** The billing-recipient role types (spec section 8): OSR-1004 wants their `from`. */
export const BILLING_RECIPIENT_ROLE_TYPES: ReadonlySet<string> = new Set<KnownRoleType>(['S-BIR', 'S-BVA']);
