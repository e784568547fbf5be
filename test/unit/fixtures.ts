/**
 * Shared fixtures for the domain unit tests: the literal message texts of the contract
 * (copied from docs/spec, NOT from src/domain/messages.ts, so that a typo in the catalogue is
 * caught), the use-case bodies of the source document, and small builders.
 */
import { type DeliveryBody, deliveryBodySchema } from '../../src/domain/delivery-schema.js';
import type { AppliedChange, DeliveryInput, UnitState } from '../../src/domain/process-delivery.js';
import type { TimelineRole } from '../../src/domain/timeline.js';

export const KALO = 'OSR-KALO';
export const BU = '654321';
export const RU = '0001';
export const OPEN = '9999-12-31';

/** Message texts, byte for byte from on-site-roles-v1.md (sections 4, 5.1, 5.2, 5.3). */
export const TEXT = {
  // section 4
  osr1001: 'The partner referenced in a role is not sent in the same request.',
  osr1002: 'The email-address of a partner is not valid.',
  osr1003: 'The phone number of a partner is not valid.',
  osr1004: 'The `from` date is missing in this case of billing recipient changes',
  // 5.1
  D1: 'Format problem detected with mscnumber of billing unit',
  D2: 'Format problem detected with mscnumber of residential unit',
  D3: 'mscnumber of billing unit in request body does not match with values in URL.',
  D4: 'mscnumber of residential unit in request body does not match with values in URL.',
  D5: 'Die übermittelte Nummer der Abrechnungseinheit des Messdienstleisters ist nicht bekannt.',
  D6: 'Die übermittelte Nummer der Nutzeinheit des Messdienstleisters ist nicht bekannt oder passt nicht zur Abrechnungseinheit.',
  D7: 'Partner pmnumber not unique in residential unit.',
  D8: 'No supported role to process.',
  // 5.2
  R1: 'Role not supported',
  R2: 'Change type missing in role.',
  R3: 'partner reference missing in role.',
  R4: 'No pmnumber set on partner-reference.',
  R5: 'The from field of the on-site-role is was not set. This is a mandatory field.',
  R6: 'The given from-date is after or equals the to-date in on-site-role.',
  R7: 'Name of partner not set in site-role.',
  R8: 'First-Name of partner not set in site-role',
  R9: 'Error on insert or update: date overlap not supported by MSC.',
  R10: 'Es gibt für die gesendete Service-Rolle keinen Vertrag beim MSC und somit keine Vereinbarung, dass diese Daten gespeichert werden dürfen.',
  // 5.3
  I1: 'Error on insert: inserting role before current role not supported by the MSC.',
  I2: 'To date in active role is empty, please update before inserting new role.',
  I3: 'The given from date of the on-site-role is younger than the to date of its predecessor. Overlapping.',
  U1: 'There is no matching role in the update target.',
  U2: '`from` date of active role does not match new `from` date. You can only update currently active roles.',
  U3: 'No active partner found for specified pmnumber. Update is only possible for the most recent role.',
  X1: 'There is no matching role in the delete target.',
  X2: 'Active `from` date does not match delete `from` date. Deletion is not possible.',
  X3: 'No active partner found for specified pmnumber. Deletion is only possible for the most recent role.',
  insertUnexpected: 'Insert of role was not possible. Please contact the support.',
  updateUnexpected: 'Update of role was not possible. Please contact the support.',
  deleteUnexpected: 'Deletion of role was not possible. Please contact the support.',
} as const;

export const KEY = {
  D5: 'OSR-2001',
  D6: 'OSR-2002',
  R10: 'OSR-2006',
} as const;

// ---------------------------------------------------------------------------------------------
// Use cases 1-3 of kalo-nutzer-management-api.txt, verbatim (including the tab indentation).

export const UC1_JSON = `{
   "timestamp": "2022-05-16T10:17:17Z",
   "billingunit":{
      "reference":{
         "pmnumber":"123456",
         "mscnumber":"654321"
      },
      "residentialunit":{
         "reference":{
            "pmnumber":"1234561",
            "mscnumber":"0001"
         },
         "roles":[
            {
               "change":"UPDATE",
               "role":"S-COR",
               "from":"2018-05-01",
               "to":"2022-05-31",
               "partner":{
                  "pmnumber":"12345611"
               }
            },
            {
               "change":"INSERT",
               "role":"S-COR",
               "from":"2022-06-01",
               "to":"2022-12-31",
               "partner":{
                  "pmnumber":"12345612"
               }
            }
         ],
         "partners":[
            {
               "reference":{
                  "pmnumber":"12345611"
               },
               "name":"Mustermann",
               "firstname":"Max",
\t\t\t   "commercial": "NON_COMMERCIAL",
               "phonenumbers":[
                  {
                     "number":"0176-55555555",
                     "type":"MOBILE"
                  }
               ]
            },
            {
               "reference":{
                  "pmnumber":"12345612"
               },
               "name":"Musterfrau",
               "firstname":"Meike",
\t\t\t   "commercial": "NON_COMMERCIAL",
               "phonenumbers":[
                  {
                     "number":"0176-66666666",
                     "type":"MOBILE"
                  }
               ]
            }
         ]
      }
   }
}`;

