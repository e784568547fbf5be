import { type Kysely, sql } from 'kysely';

/**
 * E2's answer, kept ready: each residential unit stores the `roles` and `partners` members of its
 * E2 body as compact JSON text (NULL while it has no roles), rebuilt by the worker in the same
 * transaction that changes the unit's roles or partners. A GET then reads one row instead of
 * aggregating roles and partners into JSON on every request. Only roles of supported types are
 * ever stored (the rules skip the others), so the document needs no filtering.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE residential_units ADD COLUMN roles_document text;

    -- A value as compact JSON text ('null' for NULL).
    CREATE FUNCTION osr_json(p_value anyelement)
    RETURNS text
    LANGUAGE sql IMMUTABLE AS $$ SELECT coalesce(to_json(p_value)::text, 'null') $$;

    -- The unit's roles (by from, then type; the open end as 9999-12-31) and the partners they
    -- reference (by pmnumber), as the compact JSON text of the two E2 members, keys in the order
    -- of the E2 schema; NULL without roles.
    -- PL/pgSQL, not SQL: its plan is cached per connection instead of made on every call.
    CREATE FUNCTION osr_unit_document(p_unit bigint)
    RETURNS text
    LANGUAGE plpgsql STABLE AS $$
    BEGIN
      RETURN (SELECT '"roles":[' || roles || '],"partners":[' || coalesce(partners, '') || ']'
      FROM (SELECT
              (SELECT string_agg('{"role":' || osr_json(r.role) || ',"from":' || osr_json(r.from_date)
                                 || ',"to":' || osr_json(coalesce(r.to_date, DATE '9999-12-31'))
                                 || ',"partner":{"pmnumber":' || osr_json(r.partner_pmnumber) || '}}',
                                 ',' ORDER BY r.from_date, r.role)
               FROM roles r WHERE r.residential_unit = p_unit) AS roles,
              (SELECT string_agg('{"reference":{"pmnumber":' || osr_json(p.pmnumber) || '},"name":' || osr_json(p.name)
                                 || ',"firstname":' || osr_json(p.firstname)
                                 || ',"additionalname":' || osr_json(p.additionalname)
                                 || ',"commercial":' || osr_json(p.commercial) || ',"email":' || osr_json(p.email)
                                 || ',"taxnumber":' || osr_json(p.taxnumber) || ',"phonenumbers":['
                                 || coalesce((SELECT string_agg('{"number":' || osr_json(x.phone->>'number')
                                                                || ',"type":' || osr_json(x.phone->>'type') || '}',
                                                                ',' ORDER BY x.n)
                                              FROM jsonb_array_elements(p.phonenumbers) WITH ORDINALITY
                                                   AS x(phone, n)), '')
                                 || ']}',
                                 ',' ORDER BY p.pmnumber)
               FROM partners p
               WHERE p.residential_unit = p_unit
                 AND p.pmnumber IN (SELECT r.partner_pmnumber FROM roles r WHERE r.residential_unit = p_unit))
                AS partners) AS parts);
    END $$;

    CREATE FUNCTION osr_refresh_unit_document(p_unit bigint)
    RETURNS void
    LANGUAGE plpgsql AS $$
    BEGIN
      UPDATE residential_units SET roles_document = osr_unit_document(p_unit) WHERE id = p_unit;
    END $$;

    UPDATE residential_units ru SET roles_document = osr_unit_document(ru.id)
    WHERE EXISTS (SELECT 1 FROM roles r WHERE r.residential_unit = ru.id);

    -- The worker's one-statement write now also rebuilds the document.
    CREATE OR REPLACE FUNCTION osr_store_outcomes(p_outcomes jsonb)
    RETURNS void
    LANGUAGE plpgsql AS $fn$
    DECLARE
      o jsonb;
    BEGIN
      FOR o IN SELECT value FROM jsonb_array_elements(p_outcomes) LOOP
        PERFORM osr_store_outcome(
          (o->>'delivery')::uuid, o->>'status', NULLIF(o->'messages', 'null'), NULLIF(o->'roleMessages', 'null'),
          NULLIF(o->'partnerMessages', 'null'), (o->>'unit')::bigint, o->>'credential', o->'deleted', o->'updated',
          o->'inserted', o->'partners', o->'history', o->>'billingUnit', o->>'billingUnitPmnumber',
          o->>'unitPmnumber');
        IF o->>'unit' IS NOT NULL THEN
          PERFORM osr_refresh_unit_document((o->>'unit')::bigint);
        END IF;
      END LOOP;
    END $fn$;

    -- E2. Always one row: the credential check, whether the unit is the client's, its references
    -- and its document.
    DROP FUNCTION osr_current_roles(text, text, text, boolean, text, text, text[]);
    CREATE FUNCTION osr_current_roles(p_username text, p_hash text, p_client text, p_read_only boolean,
                                      p_billing_unit text, p_residential_unit text)
    RETURNS TABLE (credential_ok boolean, found boolean, bu_pmnumber text, ru_pmnumber text, roles_document text)
    LANGUAGE plpgsql STABLE AS $fn$
    BEGIN
      RETURN QUERY
        SELECT osr_credential_current(p_username, p_hash, p_client, p_read_only), u.id IS NOT NULL, u.bu_pmnumber,
               u.ru_pmnumber, u.roles_document
        FROM (SELECT 1) AS one
        LEFT JOIN (SELECT ru.id, bu.pmnumber AS bu_pmnumber, ru.pmnumber AS ru_pmnumber, ru.roles_document
                   FROM residential_units ru JOIN billing_units bu ON bu.mscnumber = ru.billing_unit
                   WHERE bu.mscnumber = p_billing_unit AND bu.client_id = p_client
                     AND ru.mscnumber = p_residential_unit) AS u ON true;
    END $fn$;
  `.execute(db);
}
