import { CompiledQuery, type Kysely, type Transaction } from 'kysely';
import type { ChangeFeedEntry } from '../domain/change-feed.js';
import type { DeliveryBody } from '../domain/delivery-schema.js';
import type { PartnerMessage, PlainMessage, RoleMessage } from '../domain/response-schema.js';
import type { TimelineRole } from '../domain/timeline.js';
import type { PartnerRecord } from '../domain/unit-document.js';
import { registerPreparedStatement } from './prepared-statements.js';
import type { Database } from './schema.js';

/**
 * The typed boundary to the database functions of migrations/: each function's arguments and
 * result declared once, with their PostgreSQL types (test/db/functions.test.ts compares every
 * declaration with the live catalogue, pg_proc) and the TypeScript types node-postgres maps them
 * to. `callFunction` is the only way the code calls them.
 */

/** A PostgreSQL type as it appears in pg_proc, and the TypeScript type of its values. */
export interface PgType<T> {
  readonly name: string;
  /** Values are sent as JSON text (node-postgres would send a JS array as a PostgreSQL array). */
  readonly json?: true;
  /** Type-level only. */
  readonly __value?: T;
}

const type = <T>(name: string, json?: true): PgType<T> => (json ? { name, json } : { name });

export const pg = {
  text: type<string>('text'),
  boolean: type<boolean>('boolean'),
  uuid: type<string>('uuid'),
  integer: type<number>('integer'),
  /** node-postgres returns int8 as a string (no precision loss). */
  bigint: type<string>('bigint'),
  timestamptz: type<Date>('timestamp with time zone'),
  /** Calendar dates stay 'YYYY-MM-DD' strings (src/db/connection.ts sets the parser). */
  date: type<string>('date'),
  textArray: type<string[]>('text[]'),
  timestamptzArray: type<Date[]>('timestamp with time zone[]'),
  json: <T>() => type<T>('json', true),
  jsonb: <T>() => type<T>('jsonb', true),
  void: type<void>('void'),
  /** A result column that is NULL when its row or lookup found nothing. */
  nullable: <T>(of: PgType<T>): PgType<T | null> => of as PgType<T | null>,
};

type ValueOf<P> = P extends PgType<infer T> ? T : never;
type Columns = Record<string, PgType<unknown>>;

interface FunctionDeclaration {
  args: Columns;
  /** A scalar result, or the columns of `RETURNS TABLE (…)`. */
  returns: PgType<unknown> | { table: Columns };
}

// --- what the functions exchange -------------------------------------------------------------

/** A partner as stored (E2's partner without the `reference` wrapper). */
export type { PartnerRecord };

/** One element of osr_store_outcomes' argument. */
export interface StoredOutcome {
  deliveryId: string;
  status: 'SUCCESS' | 'FAIL';
  messages: PlainMessage[] | null;
  roleMessages: RoleMessage[] | null;
  partnerMessages: PartnerMessage[] | null;
  /** Present only for a SUCCESS on a known residential unit. */
  writes: {
    residentialUnitId: string;
    credential: string;
    deletedRoles: TimelineRole[];
    updatedRoles: TimelineRole[];
    insertedRoles: TimelineRole[];
    partners: PartnerRecord[];
    history: { entity: 'role' | 'partner'; change: string; before: unknown; after: unknown }[];
    billingUnit: string;
    /** The pmnumbers the delivery sent; null leaves the stored one as it is. */
    billingUnitPmnumber: string | null;
    residentialUnitPmnumber: string | null;
    /** The unit's new E2 document (renderUnitDocument). */
    rolesDocument: string | null;
  } | null;
}

/**
 * One element of osr_store_outcomes' `p_changes`: a change-feed entry (spec 10.2) of a SUCCESS
 * delivery with its delivery's id, client and unit (as the path named them); the store gives it
 * its position and `appliedAt`.
 */
export interface StoredChange extends ChangeFeedEntry {
  deliveryId: string;
  client: string;
  billingUnit: string;
  residentialUnit: string;
}

/**
 * One element of osr_accept_batch's argument: one E1 request's osr_accept arguments, named
 * without their `p_`. Its answer row has the element's 1-based position as `ordinal`.
 */
