import type { Kysely } from 'kysely';
import type { Principal, StoredCredential } from '../../auth/authenticator.js';
import { callFunction, type FunctionArguments } from '../functions.js';
import type { Database } from '../schema.js';

export async function findCredential(db: Kysely<Database>, username: string): Promise<StoredCredential | undefined> {
  const row = await db
    .selectFrom('credentials')
    .select(['username', 'client_id', 'password_hash', 'read_only', 'revoked_at'])
    .where('username', '=', username)
    .executeTakeFirst();
  return (
    row && {
      username: row.username,
      clientId: row.client_id,
      passwordHash: row.password_hash,
      readOnly: row.read_only,
      revoked: row.revoked_at !== null,
    }
  );
}

/**
 * The first four arguments of every request function: the principal's credential, re-checked
 * in the same statement as the request's own work (osr_credential_current).
 */
export const credentialArguments = (principal: Principal): FunctionArguments<'osr_credential_current'> => ({
  p_username: principal.username,
  p_hash: principal.passwordHash,
  p_client: principal.clientId,
  p_read_only: principal.readOnly,
});

/** Whether the principal's credential row is still the one it was verified against (same check as every request's). */
export async function credentialIsCurrent(db: Kysely<Database>, principal: Principal): Promise<boolean> {
  return (await callFunction(db, 'osr_credential_current', credentialArguments(principal))) === true;
}

/** A request statement's answer: nothing when the caller's credential changed since it was verified. */
export type Checked<T> = { credentialCurrent: false } | { credentialCurrent: true; value: T };

export const checked = <T>(credentialCurrent: boolean, value: () => T): Checked<T> =>
  credentialCurrent ? { credentialCurrent, value: value() } : { credentialCurrent };
