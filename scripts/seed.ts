import type { Kysely } from 'kysely';
import { hashPassword } from '../src/auth/password.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { addBillingUnit, addClient, addCredential, addResidentialUnit } from '../src/db/repositories/admin.js';
import type { Database } from '../src/db/schema.js';

export const SEED = { client: 'acme', billingUnit: '654321', username: 'erp', password: 'erp-password' } as const;

/** Migrates a fresh database and adds the client, billing unit, units and credential the scripts use. */
export async function seedScriptDatabase(db: Kysely<Database>, units: readonly string[]): Promise<void> {
  await migrateToLatest(db);
  await addClient(db, SEED.client, undefined);
  await addBillingUnit(db, { mscnumber: SEED.billingUnit, clientId: SEED.client, contracts: ['S-COR'] });
  for (const mscnumber of units) await addResidentialUnit(db, { billingUnit: SEED.billingUnit, mscnumber });
  await addCredential(db, {
    clientId: SEED.client,
    username: SEED.username,
    password: SEED.password,
    passwordHash: await hashPassword(SEED.password),
    readOnly: false,
  });
}
