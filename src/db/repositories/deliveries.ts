import { type Kysely, sql, type Transaction } from 'kysely';
import type { DeliveryBody } from '../../domain/delivery-schema.js';
import type { DeliveryDecision } from '../../domain/process-delivery.js';
import type { DeliveryStatus, PartnerMessage, PlainMessage, RoleMessage } from '../../domain/response-schema.js';
import type { Database } from '../schema.js';

export const DELIVERY_CHANNEL = 'osr_delivery_pending';

/** Lock namespaces (first key of the two-key advisory locks). */
const ACCEPT_LOCK = 1;
const APPLY_LOCK = 2;

/** The unit of ordering: the path pair exactly as the POST carried it. */
export const unitKey = (billingUnit: string, residentialUnit: string) => `${billingUnit}/${residentialUnit}`;

export interface NewDelivery {
  id: string;
  clientId: string;
  credential: string;
  billingUnit: string;
  residentialUnit: string;
  body: DeliveryBody;
}

/**
 * Stores a PENDING delivery and wakes the workers, in one statement (one round trip, committed
 * before the 202 is sent). The advisory lock serialises acceptance per unit, so `seq` order is
 * commit order within a unit and a worker can never see a later delivery before an earlier one.
 */
export async function insertDelivery(db: Kysely<Database>, delivery: NewDelivery): Promise<void> {
  const key = unitKey(delivery.billingUnit, delivery.residentialUnit);
  await sql`
    WITH unit_lock AS (SELECT pg_advisory_xact_lock(${ACCEPT_LOCK}, hashtext(${key})))
    INSERT INTO deliveries (id, client_id, credential, billing_unit, residential_unit, unit_key, body)
    SELECT ${delivery.id}, ${delivery.clientId}, ${delivery.credential}, ${delivery.billingUnit},
           ${delivery.residentialUnit}, ${key}, ${JSON.stringify(delivery.body)}::jsonb
    FROM unit_lock, (SELECT pg_notify(${DELIVERY_CHANNEL}, '')) AS wake
  `.execute(db);
}

export interface DeliveryResultRow {
  id: string;
  status: DeliveryStatus;
  receivedAt: Date;
  processedAt: Date | null;
  messages: PlainMessage[] | null;
  roleMessages: RoleMessage[] | null;
  partnerMessages: PartnerMessage[] | null;
}

/** A delivery of this client POSTed under this `{bu}` (as sent), else undefined. */
export async function findDeliveryResult(
  db: Kysely<Database>,
  { id, clientId, billingUnit }: { id: string; clientId: string; billingUnit: string },
): Promise<DeliveryResultRow | undefined> {
  const row = await db
    .selectFrom('deliveries')
    .select(['id', 'status', 'received_at', 'processed_at', 'messages', 'role_messages', 'partner_messages'])
    .where('id', '=', id)
    .where('client_id', '=', clientId)
    .where('billing_unit', '=', billingUnit)
    .executeTakeFirst();
  return (
    row && {
      id: row.id,
      status: row.status,
      receivedAt: row.received_at,
      processedAt: row.processed_at,
      messages: row.messages as PlainMessage[] | null,
      roleMessages: row.role_messages as RoleMessage[] | null,
      partnerMessages: row.partner_messages as PartnerMessage[] | null,
    }
  );
}

/** A delivery as the worker claims it. */
export interface ClaimedDelivery extends NewDelivery {
  receivedAt: Date;
}

/**
 * Claims the oldest PENDING delivery whose unit has no older PENDING one (per-unit order),
 * skipping rows another worker holds, and then locks its unit for the rest of the transaction.
 */
export async function claimNextDelivery(trx: Transaction<Database>): Promise<ClaimedDelivery | undefined> {
  const result = await sql<{
    id: string;
    client_id: string;
    credential: string;
    billing_unit: string;
    residential_unit: string;
    unit_key: string;
    body: DeliveryBody;
    received_at: Date;
  }>`
    SELECT d.id, d.client_id, d.credential, d.billing_unit, d.residential_unit, d.unit_key, d.body, d.received_at
    FROM deliveries d
    WHERE d.status = 'PENDING'
      AND NOT EXISTS (
        SELECT 1 FROM deliveries older
        WHERE older.status = 'PENDING' AND older.unit_key = d.unit_key AND older.seq < d.seq
      )
    ORDER BY d.seq
    LIMIT 1
    FOR UPDATE OF d SKIP LOCKED
  `.execute(trx);
  const row = result.rows[0];
  if (!row) return undefined;
  await sql`SELECT pg_advisory_xact_lock(${APPLY_LOCK}, hashtext(${row.unit_key}))`.execute(trx);
  return {
    id: row.id,
    clientId: row.client_id,
    credential: row.credential,
    billingUnit: row.billing_unit,
    residentialUnit: row.residential_unit,
    body: row.body,
    receivedAt: row.received_at,
  };
}

/** Re-locks one delivery that is still PENDING (used to record an unexpected failure). */
export async function lockPendingDelivery(trx: Transaction<Database>, id: string): Promise<boolean> {
  const row = await trx
    .selectFrom('deliveries')
    .select('id')
    .where('id', '=', id)
    .where('status', '=', 'PENDING')
    .forUpdate()
    .executeTakeFirst();
  return row !== undefined;
}

const jsonOrNull = (list: unknown[]) => (list.length === 0 ? null : JSON.stringify(list));

export async function storeDeliveryResult(
  trx: Transaction<Database>,
  id: string,
  decision: Pick<DeliveryDecision, 'status' | 'messages' | 'roleMessages' | 'partnerMessages'>,
): Promise<void> {
  await trx
    .updateTable('deliveries')
    .set({
      status: decision.status,
      processed_at: sql<Date>`now()`,
      messages: jsonOrNull(decision.messages),
      role_messages: jsonOrNull(decision.roleMessages),
      partner_messages: jsonOrNull(decision.partnerMessages),
    })
    .where('id', '=', id)
    .execute();
}
