import { BILLING_UNIT_FORMAT, RESIDENTIAL_UNIT_FORMAT } from './delivery-schema.js';
import { type KeyedMessage, keyedMessage } from './messages.js';

interface UnitPath {
  billingUnit: string;
  residentialUnit: string;
}

/**
 * D1, D2 (spec 5.1, and E2's 400 of section 6): the formats of `{bu}` and `{ru}` in the URL, in
 * the order the spec checks them. E1's worker and E2 share this one check.
 */
const UNIT_PATH_CHECKS = [
  { id: 'D1', failed: (path: UnitPath) => !BILLING_UNIT_FORMAT.test(path.billingUnit) },
  { id: 'D2', failed: (path: UnitPath) => !RESIDENTIAL_UNIT_FORMAT.test(path.residentialUnit) },
] as const;

/** Every D1/D2 message the path numbers earn, in rule order (empty: both well-formed). */
export function unitPathFormatMessages(
  billingUnit: string,
  residentialUnit: string,
  vendorKey: string,
): KeyedMessage[] {
  const path = { billingUnit, residentialUnit };
  return UNIT_PATH_CHECKS.filter((check) => check.failed(path)).map((check) => keyedMessage(check.id, vendorKey));
}
