import type { FastifyInstance, FastifyRequest } from 'fastify';
import { answers, SchemaError } from './errors.js';
import { BODY_LIMIT_BYTES } from './limits.js';

// A UTF-8 byte-order mark some clients (e.g. Windows tools) put before the document.
const BYTE_ORDER_MARK = '\uFEFF';

/** Only escapes can smuggle U+0000 or a lone surrogate into a parsed JSON string. */
const SUSPICIOUS_ESCAPE = /\\u(?:0000|[dD][89a-fA-F])/;

/** Parsed bodies whose text had such an escape (held weakly: gone with the request). */
const suspiciousBodies = new WeakSet<object>();

/**
 * Whether a parsed body may hold a string that cannot be stored, so that the validation searches
 * only those (almost none: the search costs about half as much as the schema check). A body that
 * is not an object is trivial to search.
 */
export const mayHoldUnstorableStrings = (body: unknown): boolean =>
  typeof body !== 'object' || body === null || suspiciousBodies.has(body);

/**
 * The exact bytes of bodies sent with an `Idempotency-Key` (spec 9.2: they are part of the
 * request's fingerprint), and the JSON error of such a body, which is answered only after the key
 * was looked up (a stored key decides before the body: src/http/idempotency.ts).
 */
const keyedBodyBytes = new WeakMap<FastifyRequest, Buffer>();
const deferredBodyErrors = new WeakMap<FastifyRequest, SchemaError>();

const sentWithIdempotencyKey = (request: FastifyRequest): boolean => request.headers['idempotency-key'] !== undefined;

/** The body bytes of a request sent with an `Idempotency-Key` (none: empty). */
export const keyedBodyBytesOf = (request: FastifyRequest): Uint8Array =>
  keyedBodyBytes.get(request) ?? new Uint8Array();

/** Throws the JSON error this parser held back for a request with an `Idempotency-Key`, if any. */
export function throwDeferredBodyError(request: FastifyRequest): void {
  const error = deferredBodyErrors.get(request);
  if (error) throw error;
}

/**
 * The only body parser: JSON, unencoded. Any other media type is 415 (Fastify's own error for an
 * unknown media type), and so is a body with a content coding (gzip, br, …): it would otherwise be
 * read as if it were plain JSON. A body that is not JSON is an OSR-SCHEMA error (with an
 * `Idempotency-Key`: after the key's lookup). Strings that cannot be stored are found by the
 * validation (src/http/plugins/validation.ts), together with every other schema violation. Read
 * as bytes (the fingerprint needs them) and decoded here, as Fastify would.
 */
export function registerJsonBodyParser(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'buffer', bodyLimit: BODY_LIMIT_BYTES },
    (request, bytes, done) => {
      if (!hasIdentityCoding(request)) {
        done(answers.unsupportedContentEncoding(), undefined);
        return;
      }
      const keyed = sentWithIdempotencyKey(request);
      if (keyed) keyedBodyBytes.set(request, bytes as Buffer);
      const text = (bytes as Buffer).toString('utf8');
      const json = text.startsWith(BYTE_ORDER_MARK) ? text.slice(1) : text;
      let body: unknown;
      try {
        body = JSON.parse(json);
      } catch {
        const error = new SchemaError([{ message: 'Request body is not valid JSON.', path: '' }]);
        if (!keyed) {
          done(error, undefined);
          return;
        }
        deferredBodyErrors.set(request, error);
        done(null, undefined);
        return;
      }
      if (typeof body === 'object' && body !== null && SUSPICIOUS_ESCAPE.test(json)) suspiciousBodies.add(body);
      done(null, body);
    },
  );
}

/** No Content-Encoding, or only `identity` (RFC 9110 8.4: a list of codings, case-insensitive). */
function hasIdentityCoding(request: FastifyRequest): boolean {
  const codings = request.headers['content-encoding'];
  if (codings === undefined) return true;
  return codings
    .split(',')
    .map((coding) => coding.trim().toLowerCase())
    .every((coding) => coding === '' || coding === 'identity');
}