export interface BatchedAccept {
  username: string;
  hash: string;
  client: string;
  read_only: boolean;
  id: string;
  billing_unit: string;
  residential_unit: string;
  unit_key: string;
  body: DeliveryBody;
  request_id: string | null;
}

const credential = {
  p_username: pg.text,
  p_hash: pg.text,
  p_client: pg.text,
  p_read_only: pg.boolean,
};

const delivery = {
  p_id: pg.uuid,
  p_billing_unit: pg.text,
  p_residential_unit: pg.text,
  p_unit_key: pg.text,
  p_body: pg.jsonb<DeliveryBody>(),
  /** The POST's request id (X-Request-Id), for the worker's log line; null without a request. */
  p_request_id: pg.nullable(pg.text),
};

export const DATABASE_FUNCTIONS = {
  osr_credential_current: { args: credential, returns: pg.boolean },
  osr_insert_delivery: {
    args: {
      p_id: delivery.p_id,
      p_client: pg.text,
      p_credential: pg.text,
      p_billing_unit: delivery.p_billing_unit,
      p_residential_unit: delivery.p_residential_unit,
      p_unit_key: delivery.p_unit_key,
      p_body: delivery.p_body,
      p_request_id: delivery.p_request_id,
    },
    returns: pg.void,
  },
  osr_accept: { args: { ...credential, ...delivery }, returns: pg.boolean },
  // Issue 15: several E1 requests' osr_accept in one statement (migrations/0012_accept_batch.sql).
  osr_accept_batch: {
    args: { p_rows: pg.jsonb<BatchedAccept[]>() },
    returns: { table: { ordinal: pg.integer, accepted: pg.boolean } },
  },
  // 9.2: the key stored for the caller's client, and E1 with a key (migrations/0005_idempotency_keys.sql).
  osr_idempotency_key: {
    args: { ...credential, p_key: pg.text },
    returns: {
      table: {
        credential_ok: pg.boolean,
        fingerprint: pg.nullable(pg.text),
        delivery_id: pg.nullable(pg.uuid),
      },
    },
  },
  osr_accept_with_key: {
    args: { ...credential, ...delivery, p_key: pg.text, p_fingerprint: pg.text, p_retention_seconds: pg.integer },
    returns: {
      table: {
        credential_ok: pg.boolean,
        accepted: pg.boolean,
        busy: pg.boolean,
        stored_fingerprint: pg.nullable(pg.text),
        stored_delivery_id: pg.nullable(pg.uuid),
      },
    },
  },
  osr_delivery_result: {
    args: { ...credential, p_billing_unit: pg.text, p_id: pg.uuid },
    returns: {
      table: {
        credential_ok: pg.boolean,
        id: pg.nullable(pg.uuid),
        client_id: pg.nullable(pg.text),
        billing_unit: pg.nullable(pg.text),
        status: pg.nullable(pg.text),
        received_at: pg.nullable(pg.timestamptz),
        processed_at: pg.nullable(pg.timestamptz),
        messages: pg.nullable(pg.jsonb<PlainMessage[]>()),
        role_messages: pg.nullable(pg.jsonb<RoleMessage[]>()),
        partner_messages: pg.nullable(pg.jsonb<PartnerMessage[]>()),
      },
    },
  },
  osr_current_roles: {
    args: { ...credential, p_billing_unit: pg.text, p_residential_unit: pg.text },
    returns: {
      table: {
        credential_ok: pg.boolean,
        billing_unit_client: pg.nullable(pg.text),
        billing_unit_pmnumber: pg.nullable(pg.text),
        residential_unit_found: pg.boolean,
        residential_unit_pmnumber: pg.nullable(pg.text),
        roles_document: pg.nullable(pg.text),
      },
    },
  },
  osr_claim_batch: {
    args: { p_limit: pg.integer },
    returns: {
      table: {
        id: pg.uuid,
        client_id: pg.text,
        credential: pg.text,
        billing_unit: pg.text,
        residential_unit: pg.text,
        body: pg.jsonb<DeliveryBody>(),
        received_at: pg.timestamptz,
        request_id: pg.nullable(pg.text),
        billing_unit_client: pg.nullable(pg.text),
        contracts: pg.nullable(pg.textArray),
        closed_until: pg.nullable(pg.date),
        residential_unit_id: pg.nullable(pg.bigint),
        roles: pg.json<TimelineRole[]>(),
        partners: pg.json<PartnerRecord[]>(),
      },
    },
  },
  // 10.2: the outcomes, then the change-feed entries in commit order (migrations/0009_change_feed.sql).
  osr_store_outcomes: {
    args: { p_outcomes: pg.jsonb<StoredOutcome[]>(), p_changes: pg.nullable(pg.json<StoredChange[]>()) },
    returns: pg.void,
  },
  // Spec 7: one failed sign-in for a username's and an address's key (migrations/0007_login_failures.sql).
  osr_record_login_failure: {
    args: {
      p_username_key: pg.nullable(pg.text),
      p_address_key: pg.text,
      p_username_keep: pg.integer,
      p_address_keep: pg.integer,
      p_window_seconds: pg.integer,
    },
    returns: {
      table: {
        username_failures: pg.nullable(pg.timestamptzArray),
        address_failures: pg.timestamptzArray,
        recorded_at: pg.timestamptz,
      },
    },
  },
  // 10.1: whether a remembered operator principal is still current (migrations/0008_operators.sql).
  osr_operator_current: { args: { p_name: pg.text, p_hash: pg.text, p_read_only: pg.boolean }, returns: pg.boolean },
} as const satisfies Record<string, FunctionDeclaration>;

