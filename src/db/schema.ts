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
  /** When `osr purge` removed the partner data from before/after (spec 10.4); null: not yet. */
  purged_at: Timestamp | null;
}

/** The change feed (spec 10.2), in commit order: migrations/0009_change_feed.sql, src/db/repositories/change-feed.ts. */
export interface ChangeFeedTable {
  /** Commit order; node-postgres reads bigint as a string. */
  position: string;
  delivery_id: string;
  client_id: string;
  billing_unit: string;
  residential_unit: string;
  applied_at: Timestamp;
  change: 'INSERT' | 'UPDATE' | 'DELETE';
  role: string;
  before: Json<unknown> | null;
  after: Json<unknown> | null;
  /** E2's partner form; null for a DELETE and after `osr purge` (spec 10.4). */
  partner: Json<unknown> | null;
  purged_at: Timestamp | null;
}

/** Bearer tokens (spec 9.3): a token's client claim value → the client it acts for. */
export interface OidcClientsTable {
  claim_value: string;
  client_id: string;
  read_only: Generated<boolean>;
  created_at: Generated<Date>;
}

/** E1's idempotency keys (spec 9.2), per client; the functions decide nothing, src/domain/idempotency-key.ts does. */
export interface IdempotencyKeysTable {
  client_id: string;
  key: string;
  /** sha256 (hex) of the request's path and body bytes. */
  fingerprint: string;
  delivery_id: string;
  created_at: Generated<Date>;
  /** From then on the key counts as absent; `osr purge` deletes it. */
  expires_at: Timestamp;
}

/** Failed sign-ins per throttled key (spec 7); src/db/repositories/login-failures.ts. */
export interface LoginFailuresTable {
  /** src/auth/limits.ts throttleKey: a digest of the scope and the username or address. */
  key: string;
  scope: 'username' | 'address';
  /** The latest failures within the window, oldest first. */
  failed_at: Date[];
  expires_at: Timestamp;
}

/** Operator accounts (spec 10.1), apart from the clients' credentials; src/db/repositories/operators.ts. */
export interface OperatorsTable {
  name: string;
  password_hash: string;
  read_only: Generated<boolean>;
  revoked_at: Date | null;
  created_at: Generated<Date>;
  /** When the password was last replaced (`osr operator rotate`); null: never. */
  rotated_at: Date | null;
}

/** The support console's sessions (spec 10.5), by a hash of their id; src/db/repositories/console.ts. */
export interface ConsoleSessionsTable {
  id_hash: string;
  operator: string | null;
  operator_digest: string | null;
  data: Json<Record<string, unknown>>;
  expires_at: Timestamp;
}

/** One row: the console's generated session secret (when OSR_CONSOLE_SECRET is not set). */
export interface ConsoleSettingsTable {
  id: Generated<boolean>;
  session_secret: string;
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
  change_feed: ChangeFeedTable;
  osr_migration_checksums: MigrationChecksumsTable;
  login_failures: LoginFailuresTable;
  idempotency_keys: IdempotencyKeysTable;
  oidc_clients: OidcClientsTable;
  operators: OperatorsTable;
  console_sessions: ConsoleSessionsTable;
  console_settings: ConsoleSettingsTable;
}
