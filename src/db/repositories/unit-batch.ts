import { sql, type Transaction } from 'kysely';
import type { DeliveryBody } from '../../domain/delivery-schema.js';
import type { DeliveryDecision } from '../../domain/process-delivery.js';
import type { RoleDiff } from '../../domain/role-diff.js';
import type { TimelineRole } from '../../domain/timeline.js';
import type { Database } from '../schema.js';
import type { ClaimedDelivery } from './deliveries.js';
import type { PartnerRow } from './units.js';

/**
 * The worker's fast path: one statement claims the next delivery (per-unit order, SKIP LOCKED),
 * locks its unit and loads everything the rules need; one statement writes the whole outcome.
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

const APPLY_LOCK = 2;

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
    WITH next AS (
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
    ), locked AS (
      SELECT next.*, pg_advisory_xact_lock(${APPLY_LOCK}, hashtext(next.unit_key)) AS unit_lock FROM next
    )
    SELECT locked.id, locked.client_id, locked.credential, locked.billing_unit, locked.residential_unit,
           locked.body, locked.received_at,
           bu.contracts, bu.pmnumber AS bu_pmnumber, ru.id AS ru_id, ru.pmnumber AS ru_pmnumber,
           coalesce((SELECT json_agg(json_build_object('role', r.role, 'from', r.from_date, 'to', r.to_date,
                                                       'pmnumber', r.partner_pmnumber) ORDER BY r.role, r.from_date)
                     FROM roles r WHERE r.residential_unit = ru.id), '[]') AS roles,
           coalesce((SELECT json_agg(json_build_object('pmnumber', p.pmnumber, 'name', p.name, 'firstname', p.firstname,
                                                       'additionalname', p.additionalname, 'commercial', p.commercial,
                                                       'email', p.email, 'taxnumber', p.taxnumber,
                                                       'phonenumbers', p.phonenumbers))
                     FROM partners p WHERE p.residential_unit = ru.id), '[]') AS partners
    FROM locked
    LEFT JOIN billing_units bu ON bu.mscnumber = locked.billing_unit AND bu.client_id = locked.client_id
    LEFT JOIN residential_units ru ON ru.billing_unit = bu.mscnumber AND ru.mscnumber = locked.residential_unit
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
    WITH deleted AS (
      DELETE FROM roles r USING jsonb_to_recordset(${JSON.stringify(w.roles.deleted)}::jsonb) AS x(role text, "from" date)
      WHERE r.residential_unit = ${w.residentialUnitId}::bigint AND r.role = x.role AND r.from_date = x."from"
      RETURNING r.id
    ), updated AS (
      UPDATE roles r SET to_date = x."to", partner_pmnumber = x.pmnumber
      FROM jsonb_to_recordset(${JSON.stringify(w.roles.updated)}::jsonb) AS x(role text, "from" date, "to" date, pmnumber text)
      WHERE r.residential_unit = ${w.residentialUnitId}::bigint AND r.role = x.role AND r.from_date = x."from"
      RETURNING r.id
    ), inserted AS (
      INSERT INTO roles (residential_unit, role, from_date, to_date, partner_pmnumber)
      SELECT ${w.residentialUnitId}::bigint, x.role, x."from", x."to", x.pmnumber
      FROM jsonb_to_recordset(${JSON.stringify(w.roles.inserted)}::jsonb) AS x(role text, "from" date, "to" date, pmnumber text)
      RETURNING id
    ), stored_partners AS (
      INSERT INTO partners (residential_unit, pmnumber, name, firstname, additionalname, commercial, email, taxnumber, phonenumbers)
      SELECT ${w.residentialUnitId}::bigint, x.pmnumber, x.name, x.firstname, x.additionalname, x.commercial, x.email,
             x.taxnumber, x.phonenumbers
      FROM jsonb_to_recordset(${JSON.stringify(w.partners)}::jsonb) AS x(pmnumber text, name text, firstname text,
           additionalname text, commercial text, email text, taxnumber text, phonenumbers jsonb)
      ON CONFLICT (residential_unit, pmnumber) DO UPDATE SET
        name = EXCLUDED.name, firstname = EXCLUDED.firstname, additionalname = EXCLUDED.additionalname,
        commercial = EXCLUDED.commercial, email = EXCLUDED.email, taxnumber = EXCLUDED.taxnumber,
        phonenumbers = EXCLUDED.phonenumbers
      RETURNING pmnumber
    ), history AS (
      INSERT INTO change_history (residential_unit, delivery_id, credential, entity, change, before, after)
      SELECT ${w.residentialUnitId}::bigint, ${deliveryId}::uuid, ${w.credential}, e.item->>'entity', e.item->>'change',
             NULLIF(e.item->'before', 'null'::jsonb), NULLIF(e.item->'after', 'null'::jsonb)
      FROM jsonb_array_elements(${JSON.stringify(w.history)}::jsonb) WITH ORDINALITY AS e(item, n)
      ORDER BY e.n
      RETURNING id
    ), billing_unit AS (
      UPDATE billing_units SET pmnumber = ${w.billingUnitPmnumber}
      WHERE mscnumber = ${w.billingUnit} AND ${w.billingUnitPmnumber}::text IS NOT NULL
        AND pmnumber IS DISTINCT FROM ${w.billingUnitPmnumber}
      RETURNING 1
    ), residential_unit AS (
      UPDATE residential_units SET pmnumber = ${w.residentialUnitPmnumber}
      WHERE id = ${w.residentialUnitId}::bigint AND ${w.residentialUnitPmnumber}::text IS NOT NULL
        AND pmnumber IS DISTINCT FROM ${w.residentialUnitPmnumber}
      RETURNING 1
    )
    UPDATE deliveries SET status = ${decision.status}, processed_at = now(),
      messages = ${list(decision.messages)}::jsonb,
      role_messages = ${list(decision.roleMessages)}::jsonb,
      partner_messages = ${list(decision.partnerMessages)}::jsonb
    WHERE id = ${deliveryId}::uuid
  `.execute(trx);
}
