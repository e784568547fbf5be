import { FEED_DEFAULT_LIMIT, FEED_MAX_LIMIT, FEED_QUERY_RULES } from '../domain/change-feed.js';
import { UVI_DEFAULT_LIMIT, UVI_QUERY_RULES } from '../domain/uvi-recipients.js';
import { MAX_HEADER_BYTES } from './limits.js';
import { MSC_BASE_PATH, MSC_CHALLENGE, MSC_REALM } from './msc-scope.js';
import { HEADERS, type HeaderName } from './openapi-responses.js';
import { DEFAULT_REQUEST_TIMEOUT_MS } from './plugins/deadlines.js';
import { MAX_WAIT_SECONDS } from './prefer-wait.js';

/**
 * The metering company's part of the OpenAPI document (spec section 10, below /msc/v1): its own
 * tag and security scheme (operator accounts, 10.1), and what it says about each of its
 * operations and answers. Documentation only. A new /msc/v1 route adds its operation here
 * (MSC_OPERATIONS); an operation without an entry fails the generation, as the others do.
 */

export const MSC_TAG = {
  name: 'msc',
  description:
    `The metering company’s own side (spec section 10), below \`${MSC_BASE_PATH}\`: for its staff and its ` +
    'billing and consumption-information systems. Operator accounts only (`osr operator add`), HTTP Basic with ' +
    `realm \`${MSC_REALM}\`; the clients’ credentials, Basic or Bearer, get \`401\` here.`,
};

export const MSC_SECURITY_SCHEME_NAME = 'mscBasicAuth';

export const MSC_SECURITY_SCHEME = {
  type: 'http',
  scheme: 'basic',
  description:
    `HTTP Basic with an operator account (\`osr operator add\`), realm \`${MSC_REALM}\`; only under ` +
    `\`${MSC_BASE_PATH}\`. Apart from the clients’ credentials both ways: a client’s credential or bearer token ` +
    'gets `401` here, an operator’s gets `401` on E1–E3. A read-only operator reads everything and changes nothing.',
} as const;

/** The paragraph of the document's description about this part. */
export const MSC_PARAGRAPH =
  `**The metering company’s side (\`${MSC_BASE_PATH}\`, tag \`msc\`, spec section 10)**: for the metering ` +
  'company’s own staff and systems, signed in with an operator account (HTTP Basic, security scheme ' +
  `\`${MSC_SECURITY_SCHEME_NAME}\`): a missing or wrong one, and every client credential or bearer token, gets ` +
  `\`401\` with \`WWW-Authenticate: ${MSC_CHALLENGE}\`. Failed sign-ins are throttled as on E1–E3; the answers ` +
  'use the same error envelope.';

interface HeaderDoc {
  description: string;
  required?: boolean;
  schema: { type: 'string' | 'integer'; enum?: string[]; minimum?: number };
}

interface ResponseDoc {
  description: string;
  headers?: (HeaderName | 'WWW-Authenticate')[];
}

/** The operators' challenge; replaces the clients' `WWW-Authenticate` in this part. */
const MSC_WWW_AUTHENTICATE: HeaderDoc = {
  description: `HTTP Basic with an operator account: \`${MSC_CHALLENGE}\` (no Bearer challenge: tokens are not accepted here).`,
  required: true,
  schema: { type: 'string', enum: [MSC_CHALLENGE] },
};

const RATE_LIMIT_HEADERS: HeaderName[] = ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset'];

/** The answers every operation of this part may give. */
const COMMON: Record<number, ResponseDoc> = {
  401: {
    description:
      'Missing or wrong operator credentials, a revoked operator, a password rotated since, or any client ' +
      'credential or bearer token (`OSR-401`); an unknown name and a wrong password get identical answers.',
    headers: ['WWW-Authenticate'],
  },
  403: { description: 'A read-only operator may not change anything (`OSR-403`); nothing is changed.' },
  408: {
    description: `The request did not arrive completely within ${DEFAULT_REQUEST_TIMEOUT_MS / 1000} s (\`OSR-408\`).`,
  },
  429: {
    description:
      'Too many requests (`OSR-429`): 10 failed sign-ins for one operator name or 100 from one source address ' +
      'within 15 minutes, or more requests per operator and minute than configured (6000 by default).',
    headers: ['Retry-After'],
  },
  431: { description: `Request line and headers over ${MAX_HEADER_BYTES / 1024} KiB (\`OSR-431\`).` },
  500: { description: 'An unexpected error (`OSR-500`); the details go to the server log only.' },
  503: {
    description: 'The database is unreachable, restarting or overloaded, or the server is overloaded (`OSR-503`).',
    headers: ['Retry-After'],
  },
};

