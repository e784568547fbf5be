import { type Kysely, sql } from 'kysely';
import type { CredentialStore, Principal } from '../../auth/authenticator.js';
import { callFunction, type FunctionArguments } from '../functions.js';
import type { Database } from '../schema.js';
import { announceLoginLockout, lockedLoginKeys, recordLoginFailure } from './login-failures.js';
import { readSignIn } from './sign-in.js';

/** A sign-in's one read (src/db/repositories/sign-in.ts) of a client credential. */
export const findSignIn = (db: Kysely<Database>, username: string, keys: { username: string; address: string }) =>
  readSignIn(
    db,
    sql`SELECT username, client_id, password_hash, read_only, revoked_at IS NOT NULL AS revoked
        FROM credentials WHERE username = ${username}`,
    keys,
  );

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
