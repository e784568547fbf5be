-- The baseline schema: storage, the queue and the credential re-check. Every spec rule is decided
-- in TypeScript (src/domain/); these functions only find, lock, store and check integrity.
-- Landed: never edit this file again (its SHA-256 is recorded in every migrated database, and
-- test/db/migrations.test.ts fails when it changes); change the schema with a new migration.

-- ------------------------------------------------------------------------------------------------
-- Master data
-- ------------------------------------------------------------------------------------------------

CREATE TABLE clients (
  id          text PRIMARY KEY,
  name        text,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE credentials (
  username       text PRIMARY KEY,
  client_id      text NOT NULL REFERENCES clients(id),
  password_hash  text NOT NULL,
  read_only      boolean NOT NULL DEFAULT false,
  revoked_at     timestamptz,
  created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX credentials_client_idx ON credentials(client_id);

CREATE TABLE billing_units (
  mscnumber   text PRIMARY KEY,
  client_id   text NOT NULL REFERENCES clients(id),
  contracts   text[] NOT NULL DEFAULT '{S-COR}',
  -- the billing unit's pmnumber as the last SUCCESS delivery sent it
  pmnumber    text,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX billing_units_client_idx ON billing_units(client_id);

CREATE TABLE residential_units (
  id              bigserial PRIMARY KEY,
  billing_unit    text NOT NULL REFERENCES billing_units(mscnumber),
  mscnumber       text NOT NULL,
  pmnumber        text,
  -- E2's `roles` and `partners` members as compact JSON text, rendered by the worker
  -- (src/domain/unit-document.ts) in the transaction that changes them; NULL without roles.
  roles_document  text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (billing_unit, mscnumber)
);

-- ------------------------------------------------------------------------------------------------
-- Deliveries: the queue item is the delivery row itself
-- ------------------------------------------------------------------------------------------------

-- seq is the acceptance order; unit_key is the path pair as sent, the unit of ordering (also for
-- paths that name no known unit). client_id has no foreign key on purpose: it is the verified
-- credential's client (itself a foreign key), clients are never deleted, and the per-insert
-- check (a lookup and a row lock on the client) cost about a fifth of E1's insert.
CREATE TABLE deliveries (
  id                uuid PRIMARY KEY,
  seq               bigserial NOT NULL UNIQUE,
  client_id         text NOT NULL,
  credential        text NOT NULL,
  billing_unit      text NOT NULL,
  residential_unit  text NOT NULL,
  unit_key          text NOT NULL,
  body              jsonb NOT NULL,
  status            text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'SUCCESS', 'FAIL')),
  received_at       timestamptz NOT NULL DEFAULT now(),
  processed_at      timestamptz,
  messages          jsonb,
  role_messages     jsonb,
  partner_messages  jsonb,
  -- when `osr purge` removed the personal fields of the stored body
  purged_at         timestamptz
);
CREATE INDEX deliveries_pending_idx ON deliveries(seq) WHERE status = 'PENDING';
CREATE INDEX deliveries_pending_unit_idx ON deliveries(unit_key, seq) WHERE status = 'PENDING';
CREATE INDEX deliveries_client_bu_idx ON deliveries(client_id, billing_unit);
CREATE INDEX deliveries_purge_idx ON deliveries(processed_at) WHERE purged_at IS NULL AND status <> 'PENDING';

-- ------------------------------------------------------------------------------------------------
-- Roles, partners and their history
-- ------------------------------------------------------------------------------------------------

CREATE TABLE roles (
  id                 bigserial PRIMARY KEY,
  residential_unit   bigint NOT NULL REFERENCES residential_units(id),
  role               text NOT NULL,
  from_date          date NOT NULL,
  to_date            date,
  partner_pmnumber   text NOT NULL,
  UNIQUE (residential_unit, role, from_date)
);

CREATE TABLE partners (
  residential_unit  bigint NOT NULL REFERENCES residential_units(id),
  pmnumber          text NOT NULL,
  name              text,
  firstname         text,
  additionalname    text,
  commercial        text NOT NULL DEFAULT 'NON_COMMERCIAL',
  email             text,
  taxnumber         text,
  phonenumbers      jsonb NOT NULL DEFAULT '[]',
  PRIMARY KEY (residential_unit, pmnumber)
);

-- Append-only: every applied change with who, when, which delivery, before and after.
CREATE TABLE change_history (
  id                bigserial PRIMARY KEY,
  residential_unit  bigint NOT NULL REFERENCES residential_units(id),
  delivery_id       uuid NOT NULL REFERENCES deliveries(id),
  credential        text NOT NULL,
  changed_at        timestamptz NOT NULL DEFAULT now(),
  entity            text NOT NULL CHECK (entity IN ('role', 'partner')),
  change            text NOT NULL,
  before            jsonb,
  after             jsonb
);
CREATE INDEX change_history_unit_idx ON change_history(residential_unit, id);

CREATE FUNCTION change_history_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'change_history is append-only';
END $$;
CREATE TRIGGER change_history_append_only BEFORE UPDATE OR DELETE ON change_history
  FOR EACH ROW EXECUTE FUNCTION change_history_is_append_only();

-- ------------------------------------------------------------------------------------------------
-- Request functions: one round trip per API request. PL/pgSQL so that plans are cached per
-- connection. Each re-checks the caller's credential row in the same statement, so a principal
-- remembered by the API process never outlives a revoke or rotate. Declared once in TypeScript:
-- src/db/functions.ts (a test compares it with pg_proc).
-- ------------------------------------------------------------------------------------------------

-- Whether the credential row still is the one the caller was verified against.
CREATE FUNCTION osr_credential_current(p_username text, p_hash text, p_client text, p_read_only boolean)
RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT EXISTS (SELECT 1 FROM credentials c
                 WHERE c.username = p_username AND c.password_hash = p_hash AND c.client_id = p_client
                   AND c.read_only = p_read_only AND c.revoked_at IS NULL)
$$;

-- Stores a PENDING delivery. The per-unit advisory lock serialises acceptance within a unit, so
-- seq order is commit order there and a worker never sees a later delivery before an earlier one.
CREATE FUNCTION osr_insert_delivery(p_id uuid, p_client text, p_credential text, p_billing_unit text,
                                    p_residential_unit text, p_unit_key text, p_body jsonb)
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(1, hashtext(p_unit_key));
  INSERT INTO deliveries (id, client_id, credential, billing_unit, residential_unit, unit_key, body)
  VALUES (p_id, p_client, p_credential, p_billing_unit, p_residential_unit, p_unit_key, p_body);
END $$;

-- E1: false (and nothing stored) when the credential is no longer the one verified.
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

-- E3: always one row, the credential check and the delivery found by primary key (NULLs when none).
-- Whose it is and under which {bu} it may be read is decided in TypeScript.
CREATE FUNCTION osr_delivery_result(p_username text, p_hash text, p_client text, p_read_only boolean, p_id uuid)
RETURNS TABLE (credential_ok boolean, id uuid, client_id text, billing_unit text, status text,
               received_at timestamptz, processed_at timestamptz, messages jsonb, role_messages jsonb,
               partner_messages jsonb)
LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN QUERY
    SELECT osr_credential_current(p_username, p_hash, p_client, p_read_only), d.id, d.client_id, d.billing_unit,
           d.status, d.received_at, d.processed_at, d.messages, d.role_messages, d.partner_messages
    FROM (SELECT 1) AS one
    LEFT JOIN deliveries d ON d.id = p_id;
END $$;

-- E2: always one row, the credential check, the billing unit found by number (with its client:
-- whether the caller may see it is decided in TypeScript), the residential unit found in it,
-- and the unit's stored document.
CREATE FUNCTION osr_current_roles(p_username text, p_hash text, p_client text, p_read_only boolean,
                                  p_billing_unit text, p_residential_unit text)
RETURNS TABLE (credential_ok boolean, billing_unit_client text, billing_unit_pmnumber text,
               residential_unit_found boolean, residential_unit_pmnumber text, roles_document text)
LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN QUERY
    SELECT osr_credential_current(p_username, p_hash, p_client, p_read_only), bu.client_id, bu.pmnumber,
           ru.id IS NOT NULL, ru.pmnumber, ru.roles_document
    FROM (SELECT 1) AS one
    LEFT JOIN billing_units bu ON bu.mscnumber = p_billing_unit
    LEFT JOIN residential_units ru ON ru.billing_unit = bu.mscnumber AND ru.mscnumber = p_residential_unit;
END $$;

-- ------------------------------------------------------------------------------------------------
-- Worker functions: one call claims a batch, one call stores its outcomes.
-- ------------------------------------------------------------------------------------------------

-- Claims up to p_limit deliveries of different units, each the oldest PENDING one of its unit
-- (per-unit order), skipping rows other workers hold, and loads what the rules need: the billing
-- unit found by number (with its client and contracts), the residential unit found in it, and
-- that unit's roles and partners. A batch never waits for a unit lock (two batches could wait for
-- each other): a delivery whose unit is busy stays PENDING for a later claim.
CREATE FUNCTION osr_claim_batch(p_limit integer)
RETURNS TABLE (id uuid, client_id text, credential text, billing_unit text, residential_unit text, body jsonb,
               received_at timestamptz, billing_unit_client text, contracts text[], residential_unit_id bigint,
               roles json, partners json)
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
    SELECT c.id, c.client_id, c.credential, c.billing_unit, c.residential_unit, c.body, c.received_at,
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

