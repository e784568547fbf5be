import { type Kysely, sql, type Transaction } from 'kysely';
import type { Principal } from '../../auth/authenticator.js';
import type { DeliveryBody } from '../../domain/delivery-schema.js';
import type { DeliveryDecision } from '../../domain/process-delivery.js';
import type { DeliveryStatus, PartnerMessage, PlainMessage, RoleMessage } from '../../domain/response-schema.js';
import type { Database } from '../schema.js';
import { type Checked, checked, credentialArguments } from './credentials.js';

export const DELIVERY_CHANNEL = 'osr_delivery_pending';

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
 * Stores a PENDING delivery (committed before the 202 is sent). The function takes a per-unit
 * advisory lock, so `seq` order is commit order within a unit and a worker can never see a later
 * delivery before an earlier one. Waking the workers is separate (`wakeWorkers`): a NOTIFY inside
 * every insert would serialise all commits on PostgreSQL's notification queue lock.
 */
export async function insertDelivery(db: Kysely<Database>, delivery: NewDelivery): Promise<void> {
  await sql`
    SELECT osr_insert_delivery(${delivery.id}::uuid, ${delivery.clientId}, ${delivery.credential},
      ${delivery.billingUnit}, ${delivery.residentialUnit},
      ${unitKey(delivery.billingUnit, delivery.residentialUnit)}, ${JSON.stringify(delivery.body)}::jsonb)
  `.execute(db);
}

/** E1: `insertDelivery` for the caller, in one statement with the re-check of its credential. */
export async function acceptDelivery(
  db: Kysely<Database>,
  principal: Principal,
  delivery: Omit<NewDelivery, 'clientId' | 'credential'>,
): Promise<Checked<void>> {
  const result = await sql<{ ok: boolean }>`
    SELECT osr_accept(${credentialArguments(principal)}, ${delivery.id}::uuid, ${delivery.billingUnit},
      ${delivery.residentialUnit}, ${unitKey(delivery.billingUnit, delivery.residentialUnit)},
      ${JSON.stringify(delivery.body)}::jsonb) AS ok
  `.execute(db);
  return checked(result.rows[0]?.ok === true, () => undefined);
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

/** E3: a delivery of the caller's client POSTed under this `{bu}` (as sent), else undefined. */
export async function findDeliveryResult(
  db: Kysely<Database>,
  principal: Principal,
  { id, billingUnit }: { id: string; billingUnit: string },
): Promise<Checked<DeliveryResultRow | undefined>> {
  const result = await sql<{
    credential_ok: boolean;
    id: string | null;
    status: DeliveryStatus;
    received_at: Date;
    processed_at: Date | null;
    messages: PlainMessage[] | null;
    role_messages: RoleMessage[] | null;
    partner_messages: PartnerMessage[] | null;
  }>`
    SELECT credential_ok, id, status, received_at, processed_at, messages, role_messages, partner_messages
    FROM osr_delivery_result(${credentialArguments(principal)}, ${id}::uuid, ${billingUnit})
  `.execute(db);
  const row = result.rows[0];
  return checked(row?.credential_ok === true, () =>
    row?.id
      ? {
          id: row.id,
          status: row.status,
          receivedAt: row.received_at,
          processedAt: row.processed_at,
          messages: row.messages,
          roleMessages: row.role_messages,
          partnerMessages: row.partner_messages,
        }
      : undefined,
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
