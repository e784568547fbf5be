import { type ExpressionBuilder, type Kysely, sql, type Transaction } from 'kysely';
import type { Principal } from '../../auth/authenticator.js';
import type { DeliveryPartner } from '../../domain/delivery-schema.js';
import type { UnitState } from '../../domain/process-delivery.js';
import type { StoredPartner } from '../../domain/response-schema.js';
import type { TimelineRole } from '../../domain/timeline.js';
import type { Database } from '../schema.js';
import { type Checked, checked, credentialArguments } from './credentials.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface LoadedUnit {
  state: UnitState;
  /** Database id of the residential unit, when it is known and belongs to the client. */
  residentialUnitId: string | null;
}

/** The state a delivery is checked against (D5, D6, R10 and the current S-COR timeline). */
export async function loadUnitState(
  db: Db,
  { clientId, billingUnit, residentialUnit }: { clientId: string; billingUnit: string; residentialUnit: string },
): Promise<LoadedUnit> {
  const row = await db
    .selectFrom('billing_units as bu')
    .leftJoin('residential_units as ru', (join) =>
      join.onRef('ru.billing_unit', '=', 'bu.mscnumber').on('ru.mscnumber', '=', residentialUnit),
    )
    .select(['bu.contracts', 'ru.id as residentialUnitId'])
    .where('bu.mscnumber', '=', billingUnit)
    .where('bu.client_id', '=', clientId)
    .executeTakeFirst();
  if (!row) return { state: { billingUnit: null, residentialUnit: null }, residentialUnitId: null };
  if (row.residentialUnitId === null) {
    return { state: { billingUnit: { contracts: row.contracts }, residentialUnit: null }, residentialUnitId: null };
  }
  const roles = await loadRoles(db, row.residentialUnitId);
  return {
    state: { billingUnit: { contracts: row.contracts }, residentialUnit: { roles } },
    residentialUnitId: row.residentialUnitId,
  };
}

async function loadRoles(db: Db, residentialUnitId: string): Promise<TimelineRole[]> {
  const rows = await db
    .selectFrom('roles')
    .select(['role', 'from_date', 'to_date', 'partner_pmnumber'])
    .where('residential_unit', '=', residentialUnitId)
    .orderBy('role')
    .orderBy('from_date')
    .execute();
  return rows.map((r) => ({ role: r.role, from: r.from_date, to: r.to_date, pmnumber: r.partner_pmnumber }));
}

export async function insertRole(trx: Transaction<Database>, residentialUnitId: string, role: TimelineRole) {
  await trx
    .insertInto('roles')
    .values({
      residential_unit: residentialUnitId,
      role: role.role,
      from_date: role.from,
      to_date: role.to,
      partner_pmnumber: role.pmnumber,
    })
    .execute();
}

/** A stored role is identified by its unit, type, `from` and partner pmnumber. */
const sameRole = (residentialUnitId: string, role: TimelineRole) => (eb: ExpressionBuilder<Database, 'roles'>) =>
  eb.and([
    eb('residential_unit', '=', residentialUnitId),
    eb('role', '=', role.role),
    eb('from_date', '=', role.from),
    eb('partner_pmnumber', '=', role.pmnumber),
  ]);

export async function updateRoleEnd(trx: Transaction<Database>, residentialUnitId: string, role: TimelineRole) {
  const result = await trx
    .updateTable('roles')
    .set({ to_date: role.to })
    .where(sameRole(residentialUnitId, role))
    .executeTakeFirst();
  if (result.numUpdatedRows !== 1n) throw new Error('role to update vanished');
}

export async function deleteRole(trx: Transaction<Database>, residentialUnitId: string, role: TimelineRole) {
  const result = await trx.deleteFrom('roles').where(sameRole(residentialUnitId, role)).executeTakeFirst();
  if (result.numDeletedRows !== 1n) throw new Error('role to delete vanished');
}

export type PartnerRow = Omit<StoredPartner, 'reference'> & { pmnumber: string };

export function toPartnerRow(pmnumber: string, partner: DeliveryPartner): PartnerRow {
  return {
    pmnumber,
    name: partner.name ?? null,
    firstname: partner.firstname ?? null,
    additionalname: partner.additionalname ?? null,
    commercial: partner.commercial ?? 'NON_COMMERCIAL',
    email: partner.email ?? null,
    taxnumber: partner.taxnumber ?? null,
    phonenumbers: partner.phonenumbers ?? [],
  };
}

