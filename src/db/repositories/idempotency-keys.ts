import { type Kysely, sql } from 'kysely';
import type { Principal } from '../../auth/authenticator.js';
import type { StoredKey } from '../../domain/idempotency-key.js';
import { callFunction } from '../functions.js';
import type { Database } from '../schema.js';
import { type Checked, checked, credentialArguments } from './credentials.js';
import { acceptArguments, type NewDelivery } from './deliveries.js';

/** E1's idempotency keys (spec 9.2): what is stored; src/domain/idempotency-key.ts decides what it means. */

/** The caller's client's unexpired key, if stored (one statement with the re-check of the credential). */
export async function findIdempotencyKey(
  db: Kysely<Database>,
  principal: Principal,
  key: string,
): Promise<Checked<StoredKey | undefined>> {
  const [row] = await callFunction(db, 'osr_idempotency_key', { ...credentialArguments(principal), p_key: key });
  return checked(row?.credential_ok === true, () =>
    row?.fingerprint && row.delivery_id ? { fingerprint: row.fingerprint, dataDeliveryId: row.delivery_id } : undefined,
  );
}

export interface KeyedRequest {
  key: string;
  fingerprint: string;
  retentionHours: number;
}

export type KeyedAcceptance =
  /** The delivery and its key are stored. */
  | { kind: 'accepted' }
  /** Another request with this key is being stored right now: nothing stored. */
  | { kind: 'busy' }
  /** The key was stored meanwhile (and has not expired): nothing stored. */
  | { kind: 'stored'; stored: StoredKey };

/**
 * `acceptDelivery` with a key: the delivery and the key in one transaction, unless the key is
 * stored or being stored (then nothing is).
 */
export async function acceptDeliveryWithKey(
  db: Kysely<Database>,
  principal: Principal,
  delivery: Omit<NewDelivery, 'clientId' | 'credential'>,
  { key, fingerprint, retentionHours }: KeyedRequest,
): Promise<Checked<KeyedAcceptance>> {
  const [row] = await callFunction(db, 'osr_accept_with_key', {
    ...acceptArguments(principal, delivery),
    p_key: key,
    p_fingerprint: fingerprint,
    p_retention_seconds: retentionHours * 3600,
  });
  return checked(row?.credential_ok === true, (): KeyedAcceptance => {
    if (row?.accepted) return { kind: 'accepted' };
    if (row?.stored_fingerprint && row.stored_delivery_id) {
      return {
        kind: 'stored',
        stored: { fingerprint: row.stored_fingerprint, dataDeliveryId: row.stored_delivery_id },
      };
    }
    return { kind: 'busy' };
  });
}

/** `osr purge`: deletes the keys past their retention (they already count as absent). */
export async function deleteExpiredIdempotencyKeys(db: Kysely<Database>): Promise<number> {
  // The database's clock, as for the lookup and the expiry.
  const result = await db.deleteFrom('idempotency_keys').where('expires_at', '<=', sql<Date>`now()`).executeTakeFirst();
  return Number(result.numDeletedRows);
}
