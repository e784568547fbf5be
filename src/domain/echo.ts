import type { DeliveryPartner, DeliveryRole } from './delivery-schema.js';
import { OPEN_END } from './delivery-schema.js';
import type { KeyedMessage } from './messages.js';
import type { PartnerMessage, RoleMessage } from './response-schema.js';

/** Role echo (spec section 6): missing request fields as null, an open `to` as 9999-12-31. */
export function roleMessage(role: DeliveryRole, { key, message }: KeyedMessage): RoleMessage {
  return {
    role: role.role ?? null,
    from: role.from ?? null,
    to: role.to ?? OPEN_END,
    partner: { pmnumber: role.partner?.pmnumber ?? null, mscnumber: null },
    key,
    message,
  };
}

/** Partner echo (spec section 6). */
export function partnerMessage(partner: DeliveryPartner, { key, message }: KeyedMessage): PartnerMessage {
  return {
    partner: { pmnumber: partner.reference?.pmnumber ?? null, mscnumber: null },
    key,
    message,
  };
}

/** An empty list is rendered as null (as in the source document's example). */
export const nullIfEmpty = <T>(list: T[]): T[] | null => (list.length === 0 ? null : list);
