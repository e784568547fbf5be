/**
 * Who may act on what (spec sections 2, 5 and 6), as pure rules: the worker and the routes ask
 * these instead of spelling the comparison themselves.
 */

/**
 * D5 and section 2: a client sees and changes only the billing units assigned to it. `unit` is
 * the billing unit found by its number whoever owns it (null or undefined: unknown); unknown and
 * foreign are the same answer.
 */
export function ownsBillingUnit(unit: { clientId: string } | null | undefined, clientId: string): boolean {
  return unit != null && unit.clientId === clientId;
}

/**
 * E3 (sections 5 and 6): a delivery belongs to the client whose credential POSTed it, and it is
 * read under the `{bu}` string that POST used, compared as a string (so a delivery that failed D1
 * can still be read), whether or not that billing unit exists or whom it is assigned to.
 */
export function deliveryVisibleTo(
  delivery: { clientId: string; billingUnit: string },
  caller: { clientId: string; billingUnitPath: string },
): boolean {
  return delivery.clientId === caller.clientId && delivery.billingUnit === caller.billingUnitPath;
}
