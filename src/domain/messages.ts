/**
 * The one message catalogue: every key and text the contract defines, byte for byte (including
 * the source document's odd grammar), under the spec's rule ids, so that `grep -n R9` finds the
 * text here and the check in the rule tables. Nothing else in the code spells a message.
 */

/** `key: VENDOR_KEY`: the profile's vendor key (default OSR-KALO, configurable). */
export const VENDOR_KEY = null;

interface CatalogueEntry {
  readonly key: string | typeof VENDOR_KEY;
  readonly message: string;
}

/** 8.3: one text for every billing-recipient change that touches a closed period. */
const CLOSED_PERIOD = {
  key: 'OSR-2005',
  message:
    'Es wurden Änderungen an Empfängern der Einzelabrechnung übermittelt, die schon abgeschlossene Abrechnungseinheiten betreffen.',
} as const;

export const MESSAGES = {
  // Section 4: synchronous checks, E1 answers 400.
  'OSR-1001': { key: 'OSR-1001', message: 'The partner referenced in a role is not sent in the same request.' },
  'OSR-1002': { key: 'OSR-1002', message: 'The email-address of a partner is not valid.' },
  'OSR-1003': { key: 'OSR-1003', message: 'The phone number of a partner is not valid.' },
  'OSR-1004': {
    key: 'OSR-1004',
    message: 'The `from` date is missing in this case of billing recipient changes',
  },

  // 5.1 delivery level.
  D1: { key: VENDOR_KEY, message: 'Format problem detected with mscnumber of billing unit' },
  D2: { key: VENDOR_KEY, message: 'Format problem detected with mscnumber of residential unit' },
  D3: { key: VENDOR_KEY, message: 'mscnumber of billing unit in request body does not match with values in URL.' },
  D4: {
    key: VENDOR_KEY,
    message: 'mscnumber of residential unit in request body does not match with values in URL.',
  },
  D5: {
    key: 'OSR-2001',
    message: 'Die übermittelte Nummer der Abrechnungseinheit des Messdienstleisters ist nicht bekannt.',
  },
  D6: {
    key: 'OSR-2002',
    message:
      'Die übermittelte Nummer der Nutzeinheit des Messdienstleisters ist nicht bekannt oder passt nicht zur Abrechnungseinheit.',
  },
  D7: { key: VENDOR_KEY, message: 'Partner pmnumber not unique in residential unit.' },
  D8: { key: VENDOR_KEY, message: 'No supported role to process.' },

  // 5.2 role level.
  R1: { key: VENDOR_KEY, message: 'Role not supported' },
  R2: { key: VENDOR_KEY, message: 'Change type missing in role.' },
  R3: { key: VENDOR_KEY, message: 'partner reference missing in role.' },
  R4: { key: VENDOR_KEY, message: 'No pmnumber set on partner-reference.' },
  R5: { key: VENDOR_KEY, message: 'The from field of the on-site-role is was not set. This is a mandatory field.' },
  R6: { key: VENDOR_KEY, message: 'The given from-date is after or equals the to-date in on-site-role.' },
  R7: { key: VENDOR_KEY, message: 'Name of partner not set in site-role.' },
  R8: { key: VENDOR_KEY, message: 'First-Name of partner not set in site-role' },
  R9: { key: VENDOR_KEY, message: 'Error on insert or update: date overlap not supported by MSC.' },
  R10: {
    key: 'OSR-2006',
    message:
      'Es gibt für die gesendete Service-Rolle keinen Vertrag beim MSC und somit keine Vereinbarung, dass diese Daten gespeichert werden dürfen.',
  },

  // 5.3 applying S-COR changes.
  I1: { key: VENDOR_KEY, message: 'Error on insert: inserting role before current role not supported by the MSC.' },
  I2: { key: VENDOR_KEY, message: 'To date in active role is empty, please update before inserting new role.' },
  I3: {
    key: VENDOR_KEY,
    message: 'The given from date of the on-site-role is younger than the to date of its predecessor. Overlapping.',
  },
  U1: { key: VENDOR_KEY, message: 'There is no matching role in the update target.' },
  U2: {
    key: VENDOR_KEY,
    message: '`from` date of active role does not match new `from` date. You can only update currently active roles.',
  },
  U3: {
    key: VENDOR_KEY,
    message: 'No active partner found for specified pmnumber. Update is only possible for the most recent role.',
  },
  X1: { key: VENDOR_KEY, message: 'There is no matching role in the delete target.' },
  X2: { key: VENDOR_KEY, message: 'Active `from` date does not match delete `from` date. Deletion is not possible.' },
  X3: {
    key: VENDOR_KEY,
    message: 'No active partner found for specified pmnumber. Deletion is only possible for the most recent role.',
  },
  // 5.3, an unexpected failure while applying (the spec gives these no id).
  INSERT_UNEXPECTED: { key: VENDOR_KEY, message: 'Insert of role was not possible. Please contact the support.' },
  UPDATE_UNEXPECTED: { key: VENDOR_KEY, message: 'Update of role was not possible. Please contact the support.' },
  DELETE_UNEXPECTED: { key: VENDOR_KEY, message: 'Deletion of role was not possible. Please contact the support.' },

  // 8.3 applying billing-recipient changes (S-BIR, S-BVA; billing-recipients.ts).
  'BR-I1': CLOSED_PERIOD,
  'BR-U1': {
    key: 'OSR-2007',
    message:
      'Aktualisierung fehlgeschlagen - die gesendete Rolle mit Aktion `UPDATE` konnte anhand von Typ (`role`), `from`-Datum und der `pmnumber` des zugeordneten Partners nicht beim MSC identifiziert werden.',
  },
  'BR-U2': CLOSED_PERIOD,
  'BR-X1': { key: VENDOR_KEY, message: 'Could not find role for deletion in arge osr backend.' },
  'BR-X2': CLOSED_PERIOD,
  'BR-X3': {
    key: VENDOR_KEY,
    message: 'Error on deleting last role of type S-BIR or S-BVA. At least one of these role types must be present.',
  },
  // 8.4 the billing-recipient timeline after applying (delivery level).
  'BR-T1': {
    key: 'OSR-2003',
    message: 'Es gibt zeitliche Überlappungen von Rollen vom Typ `S-BIR` oder `S-BVA` für die Nutzeinheit.',
  },
  'BR-T2': {
    key: 'OSR-2004',
    message: 'Es gibt Lücken ohne Rollen vom Typ `S-BIR` oder `S-BVA` für die Nutzeinheit.',
  },

  // Section 6: E2's 404 answers (no id in the spec either).
  UNIT_NOT_FOUND: { key: VENDOR_KEY, message: 'Residential unit not found.' },
  NO_ROLES: { key: VENDOR_KEY, message: 'No on-site-roles found in residential unit.' },
} as const satisfies Record<string, CatalogueEntry>;

