import { sql, type Transaction } from 'kysely';
import type { DeliveryBody } from '../../domain/delivery-schema.js';
import type { DeliveryDecision } from '../../domain/process-delivery.js';
import type { RoleDiff } from '../../domain/role-diff.js';
import type { TimelineRole } from '../../domain/timeline.js';
import type { Database } from '../schema.js';
import type { ClaimedDelivery } from './deliveries.js';
import type { PartnerRow } from './units.js';

/**
 * The worker's fast path: one call claims the next delivery (per-unit order, SKIP LOCKED), locks
 * its unit and loads everything the rules need; one call writes the whole outcome. Both are
 * PL/pgSQL functions (migrations/0003) so that their plans are cached per connection.
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

export async function claimNextWithState(trx: Transaction<Database>): Promise<ClaimedWithState | undefined> {
  const result = await sql<{
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
  }>`
    SELECT id, client_id, credential, billing_unit, residential_unit, body, received_at, contracts, bu_pmnumber,
           ru_id, ru_pmnumber, roles, partners
    FROM osr_claim_next()
  `.execute(trx);
  const row = result.rows[0];
  if (!row) return undefined;
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

const list = (items: unknown[]) => (items.length === 0 ? null : JSON.stringify(items));

/** Writes roles, partners, history, unit references and the delivery's result in one statement. */
export async function storeOutcome(
  trx: Transaction<Database>,
  { deliveryId, decision, writes }: Outcome,
): Promise<void> {
  const w = writes ?? {
    residentialUnitId: null,
    credential: '',
    roles: { deleted: [], inserted: [], updated: [] },
    partners: [],
    history: [],
    billingUnit: '',
    billingUnitPmnumber: null,
    residentialUnitPmnumber: null,
  };
  await sql`
    SELECT osr_store_outcome(
      ${deliveryId}::uuid, ${decision.status}, ${list(decision.messages)}::jsonb,
      ${list(decision.roleMessages)}::jsonb, ${list(decision.partnerMessages)}::jsonb,
      ${w.residentialUnitId}::bigint, ${w.credential}, ${JSON.stringify(w.roles.deleted)}::jsonb,
      ${JSON.stringify(w.roles.updated)}::jsonb, ${JSON.stringify(w.roles.inserted)}::jsonb,
      ${JSON.stringify(w.partners)}::jsonb, ${JSON.stringify(w.history)}::jsonb, ${w.billingUnit},
      ${w.billingUnitPmnumber}, ${w.residentialUnitPmnumber})
  `.execute(trx);
}
