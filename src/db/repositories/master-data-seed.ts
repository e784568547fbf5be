import type { Kysely } from 'kysely';
import { hashPassword } from '../../auth/password.js';
import type { Database } from '../schema.js';
import { addCredential, ConflictError } from './admin.js';
import { type ImportData, importMasterData } from './bulk-import.js';

/** Clients with their billing and residential units, and credentials with plain passwords. */
export interface MasterDataSeed {
  clients: readonly {
    id: string;
    name?: string;
    billingUnits: readonly {
      mscnumber: string;
      /** Default `["S-COR"]`; `[]` = no contract. */
      contracts?: readonly string[];
      residentialUnits: readonly string[];
    }[];
  }[];
  credentials: readonly { clientId: string; username: string; password: string; readOnly?: boolean }[];
}

/**
 * Adds master data (one `importMasterData` transaction) and then credentials (`addCredential`,
 * password hashed here) to a migrated database: the seeding of the tests and the benchmark.
 * Adding what exists identically is fine; a conflict throws `ConflictError` and adds no units.
 */
export async function seedMasterData(db: Kysely<Database>, seed: MasterDataSeed): Promise<void> {
  const report = await importMasterData(db, toImportData(seed));
  if (report.conflicts.length > 0) throw new ConflictError(`seed conflicts: ${report.conflicts.join('; ')}`);
  for (const credential of seed.credentials) {
    await addCredential(db, {
      clientId: credential.clientId,
      username: credential.username,
      password: credential.password,
      passwordHash: await hashPassword(credential.password),
      readOnly: credential.readOnly ?? false,
    });
  }
}

function toImportData(seed: MasterDataSeed): ImportData {
  const data: ImportData = { clients: new Map(), billingUnits: new Map(), residentialUnits: [] };
  for (const client of seed.clients) {
    data.clients.set(client.id, { name: client.name });
    for (const billingUnit of client.billingUnits) {
      data.billingUnits.set(billingUnit.mscnumber, {
        clientId: client.id,
        contracts: [...(billingUnit.contracts ?? ['S-COR'])],
      });
      for (const mscnumber of billingUnit.residentialUnits) {
        data.residentialUnits.push({ billingUnit: billingUnit.mscnumber, mscnumber });
      }
    }
  }
  return data;
}
