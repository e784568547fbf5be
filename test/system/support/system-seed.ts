import type { Kysely } from 'kysely';
import { seedMasterData } from '../../../src/db/repositories/master-data-seed.js';
import type { Database } from '../../../src/db/schema.js';
import { DEFAULT_PROFILE, type ProcessingProfile } from '../../../src/domain/process-delivery.js';
import { defaultContracts, PROFILE_NAMES, type ProfileName, profileNamed } from '../../../src/domain/profiles.js';

/** The client, billing unit and credential every system test works with. */
export const SYSTEM = { client: 'acme', billingUnit: '654321', username: 'erp', password: 'erp-password' } as const;
export const SYSTEM_AUTH = `Basic ${Buffer.from(`${SYSTEM.username}:${SYSTEM.password}`).toString('base64')}`;

/** Every profile (spec 8.1): the system tests that run under both loop over these. */
export const PROFILES: readonly ProcessingProfile[] = PROFILE_NAMES.map((name: ProfileName) => profileNamed(name));

/**
 * Adds `SYSTEM`'s client, billing unit, the given residential units and credential; the billing
 * unit has a contract for every role type of the profile (as `osr billingunit add` gives it).
 */
export function seedSystemDatabase(
  db: Kysely<Database>,
  residentialUnits: readonly string[],
  profile: ProcessingProfile = DEFAULT_PROFILE,
): Promise<void> {
  return seedMasterData(db, {
    clients: [
      {
        id: SYSTEM.client,
        billingUnits: [{ mscnumber: SYSTEM.billingUnit, contracts: defaultContracts(profile), residentialUnits }],
      },
    ],
    credentials: [{ clientId: SYSTEM.client, username: SYSTEM.username, password: SYSTEM.password }],
  });
}
