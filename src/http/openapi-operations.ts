import { z } from 'zod';
import type { ProcessingProfile } from '../domain/profiles.js';
import { BODY_LIMIT_BYTES } from './limits.js';
import {
  type MessageRow,
  messageRows,
  messageTable,
  processedTypesText,
  takesBillingRecipients,
} from './openapi-messages.js';

/**
 * What the OpenAPI document says about each operation beyond its schemas: the route schemas of the
 * operational endpoints (documentation only, they validate nothing), the shapes of their answers,
 * and every operation's description.
 */

const OPERATIONS_TAG = 'operations';

/** Route schemas of /health, /ready and /metrics (src/http/plugins/operations.ts). */
export const OPERATIONAL_ROUTE_SCHEMAS = {
  health: { operationId: 'getHealth', summary: 'Liveness: the process runs', tags: [OPERATIONS_TAG], security: [] },
  ready: {
    operationId: 'getReady',
    summary: 'Readiness: database reachable and migrated, worker running',
    tags: [OPERATIONS_TAG],
    security: [],
  },
  metrics: {
    operationId: 'getMetrics',
    summary: 'Metrics in the Prometheus text format',
    tags: [OPERATIONS_TAG],
    security: [],
  },
} as const;

const readinessSchema = z.object({
  status: z.enum(['READY', 'NOT_READY']),
  checks: z.object({ database: z.boolean(), migrated: z.boolean(), worker: z.boolean() }),
});

/**
 * The answers of the operational endpoints, for the document only (the routes send them without a
 * response schema; test/http/openapi-conformance.test.ts checks the real answers against these).
 */
export const OPERATIONAL_RESPONSES: Record<string, Record<number, unknown>> = {
  getHealth: { 200: z.object({ status: z.literal('UP') }) },
  getReady: { 200: readinessSchema, 503: readinessSchema },
  getMetrics: {
    200: { content: { 'text/plain': { schema: z.string() } } },
  },
};

export type OperationId =
  | 'submitDelivery'
  | 'getCurrentRoles'
  | 'getDeliveryResult'
  | (typeof OPERATIONAL_ROUTE_SCHEMAS)[keyof typeof OPERATIONAL_ROUTE_SCHEMAS]['operationId'];

const paragraphs = (...texts: string[]) => texts.join('\n\n');

const section = (rows: MessageRow[], ...sections: string[]) => rows.filter((row) => sections.includes(row.section));

const OUTSIDE_AUTH = 'Outside authentication and the rate limits.';

