import type { Kysely } from 'kysely';
import { seedMasterData } from '../../../src/db/repositories/master-data-seed.js';
import type { Database } from '../../../src/db/schema.js';

/** The client, billing unit and credential every system test works with. */
export const SYSTEM = { client: 'acme', billingUnit: '654321', username: 'erp', password: 'erp-password' } as const;
export const SYSTEM_AUTH = `Basic ${Buffer.from(`${SYSTEM.username}:${SYSTEM.password}`).toString('base64')}`;

/** Adds `SYSTEM`'s client, billing unit (contract S-COR), the given residential units and credential. */
export function seedSystemDatabase(db: Kysely<Database>, residentialUnits: readonly string[]): Promise<void> {
  return seedMasterData(db, {
    clients: [{ id: SYSTEM.client, billingUnits: [{ mscnumber: SYSTEM.billingUnit, residentialUnits }] }],
    credentials: [{ clientId: SYSTEM.client, username: SYSTEM.username, password: SYSTEM.password }],
  });
}
