-- Operator accounts (spec 10.1): the metering company's own staff and systems, signing in under
-- /msc/v1/ and /console. Kept apart from the clients' credentials on purpose: another table, so an
-- operator's name never finds a client credential and a client's username never finds an
-- operator, whatever the two are called. Passwords are stored as the credentials' are (salted
-- scrypt, src/auth/password.ts). `osr operator add|list|revoke|rotate` change it.
CREATE TABLE operators (
  name           text PRIMARY KEY,
  password_hash  text NOT NULL,
  read_only      boolean NOT NULL DEFAULT false,
  revoked_at     timestamptz,
  created_at     timestamptz NOT NULL DEFAULT now(),
  -- when the password was last replaced (osr operator rotate); null: never
  rotated_at     timestamptz
);

-- Whether an operator is still the one a request's principal was verified against: not revoked,
-- the same password hash (not rotated since), the same access. The /msc/v1 scope asks it for a
-- principal it remembers from an earlier request, before the route runs.
CREATE FUNCTION osr_operator_current(p_name text, p_hash text, p_read_only boolean)
RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT EXISTS (SELECT 1 FROM operators o
                 WHERE o.name = p_name AND o.password_hash = p_hash AND o.read_only = p_read_only
                   AND o.revoked_at IS NULL)
$$;
