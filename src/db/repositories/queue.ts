import { sql, type Transaction } from 'kysely';
import type { TimelineRole } from '../../domain/timeline.js';
import type { PartnerRecord } from '../../domain/unit-document.js';
import { callFunction, type StoredChange, type StoredOutcome } from '../functions.js';
import type { Database } from '../schema.js';
import type { NewDelivery } from './deliveries.js';

/**
 * The worker's two statements: one claims deliveries and loads what the rules need, one stores
 * everything the rules decided. Both run in the caller's transaction: a crash before COMMIT
 * leaves the deliveries PENDING with nothing applied.
 */

/** A stored delivery as the worker claims it, with what the rules need. */
export interface ClaimedDelivery extends NewDelivery {
  receivedAt: Date;
  /** The billing unit named by the path, whoever's it is (null: unknown). */
  billingUnitFound: { clientId: string; contracts: string[]; closedUntil: string | null } | null;
  /** The residential unit named by the path within that billing unit (null: unknown there). */
  residentialUnitId: string | null;
  /** The residential unit's stored roles and partners (empty when unknown). */
  roles: TimelineRole[];
  partners: PartnerRecord[];
}

/** Up to `limit` deliveries of different units, each the oldest PENDING one of its unit, in order. */
export async function claimBatch(trx: Transaction<Database>, limit: number): Promise<ClaimedDelivery[]> {
  const rows = await callFunction(trx, 'osr_claim_batch', { p_limit: limit });
  return rows.map((row) => ({
    id: row.id,
    clientId: row.client_id,
    credential: row.credential,
    billingUnit: row.billing_unit,
    residentialUnit: row.residential_unit,
    body: row.body,
    receivedAt: row.received_at,
    requestId: row.request_id,
    billingUnitFound:
      row.billing_unit_client === null
        ? null
        : { clientId: row.billing_unit_client, contracts: row.contracts ?? [], closedUntil: row.closed_until },
    residentialUnitId: row.residential_unit_id,
    roles: row.roles,
    partners: row.partners,
  }));
}

/**
 * Writes the outcomes (of different units), in order, in one statement; then, as its very last
 * step, the change-feed entries `changes` (spec 10.2), which take the feed's lock until COMMIT:
 * pass them only with the transaction's last statement.
 */
export async function storeOutcomes(
  trx: Transaction<Database>,
  outcomes: StoredOutcome[],
  changes: StoredChange[] = [],
): Promise<void> {
  await callFunction(trx, 'osr_store_outcomes', {
    p_outcomes: outcomes,
    p_changes: changes.length > 0 ? changes : null,
  });
}

/**
 * Runs `work` in a savepoint: a failing statement rolls back only its own effects, the
 * transaction stays usable, and the error is returned instead of thrown. `keep: false` rolls back
 * a successful `work` too (a trial run).
 */
export async function attempt(
  trx: Transaction<Database>,
  work: () => Promise<void>,
  { keep }: { keep: boolean },
): Promise<unknown> {
  await sql`SAVEPOINT attempt`.execute(trx);
  try {
    await work();
  } catch (error) {
    await sql`ROLLBACK TO SAVEPOINT attempt`.execute(trx);
    return error;
  }
  await sql.raw(keep ? 'RELEASE SAVEPOINT attempt' : 'ROLLBACK TO SAVEPOINT attempt').execute(trx);
  return undefined;
}
