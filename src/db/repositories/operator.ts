import { type Kysely, sql } from 'kysely';
import { PARTNER_PERSONAL_FIELDS } from '../../domain/personal-data.js';
import type { Database } from '../schema.js';
import { ConflictError } from './admin.js';

/** Reads and changes for operators and support (the `osr` commands beyond adding). */

export async function listCredentials(db: Kysely<Database>, clientId: string) {
  return db
    .selectFrom('credentials')
    .select(['username', 'read_only', 'revoked_at', 'created_at'])
    .where('client_id', '=', clientId)
    .orderBy('username')
    .execute();
}

/** Whether a credential is active or revoked; an unknown one is a conflict. */
export async function credentialStatus(db: Kysely<Database>, username: string): Promise<'active' | 'revoked'> {
  const credential = await db
    .selectFrom('credentials')
    .select('revoked_at')
    .where('username', '=', username)
    .executeTakeFirst();
  if (!credential) throw new ConflictError(`unknown credential ${username}`);
  return credential.revoked_at === null ? 'active' : 'revoked';
}

export async function revokeCredential(db: Kysely<Database>, username: string): Promise<'revoked' | 'unchanged'> {
  if ((await credentialStatus(db, username)) === 'revoked') return 'unchanged';
  await db.updateTable('credentials').set({ revoked_at: sql<Date>`now()` }).where('username', '=', username).execute();
  return 'revoked';
}

export async function rotateCredential(db: Kysely<Database>, username: string, passwordHash: string): Promise<void> {
  const result = await db
    .updateTable('credentials')
    .set({ password_hash: passwordHash })
    .where('username', '=', username)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  if (result.numUpdatedRows !== 1n) throw new ConflictError(`unknown or revoked credential ${username}`);
}

export async function unitHistory(db: Kysely<Database>, billingUnit: string, residentialUnit: string) {
  const unit = await db
    .selectFrom('residential_units')
    .select('id')
    .where('billing_unit', '=', billingUnit)
    .where('mscnumber', '=', residentialUnit)
    .executeTakeFirst();
  if (!unit) return undefined;
  return db
    .selectFrom('change_history')
    .select(['changed_at', 'delivery_id', 'credential', 'entity', 'change', 'before', 'after'])
    .where('residential_unit', '=', unit.id)
    .orderBy('id')
    .execute();
}

/** A delivery's columns for lists (`osr deliveries`, the console): everything but the body. */
export const DELIVERY_SUMMARY_COLUMNS = [
  'id',
  'status',
  'client_id',
  'credential',
  'billing_unit',
  'residential_unit',
  'received_at',
  'processed_at',
  'messages',
  'role_messages',
  'partner_messages',
] as const;

export async function recentDeliveries(
  db: Kysely<Database>,
  { status, since, limit }: { status?: string | undefined; since?: Date | undefined; limit: number },
) {
  let query = db.selectFrom('deliveries').select(DELIVERY_SUMMARY_COLUMNS).orderBy('seq', 'desc').limit(limit);
  if (status) query = query.where('status', '=', status as 'PENDING' | 'SUCCESS' | 'FAIL');
  if (since) query = query.where('received_at', '>=', since);
  return query.execute();
}

/**
 * Retention: removes the personal fields (names, e-mail, tax number, phone numbers) from the
 * stored bodies of processed deliveries older than `days`, keeping ids, status, messages, the
 * roles and each partner's pmnumber. Returns how many deliveries were purged.
 */
export async function purgeDeliveries(db: Kysely<Database>, days: number): Promise<number> {
  const result = await sql`
    UPDATE deliveries
    SET purged_at = now(),
        body = jsonb_set(
          body,
          '{billingunit,residentialunit,partners}',
          (SELECT coalesce(
                    jsonb_agg(jsonb_build_object('reference', partner->'reference', 'commercial', partner->'commercial')),
                    '[]'::jsonb)
           FROM jsonb_array_elements(
             CASE jsonb_typeof(body#>'{billingunit,residentialunit,partners}')
               WHEN 'array' THEN body#>'{billingunit,residentialunit,partners}' ELSE '[]'::jsonb END) AS partner))
    WHERE purged_at IS NULL AND status <> 'PENDING'
      AND processed_at < now() - make_interval(days => ${days})`.execute(db);
  return Number(result.numAffectedRows ?? 0n);
}

/**
 * Spec 10.4: removes the partner's personal data (PARTNER_PERSONAL_FIELDS) from the change-history
 * entries and the change-feed entries whose change was applied more than `days` days ago: a
 * history entry keeps its role, dates and pmnumber (a partner entry its pmnumber and
 * `commercial`), a feed entry keeps everything but its partner (then null). The partners table and
 * the units' E2 documents are not touched. One transaction; returns how many entries of each.
 */
export async function purgePartnerData(db: Kysely<Database>, days: number): Promise<{ history: number; feed: number }> {
  const fields = [...PARTNER_PERSONAL_FIELDS];
  return db.transaction().execute(async (trx) => {
    const cutoff = sql`now() - make_interval(days => ${days})`;
    // Only partner entries hold personal data (a role entry names its partner by pmnumber).
    const history = await sql`
      UPDATE change_history
      SET before = before - ${fields}::text[], after = after - ${fields}::text[], purged_at = now()
      WHERE entity = 'partner' AND purged_at IS NULL AND changed_at < ${cutoff}`.execute(trx);
    const feed = await sql`
      UPDATE change_feed SET partner = NULL, purged_at = now()
      WHERE partner IS NOT NULL AND applied_at < ${cutoff}`.execute(trx);
    return { history: Number(history.numAffectedRows ?? 0n), feed: Number(feed.numAffectedRows ?? 0n) };
  });
}
