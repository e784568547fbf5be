import { readFileSync } from 'node:fs';

/**
 * The contract as the tests know it, each thing said once: the keys and texts of
 * on-site-roles-v1.md by rule id, the echo formats of its section 6, and the bodies of the source
 * document's use cases (examples/). The texts are copied from the spec and
 * /work/shared/spec/messages.txt, never imported from src, so that a typo in the server's
 * catalogue fails a test.
 */

/** Key of the vendor messages in the default profile (section 5; configurable). */
export const KALO = 'OSR-KALO';
/** How a missing, null or open `to` is echoed (section 6). */
export const OPEN = '9999-12-31';
/** Billing unit and residential unit of the source document's examples. */
export const BU = '654321';
export const RU = '0001';

export interface Keyed {
  readonly key: string;
  readonly message: string;
}

/**
 * Every message of sections 4, 5 and 8 by its rule id, with the key of the default profile, plus
 * the unexpected-failure texts of 5.3 and E2's 404 texts of section 6.
 */
export const MESSAGE = {
  // section 4: synchronous, E1 answers 400
  'OSR-1001': { key: 'OSR-1001', message: 'The partner referenced in a role is not sent in the same request.' },
  'OSR-1002': { key: 'OSR-1002', message: 'The email-address of a partner is not valid.' },
  'OSR-1003': { key: 'OSR-1003', message: 'The phone number of a partner is not valid.' },
  'OSR-1004': { key: 'OSR-1004', message: 'The `from` date is missing in this case of billing recipient changes' },
  // 5.1 delivery level
  D1: { key: KALO, message: 'Format problem detected with mscnumber of billing unit' },
  D2: { key: KALO, message: 'Format problem detected with mscnumber of residential unit' },
  D3: { key: KALO, message: 'mscnumber of billing unit in request body does not match with values in URL.' },
  D4: { key: KALO, message: 'mscnumber of residential unit in request body does not match with values in URL.' },
  D5: {
    key: 'OSR-2001',
    message: 'Die übermittelte Nummer der Abrechnungseinheit des Messdienstleisters ist nicht bekannt.',
  },
  D6: {
    key: 'OSR-2002',
    message:
      'Die übermittelte Nummer der Nutzeinheit des Messdienstleisters ist nicht bekannt oder passt nicht zur Abrechnungseinheit.',
  },
  D7: { key: KALO, message: 'Partner pmnumber not unique in residential unit.' },
  D8: { key: KALO, message: 'No supported role to process.' },
  // 5.2 role level
  R1: { key: KALO, message: 'Role not supported' },
  R2: { key: KALO, message: 'Change type missing in role.' },
  R3: { key: KALO, message: 'partner reference missing in role.' },
  R4: { key: KALO, message: 'No pmnumber set on partner-reference.' },
  R5: { key: KALO, message: 'The from field of the on-site-role is was not set. This is a mandatory field.' },
  R6: { key: KALO, message: 'The given from-date is after or equals the to-date in on-site-role.' },
  R7: { key: KALO, message: 'Name of partner not set in site-role.' },
  R8: { key: KALO, message: 'First-Name of partner not set in site-role' },
  R9: { key: KALO, message: 'Error on insert or update: date overlap not supported by MSC.' },
  R10: {
    key: 'OSR-2006',
    message:
      'Es gibt für die gesendete Service-Rolle keinen Vertrag beim MSC und somit keine Vereinbarung, dass diese Daten gespeichert werden dürfen.',
  },
  // 5.3 applying S-COR changes
  I1: { key: KALO, message: 'Error on insert: inserting role before current role not supported by the MSC.' },
  I2: { key: KALO, message: 'To date in active role is empty, please update before inserting new role.' },
  I3: {
    key: KALO,
    message: 'The given from date of the on-site-role is younger than the to date of its predecessor. Overlapping.',
  },
  U1: { key: KALO, message: 'There is no matching role in the update target.' },
  U2: {
    key: KALO,
    message: '`from` date of active role does not match new `from` date. You can only update currently active roles.',
  },
  U3: {
    key: KALO,
    message: 'No active partner found for specified pmnumber. Update is only possible for the most recent role.',
  },
  X1: { key: KALO, message: 'There is no matching role in the delete target.' },
  X2: { key: KALO, message: 'Active `from` date does not match delete `from` date. Deletion is not possible.' },
  X3: {
    key: KALO,
    message: 'No active partner found for specified pmnumber. Deletion is only possible for the most recent role.',
  },
  INSERT_UNEXPECTED: { key: KALO, message: 'Insert of role was not possible. Please contact the support.' },
  UPDATE_UNEXPECTED: { key: KALO, message: 'Update of role was not possible. Please contact the support.' },
  DELETE_UNEXPECTED: { key: KALO, message: 'Deletion of role was not possible. Please contact the support.' },
  // 8.3 applying billing-recipient changes (arge profile); OSR-2005 is one text for three rows
  'BR-I1': {
    key: 'OSR-2005',
    message:
      'Es wurden Änderungen an Empfängern der Einzelabrechnung übermittelt, die schon abgeschlossene Abrechnungseinheiten betreffen.',
  },
  'BR-U1': {
    key: 'OSR-2007',
    message:
      'Aktualisierung fehlgeschlagen - die gesendete Rolle mit Aktion `UPDATE` konnte anhand von Typ (`role`), `from`-Datum und der `pmnumber` des zugeordneten Partners nicht beim MSC identifiziert werden.',
  },
  'BR-U2': {
    key: 'OSR-2005',
    message:
      'Es wurden Änderungen an Empfängern der Einzelabrechnung übermittelt, die schon abgeschlossene Abrechnungseinheiten betreffen.',
  },
  'BR-X1': { key: KALO, message: 'Could not find role for deletion in arge osr backend.' },
  'BR-X2': {
    key: 'OSR-2005',
    message:
      'Es wurden Änderungen an Empfängern der Einzelabrechnung übermittelt, die schon abgeschlossene Abrechnungseinheiten betreffen.',
  },
  'BR-X3': {
    key: KALO,
    message: 'Error on deleting last role of type S-BIR or S-BVA. At least one of these role types must be present.',
  },
  // 8.4 the billing-recipient timeline (delivery level)
  'BR-T1': {
    key: 'OSR-2003',
    message: 'Es gibt zeitliche Überlappungen von Rollen vom Typ `S-BIR` oder `S-BVA` für die Nutzeinheit.',
  },
  'BR-T2': { key: 'OSR-2004', message: 'Es gibt Lücken ohne Rollen vom Typ `S-BIR` oder `S-BVA` für die Nutzeinheit.' },
  // section 6: E2's 404 answers
  UNIT_NOT_FOUND: { key: KALO, message: 'Residential unit not found.' },
  NO_ROLES: { key: KALO, message: 'No on-site-roles found in residential unit.' },
} as const satisfies Record<string, Keyed>;

