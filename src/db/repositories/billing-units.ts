import type { Kysely } from 'kysely';
import { closedUntilChange } from '../../domain/closed-until.js';
import type { Database } from '../schema.js';
import { ConflictError } from './admin.js';

/**
 * Moves a billing unit's closed-until forward (spec 8.5); returns whether it changed. In one
 * transaction with the row locked, so two operators cannot move it back between them.
 */
export async function closeBillingUnit(
  db: Kysely<Database>,
  mscnumber: string,
  until: string,
): Promise<'set' | 'unchanged'> {
  return db.transaction().execute(async (trx) => {
    const unit = await trx
      .selectFrom('billing_units')
      .select('closed_until')
      .where('mscnumber', '=', mscnumber)
      .forUpdate()
      .executeTakeFirst();
    if (!unit) throw new ConflictError(`unknown billing unit ${mscnumber}`);
    const change = closedUntilChange(unit.closed_until, until);
    if (change === 'refused') {
      throw new ConflictError(
        `billing unit ${mscnumber} is closed until ${unit.closed_until}; closed-until only moves forward ` +
          `(${until} is earlier), nothing changed`,
      );
    }
    if (change === 'set') {
      await trx.updateTable('billing_units').set({ closed_until: until }).where('mscnumber', '=', mscnumber).execute();
    }
    return change;
  });
}

/** Billing units (of one client, or all), by number. */
export async function listBillingUnits(db: Kysely<Database>, clientId: string | undefined) {
  let query = db
    .selectFrom('billing_units')
    .select(['mscnumber', 'client_id', 'contracts', 'closed_until'])
    .orderBy('mscnumber');
  if (clientId !== undefined) query = query.where('client_id', '=', clientId);
  return query.execute();
}