/** Every operation's description (Markdown), for the profile (its role types and vendor key). */
export function operationDescriptions(profile: ProcessingProfile): Record<OperationId, string> {
  const { vendorKey } = profile;
  const rows = messageRows(profile);
  const types = processedTypesText(profile);
  const billingRecipientsScope = takesBillingRecipients(profile)
    ? `profile \`${profile.name}\``
    : `only with \`OSR_PROFILE=arge\`; this server runs \`${profile.name}\` and never sends these`;
  const only = (...ids: string[]) => rows.filter((row) => ids.includes(row.id));
  return {
    submitDelivery: paragraphs(
      'E1. Submits one data delivery: role changes (`INSERT`, `UPDATE`, `DELETE`) and partners for one residential unit.',
      'Checked at once; on any failure the answer is `400` and nothing is stored: first the schema (`OSR-SCHEMA`, one ' +
        'message per violation with its JSON pointer in `path`; unknown properties are ignored, `null` means the same ' +
        'as missing), then the synchronous checks below (every failure reported). Otherwise the delivery is stored ' +
        '`PENDING` and answered `202` with its `dataDeliveryId` and the E3 URL in `Location`. A worker processes the ' +
        'deliveries of a residential unit strictly in the order they were accepted; E3 reports the outcome (see its ' +
        'table of asynchronous messages).',
      '`{bu}` and `{ru}` are not checked here: a malformed one is accepted, and the delivery ends `FAIL` with D1/D2.',
      '**Retrying safely (section 9.2):** send an `Idempotency-Key` (1–255 characters `!`…`~`, optionally in double ' +
        'quotes; once). A request accepted with it is stored with its key for 24 hours (configurable) per client. The ' +
        'same request again (same path, same body bytes) gets the first answer, `202` with the same `dataDeliveryId` ' +
        'and `Location` and `Idempotent-Replayed: true`, and stores nothing; another path or body under the key gets ' +
        '`422` (`OSR-422`); while another request with the key is being stored, `409` (`OSR-409`): retry. Answers ' +
        'other than `202` are not stored. Decided after authentication and the key’s format (`400`, `path` ' +
        '`/headers/idempotency-key`), before the body.',
      `The body is JSON: \`Content-Type: application/json\` (a charset parameter is fine), UTF-8 (a leading ` +
        `byte-order mark is accepted), at most ${BODY_LIMIT_BYTES.toLocaleString('en')} bytes, and not content-encoded ` +
        '(`Content-Encoding` absent or `identity`; gzip, br or any other coding gets `415`).',
      '**Synchronous checks (section 4)**',
      messageTable(section(rows, '4')),
    ),
    getCurrentRoles: paragraphs(
      `E2. The residential unit’s current roles of the types this server processes (${types}; sorted by \`from\`, ` +
        'then by role type; an open end is `9999-12-31`) and the partners they reference, with the references of ' +
        'the last successful delivery and the `timestamp` of the answer. ' +
        'The change history is not shown.',
      'A malformed `{bu}` or `{ru}` is answered `400` with D1 and/or D2; an unknown unit and another client’s unit ' +
        'get the same `404`.',
      messageTable(only('D1', 'D2', 'UNIT_NOT_FOUND', 'NO_ROLES')),
    ),
    getDeliveryResult: paragraphs(
      'E3. The processing status of one delivery: `PENDING` until a worker processed it, then `SUCCESS` (all its ' +
        'changes applied) or `FAIL` (nothing applied), with its messages; an empty list is `null`. Any credential of ' +
        'the client that posted it may read it, under the `{bu}` it was posted to (compared as sent, so a delivery ' +
        'that failed D1 stays readable).',
      '**Waiting instead of polling (section 9.1):** with `Prefer: wait=N` (N seconds, `^[1-9][0-9]*$`, more than 60 ' +
        'counts as 60) a `PENDING` delivery’s answer is held until a worker has processed it or N seconds have ' +
        'passed, then answered `200` as usual with the state at that moment and `Preference-Applied: wait=M`. A ' +
        'processed delivery, a malformed preference, and a server that already holds its most waiting requests ' +
        '(1,000 per process by default) answer at once, without `Preference-Applied`; `401` and `404` come before ' +
        'any waiting. A held request counts once against the rate limit; on shutdown it is answered at once.',
      'Processing order (section 5): D1–D6 in order, the first failure ends processing; then D7, D8 and R1–R10 over ' +
        'all partners and roles, every failure reported, any but R1 ends processing; then the changes are applied in ' +
        'array order (5.3), the first failure ends processing and nothing of the delivery is applied' +
        (takesBillingRecipients(profile)
          ? '; then, when a billing-recipient change was applied, the billing-recipient timeline is checked (8.4). '
          : '. ') +
        'Otherwise `SUCCESS`, with any R1 messages as information.',
      'A role message echoes the role (`role`, `from`, `to` with an open end as `9999-12-31`, `partner` with its ' +
        '`pmnumber` and `mscnumber: null`); a partner message echoes the partner’s `pmnumber`. ' +
        `\`${vendorKey}\` is this server’s vendor key.`,
      '**Delivery level (5.1)**',
      messageTable(section(rows, '5.1')),
      `**Role level (5.2)**: this server processes ${types}; every other role type gets R1 and is skipped.`,
      messageTable(section(rows, '5.2')),
      '**Applying S-COR changes (5.3)**: the active role is the one with the latest `from`; a role is identified by ' +
        'type, `from` and partner `pmnumber`.',
      messageTable(section(rows, '5.3')),
      `**Billing recipients \`S-BIR\`/\`S-BVA\` (section 8, ${billingRecipientsScope})**: ` +
        'applied in array order with the `S-COR` changes (8.3); after applying, their common timeline must have no ' +
        'overlap and no gap (8.4). A billing unit closed until a day refuses billing-recipient changes on or before it.',
      messageTable(section(rows, '8.3')),
      messageTable(section(rows, '8.4')),
    ),
    getHealth: paragraphs('`200` while the process runs; no database access.', OUTSIDE_AUTH),
    getReady: paragraphs(
      '`200` when the database answers, all migrations are applied and (if this process runs one) the worker runs; ' +
        'else `503` with the failing check in `checks`. For load balancers and operators: not the error envelope.',
      OUTSIDE_AUTH,
    ),
    getMetrics: paragraphs(
      'The Prometheus text exposition format: the `osr_…` metrics (accepted and processed deliveries, queue depth, ' +
        'processing latency, HTTP request durations, refused logins and 429s, E3 requests waiting for their ' +
        'delivery) and the process metrics.',
      OUTSIDE_AUTH,
    ),
  };
}