-- Stores each outcome in order (the element's shape: StoredOutcome in src/db/functions.ts): its
-- net role changes, partners, history, unit references (a null pmnumber leaves the stored one as
-- it is) and document, then the delivery's result.
CREATE FUNCTION osr_store_outcomes(p_outcomes jsonb)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  o jsonb;
  w jsonb;
  unit bigint;
BEGIN
  FOR o IN SELECT value FROM jsonb_array_elements(p_outcomes) LOOP
    w := o->'writes';
    IF w IS NOT NULL AND w <> 'null'::jsonb THEN
      unit := (w->>'residentialUnitId')::bigint;
      DELETE FROM roles r USING jsonb_to_recordset(w->'deletedRoles') AS x(role text, "from" date)
      WHERE r.residential_unit = unit AND r.role = x.role AND r.from_date = x."from";
      UPDATE roles r SET to_date = x."to", partner_pmnumber = x.pmnumber
      FROM jsonb_to_recordset(w->'updatedRoles') AS x(role text, "from" date, "to" date, pmnumber text)
      WHERE r.residential_unit = unit AND r.role = x.role AND r.from_date = x."from";
      INSERT INTO roles (residential_unit, role, from_date, to_date, partner_pmnumber)
      SELECT unit, x.role, x."from", x."to", x.pmnumber
      FROM jsonb_to_recordset(w->'insertedRoles') AS x(role text, "from" date, "to" date, pmnumber text);
      INSERT INTO partners (residential_unit, pmnumber, name, firstname, additionalname, commercial, email, taxnumber,
                            phonenumbers)
      SELECT unit, x.pmnumber, x.name, x.firstname, x.additionalname, x.commercial, x.email, x.taxnumber,
             x.phonenumbers
      FROM jsonb_to_recordset(w->'partners') AS x(pmnumber text, name text, firstname text, additionalname text,
                                                  commercial text, email text, taxnumber text, phonenumbers jsonb)
      ON CONFLICT (residential_unit, pmnumber) DO UPDATE SET
        name = EXCLUDED.name, firstname = EXCLUDED.firstname, additionalname = EXCLUDED.additionalname,
        commercial = EXCLUDED.commercial, email = EXCLUDED.email, taxnumber = EXCLUDED.taxnumber,
        phonenumbers = EXCLUDED.phonenumbers;
      INSERT INTO change_history (residential_unit, delivery_id, credential, entity, change, before, after)
      SELECT unit, (o->>'deliveryId')::uuid, w->>'credential', e.item->>'entity', e.item->>'change',
             NULLIF(e.item->'before', 'null'::jsonb), NULLIF(e.item->'after', 'null'::jsonb)
      FROM jsonb_array_elements(w->'history') WITH ORDINALITY AS e(item, n)
      ORDER BY e.n;
      IF w->>'billingUnitPmnumber' IS NOT NULL THEN
        UPDATE billing_units SET pmnumber = w->>'billingUnitPmnumber'
        WHERE mscnumber = w->>'billingUnit' AND pmnumber IS DISTINCT FROM w->>'billingUnitPmnumber';
      END IF;
      UPDATE residential_units
      SET pmnumber = coalesce(w->>'residentialUnitPmnumber', pmnumber), roles_document = w->>'rolesDocument'
      WHERE id = unit;
    END IF;
    UPDATE deliveries SET status = o->>'status', processed_at = now(),
      messages = NULLIF(o->'messages', 'null'::jsonb), role_messages = NULLIF(o->'roleMessages', 'null'::jsonb),
      partner_messages = NULLIF(o->'partnerMessages', 'null'::jsonb)
    WHERE deliveries.id = (o->>'deliveryId')::uuid;
  END LOOP;
END $$;
