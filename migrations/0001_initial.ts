import { type Kysely, sql } from 'kysely';

/** Forward-only. The schema the on-site-roles contract implies (see src/db/schema.ts). */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
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
      pmnumber    text,
      created_at  timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX billing_units_client_idx ON billing_units(client_id);

    CREATE TABLE residential_units (
      id            bigserial PRIMARY KEY,
      billing_unit  text NOT NULL REFERENCES billing_units(mscnumber),
      mscnumber     text NOT NULL,
      pmnumber      text,
      created_at    timestamptz NOT NULL DEFAULT now(),
      UNIQUE (billing_unit, mscnumber)
    );

    -- The queue item is the delivery row itself. seq is the acceptance order; unit_key is the
    -- path pair as sent, the unit of ordering (also for paths that do not name a known unit).
    CREATE TABLE deliveries (
      id                uuid PRIMARY KEY,
      seq               bigserial NOT NULL UNIQUE,
      client_id         text NOT NULL REFERENCES clients(id),
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
      partner_messages  jsonb
    );
    CREATE INDEX deliveries_pending_idx ON deliveries(seq) WHERE status = 'PENDING';
    CREATE INDEX deliveries_pending_unit_idx ON deliveries(unit_key, seq) WHERE status = 'PENDING';
    CREATE INDEX deliveries_client_bu_idx ON deliveries(client_id, billing_unit);

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
  `.execute(db);
}
