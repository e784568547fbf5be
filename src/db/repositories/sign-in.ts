import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { CredentialStore } from '../../auth/authenticator.js';
import type { Database } from '../schema.js';
import { times } from './login-failures.js';

/** What a sign-in reads: the account, if any, and the failures of the attempt's throttle keys. */
export type SignIn = Awaited<ReturnType<CredentialStore['find']>>;

/**
 * A sign-in's one read (spec 2 and 7), for client credentials and operators alike: the row that
 * `account` selects, if any, and the recorded failures of the username's and the address's
 * throttle keys, with the database's clock. One statement, so the shared throttle costs a request
 * that reads its account no extra round trip. `account` selects at most one row, with the columns
 * username, client_id, password_hash, read_only and revoked.
 */
export async function readSignIn(
  db: Kysely<Database>,
  account: RawBuilder<unknown>,
  keys: { username: string; address: string },
): Promise<SignIn> {
  const { rows } = await sql<{
    username: string | null;
    client_id: string;
    password_hash: string;
    read_only: boolean;
    revoked: boolean;
    username_failures: Date[] | null;
    address_failures: Date[] | null;
    checked_at: Date;
  }>`
    SELECT a.username, a.client_id, a.password_hash, a.read_only, a.revoked,
           (SELECT f.failed_at FROM login_failures f WHERE f.key = ${keys.username}) AS username_failures,
           (SELECT f.failed_at FROM login_failures f WHERE f.key = ${keys.address}) AS address_failures,
           now() AS checked_at
    FROM (SELECT) AS attempt LEFT JOIN (${account}) AS a ON true
  `.execute(db);
  const row = rows[0];
  if (!row) throw new Error('the sign-in statement returned no row');
  return {
    credential:
      row.username === null
        ? undefined
        : {
            username: row.username,
            clientId: row.client_id,
            passwordHash: row.password_hash,
            readOnly: row.read_only,
            revoked: row.revoked,
          },
    failures: {
      username: times(row.username_failures),
      address: times(row.address_failures),
      now: row.checked_at.getTime(),
    },
  };
}
