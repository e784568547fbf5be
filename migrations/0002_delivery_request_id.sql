-- The request id of the POST that delivered a delivery, so that the worker's log line for it
-- carries the same id as the API's request line (one search finds both). NULL for deliveries
-- stored before this migration or without an HTTP request (the demo's move-in).
ALTER TABLE deliveries ADD COLUMN request_id text;

DROP FUNCTION osr_accept(text, text, text, boolean, uuid, text, text, text, jsonb);
DROP FUNCTION osr_insert_delivery(uuid, text, text, text, text, text, jsonb);

CREATE FUNCTION osr_insert_delivery(p_id uuid, p_client text, p_credential text, p_billing_unit text,
                                    p_residential_unit text, p_unit_key text, p_body jsonb, p_request_id text)
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(1, hashtext(p_unit_key));
  INSERT INTO deliveries (id, client_id, credential, billing_unit, residential_unit, unit_key, body, request_id)
  VALUES (p_id, p_client, p_credential, p_billing_unit, p_residential_unit, p_unit_key, p_body, p_request_id);
END $$;

CREATE FUNCTION osr_accept(p_username text, p_hash text, p_client text, p_read_only boolean, p_id uuid,
                           p_billing_unit text, p_residential_unit text, p_unit_key text, p_body jsonb,
                           p_request_id text)
RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
  IF NOT osr_credential_current(p_username, p_hash, p_client, p_read_only) THEN
    RETURN false;
  END IF;
  PERFORM osr_insert_delivery(p_id, p_client, p_username, p_billing_unit, p_residential_unit, p_unit_key, p_body,
                              p_request_id);
  RETURN true;
END $$;

DROP FUNCTION osr_claim_batch(integer);

CREATE FUNCTION osr_claim_batch(p_limit integer)
RETURNS TABLE (id uuid, client_id text, credential text, billing_unit text, residential_unit text, body jsonb,
               received_at timestamptz, request_id text, billing_unit_client text, contracts text[],
               residential_unit_id bigint, roles json, partners json)
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
    IF pg_try_advisory_xact_lock(2, hashtext(candidate.unit_key)) THEN
      claimed := claimed || candidate.id;
    END IF;
  END LOOP;
  RETURN QUERY
    SELECT c.id, c.client_id, c.credential, c.billing_unit, c.residential_unit, c.body, c.received_at, c.request_id,
           bu.client_id, bu.contracts, ru.id,
           coalesce((SELECT json_agg(json_build_object('role', r.role, 'from', r.from_date, 'to', r.to_date,
                                                       'pmnumber', r.partner_pmnumber))
                     FROM roles r WHERE r.residential_unit = ru.id), '[]'::json),
           coalesce((SELECT json_agg(json_build_object('pmnumber', p.pmnumber, 'name', p.name,
                                                       'firstname', p.firstname, 'additionalname', p.additionalname,
                                                       'commercial', p.commercial, 'email', p.email,
                                                       'taxnumber', p.taxnumber, 'phonenumbers', p.phonenumbers))
                     FROM partners p WHERE p.residential_unit = ru.id), '[]'::json)
    FROM deliveries c
    LEFT JOIN billing_units bu ON bu.mscnumber = c.billing_unit
    LEFT JOIN residential_units ru ON ru.billing_unit = bu.mscnumber AND ru.mscnumber = c.residential_unit
    WHERE c.id = ANY (claimed)
    ORDER BY c.seq;
END $$;