export type FunctionName = keyof typeof DATABASE_FUNCTIONS;
type Declared<N extends FunctionName> = (typeof DATABASE_FUNCTIONS)[N];

export type FunctionArguments<N extends FunctionName> = {
  [K in keyof Declared<N>['args']]: ValueOf<Declared<N>['args'][K]>;
};

export type FunctionResult<N extends FunctionName> = Declared<N>['returns'] extends { table: infer C }
  ? { [K in keyof C]: ValueOf<C[K]> }[]
  : ValueOf<Declared<N>['returns']>;

/**
 * The statement that calls a function, built once per function: positional parameters in the
 * declared order (test/db/functions.test.ts proves it is the catalogue's), each cast to its type.
 */
const statements = new Map<FunctionName, string>();

function statementFor(name: FunctionName): string {
  let text = statements.get(name);
  if (text === undefined) {
    const declaration: FunctionDeclaration = DATABASE_FUNCTIONS[name];
    const parameters = Object.values(declaration.args).map((argType, i) => `$${i + 1}::${argType.name}`);
    const call = `${name}(${parameters.join(', ')})`;
    text =
      'table' in declaration.returns
        ? `SELECT ${Object.keys(declaration.returns.table).join(', ')} FROM ${call}`
        : `SELECT ${call} AS result`;
    statements.set(name, text);
    registerPreparedStatement(name, text);
  }
  return text;
}

/** Calls a database function: one statement, one round trip. */
export async function callFunction<N extends FunctionName>(
  db: Kysely<Database> | Transaction<Database>,
  name: N,
  args: FunctionArguments<N>,
): Promise<FunctionResult<N>> {
  const declaration: FunctionDeclaration = DATABASE_FUNCTIONS[name];
  const values = args as Record<string, unknown>;
  const parameters = Object.entries(declaration.args).map(([arg, argType]) => {
    const value = values[arg];
    return argType.json && value !== null ? JSON.stringify(value) : value;
  });
  const { rows } = await db.executeQuery<Record<string, unknown>>(CompiledQuery.raw(statementFor(name), parameters));
  if ('table' in declaration.returns) return rows as FunctionResult<N>;
  return rows[0]?.result as FunctionResult<N>;
}

/** The declaration as pg_get_function_arguments / pg_get_function_result print it. */
export function catalogueSignature(name: FunctionName): { arguments: string; result: string } {
  const declaration: FunctionDeclaration = DATABASE_FUNCTIONS[name];
  const list = (columns: Columns) =>
    Object.entries(columns)
      .map(([column, columnType]) => `${column} ${columnType.name}`)
      .join(', ');
  return {
    arguments: list(declaration.args),
    result: 'table' in declaration.returns ? `TABLE(${list(declaration.returns.table)})` : declaration.returns.name,
  };
}
