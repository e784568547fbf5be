import { type Kysely, sql } from 'kysely';

/**
 * The worker's two hot statements as PL/pgSQL functions: their plans are cached per session, so
 * a delivery costs two cheap calls instead of parsing and planning two large statements each time.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE FUNCTION osr_claim_next()
    RETURNS TABLE (id uuid, client_id text, credential text, billing_unit text, residential_unit text, body jsonb,
                   received_at timestamptz, contracts text[], bu_pmnumber text, ru_id bigint, ru_pmnumber text,
                   roles json, partners json)
    LANGUAGE plpgsql AS $$
    DECLARE
      claimed deliveries%ROWTYPE;
    BEGIN
      -- Oldest PENDING delivery whose unit has no older PENDING one; rows other workers hold are skipped.
      SELECT d.* INTO claimed FROM deliveries d
      WHERE d.status = 'PENDING'
        AND NOT EXISTS (SELECT 1 FROM deliveries older
                        WHERE older.status = 'PENDING' AND older.unit_key = d.unit_key AND older.seq < d.seq)
      ORDER BY d.seq
      LIMIT 1
      FOR UPDATE OF d SKIP LOCKED;
      IF NOT FOUND THEN
        RETURN;
      END IF;
      PERFORM pg_advisory_xact_lock(2, hashtext(claimed.unit_key));
      RETURN QUERY
        SELECT claimed.id, claimed.client_id, claimed.credential, claimed.billing_unit, claimed.residential_unit,
               claimed.body, claimed.received_at, bu.contracts, bu.pmnumber, ru.id, ru.pmnumber,
               coalesce((SELECT json_agg(json_build_object('role', r.role, 'from', r.from_date, 'to', r.to_date,
                                                           'pmnumber', r.partner_pmnumber) ORDER BY r.role, r.from_date)
                         FROM roles r WHERE r.residential_unit = ru.id), '[]'::json),
               coalesce((SELECT json_agg(json_build_object('pmnumber', p.pmnumber, 'name', p.name,
                                                           'firstname', p.firstname, 'additionalname', p.additionalname,
                                                           'commercial', p.commercial, 'email', p.email,
                                                           'taxnumber', p.taxnumber, 'phonenumbers', p.phonenumbers))
                         FROM partners p WHERE p.residential_unit = ru.id), '[]'::json)
        FROM (SELECT 1) AS one
        LEFT JOIN billing_units bu ON bu.mscnumber = claimed.billing_unit AND bu.client_id = claimed.client_id
        LEFT JOIN residential_units ru ON ru.billing_unit = bu.mscnumber AND ru.mscnumber = claimed.residential_unit;
    END $$;

    CREATE FUNCTION osr_store_outcome(
      p_delivery uuid, p_status text, p_messages jsonb, p_role_messages jsonb, p_partner_messages jsonb,
      p_unit bigint, p_credential text, p_deleted jsonb, p_updated jsonb, p_inserted jsonb, p_partners jsonb,
      p_history jsonb, p_billing_unit text, p_billing_unit_pmnumber text, p_unit_pmnumber text)
    RETURNS void
    LANGUAGE plpgsql AS $$
    BEGIN
      IF p_unit IS NOT NULL THEN
        DELETE FROM roles r USING jsonb_to_recordset(p_deleted) AS x(role text, "from" date)
        WHERE r.residential_unit = p_unit AND r.role = x.role AND r.from_date = x."from";
        UPDATE roles r SET to_date = x."to", partner_pmnumber = x.pmnumber
        FROM jsonb_to_recordset(p_updated) AS x(role text, "from" date, "to" date, pmnumber text)
        WHERE r.residential_unit = p_unit AND r.role = x.role AND r.from_date = x."from";
        INSERT INTO roles (residential_unit, role, from_date, to_date, partner_pmnumber)
        SELECT p_unit, x.role, x."from", x."to", x.pmnumber
        FROM jsonb_to_recordset(p_inserted) AS x(role text, "from" date, "to" date, pmnumber text);
        INSERT INTO partners (residential_unit, pmnumber, name, firstname, additionalname, commercial, email, taxnumber,
                              phonenumbers)
        SELECT p_unit, x.pmnumber, x.name, x.firstname, x.additionalname, x.commercial, x.email, x.taxnumber,
               x.phonenumbers
        FROM jsonb_to_recordset(p_partners) AS x(pmnumber text, name text, firstname text, additionalname text,
                                                 commercial text, email text, taxnumber text, phonenumbers jsonb)
        ON CONFLICT (residential_unit, pmnumber) DO UPDATE SET
          name = EXCLUDED.name, firstname = EXCLUDED.firstname, additionalname = EXCLUDED.additionalname,
          commercial = EXCLUDED.commercial, email = EXCLUDED.email, taxnumber = EXCLUDED.taxnumber,
          phonenumbers = EXCLUDED.phonenumbers;
        INSERT INTO change_history (residential_unit, delivery_id, credential, entity, change, before, after)
        SELECT p_unit, p_delivery, p_credential, e.item->>'entity', e.item->>'change',
               NULLIF(e.item->'before', 'null'::jsonb), NULLIF(e.item->'after', 'null'::jsonb)
        FROM jsonb_array_elements(p_history) WITH ORDINALITY AS e(item, n)
        ORDER BY e.n;
        IF p_billing_unit_pmnumber IS NOT NULL THEN
          UPDATE billing_units SET pmnumber = p_billing_unit_pmnumber
          WHERE mscnumber = p_billing_unit AND pmnumber IS DISTINCT FROM p_billing_unit_pmnumber;
        END IF;
        IF p_unit_pmnumber IS NOT NULL THEN
          UPDATE residential_units SET pmnumber = p_unit_pmnumber
          WHERE id = p_unit AND pmnumber IS DISTINCT FROM p_unit_pmnumber;
        END IF;
      END IF;
      UPDATE deliveries SET status = p_status, processed_at = now(), messages = p_messages,
        role_messages = p_role_messages, partner_messages = p_partner_messages
      WHERE id = p_delivery;
    END $$;
  `.execute(db);
}
