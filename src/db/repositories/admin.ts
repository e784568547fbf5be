import type { Kysely } from 'kysely';
import { verifyPassword } from '../../auth/password.js';
import type { Database } from '../schema.js';

/** Operator writes. Adding what already exists identically is fine; anything else conflicts. */

export type AddOutcome = 'created' | 'unchanged';

export class ConflictError extends Error {}

export async function addClient(db: Kysely<Database>, id: string, name: string | undefined): Promise<AddOutcome> {
  const inserted = await db
    .insertInto('clients')
    .values({ id, name: name ?? null })
    .onConflict((oc) => oc.column('id').doNothing())
    .returning('id')
    .executeTakeFirst();
  if (inserted) return 'created';
  const existing = await db.selectFrom('clients').select('name').where('id', '=', id).executeTakeFirstOrThrow();
  if (name !== undefined && existing.name !== name) {
    throw new ConflictError(`client ${id} already exists with another name`);
  }
  return 'unchanged';
}

async function requireClient(db: Kysely<Database>, id: string): Promise<void> {
  const client = await db.selectFrom('clients').select('id').where('id', '=', id).executeTakeFirst();
  if (!client) throw new ConflictError(`unknown client ${id} (add it with: osr client add ${id})`);
}

export async function addCredential(
  db: Kysely<Database>,
  credential: { clientId: string; username: string; password: string; passwordHash: string; readOnly: boolean },
): Promise<AddOutcome> {
  await requireClient(db, credential.clientId);
  const inserted = await db
    .insertInto('credentials')
    .values({
      username: credential.username,
      client_id: credential.clientId,
      password_hash: credential.passwordHash,
      read_only: credential.readOnly,
    })
    .onConflict((oc) => oc.column('username').doNothing())
    .returning('username')
    .executeTakeFirst();
  if (inserted) return 'created';
  const existing = await db
    .selectFrom('credentials')
    .select(['client_id', 'read_only', 'password_hash', 'revoked_at'])
    .where('username', '=', credential.username)
    .executeTakeFirstOrThrow();
  const identical =
    existing.client_id === credential.clientId &&
    existing.read_only === credential.readOnly &&
    existing.revoked_at === null &&
    (await verifyPassword(credential.password, existing.password_hash));
  if (!identical) throw new ConflictError(`credential ${credential.username} already exists with other settings`);
  return 'unchanged';
}

const sameSet = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && [...a].sort().every((value, i) => value === [...b].sort()[i]);

export async function addBillingUnit(
  db: Kysely<Database>,
  unit: { mscnumber: string; clientId: string; contracts: string[] },
): Promise<AddOutcome> {
  await requireClient(db, unit.clientId);
  const inserted = await db
    .insertInto('billing_units')
    .values({ mscnumber: unit.mscnumber, client_id: unit.clientId, contracts: unit.contracts })
    .onConflict((oc) => oc.column('mscnumber').doNothing())
    .returning('mscnumber')
    .executeTakeFirst();
  if (inserted) return 'created';
  const existing = await db
    .selectFrom('billing_units')
    .select(['client_id', 'contracts'])
    .where('mscnumber', '=', unit.mscnumber)
    .executeTakeFirstOrThrow();
  if (existing.client_id !== unit.clientId) {
    throw new ConflictError(`billing unit ${unit.mscnumber} already belongs to another client`);
  }
  if (!sameSet(existing.contracts, unit.contracts)) {
    throw new ConflictError(`billing unit ${unit.mscnumber} already exists with other contracts`);
  }
  return 'unchanged';
}

export async function addResidentialUnit(
  db: Kysely<Database>,
  unit: { billingUnit: string; mscnumber: string },
): Promise<AddOutcome> {
  const billingUnit = await db
    .selectFrom('billing_units')
    .select('mscnumber')
    .where('mscnumber', '=', unit.billingUnit)
    .executeTakeFirst();
  if (!billingUnit) throw new ConflictError(`unknown billing unit ${unit.billingUnit}`);
  const inserted = await db
    .insertInto('residential_units')
    .values({ billing_unit: unit.billingUnit, mscnumber: unit.mscnumber })
    .onConflict((oc) => oc.columns(['billing_unit', 'mscnumber']).doNothing())
    .returning('id')
    .executeTakeFirst();
  return inserted ? 'created' : 'unchanged';
}
