import type { DeliveryBody } from './delivery-schema.js';
import { partnerMessage, roleMessage } from './echo.js';
import { SYNC } from './messages.js';
import type { PartnerMessage, RoleMessage } from './response-schema.js';

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

const BILLING_RECIPIENT_ROLES = new Set(['S-BIR', 'S-BVA']);

export interface SyncCheckResult {
  roleMessages: RoleMessage[];
  partnerMessages: PartnerMessage[];
}

/** OSR-1001…1004 (spec section 4): every failure is reported, not only the first. */
export function checkDeliverySynchronously(body: DeliveryBody): SyncCheckResult {
  const unit = body.billingunit.residentialunit;
  const roles = unit.roles ?? [];
  const partners = unit.partners ?? [];
  const deliveredPartners = new Set(
    partners.map((partner) => partner.reference?.pmnumber).filter((pmnumber) => pmnumber != null),
  );

  const roleMessages: RoleMessage[] = [];
  for (const role of roles) {
    const pmnumber = role.partner?.pmnumber;
    if (pmnumber != null && !deliveredPartners.has(pmnumber)) {
      roleMessages.push(roleMessage(role, SYNC.partnerNotInDelivery));
    }
    if (BILLING_RECIPIENT_ROLES.has(role.role) && role.from == null) {
      roleMessages.push(roleMessage(role, SYNC.billingRecipientFromMissing));
    }
  }

  const partnerMessages: PartnerMessage[] = [];
  for (const partner of partners) {
    if (partner.email != null && !isValidEmail(partner.email)) {
      partnerMessages.push(partnerMessage(partner, SYNC.invalidEmail));
    }
    if ((partner.phonenumbers ?? []).some((phone) => !isValidPhoneNumber(phone.number))) {
      partnerMessages.push(partnerMessage(partner, SYNC.invalidPhone));
    }
  }
  return { roleMessages, partnerMessages };
}
