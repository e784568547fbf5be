import { type Kysely, sql } from 'kysely';

/**
 * One round trip per API request. Each request's statement is a PL/pgSQL function (plans cached
 * per connection) that also re-checks the caller's credential row — username, the stored hash the
 * password was verified against, client, read-only flag, not revoked — so a principal taken from
 * the in-process cache can never outlive a revoke or rotate (the caller re-authenticates when the
 * check fails), without a separate credential read per request.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE FUNCTION osr_credential_current(p_username text, p_hash text, p_client text, p_read_only boolean)
    RETURNS boolean
    LANGUAGE sql STABLE AS $$
      SELECT EXISTS (SELECT 1 FROM credentials c
                     WHERE c.username = p_username AND c.password_hash = p_hash AND c.client_id = p_client
                       AND c.read_only = p_read_only AND c.revoked_at IS NULL)
    $$;

    -- E1 stores a delivery per request. Its client is the verified credential's (a foreign key of
    -- credentials) and clients are never deleted, so the per-insert foreign-key check (a lookup
    -- and a row lock on the clients row, about a fifth of the insert's cost) buys nothing.
    ALTER TABLE deliveries DROP CONSTRAINT deliveries_client_id_fkey;

    -- The per-unit advisory lock serialises acceptance, so seq order is commit order within a unit.
    CREATE FUNCTION osr_insert_delivery(p_id uuid, p_client text, p_credential text, p_billing_unit text,
                                        p_residential_unit text, p_unit_key text, p_body jsonb)
    RETURNS void
    LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_advisory_xact_lock(1, hashtext(p_unit_key));
      INSERT INTO deliveries (id, client_id, credential, billing_unit, residential_unit, unit_key, body)
      VALUES (p_id, p_client, p_credential, p_billing_unit, p_residential_unit, p_unit_key, p_body);
    END $$;

    -- E1. False (and nothing stored) when the credential is no longer the one verified.
    CREATE FUNCTION osr_accept(p_username text, p_hash text, p_client text, p_read_only boolean, p_id uuid,
                               p_billing_unit text, p_residential_unit text, p_unit_key text, p_body jsonb)
    RETURNS boolean
    LANGUAGE plpgsql AS $$
    BEGIN
      IF NOT osr_credential_current(p_username, p_hash, p_client, p_read_only) THEN
        RETURN false;
      END IF;
      PERFORM osr_insert_delivery(p_id, p_client, p_username, p_billing_unit, p_residential_unit, p_unit_key, p_body);
      RETURN true;
    END $$;

    -- E3. Always one row: the credential check, then the delivery's columns (NULL when not found).
    -- Looked up by primary key alone, then checked: with a condition on client and billing unit
    -- in the same WHERE, a planner without fresh statistics has picked the (client, billing unit)
    -- index and scanned all of a client's deliveries per request.
    CREATE FUNCTION osr_delivery_result(p_username text, p_hash text, p_client text, p_read_only boolean, p_id uuid,
                                        p_billing_unit text)
    RETURNS TABLE (credential_ok boolean, id uuid, status text, received_at timestamptz, processed_at timestamptz,
                   messages jsonb, role_messages jsonb, partner_messages jsonb)
    LANGUAGE plpgsql STABLE AS $$
    DECLARE
      d deliveries%ROWTYPE;
    BEGIN
      SELECT * INTO d FROM deliveries WHERE deliveries.id = p_id;
      IF d.client_id IS DISTINCT FROM p_client OR d.billing_unit IS DISTINCT FROM p_billing_unit THEN
        d := NULL;
      END IF;
      RETURN QUERY SELECT osr_credential_current(p_username, p_hash, p_client, p_read_only), d.id, d.status,
                          d.received_at, d.processed_at, d.messages, d.role_messages, d.partner_messages;
    END $$;

    -- E2. Always one row: the credential check, whether the unit is the client's, its references,
    -- its roles of the given types (by from, then type) and the partners those roles reference.
    CREATE FUNCTION osr_current_roles(p_username text, p_hash text, p_client text, p_read_only boolean,
                                      p_billing_unit text, p_residential_unit text, p_role_types text[])
    RETURNS TABLE (credential_ok boolean, found boolean, bu_pmnumber text, ru_pmnumber text, roles json,
                   partners json)
    LANGUAGE plpgsql STABLE AS $$
    BEGIN
      RETURN QUERY
        SELECT osr_credential_current(p_username, p_hash, p_client, p_read_only), u.id IS NOT NULL, u.bu_pmnumber,
               u.ru_pmnumber,
               coalesce((SELECT json_agg(json_build_object('role', r.role, 'from', r.from_date, 'to', r.to_date,
                                                           'pmnumber', r.partner_pmnumber)
                                         ORDER BY r.from_date, r.role)
                         FROM roles r WHERE r.residential_unit = u.id AND r.role = ANY (p_role_types)), '[]'::json),
               coalesce((SELECT json_agg(json_build_object('pmnumber', p.pmnumber, 'name', p.name,
                                                           'firstname', p.firstname,
                                                           'additionalname', p.additionalname,
                                                           'commercial', p.commercial, 'email', p.email,
                                                           'taxnumber', p.taxnumber,
                                                           'phonenumbers', p.phonenumbers)
                                         ORDER BY p.pmnumber)
                         FROM partners p
                         WHERE p.residential_unit = u.id
                           AND p.pmnumber IN (SELECT r.partner_pmnumber FROM roles r
                                              WHERE r.residential_unit = u.id AND r.role = ANY (p_role_types))),
                        '[]'::json)
        FROM (SELECT 1) AS one
        LEFT JOIN (SELECT ru.id, bu.pmnumber AS bu_pmnumber, ru.pmnumber AS ru_pmnumber
                   FROM residential_units ru JOIN billing_units bu ON bu.mscnumber = ru.billing_unit
                   WHERE bu.mscnumber = p_billing_unit AND bu.client_id = p_client
                     AND ru.mscnumber = p_residential_unit) AS u ON true;
    END $$;
  `.execute(db);
}
