import type { FastifyRequest } from 'fastify';
import { IDEMPOTENCY_KEY_PATH, parseIdempotencyKey, requestFingerprint } from '../domain/idempotency-key.js';
import { HTTP } from '../domain/messages.js';
import { answers, HttpError } from './errors.js';
import { keyedBodyBytesOf } from './json-body.js';

/**
 * E1's `Idempotency-Key` as HTTP sees it (spec 9.2; the rules: src/domain/idempotency-key.ts):
 * the header's values as sent, the request's fingerprint, and the answers 409 and 422.
 */

const HEADER = 'idempotency-key';

/** Header the `202` of a replayed request carries (the draft's name). */
export const REPLAYED_HEADER = 'Idempotent-Replayed';

/**
 * Every value of the header, one per occurrence: Node joins repeated custom headers with ", " in
 * `request.headers`, but `rawHeaders` keeps them apart.
 */
function headerValues(request: FastifyRequest): string[] {
  const raw = request.raw.rawHeaders;
  const values: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if ((raw[i] as string).toLowerCase() === HEADER) values.push(raw[i + 1] as string);
  }
  return values;
}

/** The request's key (undefined without the header); a malformed one is a 400 OSR-SCHEMA. */
export function idempotencyKeyOf(request: FastifyRequest): string | undefined {
  const joined = request.headers[HEADER];
  if (joined === undefined) return undefined;
  const values = headerValues(request);
  const parsed = parseIdempotencyKey(values.length > 0 ? values : [String(joined)]);
  if (parsed.kind === 'malformed') throw answers.schema([{ message: parsed.reason, path: IDEMPOTENCY_KEY_PATH }]);
  return parsed.kind === 'key' ? parsed.key : undefined;
}

/** The fingerprint of a request with a key: its path and exact body bytes (kept by the body parser). */
export const fingerprintOf = (request: FastifyRequest): string =>
  requestFingerprint(request.url, keyedBodyBytesOf(request));

export const idempotencyAnswers = {
  inProgress: () => HttpError.of(409, HTTP.idempotencyKeyInProgress),
  reused: () => HttpError.of(422, HTTP.idempotencyKeyReused),
};
