import { BILLING_UNIT_FORMAT, RESIDENTIAL_UNIT_FORMAT } from '../domain/delivery-schema.js';
import { MESSAGES } from '../domain/messages.js';
import { BODY_LIMIT_BYTES, MAX_HEADER_BYTES } from './limits.js';
import type { OperationId } from './openapi-operations.js';
import { DEFAULT_REQUEST_TIMEOUT_MS } from './plugins/deadlines.js';
import { DELIVERY_ID_FORMAT } from './routes/delivery-result.js';

/**
 * What the OpenAPI document says about each answer (its description and headers) and about the
 * path parameters. Documentation only: nothing here validates or changes an answer.
 */

interface HeaderDoc {
  description: string;
  required?: boolean;
  schema: { type: 'string' | 'integer'; enum?: string[]; minimum?: number; format?: string };
}

export const HEADERS = {
  'X-Request-Id': {
    description:
      'The caller’s own `X-Request-Id` when sent and sane (1–128 characters of `A–Z a–z 0–9 . _ : -`), else a new ' +
      'UUID; the server’s log lines of the request carry it too.',
    required: true,
    schema: { type: 'string' },
  },
  Location: {
    description: 'The absolute path of the new delivery’s E3 URL (its status and messages).',
    required: true,
    schema: { type: 'string' },
  },
  'Idempotent-Replayed': {
    description:
      '`true` when this `202` repeats the answer to an earlier request with the same `Idempotency-Key` (nothing new ' +
      'was stored); absent otherwise.',
    schema: { type: 'string', enum: ['true'] },
  },
  ETag: {
    description:
      'A weak tag of the answer without its `timestamp`: the same while the unit’s roles, partners and pmnumbers are ' +
      'the same. Send it as `If-None-Match` to be answered `304` without a body when nothing changed.',
    required: true,
    schema: { type: 'string' },
  },
  'Preference-Applied': {
    description:
      '`wait=M` when the server held the answer for `Prefer: wait=N` (M = N, at most 60); absent when it answered ' +
      'at once.',
    schema: { type: 'string' },
  },
  'Retry-After': {
    description: 'Seconds to wait before trying again.',
    required: true,
    schema: { type: 'integer', minimum: 0 },
  },
  'WWW-Authenticate': {
    description:
      'The authentication schemes: HTTP Basic; with bearer tokens configured (OSR_OIDC_ISSUER), a second ' +
      '`WWW-Authenticate` field offers Bearer (RFC 6750), with `error="invalid_token"` when a token was sent and refused.',
    required: true,
    schema: {
      type: 'string',
      enum: [
        'Basic realm="on-site-roles"',
        'Bearer realm="on-site-roles"',
        'Bearer realm="on-site-roles", error="invalid_token"',
      ],
    },
  },
  'Accept-Encoding': {
    description: 'Sent when a `Content-Encoding` was the reason: only `identity` is accepted.',
    schema: { type: 'string', enum: ['identity'] },
  },
  'x-ratelimit-limit': {
    description: 'Requests allowed per credential and minute (@fastify/rate-limit).',
    schema: { type: 'integer', minimum: 0 },
  },
  'x-ratelimit-remaining': {
    description: 'Requests left in the current minute.',
    schema: { type: 'integer', minimum: 0 },
  },
  'x-ratelimit-reset': {
    description: 'Seconds until the current minute’s count starts again.',
    schema: { type: 'integer', minimum: 0 },
  },
} as const satisfies Record<string, HeaderDoc>;

export type HeaderName = keyof typeof HEADERS;

interface ResponseDoc {
  description: string;
  headers?: HeaderName[];
}

const RATE_LIMIT_HEADERS: HeaderName[] = ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset'];

const KIB = 1024;

/** The answers every operation may give, whatever it is. */
const COMMON_RESPONSES: Record<number, ResponseDoc> = {
  401: {
    description:
      'Missing or wrong Basic credentials, or a refused bearer token (`OSR-401`); an unknown user and a wrong ' +
      'password get identical answers.',
    headers: ['WWW-Authenticate'],
  },
  403: { description: 'A read-only credential may not submit deliveries (`OSR-403`); nothing is stored.' },
  408: {
    description:
      `The request (headers or body) did not arrive completely within ${DEFAULT_REQUEST_TIMEOUT_MS / 1000} s ` +
      '(`OSR-408`); the connection is closed.',
  },
  413: { description: `A body over ${BODY_LIMIT_BYTES.toLocaleString('en')} bytes (\`OSR-413\`); nothing is stored.` },
  415: {
    description:
      'The body is not `application/json`, or is content-encoded (`Content-Encoding` other than `identity`) ' +
      '(`OSR-415`); nothing is stored.',
    headers: ['Accept-Encoding'],
  },
  429: {
    description:
      'Too many requests (`OSR-429`): 10 failed logins for one username or 100 from one source address within ' +
      '15 minutes, or more requests per credential and minute than configured (6000 by default).',
    headers: ['Retry-After'],
  },
  431: {
    description: `Request line and headers over ${MAX_HEADER_BYTES / KIB} KiB (\`OSR-431\`); the connection is closed.`,
  },
  500: { description: 'An unexpected error (`OSR-500`); the details go to the server log only.' },
  503: {
    description:
      'The database is unreachable, restarting or overloaded, or the server is overloaded; or a bearer token’s ' +
      'signing key is not cached and the issuer cannot be reached (`OSR-503`).',
    headers: ['Retry-After'],
  },
};