export type RuleId = keyof typeof MESSAGE;

/** The same text under another vendor key (a profile with a configured key, section 5). */
export const withKey = (id: RuleId, key: string): Keyed => ({ key, message: MESSAGE[id].message });

/** Key of the schema errors (section 3); their text is free, their `path` a JSON pointer. */
export const SCHEMA_KEY = 'OSR-SCHEMA';

/** The error envelope's fixed messages (section 6), and the two the README adds (408, 431). */
export const HTTP_ERROR = {
  unauthorized: { key: 'OSR-401', message: 'Authorization failure.' },
  forbidden: { key: 'OSR-403', message: 'No permission to the requested data with the given credentials.' },
  deliveryNotFound: { key: 'OSR-404', message: 'Data delivery not found.' },
  notFound: { key: 'OSR-404', message: 'Not found.' },
  payloadTooLarge: { key: 'OSR-413', message: 'Payload too large.' },
  unsupportedMediaType: { key: 'OSR-415', message: 'Unsupported media type, use application/json.' },
  tooManyRequests: { key: 'OSR-429', message: 'Too many requests.' },
  technicalError: { key: 'OSR-500', message: 'Technical error.' },
  unavailable: { key: 'OSR-503', message: 'Service temporarily unavailable.' },
  // client-protocol.md 9.2: E1 with an Idempotency-Key
  idempotencyKeyInProgress: {
    key: 'OSR-409',
    message: 'A request with this Idempotency-Key is still being processed.',
  },
  idempotencyKeyReused: { key: 'OSR-422', message: 'Idempotency-Key reused with a different request.' },
  // README "Limits": not in the spec, chosen by this server
  requestTimeout: { key: 'OSR-408', message: 'Request timeout.' },
  headersTooLarge: { key: 'OSR-431', message: 'Request header fields too large.' },
} as const satisfies Record<string, Keyed>;

// ---------------------------------------------------------------------------------------------
// Section 6: how messages echo what was delivered.

/** A role as a client may send it: every field but `role` may be missing or null. */
export interface LooseRole {
  change?: string | null;
  role: string;
  from?: string | null;
  to?: string | null;
  partner?: { pmnumber?: string | null } | null;
}

