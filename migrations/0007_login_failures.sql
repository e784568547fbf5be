-- Failed sign-in attempts (spec section 7), counted across every API process: one row per
-- throttled key (a username or a source address, as the digest the app computes), with the times
-- of its latest failures. What they mean (how many, for how long) is decided by the app
-- (src/domain/login-throttle.ts); this keeps the storage: at most p_keep times per key within the
-- window, and rows whose window has passed are deleted a few at a time by later recordings.
CREATE TABLE login_failures (
  key text PRIMARY KEY,
  scope text NOT NULL CHECK (scope IN ('username', 'address')),
  failed_at timestamptz[] NOT NULL,
  expires_at timestamptz NOT NULL
);

CREATE INDEX login_failures_expires_at ON login_failures (expires_at);

-- Records one failure for the username's key (NULL: a refused bearer token, counted per address
-- only) and the address's key; returns their failure times after it. The row lock of the upsert
-- orders concurrent recordings of one key, so each sees the others' failures.
CREATE FUNCTION osr_record_login_failure(p_username_key text, p_address_key text, p_username_keep integer,
                                         p_address_keep integer, p_window_seconds integer)
RETURNS TABLE (username_failures timestamptz[], address_failures timestamptz[], recorded_at timestamptz)
LANGUAGE plpgsql AS $$
DECLARE
  v_window interval := make_interval(secs => p_window_seconds);
  v_key record;
  v_failures timestamptz[];
BEGIN
  -- Always the username's row before the address's: concurrent recordings lock rows in one order.
  FOR v_key IN
    SELECT * FROM (VALUES (1, 'username', p_username_key, p_username_keep),
                          (2, 'address', p_address_key, p_address_keep)) AS k (ord, scope, key, keep)
    WHERE k.key IS NOT NULL
    ORDER BY k.ord
  LOOP
    INSERT INTO login_failures AS f (key, scope, failed_at, expires_at)
    VALUES (v_key.key, v_key.scope, ARRAY[now()], now() + v_window)
    ON CONFLICT (key) DO UPDATE SET
      failed_at = ARRAY(SELECT latest.failed FROM (SELECT t.failed FROM unnest(f.failed_at || now()) AS t (failed)
                                                   WHERE t.failed > now() - v_window
                                                   ORDER BY t.failed DESC LIMIT v_key.keep) AS latest
                        ORDER BY latest.failed),
      expires_at = greatest(f.expires_at, now() + v_window)
    RETURNING f.failed_at INTO v_failures;
    IF v_key.scope = 'username' THEN
      username_failures := v_failures;
    ELSE
      address_failures := v_failures;
    END IF;
  END LOOP;
  -- A few expired rows go with every recording (more than it can add), never waiting for a row
  -- another recording holds: the table stays as small as the keys that failed within the window.
  DELETE FROM login_failures WHERE key IN (
    SELECT key FROM login_failures WHERE expires_at < now() ORDER BY expires_at LIMIT 20 FOR UPDATE SKIP LOCKED
  );
  recorded_at := now();
  RETURN NEXT;
END $$;
