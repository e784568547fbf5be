import type { Kysely } from 'kysely';
import type { Principal } from '../../auth/authenticator.js';
import { callFunction } from '../functions.js';
import type { Database } from '../schema.js';
import { type Checked, checked, credentialArguments } from './credentials.js';

export interface UnitLookup {
  /** The billing unit found by its number, whoever's it is; undefined when unknown. */
  billingUnit: { clientId: string; pmnumber: string | null } | undefined;
  /** The residential unit found in it; undefined when unknown there. */
  residentialUnit: { pmnumber: string | null; rolesDocument: string | null } | undefined;
}

/** E2's read: the units named by the path and the unit's stored document (one statement). */
export async function lookUpUnit(
  db: Kysely<Database>,
  principal: Principal,
  { billingUnit, residentialUnit }: { billingUnit: string; residentialUnit: string },
): Promise<Checked<UnitLookup>> {
  const [row] = await callFunction(db, 'osr_current_roles', {
    ...credentialArguments(principal),
    p_billing_unit: billingUnit,
    p_residential_unit: residentialUnit,
  });
  return checked(row?.credential_ok === true, () => ({
    billingUnit:
      row?.billing_unit_client == null
        ? undefined
        : { clientId: row.billing_unit_client, pmnumber: row.billing_unit_pmnumber },
    residentialUnit: row?.residential_unit_found
      ? { pmnumber: row.residential_unit_pmnumber, rolesDocument: row.roles_document }
      : undefined,
  }));
}
