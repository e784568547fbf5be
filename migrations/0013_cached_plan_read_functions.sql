-- The credential re-check of every request statement, and E3's lookup by billing unit.
--
-- osr_credential_current was a SQL function that PostgreSQL cannot inline (its CASE holds
-- EXISTS subqueries): such a function is parsed and planned again at every call, which cost more
-- than the rest of an E2 or E3 statement (measured with pgbench on 2 cores: the check alone
-- ~3,000 calls/s as SQL, ~8,800 as PL/pgSQL, whose plans are cached per session; a bare
-- primary-key SELECT ~5,100). Same signature and result, now PL/pgSQL; osr_accept,
-- osr_accept_with_key, osr_idempotency_key and osr_current_roles call it unchanged.
--
-- E3 now also takes the `{bu}` of its path and looks the delivery up by it and its id: a
-- delivery POSTed under another `{bu}` is not found, which is the answer the route gave anyway
-- (src/domain/access.ts deliveryVisibleTo still decides it). With the billing unit in the
-- lookup, E3 goes to one shard once the tables are distributed by billing unit (docs/capacity.md).
-- It stays PL/pgSQL: its inner plan is cached too (an inlined SQL function is planned per call).

CREATE OR REPLACE FUNCTION osr_credential_current(p_username text, p_hash text, p_client text, p_read_only boolean)
RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
BEGIN
  IF p_hash = 'oidc-token' THEN
    RETURN EXISTS (SELECT 1 FROM oidc_clients o
                   WHERE left(p_username, 5) = 'oidc:' AND o.claim_value = substr(p_username, 6)
                     AND o.client_id = p_client AND o.read_only = p_read_only);
  END IF;
  RETURN EXISTS (SELECT 1 FROM credentials c
                 WHERE c.username = p_username AND c.password_hash = p_hash AND c.client_id = p_client
                   AND c.read_only = p_read_only AND c.revoked_at IS NULL);
END $$;

DROP FUNCTION osr_delivery_result(text, text, text, boolean, uuid);

CREATE FUNCTION osr_delivery_result(p_username text, p_hash text, p_client text, p_read_only boolean,
                                    p_billing_unit text, p_id uuid)
RETURNS TABLE (credential_ok boolean, id uuid, client_id text, billing_unit text, status text,
               received_at timestamptz, processed_at timestamptz, messages jsonb, role_messages jsonb,
               partner_messages jsonb)
LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN QUERY
    SELECT osr_credential_current(p_username, p_hash, p_client, p_read_only), d.id, d.client_id, d.billing_unit,
           d.status, d.received_at, d.processed_at, d.messages, d.role_messages, d.partner_messages
    FROM (SELECT 1) AS one
    LEFT JOIN deliveries d ON d.id = p_id AND d.billing_unit = p_billing_unit;
END $$;
