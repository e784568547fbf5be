import type { DeliveryBody, DeliveryPartner, DeliveryRole } from './delivery-schema.js';
import { partnerMessage, roleMessage } from './echo.js';
import { type StandardMessageId, standardMessage } from './messages.js';
import type { PartnerMessage, RoleMessage } from './response-schema.js';
import { BILLING_RECIPIENT_ROLE_TYPES } from './role-types.js';

/** WHATWG/HTML "valid e-mail address". */
const VALID_EMAIL =
  /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

/** Optional leading +, then digits, spaces, - / ( ) only, with 5 to 20 digits in total. */
const PHONE_CHARACTERS = /^\+?[0-9 \-/()]+$/;

export const isValidEmail = (email: string): boolean => VALID_EMAIL.test(email);

export function isValidPhoneNumber(number: string): boolean {
  if (!PHONE_CHARACTERS.test(number)) return false;
  const digits = number.replace(/\D/g, '').length;
  return digits >= 5 && digits <= 20;
}

export interface SyncCheckResult {
  roleMessages: RoleMessage[];
  partnerMessages: PartnerMessage[];
}

/** Section 4, per role, in this order. `delivered`: the pmnumbers of the delivery's partners. */
const ROLE_CHECKS: readonly {
  id: StandardMessageId;
  failed: (role: DeliveryRole, delivered: ReadonlySet<string>) => boolean;
}[] = [
  {
    // a role without partner or pmnumber is left to R3/R4
    id: 'OSR-1001',
    failed: (role, delivered) => role.partner?.pmnumber != null && !delivered.has(role.partner.pmnumber),
  },
  { id: 'OSR-1004', failed: (role) => BILLING_RECIPIENT_ROLE_TYPES.has(role.role) && role.from == null },
];

/** Section 4, per partner, in this order. */
const PARTNER_CHECKS: readonly { id: StandardMessageId; failed: (partner: DeliveryPartner) => boolean }[] = [
  { id: 'OSR-1002', failed: (partner) => partner.email != null && !isValidEmail(partner.email) },
  {
    id: 'OSR-1003',
    failed: (partner) => (partner.phonenumbers ?? []).some((phone) => !isValidPhoneNumber(phone.number)),
  },
];

/** OSR-1001…1004 (spec section 4): every failure is reported, not only the first. */
export function checkDeliverySynchronously(body: DeliveryBody): SyncCheckResult {
  const unit = body.billingunit.residentialunit;
  const roles = unit.roles ?? [];
  const partners = unit.partners ?? [];
  const delivered = new Set(
    partners.map((partner) => partner.reference?.pmnumber).filter((pmnumber) => pmnumber != null),
  );
  return {
    roleMessages: roles.flatMap((role) =>
      ROLE_CHECKS.filter((check) => check.failed(role, delivered)).map((check) =>
        roleMessage(role, standardMessage(check.id)),
      ),
    ),
    partnerMessages: partners.flatMap((partner) =>
      PARTNER_CHECKS.filter((check) => check.failed(partner)).map((check) =>
        partnerMessage(partner, standardMessage(check.id)),
      ),
    ),
  };
}
