import { type Kysely, sql } from 'kysely';
import type { Principal, StoredCredential } from '../../auth/authenticator.js';
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
 * The first four arguments of every request function (migrations/0004): the principal's
 * credential, re-checked in the same statement as the request's own work.
 */
export const credentialArguments = (principal: Principal) =>
  sql`${principal.username}, ${principal.passwordHash}, ${principal.clientId}, ${principal.readOnly}`;

/** A request statement's answer: nothing when the caller's credential changed since it was verified. */
export type Checked<T> = { credentialCurrent: false } | { credentialCurrent: true; value: T };

export const checked = <T>(credentialCurrent: boolean, value: () => T): Checked<T> =>
  credentialCurrent ? { credentialCurrent, value: value() } : { credentialCurrent };
