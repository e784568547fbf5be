import { HTTP, keyedMessage, MESSAGES, type MessageId } from '../domain/messages.js';
import type { ProcessingProfile } from '../domain/profiles.js';
import { BODY_LIMIT_BYTES, MAX_HEADER_BYTES } from './limits.js';
import { DEFAULT_REQUEST_TIMEOUT_MS } from './plugins/deadlines.js';

/**
 * The message catalogue as the OpenAPI document shows it: every key and text of
 * src/domain/messages.ts (the one catalogue) with when it is sent, as tables in the operations'
 * descriptions and as data (`x-osr-messages`, `x-osr-http-errors`). The texts are never written
 * here: they come from the catalogue; this file adds only when each one happens. The document is
 * the serving deployment's (spec 8.1): what "supported" means, and whether the billing-recipient
 * messages can be sent at all, is said for its profile.
 */

type List = 'messages' | 'roleMessages' | 'partnerMessages';

interface Occasion {
  /** Spec section of the rule. */
  section: string;
  /** Which answer carries it. */
  answer: string;
  /** The list of the answer it is in. */
  list: List;
  when: string;
}

/** The role types the profile processes, as Markdown: "`S-COR`" or "`S-COR`, `S-BIR` and `S-BVA`". */
export function processedTypesText(profile: ProcessingProfile): string {
  const types = [...profile.supportedRoles].map((type) => `\`${type}\``);
  return types.length === 1 ? (types[0] as string) : `${types.slice(0, -1).join(', ')} and ${types.at(-1)}`;
}

/** Whether the profile processes the billing recipients of section 8. */
export const takesBillingRecipients = (profile: ProcessingProfile): boolean =>
  profile.supportedRoles.has('S-BIR') || profile.supportedRoles.has('S-BVA');

