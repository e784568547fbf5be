import { readFileSync } from 'node:fs';
import { IDEMPOTENCY_KEY_PATH, parseIdempotencyKey } from '../domain/idempotency-key.js';
import { HTTP, keyedMessage, standardMessage } from '../domain/messages.js';
import { errorEnvelopeSchema } from '../domain/response-schema.js';
import { projectFile } from '../project-files.js';

/**
 * Examples for the OpenAPI document: request bodies of the source document's use cases 1–3
 * (the same files as the README walk-through) and every answer the contract defines. Kept as
 * data, not prose, so the document shows exactly what the server sends.
 */

const example = (file: string) => JSON.parse(readFileSync(projectFile(`examples/${file}`), 'utf8')) as unknown;

const envelope = (
  messages: unknown[] | null,
  roleMessages: unknown[] | null = null,
  partnerMessages: unknown[] | null = null,
) => ({ status: 'FAIL', messages, roleMessages, partnerMessages }) as const;

const ID = 'ccbe102e-169f-4160-bba1-197e53aa0b99';

/** The text of a 400 for a malformed `Idempotency-Key`, as the server words it. */
const keyFormatText = (): string => {
  const parsed = parseIdempotencyKey(['']);
  return parsed.kind === 'malformed' ? parsed.reason : '';
};

export const REQUEST_EXAMPLES = {
  useCase1: { summary: 'Use case 1: move-out (UPDATE) and move-in (INSERT)', value: example('use-case-1.json') },
  useCase2: {
    summary: 'Use case 2: later move-out date (UPDATE of the active role)',
    value: example('use-case-2.json'),
  },
  useCase3: { summary: 'Use case 3: move-in withdrawn (DELETE of the active role)', value: example('use-case-3.json') },
  moveIn: { summary: 'Starting state of use case 1: open-ended move-in', value: example('use-case-0-move-in.json') },
};

/** Shown only by a server with the `arge` profile (spec section 8; the README's walk-through). */
export const BILLING_RECIPIENT_REQUEST_EXAMPLES = {
  billingRecipient: {
    summary: 'arge profile: the tenant is billing recipient (S-BIR), open-ended',
    value: example('arge-1-billing-recipient.json'),
  },
  moveOutVacancy: {
    summary: 'arge profile: S-BIR ends 2022-05-31, the owner’s S-BVA (vacancy) starts 2022-06-01',
    value: example('arge-2-move-out-vacancy.json'),
  },
};

const errors = {
  schema: envelope([
    { key: HTTP.schema.key, message: 'Invalid input: expected string, received undefined', path: '/timestamp' },
  ]),
  sync: envelope(
    null,
    [
      {
        role: 'S-COR',
        from: '2022-06-01',
        to: '2022-12-31',
        partner: { pmnumber: '12345699', mscnumber: null },
        ...standardMessage('OSR-1001'),
      },
    ],
    [
      {
        partner: { pmnumber: '12345612', mscnumber: null },
        ...standardMessage('OSR-1002'),
      },
    ],
  ),
  formatE2: envelope([keyedMessage('D1', 'OSR-KALO')]),
  unauthorized: envelope([{ ...HTTP.unauthorized }]),
  forbidden: envelope([{ ...HTTP.forbidden }]),
  deliveryNotFound: envelope([{ ...HTTP.deliveryNotFound }]),
  unitNotFound: envelope([keyedMessage('UNIT_NOT_FOUND', 'OSR-KALO')]),
  noRoles: envelope([keyedMessage('NO_ROLES', 'OSR-KALO')]),
  payloadTooLarge: envelope([{ ...HTTP.payloadTooLarge }]),
  unsupportedMediaType: envelope([{ ...HTTP.unsupportedMediaType }]),
  tooManyRequests: envelope([{ ...HTTP.tooManyRequests }]),
  technicalError: envelope([{ ...HTTP.technicalError }]),
  unavailable: envelope([{ ...HTTP.unavailable }]),
  idempotencyKeyInProgress: envelope([{ ...HTTP.idempotencyKeyInProgress }]),
  idempotencyKey: envelope([{ key: HTTP.schema.key, message: keyFormatText(), path: IDEMPOTENCY_KEY_PATH }]),
  idempotencyKeyReused: envelope([{ ...HTTP.idempotencyKeyReused }]),
};

const E3_FAIL = {
  dataDeliveryId: ID,
  status: 'FAIL',
  receivedAt: '2022-05-16T10:17:18.120Z',
  processedAt: '2022-05-16T10:17:18.131Z',
  roleMessages: [
    {
      role: 'S-COR',
      from: '2022-06-16',
      to: '9999-12-31',
      partner: { pmnumber: '654321', mscnumber: null },
      key: 'OSR-KALO',
      message: keyedMessage('U1', 'OSR-KALO').message,
    },
  ],
  partnerMessages: null,
  messages: null,
};

