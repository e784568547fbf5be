import { type Kysely, sql } from 'kysely';
import type { CredentialStore, Principal, RecordedFailures, StoredCredential } from '../../auth/authenticator.js';
import { callFunction, type FunctionArguments } from '../functions.js';
import type { Database } from '../schema.js';
import { announceLoginLockout, lockedLoginKeys, recordLoginFailure, times } from './login-failures.js';

/**
 * A sign-in's one read (spec 2 and 7): the credential row, if any, and the recorded failures of
 * the username's and the address's throttle keys, with the database's clock. One statement, so
 * the shared throttle costs a request that reads its credential no extra round trip.
 */
export async function findSignIn(
  db: Kysely<Database>,
  username: string,
  keys: { username: string; address: string },
): Promise<{ credential: StoredCredential | undefined; failures: RecordedFailures }> {
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
    SELECT c.username, c.client_id, c.password_hash, c.read_only, c.revoked_at IS NOT NULL AS revoked,
           (SELECT f.failed_at FROM login_failures f WHERE f.key = ${keys.username}) AS username_failures,
           (SELECT f.failed_at FROM login_failures f WHERE f.key = ${keys.address}) AS address_failures,
           now() AS checked_at
    FROM (SELECT) AS attempt LEFT JOIN credentials c ON c.username = ${username}
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

/** The credentials and failed sign-ins of the database, for the authenticator. */
export const credentialStore = (db: Kysely<Database>): CredentialStore => ({
  find: (username, keys) => findSignIn(db, username, keys),
  isCurrent: (principal) => credentialIsCurrent(db, principal),
  recordFailure: (keys) => recordLoginFailure(db, keys),
  lockedKeys: () => lockedLoginKeys(db),
  announceLockout: () => announceLoginLockout(db),
});

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
