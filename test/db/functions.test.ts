import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../src/auth/authenticator.js';
import { hashPassword } from '../../src/auth/password.js';
import { catalogueSignature, DATABASE_FUNCTIONS, type FunctionName } from '../../src/db/functions.js';
import { addClient, addCredential } from '../../src/db/repositories/admin.js';
import { credentialIsCurrent } from '../../src/db/repositories/credentials.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

/**
 * The typed boundary of src/db/functions.ts against the live catalogue: every declared function
 * exists with exactly the declared arguments and result, and no undeclared function exists.
 */
let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.destroy();
});

const catalogue = async () => {
  const { rows } = await sql<{ name: string; arguments: string; result: string }>`
    SELECT p.proname AS name, pg_get_function_arguments(p.oid) AS arguments, pg_get_function_result(p.oid) AS result
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname = 'public' AND p.prokind = 'f'
    ORDER BY 1
  `.execute(database.handle.db);
  return rows;
};

describe('database functions (pg_proc) = their declarations in src/db/functions.ts', () => {
  it.each(Object.keys(DATABASE_FUNCTIONS) as FunctionName[])('%s', async (name) => {
    const found = (await catalogue()).filter((row) => row.name === name);
    expect(found).toHaveLength(1);
    expect({ arguments: found[0]?.arguments, result: found[0]?.result }).toEqual(catalogueSignature(name));
  });

  it('no other function exists, except trigger functions', async () => {
    const undeclared = (await catalogue()).filter((row) => !(row.name in DATABASE_FUNCTIONS));
    expect(undeclared.filter((row) => row.result !== 'trigger')).toEqual([]);
  });
});

describe('osr_credential_current: the one re-check of a remembered principal', () => {
  let principal: Principal;
  beforeAll(async () => {
    await addClient(database.handle.db, 'acme', undefined);
    await addClient(database.handle.db, 'other', undefined);
    const passwordHash = await hashPassword('secret-password');
    await addCredential(database.handle.db, {
      clientId: 'acme',
      username: 'erp',
      password: 'secret-password',
      passwordHash,
      readOnly: false,
    });
    principal = { username: 'erp', clientId: 'acme', readOnly: false, passwordHash };
  });

  const update = (set: string) =>
    sql.raw(`UPDATE credentials SET ${set} WHERE username = 'erp'`).execute(database.handle.db);

  it('is true for the row the principal was verified against', async () => {
    expect(await credentialIsCurrent(database.handle.db, principal)).toBe(true);
  });

  it.each([
    ['revoked', 'revoked_at = now()', 'revoked_at = NULL'],
    ['made read-only', 'read_only = true', 'read_only = false'],
    ['moved to another client', "client_id = 'other'", "client_id = 'acme'"],
  ])('is false once the credential is %s, true again when restored', async (_what, change, restore) => {
    await update(change);
    expect(await credentialIsCurrent(database.handle.db, principal)).toBe(false);
    await update(restore);
    expect(await credentialIsCurrent(database.handle.db, principal)).toBe(true);
  });

  it('is false after a rotation, even to the same password (a new salt is a new row)', async () => {
    const rotated = await hashPassword('secret-password');
    await sql`UPDATE credentials SET password_hash = ${rotated} WHERE username = 'erp'`.execute(database.handle.db);
    expect(await credentialIsCurrent(database.handle.db, principal)).toBe(false);
    expect(await credentialIsCurrent(database.handle.db, { ...principal, passwordHash: rotated })).toBe(true);
  });

  it('is false for an unknown username', async () => {
    expect(await credentialIsCurrent(database.handle.db, { ...principal, username: 'nobody' })).toBe(false);
  });
});
