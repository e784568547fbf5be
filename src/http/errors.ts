import { HTTP, type KeyedMessage } from '../domain/messages.js';
import type { PartnerMessage, PlainMessage, RoleMessage } from '../domain/response-schema.js';

/**
 * How the app says "this request fails": routes and hooks throw an `HttpError` (or hand one to
 * `sendError`); only src/http/plugins/errors.ts turns it into an answer, the envelope of spec
 * section 6.
 */

/** The message lists of an error envelope; a list left out is `null` in the answer. */
export interface EnvelopeLists {
  messages?: PlainMessage[];
  roleMessages?: RoleMessage[];
  partnerMessages?: PartnerMessage[];
}

/** An error that already knows its HTTP answer. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly lists: EnvelopeLists,
    readonly headers: Record<string, string> = {},
  ) {
    super(`HTTP ${statusCode}`);
  }

  static of(statusCode: number, message: KeyedMessage, headers?: Record<string, string>): HttpError {
    return new HttpError(statusCode, { messages: [{ ...message }] }, headers);
  }
}

/** One OSR-SCHEMA violation: what is wrong and where (a JSON pointer into the body). */
export interface SchemaViolation {
  message: string;
  path: string;
}

export class SchemaError extends Error {
  readonly statusCode = 400;
  constructor(readonly violations: SchemaViolation[]) {
    super('request body violates the schema');
  }
}

/** RFC 6901 JSON pointer of a path. */
export const jsonPointer = (path: readonly PropertyKey[]): string =>
  path.map((segment) => `/${String(segment).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');

// Seconds a caller should wait after a 503: long enough for a database restart to show.
const RETRY_AFTER_UNAVAILABLE_SECONDS = '5';

/** The answers of spec section 6 that every part of the app may give. */
export const answers = {
  /** OSR-SCHEMA: what is wrong and where. */
  schema: (violations: SchemaViolation[]) =>
    new HttpError(400, {
      messages: violations.map(({ message, path }) => ({ key: HTTP.schema.key, message, path })),
    }),
  /** A malformed request the schema cannot point into (e.g. its URL): OSR-SCHEMA, path "". */
  malformed: (message: string): HttpError => answers.schema([{ message, path: '' }]),
  unauthorized: () => HttpError.of(401, HTTP.unauthorized, { 'WWW-Authenticate': 'Basic realm="on-site-roles"' }),
  forbidden: () => HttpError.of(403, HTTP.forbidden),
  notFound: () => HttpError.of(404, HTTP.notFound),
  requestTimeout: () => HttpError.of(408, HTTP.requestTimeout),
  payloadTooLarge: () => HttpError.of(413, HTTP.payloadTooLarge),
  unsupportedMediaType: () => HttpError.of(415, HTTP.unsupportedMediaType),
  /** A body with a content coding (gzip, br, …): RFC 9110 15.5.16 names the one accepted. */
  unsupportedContentEncoding: () => HttpError.of(415, HTTP.unsupportedMediaType, { 'Accept-Encoding': 'identity' }),
  /** `retryAfterSeconds` unset: the caller sets Retry-After itself (@fastify/rate-limit does). */
  tooManyRequests: (retryAfterSeconds?: number) =>
    HttpError.of(
      429,
      HTTP.tooManyRequests,
      retryAfterSeconds === undefined ? {} : { 'Retry-After': String(retryAfterSeconds) },
    ),
  headersTooLarge: () => HttpError.of(431, HTTP.headersTooLarge),
  technicalError: () => HttpError.of(500, HTTP.technicalError),
  /** Database unreachable or overload. */
  unavailable: () => HttpError.of(503, HTTP.unavailable, { 'Retry-After': RETRY_AFTER_UNAVAILABLE_SECONDS }),
};