export const UC2_JSON = `{
   "timestamp": "2022-05-16T10:17:17Z",
   "billingunit":{
      "reference":{
         "pmnumber":"123456",
         "mscnumber":"654321"
      },
      "residentialunit":{
         "reference":{
            "pmnumber":"1234561",
            "mscnumber":"0001"
         },
         "roles":[
            {
               "change":"UPDATE",
               "role":"S-COR",
               "from":"2022-06-01",
               "to":"2023-07-31",
               "partner":{
                  "pmnumber":"12345612"
               }
            }
         ],
         "partners":[
            {
               "reference":{
                  "pmnumber":"12345612"
               },
               "name":"Mustermann",
               "firstname":"Meike",
\t\t\t   "commercial": "NON_COMMERCIAL",
               "phonenumbers":[
                  {
                     "number":"0176-66666666",
                     "type":"MOBILE"
                  }
               ]
            }
         ]
      }
   }
}`;

export const UC3_JSON = `{
   "timestamp": "2022-05-16T10:17:17Z",
   "billingunit":{
      "reference":{
         "pmnumber":"123456",
         "mscnumber":"654321"
      },
      "residentialunit":{
         "reference":{
            "pmnumber":"1234561",
            "mscnumber":"0001"
         },
         "roles":[
            {
               "change":"DELETE",
               "role":"S-COR",
               "from":"2022-06-01",
               "to":"2023-07-31",
               "partner":{
                  "pmnumber":"12345612"
               }
            }
         ],
         "partners":[
            {
               "reference":{
                  "pmnumber":"12345612"
               },
               "name":"Mustermann",
               "firstname":"Meike",
\t\t\t   "commercial": "NON_COMMERCIAL",
               "phonenumbers":[
                  {
                     "number":"0176-66666666",
                     "type":"MOBILE"
                  }
               ]
            }
         ]
      }
   }
}`;

export const parseBody = (json: string): DeliveryBody => deliveryBodySchema.parse(JSON.parse(json));

// ---------------------------------------------------------------------------------------------
// Builders

/** An S-COR (or other type) role as stored in a timeline. */
export const stored = (from: string, to: string | null, pmnumber: string, role = 'S-COR'): TimelineRole => ({
  role,
  from,
  to,
  pmnumber,
});

/** Mustermann before use case 1: S-COR from 2018-05-01, open-ended. */
export const MUSTERMANN_OPEN = stored('2018-05-01', null, '12345611');

/** A delivered role (raw JSON shape; fields set to `undefined` are left out). */
export function role(
  change: 'INSERT' | 'UPDATE' | 'DELETE' | undefined,
  from: string | undefined,
  to: string | undefined,
  pmnumber: string | undefined,
  type = 'S-COR',
): Record<string, unknown> {
  const raw: Record<string, unknown> = { role: type };
  if (change !== undefined) raw.change = change;
  if (from !== undefined) raw.from = from;
  if (to !== undefined) raw.to = to;
  if (pmnumber !== undefined) raw.partner = { pmnumber };
  return raw;
}

/** A delivered partner that passes every check unless overridden. */
export function partner(
  pmnumber: string | undefined,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    ...(pmnumber === undefined ? {} : { reference: { pmnumber } }),
    name: `Name-${pmnumber ?? 'none'}`,
    firstname: 'Vorname',
    commercial: 'NON_COMMERCIAL',
    ...overrides,
  };
}

export interface BodyOptions {
  roles?: unknown[] | null;
  partners?: unknown[] | null;
  bu?: string;
  ru?: string;
}

/** A parsed delivery body (goes through the real schema, so it is what the worker would see). */
export function body({ roles, partners, bu = BU, ru = RU }: BodyOptions): DeliveryBody {
  const unit: Record<string, unknown> = { reference: { pmnumber: '1234561', mscnumber: ru } };
  if (roles !== undefined) unit.roles = roles;
  if (partners !== undefined) unit.partners = partners;
  return deliveryBodySchema.parse({
    timestamp: '2022-05-16T10:17:17Z',
    billingunit: { reference: { pmnumber: '123456', mscnumber: bu }, residentialunit: unit },
  });
}

export function input(
  deliveryBody: DeliveryBody,
  billingUnitPath: string = BU,
  residentialUnitPath: string = RU,
): DeliveryInput {
  return { billingUnitPath, residentialUnitPath, body: deliveryBody };
}

/** A known billing unit with the given contracts and a known residential unit with these roles. */
export function state(roles: TimelineRole[], contracts: string[] = ['S-COR']): UnitState {
  return { billingUnit: { contracts }, residentialUnit: { roles } };
}

/** The role echo of spec section 6, written out in full. */
export function roleEcho(
  type: string,
  from: string | null,
  to: string,
  pmnumber: string | null,
  key: string,
  message: string,
) {
  return { role: type, from, to, partner: { pmnumber, mscnumber: null }, key, message };
}

/** The partner echo of spec section 6. */
export function partnerEcho(pmnumber: string | null, key: string, message: string) {
  return { partner: { pmnumber, mscnumber: null }, key, message };
}

const byFrom = (a: TimelineRole, b: TimelineRole) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0);

/** The timeline after a SUCCESS: apply each change's before/after in order. */
export function applyChanges(timeline: readonly TimelineRole[], changes: readonly AppliedChange[]): TimelineRole[] {
  const result = timeline.map((r) => ({ ...r }));
  for (const change of changes) {
    const before = change.before;
    if (before) {
      const index = result.findIndex(
        (r) => r.role === before.role && r.from === before.from && r.pmnumber === before.pmnumber,
      );
      if (index < 0) throw new Error(`change.before not in timeline: ${JSON.stringify(before)}`);
      result.splice(index, 1);
    }
    if (change.after) result.push({ ...change.after });
  }
  return result.sort(byFrom);
}