// Typed by MessageId: a message added to the catalogue without saying when it happens does not compile.
function occasions(profile: ProcessingProfile): Record<MessageId, Occasion> {
  const types = processedTypesText(profile);
  // Section 8's messages are listed under every profile; one without billing recipients says
  // that it never sends them.
  const billingRecipients = (when: string) =>
    takesBillingRecipients(profile)
      ? when
      : `${when} Only with \`OSR_PROFILE=arge\`: this server runs \`${profile.name}\` and never sends it.`;
  return {
    'OSR-1001': {
      section: '4',
      answer: 'E1 400',
      list: 'roleMessages',
      when: 'A role has a `partner.pmnumber` that is not the `reference.pmnumber` of any partner in this delivery (a role without `partner` or without `pmnumber` is left to R3/R4).',
    },
    'OSR-1002': {
      section: '4',
      answer: 'E1 400',
      list: 'partnerMessages',
      when: 'A partner’s `email` is present and not a valid address (the WHATWG/HTML "valid e-mail address" rule).',
    },
    'OSR-1003': {
      section: '4',
      answer: 'E1 400',
      list: 'partnerMessages',
      when: 'A partner’s phone `number` is not: an optional leading `+`, then digits, spaces, `-`, `/`, `(`, `)` only, with 5 to 20 digits in total.',
    },
    'OSR-1004': {
      section: '4',
      answer: 'E1 400',
      list: 'roleMessages',
      when: 'A role of type `S-BIR` or `S-BVA` has no `from`.',
    },
    D1: {
      section: '5.1',
      answer: 'E3 FAIL; E2 400',
      list: 'messages',
      when: '`{bu}` in the URL is not 6 digits or `099` and 6 digits. E1 accepts the delivery, which then fails with it; E2 answers 400 at once.',
    },
    D2: {
      section: '5.1',
      answer: 'E3 FAIL; E2 400',
      list: 'messages',
      when: '`{ru}` in the URL is not 1 to 4 digits. E1 accepts the delivery, which then fails with it; E2 answers 400 at once.',
    },
    D3: {
      section: '5.1',
      answer: 'E3 FAIL',
      list: 'messages',
      when: 'The body’s `billingunit.reference.mscnumber` differs from `{bu}`.',
    },
    D4: {
      section: '5.1',
      answer: 'E3 FAIL',
      list: 'messages',
      when: 'The body’s residential-unit `mscnumber` differs from `{ru}`.',
    },
    D5: {
      section: '5.1',
      answer: 'E3 FAIL',
      list: 'messages',
      when: 'The billing unit is unknown or not assigned to the caller’s client.',
    },
    D6: {
      section: '5.1',
      answer: 'E3 FAIL',
      list: 'messages',
      when: 'The residential unit is unknown or not part of the billing unit.',
    },
    D7: {
      section: '5.1',
      answer: 'E3 FAIL',
      list: 'partnerMessages',
      when: 'Two partners of the delivery share a `reference.pmnumber` (reported on each later duplicate).',
    },
    D8: {
      section: '5.1',
      answer: 'E3 FAIL',
      list: 'messages',
      when: `No role of a type this server processes (${types}) is left after R1.`,
    },
    R1: {
      section: '5.2',
      answer: 'E3 SUCCESS or FAIL (information)',
      list: 'roleMessages',
      when: `The role type is not one this server processes (only ${types}); the role is skipped, and the delivery can still succeed.`,
    },
    R2: { section: '5.2', answer: 'E3 FAIL', list: 'roleMessages', when: 'A role has no `change`.' },
    R3: { section: '5.2', answer: 'E3 FAIL', list: 'roleMessages', when: 'A role has no `partner`.' },
    R4: {
      section: '5.2',
      answer: 'E3 FAIL',
      list: 'roleMessages',
      when: 'A role’s `partner` has no `pmnumber` (a partner without `reference.pmnumber` gets it in `partnerMessages`).',
    },
    R5: { section: '5.2', answer: 'E3 FAIL', list: 'roleMessages', when: 'A role has no `from`.' },
    R6: {
      section: '5.2',
      answer: 'E3 FAIL',
      list: 'roleMessages',
      when: 'An INSERT or UPDATE role has a `to` and `from` is on or after it.',
    },
    R7: {
      section: '5.2',
      answer: 'E3 FAIL',
      list: 'roleMessages',
      when: 'The partner of an INSERT or UPDATE role has no `name` (missing, null, empty or blank).',
    },
    R8: {
      section: '5.2',
      answer: 'E3 FAIL',
      list: 'roleMessages',
      when: 'The partner of an INSERT or UPDATE role is `NON_COMMERCIAL` and has no `firstname` (missing, null, empty or blank).',
    },
    R9: {
      section: '5.2',
      answer: 'E3 FAIL',
      list: 'roleMessages',
      when: 'Two INSERT roles of the same type in the delivery overlap (reported on the later one).',
    },
    R10: {
      section: '5.2',
      answer: 'E3 FAIL',
      list: 'roleMessages',
      when: 'The billing unit has no contract for the role type.',
    },
    I1: {
      section: '5.3',
      answer: 'E3 FAIL',
      list: 'roleMessages',
      when: 'INSERT: the new role’s `from` is before the active role’s `from`.',
    },
    I2: { section: '5.3', answer: 'E3 FAIL', list: 'roleMessages', when: 'INSERT: the active role is open-ended.' },
    I3: {
      section: '5.3',
      answer: 'E3 FAIL',
      list: 'roleMessages',
      when: 'INSERT: the new role’s `from` is on or before the active role’s `to`.',
    },
    U1: {
      section: '5.3',
      answer: 'E3 FAIL',
      list: 'roleMessages',
      when: 'UPDATE: no role has this type, `from` and partner `pmnumber`, and the active role has another pmnumber (or the unit has no role).',
    },
    U2: {
      section: '5.3',
      answer: 'E3 FAIL',
      list: 'roleMessages',
      when: 'UPDATE: no role matches, but the active role has this partner `pmnumber` with another `from`.',
    },
    U3: {
      section: '5.3',
      answer: 'E3 FAIL',
      list: 'roleMessages',
      when: 'UPDATE: the matching role is not the active one.',
    },
    X1: {
      section: '5.3',
      answer: 'E3 FAIL',
      list: 'roleMessages',
      when: 'DELETE: no role has this type, `from` and partner `pmnumber`, and the active role has another pmnumber (or the unit has no role).',
    },
    X2: {
      section: '5.3',
      answer: 'E3 FAIL',
      list: 'roleMessages',
      when: 'DELETE: no role matches, but the active role has this partner `pmnumber` with another `from`.',
    },
    X3: {
      section: '5.3',
      answer: 'E3 FAIL',
      list: 'roleMessages',
      when: 'DELETE: the matching role is not the active one.',
    },
    INSERT_UNEXPECTED: {
      section: '5.3',
      answer: 'E3 FAIL',
      list: 'roleMessages',
      when: 'An unexpected failure (database error, bug) while applying this INSERT; the details go to the server log.',
    },
    UPDATE_UNEXPECTED: {
      section: '5.3',
      answer: 'E3 FAIL',
      list: 'roleMessages',
      when: 'An unexpected failure while applying this UPDATE; the details go to the server log.',
    },
    DELETE_UNEXPECTED: {
      section: '5.3',
      answer: 'E3 FAIL',
      list: 'roleMessages',
      when: 'An unexpected failure while applying this DELETE; the details go to the server log.',
    },
    UNIT_NOT_FOUND: {
      section: '6',
      answer: 'E2 404',
      list: 'messages',
      when: 'The billing unit or residential unit is unknown, or belongs to another client (indistinguishable).',
    },
    NO_ROLES: {
      section: '6',
      answer: 'E2 404',
      list: 'messages',
      when: `The residential unit is known but has no role of a type this server processes (${types}) on record.`,
    },
    // section 8: only with OSR_PROFILE=arge (billing recipients S-BIR and S-BVA)
    'BR-I1': {
      section: '8.3',
      answer: 'E3 FAIL',
      list: 'roleMessages',
      when: billingRecipients('INSERT of S-BIR/S-BVA: its `from` is on or before the billing unit’s closed-until.'),
    },
    'BR-U1': {
      section: '8.3',
      answer: 'E3 FAIL',
      list: 'roleMessages',
      when: billingRecipients('UPDATE of S-BIR/S-BVA: no role of that type has this `from` and partner `pmnumber`.'),
    },
    'BR-U2': {
      section: '8.3',
      answer: 'E3 FAIL',
      list: 'roleMessages',
      when: billingRecipients(
        'UPDATE of S-BIR/S-BVA: `to` changes and the earlier of old and new `to` is before closed-until (a changed day is closed).',
      ),
    },
    'BR-X1': {
      section: '8.3',
      answer: 'E3 FAIL',
      list: 'roleMessages',
      when: billingRecipients('DELETE of S-BIR/S-BVA: no role of that type has this `from` and partner `pmnumber`.'),
    },
    'BR-X2': {
      section: '8.3',
      answer: 'E3 FAIL',
      list: 'roleMessages',
      when: billingRecipients('DELETE of S-BIR/S-BVA: the role’s `from` is on or before closed-until.'),
    },
    'BR-X3': {
      section: '8.3',
      answer: 'E3 FAIL',
      list: 'roleMessages',
      when: billingRecipients('DELETE of S-BIR/S-BVA: it is the unit’s only billing-recipient role.'),
    },
    'BR-T1': {
      section: '8.4',
      answer: 'E3 FAIL',
      list: 'messages',
      when: billingRecipients(
        'After applying a delivery with a billing-recipient change: two S-BIR/S-BVA periods share a day.',
      ),
    },
    'BR-T2': {
      section: '8.4',
      answer: 'E3 FAIL',
      list: 'messages',
      when: billingRecipients(
        'After applying a delivery with a billing-recipient change: an S-BIR/S-BVA period starts more than one day after all earlier ones end.',
      ),
    },
  };
}

