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
 * The only body parser: JSON, unencoded. Any other media type is 415 (Fastify's own error for an
 * unknown media type), and so is a body with a content coding (gzip, br, …): it would otherwise be
 * read as if it were plain JSON. A body that is not JSON is an OSR-SCHEMA error. Strings that
 * cannot be stored are found by the validation (src/http/plugins/validation.ts), together with
 * every other schema violation.
 */
export function registerJsonBodyParser(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'string', bodyLimit: BODY_LIMIT_BYTES },
    (request, text, done) => {
      if (!hasIdentityCoding(request)) {
        done(answers.unsupportedContentEncoding(), undefined);
        return;
      }
      const json = (text as string).startsWith(BYTE_ORDER_MARK) ? (text as string).slice(1) : (text as string);
      let body: unknown;
      try {
        body = JSON.parse(json);
      } catch {
        done(new SchemaError([{ message: 'Request body is not valid JSON.', path: '' }]), undefined);
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
