import { type Kysely, sql, type Transaction } from 'kysely';
import type { DeliveryBody } from '../../domain/delivery-schema.js';
import type { DeliveryDecision } from '../../domain/process-delivery.js';
import type { DeliveryStatus, PartnerMessage, PlainMessage, RoleMessage } from '../../domain/response-schema.js';
import type { Database } from '../schema.js';

export const DELIVERY_CHANNEL = 'osr_delivery_pending';

/** Lock namespace of acceptance (first key of the two-key advisory locks; 2 = applying). */
const ACCEPT_LOCK = 1;

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
 * Stores a PENDING delivery (committed before the 202 is sent). The advisory lock serialises
 * acceptance per unit, so `seq` order is commit order within a unit and a worker can never see a
 * later delivery before an earlier one. Waking the workers is separate (`wakeWorkers`): a NOTIFY
 * inside every insert would serialise all commits on PostgreSQL's notification queue lock.
 */
export async function insertDelivery(db: Kysely<Database>, delivery: NewDelivery): Promise<void> {
  const key = unitKey(delivery.billingUnit, delivery.residentialUnit);
  await sql`
    WITH unit_lock AS (SELECT pg_advisory_xact_lock(${ACCEPT_LOCK}, hashtext(${key})))
    INSERT INTO deliveries (id, client_id, credential, billing_unit, residential_unit, unit_key, body)
    SELECT ${delivery.id}, ${delivery.clientId}, ${delivery.credential}, ${delivery.billingUnit},
           ${delivery.residentialUnit}, ${key}, ${JSON.stringify(delivery.body)}::jsonb
    FROM unit_lock
  `.execute(db);
}

/**
 * Wakes the workers with at most one NOTIFY in flight per process: requests that commit while
 * one is being sent are covered by the next one. (Workers also poll, so a lost wake-up only
 * delays processing by the poll interval.)
 */
export function createWorkerWaker(db: Kysely<Database>, onError: (error: unknown) => void = () => {}) {
  let sending = false;
  let again = false;
  const send = async (): Promise<void> => {
    sending = true;
    try {
      do {
        again = false;
        await sql`SELECT pg_notify(${DELIVERY_CHANNEL}, '')`.execute(db);
      } while (again);
    } catch (error) {
      onError(error);
    } finally {
      sending = false;
    }
  };
  return () => {
    if (sending) again = true;
    else void send();
  };
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
