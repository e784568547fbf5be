import type { ColumnType, Generated } from 'kysely';

/** Kysely's view of the tables created in migrations/ (the functions: src/db/functions.ts). */

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T> = ColumnType<T, string, string>;

export interface ClientsTable {
  id: string;
  name: string | null;
  created_at: Generated<Date>;
}

export interface CredentialsTable {
  username: string;
  client_id: string;
  password_hash: string;
  read_only: Generated<boolean>;
  revoked_at: Date | null;
  created_at: Generated<Date>;
}

export interface BillingUnitsTable {
  mscnumber: string;
  client_id: string;
  contracts: string[];
  pmnumber: string | null;
  /** Bills are final up to and including this day (spec 8.2); null: none yet. */
  closed_until: string | null;
  created_at: Generated<Date>;
}

export interface ResidentialUnitsTable {
  id: Generated<string>;
  billing_unit: string;
  mscnumber: string;
  pmnumber: string | null;
  /** E2's `roles` and `partners` members as JSON text (src/domain/unit-document.ts); null without roles. */
  roles_document: string | null;
  created_at: Generated<Date>;
}

export interface DeliveriesTable {
  id: string;
  seq: Generated<string>;
  client_id: string;
  credential: string;
  billing_unit: string;
  residential_unit: string;
  unit_key: string;
  body: Json<unknown>;
  status: Generated<'PENDING' | 'SUCCESS' | 'FAIL'>;
  received_at: Generated<Date>;
  processed_at: Timestamp | null;
  messages: Json<unknown> | null;
  role_messages: Json<unknown> | null;
  partner_messages: Json<unknown> | null;
  purged_at: Timestamp | null;
}

export interface RolesTable {
  id: Generated<string>;
  residential_unit: string;
  role: string;
  from_date: string;
  to_date: string | null;
  partner_pmnumber: string;
}

export interface PartnersTable {
  residential_unit: string;
  pmnumber: string;
  name: string | null;
  firstname: string | null;
  additionalname: string | null;
  commercial: string;
  email: string | null;
  taxnumber: string | null;
  phonenumbers: Json<{ number: string; type: 'MOBILE' | 'BUSINESS' | 'PRIVATE' }[]>;
}

export interface ChangeHistoryTable {
  id: Generated<string>;
  residential_unit: string;
  delivery_id: string;
  credential: string;
  changed_at: Generated<Date>;
  entity: 'role' | 'partner';
  change: string;
  before: Json<unknown> | null;
  after: Json<unknown> | null;
}

/** Written by src/db/migrate.ts: the SHA-256 of every applied migration file. */
export interface MigrationChecksumsTable {
  name: string;
  sha256: string;
  applied_at: Generated<Date>;
}

export interface Database {
  clients: ClientsTable;
  credentials: CredentialsTable;
  billing_units: BillingUnitsTable;
  residential_units: ResidentialUnitsTable;
  deliveries: DeliveriesTable;
  roles: RolesTable;
  partners: PartnersTable;
  change_history: ChangeHistoryTable;
  osr_migration_checksums: MigrationChecksumsTable;
}
