-- Closed billing periods (spec 8.2): the metering company has finished the bills of a billing
-- unit up to and including closed_until (NULL: none yet), so billing recipients on or before it
-- can no longer change. Set forward only by `osr billingunit close` and the bulk import (the rule
-- is src/domain/closed-until.ts); the worker's claim loads it for the rules.
ALTER TABLE billing_units ADD COLUMN closed_until date;

DROP FUNCTION osr_claim_batch(integer);

CREATE FUNCTION osr_claim_batch(p_limit integer)
RETURNS TABLE (id uuid, client_id text, credential text, billing_unit text, residential_unit text, body jsonb,
               received_at timestamptz, request_id text, billing_unit_client text, contracts text[],
               closed_until date, residential_unit_id bigint, roles json, partners json)
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
           bu.client_id, bu.contracts, bu.closed_until, ru.id,
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