/** Stores the delivered partner data; returns what was stored before (null if new). */
export async function upsertPartner(
  trx: Transaction<Database>,
  residentialUnitId: string,
  partner: PartnerRow,
): Promise<PartnerRow | null> {
  const before = await trx
    .selectFrom('partners')
    .select(['pmnumber', 'name', 'firstname', 'additionalname', 'commercial', 'email', 'taxnumber', 'phonenumbers'])
    .where('residential_unit', '=', residentialUnitId)
    .where('pmnumber', '=', partner.pmnumber)
    .forUpdate()
    .executeTakeFirst();
  const values = { ...partner, phonenumbers: JSON.stringify(partner.phonenumbers) };
  await trx
    .insertInto('partners')
    .values({ residential_unit: residentialUnitId, ...values })
    .onConflict((oc) => oc.columns(['residential_unit', 'pmnumber']).doUpdateSet(values))
    .execute();
  return before ? (before as PartnerRow) : null;
}

export async function appendHistory(
  trx: Transaction<Database>,
  entry: {
    residentialUnitId: string;
    deliveryId: string;
    credential: string;
    entity: 'role' | 'partner';
    change: string;
    before: unknown;
    after: unknown;
  },
) {
  await trx
    .insertInto('change_history')
    .values({
      residential_unit: entry.residentialUnitId,
      delivery_id: entry.deliveryId,
      credential: entry.credential,
      entity: entry.entity,
      change: entry.change,
      before: entry.before == null ? null : JSON.stringify(entry.before),
      after: entry.after == null ? null : JSON.stringify(entry.after),
    })
    .execute();
}

export async function storeUnitReferences(
  trx: Transaction<Database>,
  {
    billingUnit,
    residentialUnitId,
    billingUnitPmnumber,
    residentialUnitPmnumber,
  }: {
    billingUnit: string;
    residentialUnitId: string;
    billingUnitPmnumber: string | null | undefined;
    residentialUnitPmnumber: string | null | undefined;
  },
) {
  if (billingUnitPmnumber != null) {
    await trx
      .updateTable('billing_units')
      .set({ pmnumber: billingUnitPmnumber })
      .where('mscnumber', '=', billingUnit)
      .execute();
  }
  if (residentialUnitPmnumber != null) {
    await trx
      .updateTable('residential_units')
      .set({ pmnumber: residentialUnitPmnumber })
      .where('id', '=', residentialUnitId)
      .execute();
  }
}

export type CurrentRolesLookup =
  | { found: false }
  | {
      found: true;
      billingUnitPmnumber: string | null;
      residentialUnitPmnumber: string | null;
      /** The compact JSON text of E2's `roles` and `partners` members; null without roles. */
      rolesDocument: string | null;
    };

/** E2: the unit's references and its ready document (migrations/0006). */
export async function loadCurrentRoles(
  db: Db,
  principal: Principal,
  { billingUnit, residentialUnit }: { billingUnit: string; residentialUnit: string },
): Promise<Checked<CurrentRolesLookup>> {
  const result = await sql<{
    credential_ok: boolean;
    found: boolean;
    bu_pmnumber: string | null;
    ru_pmnumber: string | null;
    roles_document: string | null;
  }>`
    SELECT credential_ok, found, bu_pmnumber, ru_pmnumber, roles_document
    FROM osr_current_roles(${credentialArguments(principal)}, ${billingUnit}, ${residentialUnit})
  `.execute(db);
  const row = result.rows[0];
  return checked(row?.credential_ok === true, (): CurrentRolesLookup => {
    if (!row?.found) return { found: false };
    return {
      found: true,
      billingUnitPmnumber: row.bu_pmnumber,
      residentialUnitPmnumber: row.ru_pmnumber,
      rolesDocument: row.roles_document,
    };
  });
}

/** Rebuilds the unit's E2 document after its roles or partners changed (same transaction). */
export async function refreshUnitDocument(trx: Transaction<Database>, residentialUnitId: string): Promise<void> {
  await sql`SELECT osr_refresh_unit_document(${residentialUnitId}::bigint)`.execute(trx);
}