const E2_AFTER_USE_CASE_1 = {
  timestamp: '2022-05-16T10:20:00.000Z',
  billingunit: {
    reference: { pmnumber: '123456', mscnumber: '654321' },
    residentialunit: {
      reference: { pmnumber: '1234561', mscnumber: '0001' },
      roles: [
        { role: 'S-COR', from: '2018-05-01', to: '2022-05-31', partner: { pmnumber: '12345611' } },
        { role: 'S-COR', from: '2022-06-01', to: '2022-12-31', partner: { pmnumber: '12345612' } },
      ],
      partners: [
        {
          reference: { pmnumber: '12345611' },
          name: 'Mustermann',
          firstname: 'Max',
          additionalname: null,
          commercial: 'NON_COMMERCIAL',
          email: null,
          taxnumber: null,
          phonenumbers: [{ number: '0176-55555555', type: 'MOBILE' }],
        },
        {
          reference: { pmnumber: '12345612' },
          name: 'Musterfrau',
          firstname: 'Meike',
          additionalname: null,
          commercial: 'NON_COMMERCIAL',
          email: null,
          taxnumber: null,
          phonenumbers: [{ number: '0176-66666666', type: 'MOBILE' }],
        },
      ],
    },
  },
};

type Examples = Record<string, { summary: string; value: unknown }>;
const one = (summary: string, value: unknown): Examples => ({ example: { summary, value } });

/** Response examples per operation (keyed by HTTP method) and status code. */
export const RESPONSE_EXAMPLES: Record<'post' | 'getRoles' | 'getDelivery', Record<number, Examples>> = {
  post: {
    202: one('Accepted; poll the Location header', { dataDeliveryId: ID }),
    400: {
      schema: { summary: 'Schema violation (OSR-SCHEMA, one message per violation)', value: errors.schema },
      sync: { summary: 'Synchronous checks OSR-1001…1004 (all reported)', value: errors.sync },
      idempotencyKey: { summary: 'Idempotency-Key malformed or sent twice', value: errors.idempotencyKey },
    },
    401: one('Missing or wrong credentials', errors.unauthorized),
    403: one('Read-only credential', errors.forbidden),
    409: one('Another request with this Idempotency-Key is being stored', errors.idempotencyKeyInProgress),
    413: one('Body over 1 048 576 bytes', errors.payloadTooLarge),
    415: one('Not application/json, or content-encoded (gzip, br, …)', errors.unsupportedMediaType),
    422: one('Idempotency-Key used before with another path or body', errors.idempotencyKeyReused),
    429: one('Too many failed logins or requests (see Retry-After)', errors.tooManyRequests),
    500: one('Unexpected error (details only in the log)', errors.technicalError),
    503: one('Database unreachable or overload (see Retry-After)', errors.unavailable),
  },
  getRoles: {
    200: one('After use case 1', E2_AFTER_USE_CASE_1),
    400: one('Malformed {bu} or {ru}', errors.formatE2),
    401: one('Missing or wrong credentials', errors.unauthorized),
    404: {
      unknown: { summary: 'Unknown, or another client’s, billing or residential unit', value: errors.unitNotFound },
      empty: { summary: 'Known unit without roles', value: errors.noRoles },
    },
    429: one('Too many failed logins or requests (see Retry-After)', errors.tooManyRequests),
    500: one('Unexpected error (details only in the log)', errors.technicalError),
    503: one('Database unreachable (see Retry-After)', errors.unavailable),
  },
  getDelivery: {
    200: {
      success: {
        summary: 'Processed successfully',
        value: { ...E3_FAIL, status: 'SUCCESS', roleMessages: null },
      },
      fail: { summary: 'Failed (the source document’s example)', value: E3_FAIL },
      pending: {
        summary: 'Not processed yet',
        value: { ...E3_FAIL, status: 'PENDING', processedAt: null, roleMessages: null },
      },
      failBillingUnit: {
        summary: 'Failed a delivery-level check',
        value: { ...E3_FAIL, roleMessages: null, messages: [keyedMessage('D5', 'OSR-KALO')] },
      },
    },
    401: one('Missing or wrong credentials', errors.unauthorized),
    404: one('Unknown id, or not this client’s or this {bu}’s delivery', errors.deliveryNotFound),
    429: one('Too many failed logins or requests (see Retry-After)', errors.tooManyRequests),
    500: one('Unexpected error (details only in the log)', errors.technicalError),
    503: one('Database unreachable (see Retry-After)', errors.unavailable),
  },
};

/** The error answers every route documents, besides its own. */
export const errorResponses = <const C extends readonly number[]>(codes: C) =>
  Object.fromEntries(codes.map((code) => [code, errorEnvelopeSchema])) as {
    [K in C[number]]: typeof errorEnvelopeSchema;
  };
