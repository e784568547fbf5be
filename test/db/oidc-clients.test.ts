import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/auth/password.js';
import { addClient, addCredential, ConflictError } from '../../src/db/repositories/admin.js';
import { credentialIsCurrent } from '../../src/db/repositories/credentials.js';
import {
  addOidcClient,
  bearerPrincipal,
  findBearerPrincipal,
  listOidcClients,
  removeOidcClient,
} from '../../src/db/repositories/oidc-clients.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

/**
 * migrations/0006_oidc_clients.sql: the mapping of token client values to clients, and the one
 * re-check every request statement makes (osr_credential_current), now for bearer principals too.
 */
let database: TestDatabase;
const db = () => database.handle.db;
beforeAll(async () => {
  database = await createTestDatabase();
  await addClient(db(), 'acme', undefined);
  await addClient(db(), 'other', undefined);
});
afterAll(async () => {
  await database?.destroy();
});

describe('the mapping', () => {
  it('adds, finds as a principal, lists and removes', async () => {
    expect(await addOidcClient(db(), { claimValue: 'erp-app', clientId: 'acme', readOnly: true })).toBe('created');
    expect(await findBearerPrincipal(db(), 'erp-app')).toEqual({
      username: 'oidc:erp-app',
      clientId: 'acme',
      readOnly: true,
      passwordHash: 'oidc-token',
    });
    expect((await listOidcClients(db(), 'acme')).map((row) => [row.claim_value, row.read_only])).toEqual([
      ['erp-app', true],
    ]);
    expect(await removeOidcClient(db(), 'erp-app')).toEqual({
      claimValue: 'erp-app',
      clientId: 'acme',
      readOnly: true,
    });
    expect(await findBearerPrincipal(db(), 'erp-app')).toBeUndefined();
  });

  it('adding the same mapping again changes nothing; another one for the value conflicts', async () => {
    const mapping = { claimValue: 'erp-twice', clientId: 'acme', readOnly: false };
    expect(await addOidcClient(db(), mapping)).toBe('created');
    expect(await addOidcClient(db(), mapping)).toBe('unchanged');
    await expect(addOidcClient(db(), { ...mapping, readOnly: true })).rejects.toThrow(ConflictError);
    await expect(addOidcClient(db(), { ...mapping, clientId: 'other' })).rejects.toThrow(
      'OIDC client erp-twice is already mapped to client acme (read-write)',
    );
  });

  it('removing an unknown value conflicts', async () => {
    await expect(removeOidcClient(db(), 'never-added')).rejects.toThrow('unknown OIDC client never-added');
  });
});

describe('osr_credential_current for a bearer principal', () => {
  const mapping = { claimValue: 'erp-check', clientId: 'acme', readOnly: false };
  const principal = bearerPrincipal(mapping);
  const update = (set: string) =>
    sql.raw(`UPDATE oidc_clients SET ${set} WHERE claim_value = 'erp-check'`).execute(db());
  beforeAll(async () => {
    await addOidcClient(db(), mapping);
  });

  it('is true while the mapping is the one the principal was made from', async () => {
    expect(await credentialIsCurrent(db(), principal)).toBe(true);
  });

  it.each([
    ['made read-only', 'read_only = true', 'read_only = false'],
    ['moved to another client', "client_id = 'other'", "client_id = 'acme'"],
  ])('is false once the mapping is %s, true again when restored', async (_what, change, restore) => {
    await update(change);
    expect(await credentialIsCurrent(db(), principal)).toBe(false);
    await update(restore);
    expect(await credentialIsCurrent(db(), principal)).toBe(true);
  });

  it('is false once the mapping is removed, true again when it is added again', async () => {
    await removeOidcClient(db(), 'erp-check');
    expect(await credentialIsCurrent(db(), principal)).toBe(false);
    await addOidcClient(db(), mapping);
    expect(await credentialIsCurrent(db(), principal)).toBe(true);
  });

  it('never confuses a mapping with a password credential of the same name', async () => {
    const passwordHash = await hashPassword('secret-password');
    await addCredential(db(), {
      clientId: 'acme',
      username: 'erp-check',
      password: 'secret-password',
      passwordHash,
      readOnly: false,
    });
    const basic = { username: 'erp-check', clientId: 'acme', readOnly: false, passwordHash };
    expect(await credentialIsCurrent(db(), basic)).toBe(true);
    // the credential's name with the bearer marker, the mapping's name with the password hash
    expect(await credentialIsCurrent(db(), { ...basic, passwordHash: 'oidc-token' })).toBe(false);
    expect(await credentialIsCurrent(db(), { ...principal, passwordHash })).toBe(false);
    await removeOidcClient(db(), 'erp-check');
    expect(await credentialIsCurrent(db(), basic)).toBe(true);
  });
});
