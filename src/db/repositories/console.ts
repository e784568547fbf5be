import { type Kysely, sql } from 'kysely';
import type { PartnerMessage, PlainMessage, RoleMessage } from '../../domain/response-schema.js';
import type { TimelineRole } from '../../domain/timeline.js';
import type { Database } from '../schema.js';
import { DELIVERY_SUMMARY_COLUMNS } from './operator.js';

/**
 * The support console's reads and its sessions (spec 10.5, src/console/). Reads only what the
 * pages show; the one change the console makes, revoking a credential, is `revokeCredential` of
 * src/db/repositories/operator.ts, as for `osr credential revoke`.
 */

// ------------------------------------------------------------------------------------------------
// Sessions (migrations/0011_console_sessions.sql)
// ------------------------------------------------------------------------------------------------

export interface StoredConsoleSession {
  data: Record<string, unknown>;
  /** The signed-in operator, if any, with its access as the operator row has it now. */
  operator: { name: string; digest: string; readOnly: boolean; current: boolean } | null;
}

/**
 * The unexpired session with this id hash. Its operator counts as `current` while the operator
 * row is not revoked and still has the password hash the session signed in with.
 */
export async function findConsoleSession(
  db: Kysely<Database>,
  idHash: string,
): Promise<StoredConsoleSession | undefined> {
  const { rows } = await sql<{
    data: Record<string, unknown>;
    operator: string | null;
    operator_digest: string | null;
    read_only: boolean | null;
    current: boolean | null;
  }>`
    SELECT s.data, s.operator, s.operator_digest, o.read_only,
           o.revoked_at IS NULL AND encode(sha256(convert_to(o.password_hash, 'UTF8')), 'hex') = s.operator_digest
             AS current
    FROM console_sessions s LEFT JOIN operators o ON o.name = s.operator
    WHERE s.id_hash = ${idHash} AND s.expires_at > now()
  `.execute(db);
  const row = rows[0];
  if (!row) return undefined;
  return {
    data: row.data,
    operator:
      row.operator === null
        ? null
        : {
            name: row.operator,
            digest: row.operator_digest ?? '',
            readOnly: row.read_only ?? true,
            current: row.current === true,
          },
  };
}

const EXPIRED_PER_SAVE = 100;

export interface ConsoleSessionToSave {
  idHash: string;
  operator: { name: string; digest: string } | null;
  data: Record<string, unknown>;
  idleSeconds: number;
}

/**
 * Stores a new session until `idleSeconds` from now (the database's clock, shared by all
 * processes), and deletes up to a hundred expired ones in the same statement (oldest first, by
 * index): the table stays small without a job of its own.
 */
export async function insertConsoleSession(db: Kysely<Database>, session: ConsoleSessionToSave): Promise<void> {
  await sql`
    WITH expired AS (
      DELETE FROM console_sessions
      WHERE id_hash IN (SELECT id_hash FROM console_sessions
                        WHERE expires_at <= now() AND id_hash <> ${session.idHash}
                        ORDER BY expires_at LIMIT ${EXPIRED_PER_SAVE})
    )
    INSERT INTO console_sessions (id_hash, operator, operator_digest, data, expires_at)
    VALUES (${session.idHash}, ${session.operator?.name ?? null}, ${session.operator?.digest ?? null},
            ${JSON.stringify(session.data)}::jsonb, now() + make_interval(secs => ${session.idleSeconds}))
    ON CONFLICT (id_hash) DO UPDATE
      SET operator = EXCLUDED.operator, operator_digest = EXCLUDED.operator_digest, data = EXCLUDED.data,
          expires_at = EXCLUDED.expires_at
  `.execute(db);
}

/**
 * Saves a session read earlier in the request and moves its expiry `idleSeconds` from now, while
 * it still exists and has not expired: a session signed out, expired or ended (revoked operator)
 * meanwhile, e.g. by another tab, is not brought back. Whether it was saved.
 */
