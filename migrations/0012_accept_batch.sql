-- E1's group commit (issue 15): the deliveries of several concurrent E1 requests stored by one
-- statement, so that one transaction, and one WAL flush, serves them all. A server process sends
-- what arrived while its previous statement was committing (src/db/accept-batcher.ts); a request
-- is answered once the statement that stored its row has committed, as with osr_accept.
--
-- Each row is checked and stored as osr_accept would: its credential re-checked
-- (osr_credential_current, once, before any lock is waited for), then, under its unit's lock
-- (1, hashtext(unit_key)), inserted with the columns osr_insert_delivery sets. The locks of all
-- the units are taken first, in ascending order of their key: two batches then never wait for
-- each other in a cycle, and osr_accept and osr_accept_with_key take one such lock only. The
-- rows are inserted in their array order, so `seq` follows the order the process received them
-- within a unit. A row whose credential is not current is not stored (accepted false), the others
-- are; a failing row (e.g. a duplicate id) fails the whole statement, and the process stores
-- that batch's rows one by one with osr_accept.
--
-- p_rows: jsonb, not json: parsed once, and every field read (the body too) is a lookup in the
-- parsed value rather than a new scan of the text.
CREATE FUNCTION osr_accept_batch(p_rows jsonb)
RETURNS TABLE (ordinal integer, accepted boolean)
LANGUAGE plpgsql AS $$
DECLARE
  -- by row (1-based, in array order): whether its credential is current
  credential_ok boolean[];
  unit_lock integer;
BEGIN
  -- One check per distinct credential: a batch's rows mostly come from a few clients.
  WITH batch AS (
    SELECT e.r, e.n FROM jsonb_array_elements(p_rows) WITH ORDINALITY AS e(r, n)
  ), distinct_credentials AS (
    SELECT DISTINCT r->>'username' AS username, r->>'hash' AS hash, r->>'client' AS client,
                    (r->>'read_only')::boolean AS read_only
    FROM batch
  ), checked AS (
    SELECT c.username, c.hash, c.client, c.read_only,
           osr_credential_current(c.username, c.hash, c.client, c.read_only) AS current
    FROM distinct_credentials c
  )
  SELECT coalesce(array_agg(coalesce(k.current, false) ORDER BY b.n), '{}') INTO credential_ok
  FROM batch b
  LEFT JOIN checked k ON k.username = b.r->>'username' AND k.hash = b.r->>'hash' AND k.client = b.r->>'client'
                     AND k.read_only = (b.r->>'read_only')::boolean;

  FOR unit_lock IN
    SELECT DISTINCT hashtext(e.r->>'unit_key')
    FROM jsonb_array_elements(p_rows) WITH ORDINALITY AS e(r, n)
    WHERE credential_ok[e.n]
    ORDER BY 1
  LOOP
    PERFORM pg_advisory_xact_lock(1, unit_lock);
  END LOOP;

  INSERT INTO deliveries (id, client_id, credential, billing_unit, residential_unit, unit_key, body, request_id)
  SELECT (e.r->>'id')::uuid, e.r->>'client', e.r->>'username', e.r->>'billing_unit', e.r->>'residential_unit',
         e.r->>'unit_key', e.r->'body', e.r->>'request_id'
  FROM jsonb_array_elements(p_rows) WITH ORDINALITY AS e(r, n)
  WHERE credential_ok[e.n]
  ORDER BY e.n;

  RETURN QUERY SELECT i, credential_ok[i] FROM generate_subscripts(credential_ok, 1) AS i;
END $$;