/** Answers whose meaning depends on the operation. */
const OPERATION_RESPONSES: Record<OperationId, Record<number, ResponseDoc>> = {
  submitDelivery: {
    202: {
      description:
        'Accepted: the delivery is stored `PENDING`; `Location` is its E3 URL. With `Idempotent-Replayed: true`: ' +
        'the same request was accepted before under this `Idempotency-Key`, this is its answer again.',
      headers: ['Location', 'Idempotent-Replayed', ...RATE_LIMIT_HEADERS],
    },
    400: {
      description:
        'Refused at once, nothing stored: the body breaks the schema (`OSR-SCHEMA`, one message per violation, ' +
        '`path` its JSON pointer) or the synchronous checks `OSR-1001`…`OSR-1004` (every failure reported); or ' +
        'the URL is not text (`OSR-SCHEMA`), or the `Idempotency-Key` is malformed or sent twice (`OSR-SCHEMA`, ' +
        '`path` `/headers/idempotency-key`).',
      headers: RATE_LIMIT_HEADERS,
    },
    409: {
      description:
        'Another request with this `Idempotency-Key` is being stored at this moment (`OSR-409`); nothing is stored. ' +
        'Retry with the same key.',
      headers: RATE_LIMIT_HEADERS,
    },
    422: {
      description:
        'The `Idempotency-Key` was used within its retention for a request with another path or body (`OSR-422`); ' +
        'nothing is stored.',
      headers: RATE_LIMIT_HEADERS,
    },
  },
  getCurrentRoles: {
    200: {
      description:
        'The unit’s current roles (of the role types this server processes) and the partners they reference.',
      headers: ['ETag', ...RATE_LIMIT_HEADERS],
    },
    304: {
      description: '`If-None-Match` names the current `ETag`: nothing changed since that answer; no body.',
      headers: ['ETag', ...RATE_LIMIT_HEADERS],
    },
    400: { description: '`{bu}` or `{ru}` is malformed: D1 and/or D2 in `messages`.', headers: RATE_LIMIT_HEADERS },
    404: {
      description:
        `Unknown billing or residential unit, or another client’s (“${MESSAGES.UNIT_NOT_FOUND.message}”); or a ` +
        `known unit without roles (“${MESSAGES.NO_ROLES.message}”).`,
      headers: RATE_LIMIT_HEADERS,
    },
  },
  getDeliveryResult: {
    200: {
      description:
        'The delivery’s status (`PENDING`, `SUCCESS`, `FAIL`) and messages. With `Preference-Applied`: the answer ' +
        'was held for `Prefer: wait` and shows the state at its end (still `PENDING` after the time-out).',
      headers: ['Preference-Applied', ...RATE_LIMIT_HEADERS],
    },
    404: {
      description:
        'An unknown id, one that is not a UUID, another client’s delivery or one posted under another `{bu}` ' +
        '(`OSR-404`, all the same answer).',
      headers: RATE_LIMIT_HEADERS,
    },
  },
  getHealth: { 200: { description: 'The process runs.' } },
  getReady: {
    200: { description: 'Ready: database reachable, migrations applied, worker running (if any).' },
    503: { description: 'Not ready: `checks` says which check failed.' },
  },
  getMetrics: { 200: { description: 'The metrics, Prometheus text format.' } },
};

/** The description and headers of one answer of one operation (every answer has an X-Request-Id). */
export function responseDoc(
  operationId: OperationId,
  status: number,
): { description: string; headers: Record<string, HeaderDoc> } | undefined {
  const doc = OPERATION_RESPONSES[operationId][status] ?? COMMON_RESPONSES[status];
  if (!doc) return undefined;
  const names: HeaderName[] = ['X-Request-Id', ...(doc.headers ?? [])];
  return { description: doc.description, headers: Object.fromEntries(names.map((name) => [name, HEADERS[name]])) };
}

export function isOperationId(id: string | undefined): id is OperationId {
  return id !== undefined && id in OPERATION_RESPONSES;
}

/**
 * The path parameters: their formats (spec section 1) and what a malformed one gets. The patterns
 * are documentation: a malformed `{bu}`/`{ru}` still reaches the route, which answers D1/D2.
 */
export const PATH_PARAMETERS: Record<string, { description: string; schema: Record<string, string> }> = {
  bu: {
    description:
      'The MSC’s billing-unit number (Abrechnungseinheit): 6 digits, or `099` and 6 digits. Not refused when ' +
      'malformed: E1 accepts the delivery, which ends `FAIL` with D1; E2 answers `400` with D1; E3 finds only ' +
      'deliveries posted under exactly this `{bu}`.',
    schema: { type: 'string', pattern: BILLING_UNIT_FORMAT.source },
  },
  ru: {
    description:
      'The MSC’s residential-unit number (Nutzeinheit): 1 to 4 digits, compared as text (`0001` is not `1`). Not ' +
      'refused when malformed: E1 accepts the delivery, which ends `FAIL` with D2; E2 answers `400` with D2.',
    schema: { type: 'string', pattern: RESIDENTIAL_UNIT_FORMAT.source },
  },
  dataDeliveryId: {
    description: 'The `dataDeliveryId` of E1’s `202` answer. Anything that is not a UUID is simply not found (`404`).',
    schema: { type: 'string', format: 'uuid', pattern: DELIVERY_ID_FORMAT.source },
  },
};
