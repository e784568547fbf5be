-- The change feed (spec 10.2): every role change of every SUCCESS delivery, numbered in commit
-- order, for the metering company's downstream systems (GET /msc/v1/changes). What an entry says is
-- decided in TypeScript (src/domain/change-feed.ts); this stores it and gives it its position.
-- And the purge of partner data from old history and feed entries (spec 10.4, `osr purge`).

-- ------------------------------------------------------------------------------------------------
-- Positions in commit order
-- ------------------------------------------------------------------------------------------------
-- A consumer that has read up to position p must never later find an entry before p. An identity
-- column alone cannot promise that: a transaction may take number 7, another number 8 and commit
-- first, and a reader that saw 8 would never see 7. So the positions are taken as the last step
-- before COMMIT, while holding a transaction-level advisory lock (3, 0) that only COMMIT (or
-- ROLLBACK) releases. PostgreSQL releases a transaction's locks after its commit became visible
-- to new snapshots, so the next holder's positions, and its commit, come after ours: commit order
-- is position order, and every snapshot sees a prefix of the feed. What the lock costs: the
-- committing batches of all workers take turns from their feed insert to the end of their commit
-- (including its WAL flush); the README ("Getting the data out") gives the figures.
--
-- The sequence must not cache (CACHE 1, the default): a session's cached block of numbers would
-- not follow the lock's order. Numbers of a rolled-back transaction are simply never used.
CREATE SEQUENCE change_feed_position AS bigint CACHE 1;

-- One row per entry. before, after and partner are json (not jsonb): the text the worker rendered
-- is kept as it is, in E2's member order, and needs no conversion inside the locked section.
-- delivery_id has no foreign key on purpose: the row is written in the same call that sets its
-- delivery's result (osr_store_outcomes), and the check would run inside the locked section.
CREATE TABLE change_feed (
  position          bigint PRIMARY KEY,
  delivery_id       uuid NOT NULL,
  -- the delivery's client and unit, as its path named them
  client_id         text NOT NULL,
  billing_unit      text NOT NULL,
  residential_unit  text NOT NULL,
  -- the delivery's processed_at
  applied_at        timestamptz NOT NULL,
  change            text NOT NULL CHECK (change IN ('INSERT', 'UPDATE', 'DELETE')),
  role              text NOT NULL,
  before            json,
  after             json,
  -- the partner the change stored, in E2's form; NULL for a DELETE and after `osr purge`
  partner           json,
  -- when `osr purge` removed the partner data
  purged_at         timestamptz
);
CREATE INDEX change_feed_purge_idx ON change_feed (applied_at) WHERE partner IS NOT NULL;

-- Entries are never deleted (a cursor stays valid as long as the data exists) nor changed, except
-- by the purge: partner to NULL, once.
CREATE FUNCTION change_feed_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.purged_at IS NULL AND NEW.purged_at IS NOT NULL AND NEW.partner IS NULL
     AND (NEW.position, NEW.delivery_id, NEW.client_id, NEW.billing_unit, NEW.residential_unit, NEW.applied_at,
          NEW.change, NEW.role, NEW.before::text, NEW.after::text)
         IS NOT DISTINCT FROM
         (OLD.position, OLD.delivery_id, OLD.client_id, OLD.billing_unit, OLD.residential_unit, OLD.applied_at,
          OLD.change, OLD.role, OLD.before::text, OLD.after::text) THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'change_feed is append-only (only osr purge removes partner data)';
END $$;
CREATE TRIGGER change_feed_append_only BEFORE UPDATE OR DELETE ON change_feed
  FOR EACH ROW EXECUTE FUNCTION change_feed_is_append_only();

-- ------------------------------------------------------------------------------------------------
-- The changes applied before this migration, in the order of their history entries (per unit the
-- order they were applied in), in the form src/domain/change-feed.ts gives.
-- ------------------------------------------------------------------------------------------------
INSERT INTO change_feed (position, delivery_id, client_id, billing_unit, residential_unit, applied_at, change, role,
                         before, after, partner)
SELECT row_number() OVER (ORDER BY h.id), h.delivery_id, d.client_id, d.billing_unit, d.residential_unit,
       h.changed_at, h.change, coalesce(h.after->>'role', h.before->>'role'),
       CASE WHEN h.before IS NOT NULL THEN
         json_build_object('role', h.before->>'role', 'from', h.before->>'from',
                           'to', coalesce(h.before->>'to', '9999-12-31'),
                           'partner', json_build_object('pmnumber', h.before->>'pmnumber')) END,
       CASE WHEN h.after IS NOT NULL THEN
         json_build_object('role', h.after->>'role', 'from', h.after->>'from',
                           'to', coalesce(h.after->>'to', '9999-12-31'),
                           'partner', json_build_object('pmnumber', h.after->>'pmnumber')) END,
       -- the partner entry the worker writes right after the role entry of an INSERT or UPDATE
       CASE WHEN h.change <> 'DELETE' AND h.next_entity = 'partner'
                 AND h.next_after->>'pmnumber' = h.after->>'pmnumber' THEN
         json_build_object(
           'reference', json_build_object('pmnumber', h.next_after->>'pmnumber'),
           'name', h.next_after->'name', 'firstname', h.next_after->'firstname',
           'additionalname', h.next_after->'additionalname', 'commercial', h.next_after->'commercial',
           'email', h.next_after->'email', 'taxnumber', h.next_after->'taxnumber',
           'phonenumbers', coalesce((SELECT json_agg(json_build_object('number', phone->'number', 'type', phone->'type'))
                                     FROM jsonb_array_elements(h.next_after->'phonenumbers') AS phone), '[]'::json)) END