interface MscOperationDoc {
  description: string;
  /** The description of each query parameter. */
  query?: Record<string, string>;
  /** The description of each request header the route declares (by its lower-case name). */
  headers?: Record<string, string>;
  responses: Record<number, ResponseDoc>;
}

export const MSC_OPERATIONS: Record<string, MscOperationDoc> = {
  getChanges: {
    description: [
      '10.2. The change feed for downstream systems: every role change of every `SUCCESS` delivery, one entry ' +
        'per change, **exactly once and in commit order** for a consumer that starts without `after` and always ' +
        'passes the `next` it got, also while several workers commit at the same moment (positions are given at ' +
        'commit, so no change can later appear before a cursor already handed out). Changes of one unit appear in ' +
        'the order they were applied.',
      'Each entry: its `cursor`, the delivery (`dataDeliveryId`), its `client`, `billingUnit` and `residentialUnit`, ' +
        '`appliedAt`, `change` (`INSERT`, `UPDATE`, `DELETE`), the `role` type, and `before` / `after` exactly as ' +
        '`{ role, from, to, partner: { pmnumber } }` with an open `to` as `9999-12-31` (`before` is `null` for an ' +
        'INSERT, `after` for a DELETE). `partner` is the partner data the change stored, as E2 shows partners; ' +
        '`null` for a DELETE and once `osr purge` removed it (10.4).',
      `Paging: at most \`limit\` entries (1–${FEED_MAX_LIMIT}, default ${FEED_DEFAULT_LIMIT}); \`next\` is the cursor ` +
        'of the last entry returned, or the given `after` when none follows (`null` for an empty feed read from ' +
        'the start). A cursor stays valid as long as the data exists.',
      'With `Prefer: wait=N` (as on E3, section 9.1), an answer that would have no entries is held until a change ' +
        `follows \`after\` or N seconds have passed (more than ${MAX_WAIT_SECONDS} count as ${MAX_WAIT_SECONDS}), ` +
        'with `Preference-Applied: wait=N`; past 1,000 waiting requests per process it answers at once.',
      'A malformed cursor, or one this server never handed out: `400` `OSR-SCHEMA` with `path` `/query/after`; a ' +
        '`limit` outside 1–1000 or not a whole number: `400` with `path` `/query/limit`.',
    ].join('\n\n'),
    query: {
      after: `The \`next\` (or an entry's \`cursor\`) of an earlier answer; omitted: from the first change. Anything else: \`400\`, “${FEED_QUERY_RULES.after}”`,
      limit: `Entries per answer, default ${FEED_DEFAULT_LIMIT}. Out of range: \`400\`, “${FEED_QUERY_RULES.limit}”`,
    },
    headers: {
      prefer:
        `\`wait=N\` (RFC 7240): when no change follows \`after\`, hold the answer until one does or N seconds have ` +
        `passed (N: \`^[1-9][0-9]*$\`, more than ${MAX_WAIT_SECONDS} counts as ${MAX_WAIT_SECONDS}); anything else is ignored.`,
    },
    responses: {
      200: {
        description:
          'One page of changes. With `Preference-Applied`: the answer was held for `Prefer: wait` (no entries ' +
          'after a time-out).',
        headers: ['Preference-Applied', ...RATE_LIMIT_HEADERS],
      },
      400: {
        description:
          'A malformed or unknown `after`, or a `limit` out of range (`OSR-SCHEMA`, `path` `/query/<name>`).',
        headers: RATE_LIMIT_HEADERS,
      },
    },
  },
  getUviRecipients: {
    description: [
      '10.3. Who gets the monthly consumption information (UVI) of each residential unit for one month: its ' +
        '`S-COR` roles that share at least one day with the month. One item per unit with at least one such ' +
        'role, ordered by billing unit, then residential unit (both compared as strings, by code point); its ' +
        'recipients ordered by `from`.',
      'Each recipient is the role’s part inside the month: `from` and `to` (both included), their number of ' +
        '`days`, and `fullMonth` when that one role covers every day of the month (a change of tenant inside the ' +
        'month gives two recipients, neither for the full month). The partner is the one on record for the unit; ' +
        'a field without a value is `null`.',
      'Paging: at most `limit` units (1–5000, default 500) per answer; pass its `next` as `after` for the next ' +
        'page. `next` is `null` exactly when no unit follows.',
      'A missing or malformed `month`, a malformed `billingUnit`, `after` or `limit` (or one given twice): `400` ' +
        '`OSR-SCHEMA` with `path` `/query/<name>`, one message per parameter at fault. A well-formed billing unit ' +
        'that does not exist: `200` with no units.',
    ].join('\n\n'),
    query: {
      month: `Required: the month, \`YYYY-MM\`. Missing or malformed: \`400\`, “${UVI_QUERY_RULES.month}”`,
      billingUnit:
        'Only this billing unit (a well-formed but unknown one gives no units). Malformed: `400`, ' +
        `“${UVI_QUERY_RULES.billingUnit}”`,
      after: `The \`next\` of the previous page. Anything else: \`400\`, “${UVI_QUERY_RULES.after}”`,
      limit: `Units per answer, default ${UVI_DEFAULT_LIMIT}. Out of range: \`400\`, “${UVI_QUERY_RULES.limit}”`,
    },
    responses: {
      200: { description: 'One page of units with their recipients.', headers: RATE_LIMIT_HEADERS },
      400: {
        description: 'A query parameter is missing or malformed (`OSR-SCHEMA`, `path` `/query/<name>`).',
        headers: RATE_LIMIT_HEADERS,
      },
    },
  },
};

