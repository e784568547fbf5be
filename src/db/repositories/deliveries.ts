import { createHash } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { Principal } from '../../auth/authenticator.js';
import type { DeliveryBody } from '../../domain/delivery-schema.js';
import type { DeliveryStatus, PartnerMessage, PlainMessage, RoleMessage } from '../../domain/response-schema.js';
import { callFunction, type FunctionArguments } from '../functions.js';
import type { Database } from '../schema.js';
import { type Checked, checked, credentialArguments } from './credentials.js';

export const DELIVERY_CHANNEL = 'osr_delivery_pending';

/** Longer path pairs are keyed by their hash: an index entry holds at most 2704 bytes. */
const LONGEST_PLAIN_UNIT_KEY = 256;

/**
 * The unit of ordering: the path pair exactly as the POST carried it (a malformed one too: the
 * worker fails it with D1/D2, in order with the unit's other deliveries).
 */
export function unitKey(billingUnit: string, residentialUnit: string): string {
  const key = `${billingUnit}/${residentialUnit}`;
  return key.length <= LONGEST_PLAIN_UNIT_KEY ? key : `sha256:${createHash('sha256').update(key).digest('hex')}`;
}

export interface NewDelivery {
  id: string;
  clientId: string;
  credential: string;
  billingUnit: string;
  residentialUnit: string;
  body: DeliveryBody;
  /** The POST's request id (null: not delivered over HTTP, e.g. the demo's move-in). */
  requestId: string | null;
}

/**
 * Stores a PENDING delivery (committed before the 202 is sent), under the per-unit lock that
 * makes `seq` order commit order within a unit. Waking the workers is separate
 * (`createWorkerWaker`): a NOTIFY inside every insert would serialise all commits on
 * PostgreSQL's notification queue lock.
 */
export async function insertDelivery(db: Kysely<Database>, delivery: NewDelivery): Promise<void> {
  await callFunction(db, 'osr_insert_delivery', {
    p_id: delivery.id,
    p_client: delivery.clientId,
    p_credential: delivery.credential,
    p_billing_unit: delivery.billingUnit,
    p_residential_unit: delivery.residentialUnit,
    p_unit_key: unitKey(delivery.billingUnit, delivery.residentialUnit),
    p_body: delivery.body,
    p_request_id: delivery.requestId,
  });
}

/** E1: `insertDelivery` for the caller, in one statement with the re-check of its credential. */
export async function acceptDelivery(
  db: Kysely<Database>,
  principal: Principal,
  delivery: Omit<NewDelivery, 'clientId' | 'credential'>,
): Promise<Checked<void>> {
  const accepted = await callFunction(db, 'osr_accept', acceptArguments(principal, delivery));
  return checked(accepted === true, () => undefined);
}

/** An E1 request to store: the caller and its delivery. */
export interface AcceptRequest {
  principal: Principal;
  delivery: Omit<NewDelivery, 'clientId' | 'credential'>;
}

/**
 * `acceptDelivery` for several requests in one statement, one transaction (E1's group commit,
 * src/db/accept-batcher.ts): each answer in the order of `requests`. Within a unit the rows are
 * stored in that order. Throws when any row cannot be stored (then none is).
 */
export async function acceptDeliveries(
  db: Kysely<Database>,
  requests: readonly AcceptRequest[],
): Promise<Checked<void>[]> {
  const rows = await callFunction(db, 'osr_accept_batch', {
    p_rows: requests.map(({ principal, delivery }) => ({
      username: principal.username,
      hash: principal.passwordHash,
      client: principal.clientId,
      read_only: principal.readOnly,
      id: delivery.id,
      billing_unit: delivery.billingUnit,
      residential_unit: delivery.residentialUnit,
      unit_key: unitKey(delivery.billingUnit, delivery.residentialUnit),
      body: delivery.body,
      request_id: delivery.requestId,
    })),
  });
  const accepted = new Map(rows.map((row) => [row.ordinal, row.accepted]));
  return requests.map((_, i) => checked(accepted.get(i + 1) === true, () => undefined));
}

/** The arguments of osr_accept: the caller's credential, then the delivery (osr_accept_with_key's first ones too). */
export const acceptArguments = (
  principal: Principal,
  delivery: Omit<NewDelivery, 'clientId' | 'credential'>,
): FunctionArguments<'osr_accept'> => ({
  ...credentialArguments(principal),
  p_id: delivery.id,
  p_billing_unit: delivery.billingUnit,
  p_residential_unit: delivery.residentialUnit,
  p_unit_key: unitKey(delivery.billingUnit, delivery.residentialUnit),
  p_body: delivery.body,
  p_request_id: delivery.requestId,
});

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

export interface StoredDelivery {
  id: string;
  /** The client whose credential POSTed it, and `{bu}` as the POST carried it. */
  clientId: string;
  billingUnit: string;
  status: DeliveryStatus;
  receivedAt: Date;
  processedAt: Date | null;
  messages: PlainMessage[] | null;
  roleMessages: RoleMessage[] | null;
  partnerMessages: PartnerMessage[] | null;
}

/**
 * E3's read: the delivery with this id stored under this `{bu}` (whoever's it is), undefined when
 * there is none.
 */
export async function findDelivery(
  db: Kysely<Database>,
  principal: Principal,
  billingUnit: string,
  id: string,
): Promise<Checked<StoredDelivery | undefined>> {
  const [row] = await callFunction(db, 'osr_delivery_result', {
    ...credentialArguments(principal),
    p_billing_unit: billingUnit,
    p_id: id,
  });
  return checked(row?.credential_ok === true, () =>
    row?.id
      ? {
          id: row.id,
          clientId: row.client_id as string,
          billingUnit: row.billing_unit as string,
          status: row.status as DeliveryStatus,
          receivedAt: row.received_at as Date,
          processedAt: row.processed_at,
          messages: row.messages,
          roleMessages: row.role_messages,
          partnerMessages: row.partner_messages,
        }
      : undefined,
  );
}
