import type { Kysely } from 'kysely';
import { ConflictError } from '../db/repositories/admin.js';
import { credentialStatus } from '../db/repositories/operator.js';
import type { Database } from '../db/schema.js';

/**
 * Checks a command makes before it asks for anything else (a password on stdin), so that an
 * unknown client or credential is what the operator hears about first.
 */

export async function requireClient(db: Kysely<Database>, clientId: string): Promise<void> {
  const client = await db.selectFrom('clients').select('id').where('id', '=', clientId).executeTakeFirst();
  if (!client) throw new ConflictError(`unknown client ${clientId} (add it with: osr client add ${clientId})`);
}

/** A credential that exists and is not revoked (only those can get a new password). */
export async function requireActiveCredential(db: Kysely<Database>, username: string): Promise<void> {
  if ((await credentialStatus(db, username)) === 'revoked') {
    throw new ConflictError(`credential ${username} is revoked; add a new one with osr credential add`);
  }
}
