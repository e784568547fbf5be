/**
 * The one message catalogue: every key and text the contract defines, byte for byte
 * (including the source document's odd grammar). Nothing else in the code spells a message.
 */

export const SYNC = {
  partnerNotInDelivery: {
    key: 'OSR-1001',
    message: 'The partner referenced in a role is not sent in the same request.',
  },
  invalidEmail: { key: 'OSR-1002', message: 'The email-address of a partner is not valid.' },
  invalidPhone: { key: 'OSR-1003', message: 'The phone number of a partner is not valid.' },
  billingRecipientFromMissing: {
    key: 'OSR-1004',
    message: 'The `from` date is missing in this case of billing recipient changes',
  },
} as const;

/** Vendor messages: their key is configurable (default OSR-KALO), so only the text lives here. */
export const VENDOR = {
  // delivery level (5.1)
  billingUnitFormat: 'Format problem detected with mscnumber of billing unit',
  residentialUnitFormat: 'Format problem detected with mscnumber of residential unit',
  billingUnitMismatch: 'mscnumber of billing unit in request body does not match with values in URL.',
  residentialUnitMismatch: 'mscnumber of residential unit in request body does not match with values in URL.',
  partnerNotUnique: 'Partner pmnumber not unique in residential unit.',
  noSupportedRole: 'No supported role to process.',
  // role level (5.2)
  roleNotSupported: 'Role not supported',
  changeMissing: 'Change type missing in role.',
  partnerReferenceMissing: 'partner reference missing in role.',
  pmnumberMissing: 'No pmnumber set on partner-reference.',
  fromMissing: 'The from field of the on-site-role is was not set. This is a mandatory field.',
  fromNotBeforeTo: 'The given from-date is after or equals the to-date in on-site-role.',
  partnerNameMissing: 'Name of partner not set in site-role.',
  partnerFirstnameMissing: 'First-Name of partner not set in site-role',
  insertsOverlap: 'Error on insert or update: date overlap not supported by MSC.',
  // applying (5.3)
  insertBeforeActive: 'Error on insert: inserting role before current role not supported by the MSC.',
  insertActiveOpen: 'To date in active role is empty, please update before inserting new role.',
  insertOverlapsActive:
    'The given from date of the on-site-role is younger than the to date of its predecessor. Overlapping.',
  updateNoMatch: 'There is no matching role in the update target.',
  updateFromMismatch:
    '`from` date of active role does not match new `from` date. You can only update currently active roles.',
  updateNotActive: 'No active partner found for specified pmnumber. Update is only possible for the most recent role.',
  deleteNoMatch: 'There is no matching role in the delete target.',
  deleteFromMismatch: 'Active `from` date does not match delete `from` date. Deletion is not possible.',
  deleteNotActive:
    'No active partner found for specified pmnumber. Deletion is only possible for the most recent role.',
  insertUnexpected: 'Insert of role was not possible. Please contact the support.',
  updateUnexpected: 'Update of role was not possible. Please contact the support.',
  deleteUnexpected: 'Deletion of role was not possible. Please contact the support.',
  // E2
  residentialUnitNotFound: 'Residential unit not found.',
  noRolesInUnit: 'No on-site-roles found in residential unit.',
} as const;

export type VendorMessage = keyof typeof VENDOR;

/** ARGE/bved standard asynchronous messages with fixed keys. */
export const STANDARD = {
  billingUnitUnknown: {
    key: 'OSR-2001',
    message: 'Die übermittelte Nummer der Abrechnungseinheit des Messdienstleisters ist nicht bekannt.',
  },
  residentialUnitUnknown: {
    key: 'OSR-2002',
    message:
      'Die übermittelte Nummer der Nutzeinheit des Messdienstleisters ist nicht bekannt oder passt nicht zur Abrechnungseinheit.',
  },
  noContract: {
    key: 'OSR-2006',
    message:
      'Es gibt für die gesendete Service-Rolle keinen Vertrag beim MSC und somit keine Vereinbarung, dass diese Daten gespeichert werden dürfen.',
  },
} as const;

/** HTTP-level errors (section 6). */
export const HTTP = {
  schema: { key: 'OSR-SCHEMA' },
  unauthorized: { key: 'OSR-401', message: 'Authorization failure.' },
  forbidden: { key: 'OSR-403', message: 'No permission to the requested data with the given credentials.' },
  deliveryNotFound: { key: 'OSR-404', message: 'Data delivery not found.' },
  notFound: { key: 'OSR-404', message: 'Not found.' },
  payloadTooLarge: { key: 'OSR-413', message: 'Payload too large.' },
  unsupportedMediaType: { key: 'OSR-415', message: 'Unsupported media type, use application/json.' },
  tooManyRequests: { key: 'OSR-429', message: 'Too many requests.' },
  requestTimeout: { key: 'OSR-408', message: 'Request timeout.' },
  headersTooLarge: { key: 'OSR-431', message: 'Request header fields too large.' },
  technicalError: { key: 'OSR-500', message: 'Technical error.' },
  unavailable: { key: 'OSR-503', message: 'Service temporarily unavailable.' },
} as const;

export type KeyedMessage = { key: string; message: string };
