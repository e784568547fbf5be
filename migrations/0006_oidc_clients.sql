-- Bearer tokens (spec 9.3): which value of a token's client claim (azp, else client_id, or the
-- claim OSR_OIDC_CLIENT_CLAIM names) acts for which client, and whether it may only read.
-- `osr oidc add` and `osr oidc remove` change it; running servers see a change with the next
-- request, through the re-check below.
CREATE TABLE oidc_clients (
  claim_value  text PRIMARY KEY,
  client_id    text NOT NULL REFERENCES clients(id),
  read_only    boolean NOT NULL DEFAULT false,
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX oidc_clients_client_idx ON oidc_clients(client_id);

-- The re-check every request statement makes (osr_accept, osr_delivery_result and
-- osr_current_roles call it), now also for a principal that came with a bearer token: its
-- "username" is 'oidc:' followed by the claim value (a credential's username never contains
-- ':'), its "hash" the marker 'oidc-token' (never a stored password hash). Same signature, so
-- the functions that call it stay as they are.
CREATE OR REPLACE FUNCTION osr_credential_current(p_username text, p_hash text, p_client text, p_read_only boolean)
RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT CASE
    WHEN p_hash = 'oidc-token' THEN
      EXISTS (SELECT 1 FROM oidc_clients o
              WHERE left(p_username, 5) = 'oidc:' AND o.claim_value = substr(p_username, 6)
                AND o.client_id = p_client AND o.read_only = p_read_only)
    ELSE
      EXISTS (SELECT 1 FROM credentials c
              WHERE c.username = p_username AND c.password_hash = p_hash AND c.client_id = p_client
                AND c.read_only = p_read_only AND c.revoked_at IS NULL)
  END
$$;