export type MessageId = keyof typeof MESSAGES;

export type KeyedMessage = { key: string; message: string };

/** The message as it is sent: the catalogue entry with the profile's vendor key filled in. */
export function keyedMessage(id: MessageId, vendorKey: string): KeyedMessage {
  const { key, message } = MESSAGES[id];
  return { key: key ?? vendorKey, message };
}

/** The ids whose key is fixed by the standard (OSR-1001…1004, OSR-2001…2007). */
export type StandardMessageId = {
  [Id in MessageId]: (typeof MESSAGES)[Id]['key'] extends string ? Id : never;
}[MessageId];

/** A message with a fixed key, for checks that need no profile. */
export function standardMessage(id: StandardMessageId): KeyedMessage {
  const { key, message } = MESSAGES[id];
  return { key, message };
}

/** HTTP-level errors (section 6, and 9.2's 409 and 422; 408 and 431 are this server's, see the README). */
export const HTTP = {
  schema: { key: 'OSR-SCHEMA' },
  unauthorized: { key: 'OSR-401', message: 'Authorization failure.' },
  forbidden: { key: 'OSR-403', message: 'No permission to the requested data with the given credentials.' },
  deliveryNotFound: { key: 'OSR-404', message: 'Data delivery not found.' },
  notFound: { key: 'OSR-404', message: 'Not found.' },
  // 9.2: E1 with an `Idempotency-Key`.
  idempotencyKeyInProgress: {
    key: 'OSR-409',
    message: 'A request with this Idempotency-Key is still being processed.',
  },
  idempotencyKeyReused: { key: 'OSR-422', message: 'Idempotency-Key reused with a different request.' },
  payloadTooLarge: { key: 'OSR-413', message: 'Payload too large.' },
  unsupportedMediaType: { key: 'OSR-415', message: 'Unsupported media type, use application/json.' },
  tooManyRequests: { key: 'OSR-429', message: 'Too many requests.' },
  requestTimeout: { key: 'OSR-408', message: 'Request timeout.' },
  headersTooLarge: { key: 'OSR-431', message: 'Request header fields too large.' },
  technicalError: { key: 'OSR-500', message: 'Technical error.' },
  unavailable: { key: 'OSR-503', message: 'Service temporarily unavailable.' },
} as const;
