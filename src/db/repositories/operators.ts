import { type Kysely, sql } from 'kysely';
import type { CredentialStore, Principal } from '../../auth/authenticator.js';
import { verifyPassword } from '../../auth/password.js';
import { callFunction } from '../functions.js';
import type { Database } from '../schema.js';
import { type AddOutcome, ConflictError } from './admin.js';
import { announceLoginLockout, lockedLoginKeys, recordLoginFailure } from './login-failures.js';
import { readSignIn } from './sign-in.js';

/**
 * Operator accounts (spec 10.1, migrations/0008_operators.sql): the metering company's staff and
 * systems, apart from the clients' credentials (another table; nothing here reads `credentials`,
 * and nothing of the client side reads `operators`). Read by the /msc/v1 scope's authenticator,
 * changed by `osr operator`.
 */

/**
 * The client of an operator's principal: none. The authenticator (src/auth/authenticator.ts) is
 * the clients' one over this store; '' is no client id (`osr client add` refuses it), so an
 * operator principal can never pass a client credential's re-check (osr_credential_current).
 */
export const NO_CLIENT = '';

/** A sign-in's one read (src/db/repositories/sign-in.ts) of an operator: a principal of no client. */
export const findOperatorSignIn = (db: Kysely<Database>, name: string, keys: { username: string; address: string }) =>
  readSignIn(
    db,
    sql`SELECT name AS username, ${NO_CLIENT}::text AS client_id, password_hash, read_only,
               revoked_at IS NOT NULL AS revoked
        FROM operators WHERE name = ${name}`,
    keys,
  );

/** Whether the operator row is still the one the principal was verified against (osr_operator_current). */
export async function operatorIsCurrent(db: Kysely<Database>, principal: Principal): Promise<boolean> {
  const current = await callFunction(db, 'osr_operator_current', {
    p_name: principal.username,
    p_hash: principal.passwordHash,
    p_read_only: principal.readOnly,
  });
  return current === true;
}

/** The operators and the shared failed sign-ins, for the /msc/v1 scope's authenticator. */
export const operatorStore = (db: Kysely<Database>): CredentialStore => ({
  find: (name, keys) => findOperatorSignIn(db, name, keys),
  isCurrent: (principal) => operatorIsCurrent(db, principal),
  recordFailure: (keys) => recordLoginFailure(db, keys),
  lockedKeys: () => lockedLoginKeys(db),
  announceLockout: () => announceLoginLockout(db),
});

export interface NewOperator {
  name: string;
  password: string;
  passwordHash: string;
  readOnly: boolean;
}

/**
 * Adds an operator. The same one again (same access, active, same password) is fine; anything
 * else conflicts, as for `osr credential add`.
 */
export async function addOperator(db: Kysely<Database>, operator: NewOperator): Promise<AddOutcome> {
  const inserted = await db
    .insertInto('operators')
    .values({ name: operator.name, password_hash: operator.passwordHash, read_only: operator.readOnly })
    .onConflict((oc) => oc.column('name').doNothing())
    .returning('name')
    .executeTakeFirst();
  if (inserted) return 'created';
  const existing = await db
    .selectFrom('operators')
    .select(['read_only', 'password_hash', 'revoked_at'])
    .where('name', '=', operator.name)
    .executeTakeFirstOrThrow();
  const identical =
    existing.read_only === operator.readOnly &&
    existing.revoked_at === null &&
    (await verifyPassword(operator.password, existing.password_hash));
  if (!identical) throw new ConflictError(`operator ${operator.name} already exists with other settings`);
  return 'unchanged';
}

export async function listOperators(db: Kysely<Database>) {
  return db
    .selectFrom('operators')
    .select(['name', 'read_only', 'revoked_at', 'created_at', 'rotated_at'])
    .orderBy('name')
    .execute();
}

/** Whether an operator is active or revoked; an unknown one is a conflict. */
export async function operatorStatus(db: Kysely<Database>, name: string): Promise<'active' | 'revoked'> {
  const operator = await db.selectFrom('operators').select('revoked_at').where('name', '=', name).executeTakeFirst();
  if (!operator) throw new ConflictError(`unknown operator ${name} (osr operator list shows them)`);
  return operator.revoked_at === null ? 'active' : 'revoked';
}

export async function revokeOperator(db: Kysely<Database>, name: string): Promise<'revoked' | 'unchanged'> {
  if ((await operatorStatus(db, name)) === 'revoked') return 'unchanged';
  await db.updateTable('operators').set({ revoked_at: sql<Date>`now()` }).where('name', '=', name).execute();
  return 'revoked';
}

export async function rotateOperator(db: Kysely<Database>, name: string, passwordHash: string): Promise<void> {
  const result = await db
    .updateTable('operators')
    .set({ password_hash: passwordHash, rotated_at: sql<Date>`now()` })
    .where('name', '=', name)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  if (result.numUpdatedRows !== 1n) throw new ConflictError(`unknown or revoked operator ${name}`);
}
