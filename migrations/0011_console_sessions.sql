-- The support console's sessions (spec 10.5, src/console/): shared by every server process on
-- one database, so a signed-in operator may reach any of them. The session id is the cookie's
-- secret: only its SHA-256 is kept here, so reading this table signs nobody in.
CREATE TABLE console_sessions (
  -- hex SHA-256 of the session id
  id_hash          text PRIMARY KEY,
  -- null until the session signs in
  operator         text REFERENCES operators(name),
  -- hex SHA-256 of the operator's password hash when it signed in: a rotated password (another
  -- hash) or a revoked operator ends the session at its next request
  operator_digest  text,
  -- what the session holds besides the operator (e.g. its CSRF secret)
  data             jsonb NOT NULL,
  -- idle expiry: moved forward by every request of the session
  expires_at       timestamptz NOT NULL,
  CHECK ((operator IS NULL) = (operator_digest IS NULL))
);
-- Expired sessions are deleted a few at a time, oldest first, whenever a new session is stored.
CREATE INDEX console_sessions_expires_at ON console_sessions (expires_at);

-- The key the session cookies are signed with when OSR_CONSOLE_SECRET is not set: made by the
-- first process that needs it, then shared by all (one row).
CREATE TABLE console_settings (
  id              boolean PRIMARY KEY DEFAULT true CHECK (id),
  session_secret  text NOT NULL
);