FROM (SELECT history.*, lead(history.entity) OVER unit_delivery AS next_entity,
             lead(history.after) OVER unit_delivery AS next_after
      FROM change_history history
      WINDOW unit_delivery AS (PARTITION BY history.delivery_id ORDER BY history.id)) AS h
JOIN deliveries d ON d.id = h.delivery_id
WHERE h.entity = 'role'
ORDER BY h.id;

SELECT setval('change_feed_position', max(position)) FROM change_feed HAVING count(*) > 0;

-- ------------------------------------------------------------------------------------------------
-- The worker's store, now with the feed entries
-- ------------------------------------------------------------------------------------------------
-- As in 0001_baseline.sql, plus p_changes: the feed entries to publish (the element's shape:
-- StoredChange in src/db/functions.ts), in order, as the very last step; NULL or empty: none. The
-- worker passes them with the call that stores its batch, which is its last statement before
-- COMMIT (when a batch is stored delivery by delivery, with a last call without outcomes).
DROP FUNCTION osr_store_outcomes(jsonb);

CREATE FUNCTION osr_store_outcomes(p_outcomes jsonb, p_changes json)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  o jsonb;
  w jsonb;
  unit bigint;
  change_count integer := coalesce(json_array_length(p_changes), 0);
  first_position bigint;
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

  IF change_count = 0 THEN
    RETURN;
  END IF;
  -- The locked section: from here to the end of COMMIT (see the top of this file). Nothing but
  -- this insert runs in it, and it waits for no row another transaction holds.
  PERFORM pg_advisory_xact_lock(3, 0);
  first_position := nextval('change_feed_position');
  IF change_count > 1 THEN
    PERFORM setval('change_feed_position', first_position + change_count - 1);
  END IF;
  INSERT INTO change_feed (position, delivery_id, client_id, billing_unit, residential_unit, applied_at, change, role,
                           before, after, partner)
  SELECT first_position + e.n - 1, (e.item->>'deliveryId')::uuid, e.item->>'client', e.item->>'billingUnit',
         e.item->>'residentialUnit', now(), e.item->>'change', e.item->>'role',
         CASE WHEN json_typeof(e.item->'before') = 'object' THEN e.item->'before' END,
         CASE WHEN json_typeof(e.item->'after') = 'object' THEN e.item->'after' END,
         CASE WHEN json_typeof(e.item->'partner') = 'object' THEN e.item->'partner' END
  FROM json_array_elements(p_changes) WITH ORDINALITY AS e(item, n);
END $$;

-- ------------------------------------------------------------------------------------------------
-- Personal data over time (spec 10.4)
-- ------------------------------------------------------------------------------------------------
-- `osr purge --older-than <days>` removes the partner data (names, e-mail, phone, tax number) from
-- history entries older than that; which members those are is src/db/repositories/operator.ts's
-- to say. purged_at says it happened; the partial index finds the entries still to purge.
ALTER TABLE change_history ADD COLUMN purged_at timestamptz;
CREATE INDEX change_history_purge_idx ON change_history (changed_at) WHERE entity = 'partner' AND purged_at IS NULL;

-- Still append-only: the one change allowed is the purge's, once per entry, and it may only take
-- members out of before and after (the stored value contains the new one), nothing else.
CREATE OR REPLACE FUNCTION change_history_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.purged_at IS NULL AND NEW.purged_at IS NOT NULL
     AND (NEW.id, NEW.residential_unit, NEW.delivery_id, NEW.credential, NEW.changed_at, NEW.entity, NEW.change)
         IS NOT DISTINCT FROM
         (OLD.id, OLD.residential_unit, OLD.delivery_id, OLD.credential, OLD.changed_at, OLD.entity, OLD.change)
     AND (NEW.before IS NULL) = (OLD.before IS NULL) AND (NEW.before IS NULL OR OLD.before @> NEW.before)
     AND (NEW.after IS NULL) = (OLD.after IS NULL) AND (NEW.after IS NULL OR OLD.after @> NEW.after) THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'change_history is append-only';
END $$;