export async function updateConsoleSession(db: Kysely<Database>, session: ConsoleSessionToSave): Promise<boolean> {
  const result = await db
    .updateTable('console_sessions')
    .set({
      operator: session.operator?.name ?? null,
      operator_digest: session.operator?.digest ?? null,
      data: JSON.stringify(session.data),
      expires_at: sql<Date>`now() + make_interval(secs => ${session.idleSeconds})`,
    })
    .where('id_hash', '=', session.idHash)
    .where('expires_at', '>', sql<Date>`now()`)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function deleteConsoleSession(db: Kysely<Database>, idHash: string): Promise<void> {
  await db.deleteFrom('console_sessions').where('id_hash', '=', idHash).execute();
}

/**
 * The session secret kept in the database: the first caller's `candidate` becomes it, every
 * later caller (any process) gets that one.
 */
export async function sharedSessionSecret(db: Kysely<Database>, candidate: string, attempt = 1): Promise<string> {
  const { rows } = await sql<{ session_secret: string }>`
    WITH inserted AS (
      INSERT INTO console_settings (id, session_secret) VALUES (true, ${candidate})
      ON CONFLICT (id) DO NOTHING
      RETURNING session_secret
    )
    SELECT session_secret FROM inserted
    UNION ALL
    SELECT session_secret FROM console_settings WHERE id
  `.execute(db);
  const secret = rows[0]?.session_secret;
  if (secret !== undefined) return secret;
  // Another process stored its candidate after this statement's snapshot was taken: read it.
  if (attempt < 3) return sharedSessionSecret(db, candidate, attempt + 1);
  throw new Error('the console session secret could not be stored');
}

// ------------------------------------------------------------------------------------------------
// Units
// ------------------------------------------------------------------------------------------------

export interface ConsoleUnit {
  id: string;
  billingUnit: string;
  residentialUnit: string;
  pmnumber: string | null;
  billingUnitPmnumber: string | null;
  clientId: string;
  clientName: string | null;
}

export async function findConsoleUnit(
  db: Kysely<Database>,
  billingUnit: string,
  residentialUnit: string,
): Promise<ConsoleUnit | undefined> {
  const row = await db
    .selectFrom('residential_units as r')
    .innerJoin('billing_units as b', 'b.mscnumber', 'r.billing_unit')
    .innerJoin('clients as c', 'c.id', 'b.client_id')
    .select([
      'r.id',
      'r.billing_unit',
      'r.mscnumber',
      'r.pmnumber',
      'b.pmnumber as billing_unit_pmnumber',
      'c.id as client_id',
      'c.name as client_name',
    ])
    .where('r.billing_unit', '=', billingUnit)
    .where('r.mscnumber', '=', residentialUnit)
    .executeTakeFirst();
  return (
    row && {
      id: row.id,
      billingUnit: row.billing_unit,
      residentialUnit: row.mscnumber,
      pmnumber: row.pmnumber,
      billingUnitPmnumber: row.billing_unit_pmnumber,
      clientId: row.client_id,
      clientName: row.client_name,
    }
  );
}

/** The residential units of a billing unit (code point order), at most `limit`; undefined: no such billing unit. */
export async function residentialUnitsOf(db: Kysely<Database>, billingUnit: string, limit: number) {
  const billing = await db
    .selectFrom('billing_units as b')
    .innerJoin('clients as c', 'c.id', 'b.client_id')
    .select(['b.mscnumber', 'b.client_id', 'c.name as client_name'])
    .where('b.mscnumber', '=', billingUnit)
    .executeTakeFirst();
  if (!billing) return undefined;
  const units = await db
    .selectFrom('residential_units')
    .select(['mscnumber', 'pmnumber', sql<boolean>`roles_document IS NOT NULL`.as('has_roles')])
    .where('billing_unit', '=', billingUnit)
    .orderBy(sql`mscnumber COLLATE "C"`)
    .limit(limit)
    .execute();
  return { clientId: billing.client_id, clientName: billing.client_name, units };
}

/** Every stored role of the unit, whatever its type. */
export async function unitRoles(db: Kysely<Database>, unitId: string): Promise<TimelineRole[]> {
  return db
    .selectFrom('roles')
    .select(['role', 'from_date as from', 'to_date as to', 'partner_pmnumber as pmnumber'])
    .where('residential_unit', '=', unitId)
    .orderBy('from_date')
    .orderBy('role')
    .execute();
}

export async function unitPartners(db: Kysely<Database>, unitId: string) {
  return db
    .selectFrom('partners')
    .select(['pmnumber', 'name', 'firstname', 'additionalname', 'commercial', 'email', 'taxnumber', 'phonenumbers'])
    .where('residential_unit', '=', unitId)
    .orderBy('pmnumber')
    .execute();
}

// ------------------------------------------------------------------------------------------------
// Deliveries
// ------------------------------------------------------------------------------------------------

export type DeliveryStatus = 'PENDING' | 'SUCCESS' | 'FAIL';

export interface DeliveryFilter {
  status?: DeliveryStatus | undefined;
  clientId?: string | undefined;
  billingUnit?: string | undefined;
  residentialUnit?: string | undefined;
  /** Received at or after. */
  receivedFrom?: Date | undefined;
  /** Received before. */
  receivedBefore?: Date | undefined;
}

/** A page of deliveries, newest first: those older than `olderThan` or, with `newerThan`, the ones just after it. */
export interface DeliveryPage {
  olderThan?: string | undefined;
  newerThan?: string | undefined;
  size: number;
}

export interface DeliverySummary {
  id: string;
  seq: string;
  status: DeliveryStatus;
  clientId: string;
  credential: string;
  billingUnit: string;
  residentialUnit: string;
  receivedAt: Date;
  processedAt: Date | null;
  messages: PlainMessage[] | null;
  roleMessages: RoleMessage[] | null;
  partnerMessages: PartnerMessage[] | null;
}

/**
 * Deliveries matching the filter, newest first, one page of them (keyset on `seq`), with whether
 * older and newer ones match too.
 */
export async function findDeliveries(
  db: Kysely<Database>,
  filter: DeliveryFilter,
  page: DeliveryPage,
): Promise<{ rows: DeliverySummary[]; hasOlder: boolean; hasNewer: boolean }> {
  let query = db.selectFrom('deliveries').select([...DELIVERY_SUMMARY_COLUMNS, 'seq']);
  if (filter.status) query = query.where('status', '=', filter.status);
  if (filter.clientId) query = query.where('client_id', '=', filter.clientId);
  if (filter.billingUnit) query = query.where('billing_unit', '=', filter.billingUnit);
  if (filter.residentialUnit) query = query.where('residential_unit', '=', filter.residentialUnit);
  if (filter.receivedFrom) query = query.where('received_at', '>=', filter.receivedFrom);
  if (filter.receivedBefore) query = query.where('received_at', '<', filter.receivedBefore);
  const forward = page.newerThan !== undefined;
  if (page.newerThan !== undefined) query = query.where('seq', '>', page.newerThan);
  else if (page.olderThan !== undefined) query = query.where('seq', '<', page.olderThan);
  // One more than the page: whether more follow in the direction read.
  const read = await query
    .orderBy('seq', forward ? 'asc' : 'desc')
    .limit(page.size + 1)
    .execute();
  const more = read.length > page.size;
  const rows = read.slice(0, page.size).map(deliverySummary);
  if (forward) rows.reverse();
  return {
    rows,
    hasOlder: forward ? true : more,
    hasNewer: forward ? more : page.olderThan !== undefined,
  };
}

const deliverySummary = (row: {
  id: string;
  seq: string;
  status: DeliveryStatus;
  client_id: string;
  credential: string;
  billing_unit: string;
  residential_unit: string;
  received_at: Date;
  processed_at: Date | null;
  messages: unknown;
  role_messages: unknown;
  partner_messages: unknown;
}): DeliverySummary => ({
  id: row.id,
  seq: row.seq,
  status: row.status,
  clientId: row.client_id,
  credential: row.credential,
  billingUnit: row.billing_unit,
  residentialUnit: row.residential_unit,
  receivedAt: row.received_at,
  processedAt: row.processed_at,
  messages: row.messages as PlainMessage[] | null,
  roleMessages: row.role_messages as RoleMessage[] | null,
  partnerMessages: row.partner_messages as PartnerMessage[] | null,
});

/** One delivery with its body; undefined when there is none with this id. */
export async function findDeliveryDetail(db: Kysely<Database>, id: string) {
  const row = await db
    .selectFrom('deliveries')
    .select([...DELIVERY_SUMMARY_COLUMNS, 'seq', 'body', 'purged_at'])
    .where('id', '=', id)
    .executeTakeFirst();
  return row && { ...deliverySummary(row), body: row.body as unknown, purgedAt: row.purged_at as Date | null };
}

// ------------------------------------------------------------------------------------------------
// Clients
// ------------------------------------------------------------------------------------------------

/** Every client with how many billing units, credentials (active ones) and OIDC mappings it has. */
export async function clientSummaries(db: Kysely<Database>) {
  const { rows } = await sql<{
    id: string;
    name: string | null;
    billing_units: number;
    credentials: number;
    active_credentials: number;
    oidc_mappings: number;
  }>`
    SELECT c.id, c.name,
           (SELECT count(*)::int FROM billing_units b WHERE b.client_id = c.id) AS billing_units,
           (SELECT count(*)::int FROM credentials k WHERE k.client_id = c.id) AS credentials,
           (SELECT count(*)::int FROM credentials k WHERE k.client_id = c.id AND k.revoked_at IS NULL)
             AS active_credentials,
           (SELECT count(*)::int FROM oidc_clients o WHERE o.client_id = c.id) AS oidc_mappings
    FROM clients c
    ORDER BY c.id COLLATE "C"
  `.execute(db);
  return rows;
}

export async function findClient(db: Kysely<Database>, id: string) {
  return db.selectFrom('clients').select(['id', 'name', 'created_at']).where('id', '=', id).executeTakeFirst();
}

/** The client's billing units with their number of residential units. */
export async function clientBillingUnits(db: Kysely<Database>, clientId: string) {
  const { rows } = await sql<{
    mscnumber: string;
    contracts: string[];
    closed_until: string | null;
    residential_units: number;
  }>`
    SELECT b.mscnumber, b.contracts, b.closed_until,
           (SELECT count(*)::int FROM residential_units r WHERE r.billing_unit = b.mscnumber) AS residential_units
    FROM billing_units b
    WHERE b.client_id = ${clientId}
    ORDER BY b.mscnumber COLLATE "C"
  `.execute(db);
  return rows;
}

/**
 * When each credential of the client (and each `oidc:<claim value>` principal) last delivered:
 * the latest delivery received with it. Reads (E2, E3) are not recorded anywhere, so this is the
 * last use that left a trace. There is no index by client (0003 dropped it: the hot paths never
 * read by client), so this scans the deliveries; it runs only when an operator opens the page.
 */
export async function lastDeliveryByCredential(db: Kysely<Database>, clientId: string): Promise<Map<string, Date>> {
  const rows = await db
    .selectFrom('deliveries')
    .select(['credential', (eb) => eb.fn.max('received_at').as('last')])
    .where('client_id', '=', clientId)
    .groupBy('credential')
    .execute();
  return new Map(rows.map((row) => [row.credential, row.last as Date]));
}

/** Whether the credential exists and whose it is. */
export async function findCredential(db: Kysely<Database>, username: string) {
  return db
    .selectFrom('credentials')
    .select(['username', 'client_id', 'read_only', 'revoked_at', 'created_at'])
    .where('username', '=', username)
    .executeTakeFirst();
}