/** A rule id (default key) or an explicit key and text. */
export type Said = RuleId | Keyed;
const keyed = (said: Said): Keyed => (typeof said === 'string' ? MESSAGE[said] : said);

/**
 * Role echo (inside roleMessages): missing request fields as null, a missing, null or open `to`
 * as 9999-12-31, a missing partner as `{ pmnumber: null, mscnumber: null }`.
 */
export function roleEcho(role: LooseRole, said: Said) {
  const { key, message } = keyed(said);
  return {
    role: role.role,
    from: role.from ?? null,
    to: role.to ?? OPEN,
    partner: { pmnumber: role.partner?.pmnumber ?? null, mscnumber: null },
    key,
    message,
  };
}

/** Partner echo (inside partnerMessages). */
export function partnerEcho(pmnumber: string | null, said: Said) {
  const { key, message } = keyed(said);
  return { partner: { pmnumber, mscnumber: null }, key, message };
}

/** Plain message (inside messages): `{ key, message }` (only schema errors add a `path`). */
export function plainMessage(said: Said) {
  const { key, message } = keyed(said);
  return { key, message };
}

// ---------------------------------------------------------------------------------------------
// Use cases 1–3 of the source document (billing unit 654321, residential unit 0001), plus the
// move-in that creates use case 1's starting state (Mustermann, open-ended since 2018-05-01).

const partner = (pmnumber: string, name: string, firstname: string, phone: string) => ({
  reference: { pmnumber },
  name,
  firstname,
  commercial: 'NON_COMMERCIAL',
  phonenumbers: [{ number: phone, type: 'MOBILE' }],
});

export const MUSTERMANN = partner('12345611', 'Mustermann', 'Max', '0176-55555555');
export const MUSTERFRAU = partner('12345612', 'Musterfrau', 'Meike', '0176-66666666');

/** An E1 body in the shape of the use cases, for the unit `{ bu, ru }` (default 654321/0001). */
export function delivery(
  roles: LooseRole[],
  partners: unknown[],
  { bu = BU, ru = RU }: { bu?: string; ru?: string } = {},
) {
  return {
    timestamp: '2022-05-16T10:17:17Z',
    billingunit: {
      reference: { pmnumber: '123456', mscnumber: bu },
      residentialunit: { reference: { pmnumber: '1234561', mscnumber: ru }, roles, partners },
    },
  };
}

type Body = ReturnType<typeof delivery>;

/** The walk-through's files in examples/ are the use cases' bodies (README); tests use the same. */
function example(file: string, { bu, ru }: { bu?: string; ru?: string } = {}): Body {
  const body: Body = JSON.parse(readFileSync(new URL(`../../examples/${file}`, import.meta.url), 'utf8'));
  if (bu !== undefined) body.billingunit.reference.mscnumber = bu;
  if (ru !== undefined) body.billingunit.residentialunit.reference.mscnumber = ru;
  return body;
}

export const moveInMustermann = (unit?: { bu?: string; ru?: string }) => example('use-case-0-move-in.json', unit);
export const useCase1 = (unit?: { bu?: string; ru?: string }) => example('use-case-1.json', unit);
export const useCase2 = (unit?: { bu?: string; ru?: string }) => example('use-case-2.json', unit);
export const useCase3 = (unit?: { bu?: string; ru?: string }) => example('use-case-3.json', unit);

// ---------------------------------------------------------------------------------------------
// Chains of deliveries for the concurrency tests: each only succeeds after the ones before it.

const tenant = (k: number) => ({ reference: { pmnumber: `P${k}` }, name: `Name ${k}`, firstname: `First ${k}` });

/**
 * Delivery k of unit `ru` (billing unit 654321) only succeeds after deliveries 0…k-1: it ends
 * tenant k-1's open role (UPDATE, U1/U2 if out of order) and moves tenant k in from the year
 * 2000 + k (INSERT, I2 if the previous is open). k = 0 is one change, the others two.
 */
export function chainedDelivery(ru: string, k: number) {
  const moveIn = { change: 'INSERT', role: 'S-COR', from: `${2000 + k}-01-01`, partner: { pmnumber: `P${k}` } };
  if (k === 0) return delivery([moveIn], [tenant(0)], { ru });
  const moveOut = {
    change: 'UPDATE',
    role: 'S-COR',
    from: `${1999 + k}-01-01`,
    to: `${1999 + k}-12-31`,
    partner: { pmnumber: `P${k - 1}` },
  };
  return delivery([moveOut, moveIn], [tenant(k - 1), tenant(k)], { ru });
}
