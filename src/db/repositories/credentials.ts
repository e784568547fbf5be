import type { Kysely } from 'kysely';
import type { StoredCredential } from '../../auth/authenticator.js';
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
