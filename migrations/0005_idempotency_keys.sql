-- Idempotency keys of E1 (spec 9.2): a key is scoped to the client and stored in the transaction
-- that stores its delivery, with the fingerprint of the request (src/domain/idempotency-key.ts)
-- and the delivery it was answered with. Which request gets which answer is decided in TypeScript.

CREATE TABLE idempotency_keys (
  client_id    text NOT NULL,
  key          text NOT NULL,
  -- sha256 (hex) of the request's path and exact body bytes
  fingerprint  text NOT NULL,
  delivery_id  uuid NOT NULL REFERENCES deliveries(id),
  created_at   timestamptz NOT NULL DEFAULT now(),
  -- from then on the key counts as absent; `osr purge` deletes it
  expires_at   timestamptz NOT NULL,
  PRIMARY KEY (client_id, key)
);
CREATE INDEX idempotency_keys_expiry_idx ON idempotency_keys(expires_at);

-- E1 with a key, before the body is checked: always one row, the credential check and the key
-- stored for the caller's client, unexpired (NULLs when none).
CREATE FUNCTION osr_idempotency_key(p_username text, p_hash text, p_client text, p_read_only boolean, p_key text)
RETURNS TABLE (credential_ok boolean, fingerprint text, delivery_id uuid)
LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN QUERY
    SELECT osr_credential_current(p_username, p_hash, p_client, p_read_only), k.fingerprint, k.delivery_id
    FROM (SELECT 1) AS one
    LEFT JOIN idempotency_keys k ON k.client_id = p_client AND k.key = p_key AND k.expires_at > now();
END $$;

-- E1 with a key: osr_accept, plus the key in the same transaction. Requests with the same key take
-- turns on an advisory lock; one that finds it held answers at once (busy) instead of waiting. The
-- holder of the lock finds the key unexpired (stored_*: nothing is stored) or stores the delivery
-- and the key, replacing an expired one. The primary key is the last word should two ever race.
CREATE FUNCTION osr_accept_with_key(p_username text, p_hash text, p_client text, p_read_only boolean, p_id uuid,
                                    p_billing_unit text, p_residential_unit text, p_unit_key text, p_body jsonb,
                                    p_request_id text, p_key text, p_fingerprint text, p_retention_seconds integer)
RETURNS TABLE (credential_ok boolean, accepted boolean, busy boolean, stored_fingerprint text,
               stored_delivery_id uuid)
LANGUAGE plpgsql AS $$
DECLARE
  stored record;
BEGIN
  IF NOT osr_credential_current(p_username, p_hash, p_client, p_read_only) THEN
    RETURN QUERY SELECT false, false, false, NULL::text, NULL::uuid;
    RETURN;
  END IF;
  -- One 64-bit lock per (client, key); a key has no control characters, so chr(31) separates.
  IF NOT pg_try_advisory_xact_lock(hashtextextended(p_client || chr(31) || p_key, 5)) THEN
    RETURN QUERY SELECT true, false, true, NULL::text, NULL::uuid;
    RETURN;
  END IF;
  -- A new snapshot: sees what the lock's previous holder committed.
  SELECT k.fingerprint, k.delivery_id INTO stored
  FROM idempotency_keys k
  WHERE k.client_id = p_client AND k.key = p_key AND k.expires_at > now();
  IF FOUND THEN
    RETURN QUERY SELECT true, false, false, stored.fingerprint, stored.delivery_id;
    RETURN;
  END IF;
  PERFORM osr_insert_delivery(p_id, p_client, p_username, p_billing_unit, p_residential_unit, p_unit_key, p_body,
                              p_request_id);
  INSERT INTO idempotency_keys AS k (client_id, key, fingerprint, delivery_id, expires_at)
  VALUES (p_client, p_key, p_fingerprint, p_id, now() + make_interval(secs => p_retention_seconds))
  ON CONFLICT (client_id, key) DO UPDATE
    SET fingerprint = excluded.fingerprint, delivery_id = excluded.delivery_id, created_at = excluded.created_at,
        expires_at = excluded.expires_at
    WHERE k.expires_at <= now();
  IF NOT FOUND THEN
    RAISE EXCEPTION 'idempotency key stored concurrently' USING ERRCODE = 'unique_violation';
  END IF;
  RETURN QUERY SELECT true, true, false, NULL::text, NULL::uuid;
END $$;
