import type { Kysely } from 'kysely';
import type { Database } from '../../src/db/schema.js';

/** A residential unit with its roles and partners, written with SQL as they are stored. */
export interface SeedUnit {
  bu: string;
  ru: string;
  /** `role` defaults to S-COR. */
  roles: { role?: string; from: string; to: string | null; pmnumber: string }[];
  /** `additionalname` defaults to null, `commercial` to NON_COMMERCIAL. */
  partners: {
    pmnumber: string;
    name: string | null;
    firstname: string | null;
    additionalname?: string | null;
    commercial?: string;
  }[];
}

/**
 * Client `acme`, the units' billing units and `moreBillingUnits` (all with `contracts`), and the
 * units with their roles and partners: unit data as it stands, without deliveries (spec 10.3's
 * tests read it).
 */
export async function seedUnits(
  db: Kysely<Database>,
  units: readonly SeedUnit[],
  { contracts, moreBillingUnits = [] }: { contracts: string[]; moreBillingUnits?: string[] },
): Promise<void> {
  await db.insertInto('clients').values({ id: 'acme' }).execute();
  const billingUnits = [...new Set([...units.map((unit) => unit.bu), ...moreBillingUnits])];
  await db
    .insertInto('billing_units')
    .values(billingUnits.map((mscnumber) => ({ mscnumber, client_id: 'acme', contracts })))
    .execute();
  for (const unit of units) {
    const { id } = await db
      .insertInto('residential_units')
      .values({ billing_unit: unit.bu, mscnumber: unit.ru })
      .returning('id')
      .executeTakeFirstOrThrow();
    for (const role of unit.roles) {
      await db
        .insertInto('roles')
        .values({
          residential_unit: id,
          role: role.role ?? 'S-COR',
          from_date: role.from,
          to_date: role.to,
          partner_pmnumber: role.pmnumber,
        })
        .execute();
    }
    for (const partner of unit.partners) {
      await db
        .insertInto('partners')
        .values({
          residential_unit: id,
          pmnumber: partner.pmnumber,
          name: partner.name,
          firstname: partner.firstname,
          additionalname: partner.additionalname ?? null,
          commercial: partner.commercial ?? 'NON_COMMERCIAL',
          phonenumbers: '[]',
        })
        .execute();
    }
  }
}
