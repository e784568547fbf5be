import { type Kysely, sql } from 'kysely';

/**
 * The worker claims and stores deliveries in batches: one claim call and one store call per
 * transaction for up to `p_limit` deliveries of different units, instead of two calls and a
 * commit per delivery. Per-unit order is the same rule as in osr_claim_next (which this
 * replaces; a single delivery is a batch of one): only the oldest PENDING delivery of a unit is
 * eligible, so a batch never holds two deliveries of one unit.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP FUNCTION osr_claim_next();

    CREATE FUNCTION osr_claim_batch(p_limit integer)
    RETURNS TABLE (id uuid, client_id text, credential text, billing_unit text, residential_unit text, body jsonb,
                   received_at timestamptz, contracts text[], bu_pmnumber text, ru_id bigint, ru_pmnumber text,
                   roles json, partners json)
    LANGUAGE plpgsql AS $$
    DECLARE
      claimed uuid[] := '{}';
      candidate record;
    BEGIN
      FOR candidate IN
        SELECT d.id, d.unit_key FROM deliveries d
        WHERE d.status = 'PENDING'
          AND NOT EXISTS (SELECT 1 FROM deliveries older
                          WHERE older.status = 'PENDING' AND older.unit_key = d.unit_key AND older.seq < d.seq)
        ORDER BY d.seq
        LIMIT p_limit
        FOR UPDATE OF d SKIP LOCKED
      LOOP
        -- Never wait for a unit lock inside a batch (two batches could wait for each other): a
        -- delivery whose unit is busy stays PENDING for a later claim.
        IF pg_try_advisory_xact_lock(2, hashtext(candidate.unit_key)) THEN
          claimed := claimed || candidate.id;
        END IF;
      END LOOP;
      RETURN QUERY
        SELECT c.id, c.client_id, c.credential, c.billing_unit, c.residential_unit, c.body, c.received_at,
               bu.contracts, bu.pmnumber, ru.id, ru.pmnumber,
               coalesce((SELECT json_agg(json_build_object('role', r.role, 'from', r.from_date, 'to', r.to_date,
                                                           'pmnumber', r.partner_pmnumber) ORDER BY r.role, r.from_date)
                         FROM roles r WHERE r.residential_unit = ru.id), '[]'::json),
               coalesce((SELECT json_agg(json_build_object('pmnumber', p.pmnumber, 'name', p.name,
                                                           'firstname', p.firstname, 'additionalname', p.additionalname,
                                                           'commercial', p.commercial, 'email', p.email,
                                                           'taxnumber', p.taxnumber, 'phonenumbers', p.phonenumbers))
                         FROM partners p WHERE p.residential_unit = ru.id), '[]'::json)
        FROM deliveries c
        LEFT JOIN billing_units bu ON bu.mscnumber = c.billing_unit AND bu.client_id = c.client_id
        LEFT JOIN residential_units ru ON ru.billing_unit = bu.mscnumber AND ru.mscnumber = c.residential_unit
        WHERE c.id = ANY (claimed)
        ORDER BY c.seq;
    END $$;

    -- One osr_store_outcome per element, in order; the keys are its parameters' names.
    CREATE FUNCTION osr_store_outcomes(p_outcomes jsonb)
    RETURNS void
    LANGUAGE plpgsql AS $$
    DECLARE
      o jsonb;
    BEGIN
      FOR o IN SELECT value FROM jsonb_array_elements(p_outcomes) LOOP
        PERFORM osr_store_outcome(
          (o->>'delivery')::uuid, o->>'status', NULLIF(o->'messages', 'null'), NULLIF(o->'roleMessages', 'null'),
          NULLIF(o->'partnerMessages', 'null'), (o->>'unit')::bigint, o->>'credential', o->'deleted', o->'updated',
          o->'inserted', o->'partners', o->'history', o->>'billingUnit', o->>'billingUnitPmnumber',
          o->>'unitPmnumber');
      END LOOP;
    END $$;
  `.execute(db);
}