type HttpErrorId = keyof typeof HTTP;

const KIB = 1024;

// Typed by the HTTP catalogue's ids: every HTTP error says when it happens.
const HTTP_OCCASIONS: Record<HttpErrorId, { status: number; when: string }> = {
  schema: {
    status: 400,
    when:
      'E1: the body is not JSON, or breaks a type, enum, length or required rule, or has a string with U+0000 or a ' +
      'lone surrogate: one message per violation, its text says what is wrong, `path` (a JSON pointer) where. ' +
      'Any path: a URL that is not text (bad percent-encoding; `%00` in E1’s `{bu}`/`{ru}`), or a malformed HTTP request. ' +
      'E1: a malformed `Idempotency-Key` (`path` `/headers/idempotency-key`).',
  },
  unauthorized: {
    status: 401,
    when:
      'E1–E3 without valid Basic credentials (an unknown user and a wrong password get identical answers), or with a ' +
      'refused bearer token (spec 9.3: invalid, expired, for another audience or issuer, or of an unmapped client); ' +
      'with `WWW-Authenticate`.',
  },
  forbidden: { status: 403, when: 'E1 with a read-only credential.' },
  deliveryNotFound: {
    status: 404,
    when: 'E3: an unknown id, one that is not a UUID, another client’s delivery, or one posted under another `{bu}`.',
  },
  notFound: { status: 404, when: 'Any path that is not an operation of this document.' },
  idempotencyKeyInProgress: {
    status: 409,
    when:
      'E1: another request with the same `Idempotency-Key` of this client is being stored at this moment; nothing ' +
      'is stored, retry with the same key (spec 9.2).',
  },
  idempotencyKeyReused: {
    status: 422,
    when:
      'E1: this client used the `Idempotency-Key` within its retention for a request with another path or body; ' +
      'nothing is stored (spec 9.2).',
  },
  requestTimeout: {
    status: 408,
    when: `The request (headers or body) did not arrive within ${DEFAULT_REQUEST_TIMEOUT_MS / 1000} s; the connection is closed.`,
  },
  payloadTooLarge: { status: 413, when: `A body over ${BODY_LIMIT_BYTES.toLocaleString('en')} bytes.` },
  unsupportedMediaType: {
    status: 415,
    when:
      'A body whose `Content-Type` is not `application/json`, or whose `Content-Encoding` is not `identity` ' +
      '(gzip, br, …: then with `Accept-Encoding: identity`).',
  },
  tooManyRequests: {
    status: 429,
    when:
      '10 failed logins for one username, or 100 from one source address, within 15 minutes; or more requests ' +
      'per credential and minute than configured (6000 by default). With `Retry-After`.',
  },
  headersTooLarge: {
    status: 431,
    when: `Request line and headers over ${MAX_HEADER_BYTES / KIB} KiB; the connection is closed.`,
  },
  technicalError: { status: 500, when: 'An unexpected error; the details go to the server log only.' },
  unavailable: {
    status: 503,
    when:
      'The database is unreachable, restarting or overloaded, or the server is overloaded; or a bearer token’s ' +
      'signing key is not cached and the issuer cannot be reached. With `Retry-After`.',
  },
};

