import { sql, type Transaction } from 'kysely';
import type { DeliveryBody } from '../../domain/delivery-schema.js';
import type { DeliveryDecision } from '../../domain/process-delivery.js';
import type { RoleDiff } from '../../domain/role-diff.js';
import type { TimelineRole } from '../../domain/timeline.js';
import type { Database } from '../schema.js';
import type { ClaimedDelivery } from './deliveries.js';
import type { PartnerRow } from './units.js';

/**
 * The worker's fast path: one call claims the next deliveries (per-unit order, SKIP LOCKED, at
 * most one per unit), locks their units and loads everything the rules need; one call writes
 * all outcomes. Both are PL/pgSQL functions (migrations/0003, 0005, 0006) so that their plans
 * are cached per connection.
 */

export interface ClaimedWithState {
  delivery: ClaimedDelivery;
  contracts: string[] | null;
  residentialUnitId: string | null;
  billingUnitPmnumber: string | null;
  residentialUnitPmnumber: string | null;
  roles: TimelineRole[];
  partners: Map<string, PartnerRow>;
}

type ClaimRow = {
  id: string;
  client_id: string;
  credential: string;
  billing_unit: string;
  residential_unit: string;
  body: DeliveryBody;
  received_at: Date;
  contracts: string[] | null;
  bu_pmnumber: string | null;
  ru_id: string | null;
  ru_pmnumber: string | null;
  roles: TimelineRole[];
  partners: PartnerRow[];
};

const CLAIM_COLUMNS = sql.raw(
  'id, client_id, credential, billing_unit, residential_unit, body, received_at, contracts, bu_pmnumber, ru_id, ru_pmnumber, roles, partners',
);

/** Up to `limit` deliveries of different units, each the oldest PENDING one of its unit, in order. */
export async function claimBatchWithState(trx: Transaction<Database>, limit: number): Promise<ClaimedWithState[]> {
  const result = await sql<ClaimRow>`SELECT ${CLAIM_COLUMNS} FROM osr_claim_batch(${limit}::integer)`.execute(trx);
  return result.rows.map(claimedWithState);
}

function claimedWithState(row: ClaimRow): ClaimedWithState {
  return {
    delivery: {
      id: row.id,
      clientId: row.client_id,
      credential: row.credential,
      billingUnit: row.billing_unit,
      residentialUnit: row.residential_unit,
      body: row.body,
      receivedAt: row.received_at,
    },
    contracts: row.contracts,
    residentialUnitId: row.ru_id,
    billingUnitPmnumber: row.bu_pmnumber,
    residentialUnitPmnumber: row.ru_pmnumber,
    roles: row.roles,
    partners: new Map(row.partners.map((partner) => [partner.pmnumber, partner])),
  };
}

export interface Outcome {
  deliveryId: string;
  decision: Pick<DeliveryDecision, 'status' | 'messages' | 'roleMessages' | 'partnerMessages'>;
  /** Present only for a SUCCESS on a known unit. */
  writes?: {
    residentialUnitId: string;
    credential: string;
    roles: RoleDiff;
    partners: PartnerRow[];
    history: { entity: 'role' | 'partner'; change: string; before: unknown; after: unknown }[];
    billingUnit: string;
    billingUnitPmnumber: string | null;
    residentialUnitPmnumber: string | null;
  };
}

const list = (items: unknown[]) => (items.length === 0 ? null : items);

/** The parameters of osr_store_outcome for one outcome, by name. */
function storeArguments({ deliveryId, decision, writes }: Outcome) {
  return {
    delivery: deliveryId,
    status: decision.status,
    messages: list(decision.messages),
    roleMessages: list(decision.roleMessages),
    partnerMessages: list(decision.partnerMessages),
    unit: writes?.residentialUnitId ?? null,
    credential: writes?.credential ?? '',
    deleted: writes?.roles.deleted ?? [],
    updated: writes?.roles.updated ?? [],
    inserted: writes?.roles.inserted ?? [],
    partners: writes?.partners ?? [],
    history: writes?.history ?? [],
    billingUnit: writes?.billingUnit ?? '',
    billingUnitPmnumber: writes?.billingUnitPmnumber ?? null,
    unitPmnumber: writes?.residentialUnitPmnumber ?? null,
  };
}

/** Writes roles, partners, history, unit references and the delivery's result in one statement. */
export async function storeOutcome(trx: Transaction<Database>, outcome: Outcome): Promise<void> {
  await storeOutcomes(trx, [outcome]);
}

/** `storeOutcome` for several deliveries (of different units), in order, in one statement. */
export async function storeOutcomes(trx: Transaction<Database>, outcomes: Outcome[]): Promise<void> {
  await sql`SELECT osr_store_outcomes(${JSON.stringify(outcomes.map(storeArguments))}::jsonb)`.execute(trx);
}