export const isMscOperation = (operationId: string | undefined): operationId is string =>
  operationId !== undefined && Object.hasOwn(MSC_OPERATIONS, operationId);

/** The description and headers of one answer of an operation of this part (every answer has an X-Request-Id). */
export function mscResponseDoc(
  operationId: string,
  status: number,
): { description: string; headers: Record<string, HeaderDoc> } | undefined {
  const doc = MSC_OPERATIONS[operationId]?.responses[status] ?? COMMON[status];
  if (!doc) return undefined;
  const names = ['X-Request-Id' as const, ...(doc.headers ?? [])];
  return {
    description: doc.description,
    headers: Object.fromEntries(
      names.map((name) => [name, name === 'WWW-Authenticate' ? MSC_WWW_AUTHENTICATE : HEADERS[name]]),
    ),
  };
}

interface DocumentedOperation {
  description?: string;
  parameters?: { in: string; name: string; description?: string }[];
  responses?: Record<string, { description?: string; headers?: object }>;
}

/** Completes one generated operation of this part: description, the request-id parameter, each answer's text and headers. */
export function completeMscOperation(
  path: string,
  operationId: string,
  operation: DocumentedOperation,
  requestIdParameter: { in: string; name: string },
): void {
  const documented = MSC_OPERATIONS[operationId];
  operation.description = documented?.description;
  for (const parameter of operation.parameters ?? []) {
    const description =
      parameter.in === 'query'
        ? documented?.query?.[parameter.name]
        : parameter.in === 'header'
          ? documented?.headers?.[parameter.name]
          : undefined;
    if (description) parameter.description = description;
  }
  operation.parameters = [...(operation.parameters ?? []), requestIdParameter];
  for (const [status, response] of Object.entries(operation.responses ?? {})) {
    const answer = mscResponseDoc(operationId, Number(status));
    if (!answer) throw new Error(`${path}: answer ${status} of ${operationId} has no description`);
    response.description = answer.description;
    response.headers = answer.headers;
  }
}