export interface MessageRow extends Occasion {
  id: MessageId;
  key: string;
  message: string;
}

export interface HttpErrorRow {
  status: number;
  key: string;
  /** Null for OSR-SCHEMA, whose text says what is wrong. */
  message: string | null;
  when: string;
}

/** Every message of the catalogue, with the profile's vendor key and occasions, in catalogue order. */
export function messageRows(profile: ProcessingProfile): MessageRow[] {
  const occasion = occasions(profile);
  return (Object.keys(MESSAGES) as MessageId[]).map((id) => ({
    id,
    ...keyedMessage(id, profile.vendorKey),
    ...occasion[id],
  }));
}

/** Every HTTP-level error, by status. */
export function httpErrorRows(): HttpErrorRow[] {
  return (Object.keys(HTTP) as HttpErrorId[])
    .map((id) => {
      const entry: { key: string; message?: string } = HTTP[id];
      return {
        status: HTTP_OCCASIONS[id].status,
        key: entry.key,
        message: entry.message ?? null,
        when: HTTP_OCCASIONS[id].when,
      };
    })
    .sort((a, b) => a.status - b.status);
}

/**
 * Message texts are quoted literally: Markdown punctuation is escaped (CommonMark allows a
 * backslash before any ASCII punctuation), so a text such as "The `from` date …" shows its
 * backticks instead of turning into code.
 */
export const literal = (text: string): string => text.replace(/[\\`*_[\]<>|~&#]/g, '\\$&');

/** The `when` texts are Markdown already; only a table cell's pipe needs escaping. */
const cell = (markdown: string): string => markdown.replaceAll('|', '\\|');

const table = (header: string[], rows: string[][]): string =>
  [header, header.map(() => '---'), ...rows].map((row) => `| ${row.join(' | ')} |`).join('\n');

/** A Markdown table of catalogue messages (rule id, key, message, list, when). */
export function messageTable(rows: MessageRow[]): string {
  return table(
    ['rule', 'key', 'message', 'list', 'when'],
    rows.map((row) => [row.id, row.key, literal(row.message), `\`${row.list}\``, cell(row.when)]),
  );
}

/** A Markdown table of the HTTP-level errors (status, key, message, when). */
export function httpErrorTable(rows: HttpErrorRow[]): string {
  return table(
    ['status', 'key', 'message', 'when'],
    rows.map((row) => [
      String(row.status),
      row.key,
      row.message === null ? '(says what is wrong)' : literal(row.message),
      cell(row.when),
    ]),
  );
}
