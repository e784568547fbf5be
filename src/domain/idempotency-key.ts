import { createHash } from 'node:crypto';

/**
 * 9.2: retrying E1 safely with an `Idempotency-Key` (the IETF draft "The Idempotency-Key HTTP
 * Header Field"). The rules live here; src/http/idempotency.ts reads the header and the body bytes,
 * the database stores the key with the delivery (migrations/0005_idempotency_keys.sql).
 */

/** 9.2: how long a key is kept after the first request, unless configured otherwise. */
export const DEFAULT_IDEMPOTENCY_RETENTION_HOURS = 24;

/** Where an OSR-SCHEMA message about the header points (9.2). */
export const IDEMPOTENCY_KEY_PATH = '/headers/idempotency-key';

/** 1–255 visible ASCII characters, `!` to `~`. */
const KEY_FORMAT = /^[!-~]{1,255}$/;

export type KeyHeader =
  | { kind: 'absent' }
  | { kind: 'key'; key: string }
  /** A 400 OSR-SCHEMA at `IDEMPOTENCY_KEY_PATH`; `reason` is its text. */
  | { kind: 'malformed'; reason: string };

/**
 * 9.2: the key of a request, from every value of its `Idempotency-Key` header as sent (each
 * occurrence separately). One value, with one pair of surrounding double quotes removed (the draft
 * writes it as a structured-field string), is the key; sent twice, empty or with any character
 * outside `!`..`~` it is malformed.
 */
export function parseIdempotencyKey(values: readonly string[]): KeyHeader {
  if (values.length === 0) return { kind: 'absent' };
  if (values.length > 1) return { kind: 'malformed', reason: 'Idempotency-Key must be sent at most once.' };
  const [value = ''] = values;
  const key = value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
  return KEY_FORMAT.test(key)
    ? { kind: 'key', key }
    : { kind: 'malformed', reason: 'Idempotency-Key must be 1 to 255 visible ASCII characters (! to ~).' };
}

/**
 * 9.2: what makes two requests "the same": the path without its query string, exactly as sent,
 * and the exact body bytes. A path cannot hold a NUL byte (HTTP forbids control characters in the
 * request line), so the one between the two keeps (path, body) pairs apart.
 */
export function requestFingerprint(url: string, body: Uint8Array): string {
  const query = url.indexOf('?');
  const path = query < 0 ? url : url.slice(0, query);
  return createHash('sha256').update(path, 'utf8').update('\0').update(body).digest('hex');
}

/** A key already stored for this client, unexpired: the fingerprint and answer of its request. */
export interface StoredKey {
  fingerprint: string;
  dataDeliveryId: string;
}

export type KeyDecision =
  /** Not stored: the request is processed as usual (and its key stored if it is accepted). */
  | { kind: 'new' }
  /** The same request again: `202` with the stored delivery, `Idempotent-Replayed: true`. */
  | { kind: 'replay'; dataDeliveryId: string }
  /** 422 OSR-422: the key was used for another path or body. */
  | { kind: 'mismatch' };

/** 9.2: what a request with a key gets, given what is stored under the key. */
export function decideStoredKey(stored: StoredKey | undefined, fingerprint: string): KeyDecision {
  if (!stored) return { kind: 'new' };
  return stored.fingerprint === fingerprint
    ? { kind: 'replay', dataDeliveryId: stored.dataDeliveryId }
    : { kind: 'mismatch' };
}
