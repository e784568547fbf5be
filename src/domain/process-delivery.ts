import {
  BILLING_UNIT_FORMAT,
  type DeliveryBody,
  type DeliveryPartner,
  type DeliveryRole,
  normaliseTo,
  RESIDENTIAL_UNIT_FORMAT,
} from './delivery-schema.js';
import { partnerMessage, roleMessage } from './echo.js';
import { type KeyedMessage, STANDARD, VENDOR, type VendorMessage } from './messages.js';
import type { PartnerMessage, PlainMessage, RoleMessage } from './response-schema.js';
import { APPLY, type ChangeKind, type Timeline, type TimelineRole } from './timeline.js';

/**
 * Asynchronous processing of one delivery (spec section 5), as a pure function: the unit's
 * current state and the delivery in, the decision with its messages and changes out.
 */

export interface ProcessingProfile {
  /** Key of the vendor messages (default OSR-KALO). */
  vendorKey: string;
  /** Role types this MSC processes (default profile: S-COR only). */
  supportedRoles: ReadonlySet<string>;
}

export const DEFAULT_PROFILE: ProcessingProfile = {
  vendorKey: 'OSR-KALO',
  supportedRoles: new Set(['S-COR']),
};

export interface DeliveryInput {
  /** `{bu}` and `{ru}` exactly as the POST's path carried them. */
  billingUnitPath: string;
  residentialUnitPath: string;
  body: DeliveryBody;
}

/** What the worker loaded for the delivery's path and client. */
export interface UnitState {
  /** null: unknown, or not assigned to the delivering client (D5). */
  billingUnit: { contracts: readonly string[] } | null;
  /** null: unknown or not part of the billing unit (D6). */
  residentialUnit: { roles: Timeline } | null;
}

/** One change that applying produced, in array order; the worker writes these. */
export interface AppliedChange {
  roleIndex: number;
  change: ChangeKind;
  before: TimelineRole | null;
  after: TimelineRole | null;
  /** The delivered partner data that INSERT and UPDATE store. */
  partner: DeliveryPartner | null;
}

export interface DeliveryDecision {
  status: 'SUCCESS' | 'FAIL';
  messages: PlainMessage[];
  roleMessages: RoleMessage[];
  partnerMessages: PartnerMessage[];
  /** Empty unless status is SUCCESS. */
  changes: AppliedChange[];
}

/** Thrown when applying a change fails unexpectedly (a bug): names the role being applied. */
export class UnexpectedApplyError extends Error {
  constructor(
    readonly roleIndex: number,
    cause: unknown,
  ) {
    super(`applying role ${roleIndex} failed unexpectedly`, { cause });
  }
}

const UNEXPECTED: Record<ChangeKind, VendorMessage> = {
  INSERT: 'insertUnexpected',
  UPDATE: 'updateUnexpected',
  DELETE: 'deleteUnexpected',
};

const isBlank = (value: string | null | undefined) => value == null || value.trim() === '';

export function processDelivery(
  input: DeliveryInput,
  state: UnitState,
  profile: ProcessingProfile = DEFAULT_PROFILE,
): DeliveryDecision {
  const vendor = (name: VendorMessage): KeyedMessage => ({ key: profile.vendorKey, message: VENDOR[name] });
  const fail = (
    messages: KeyedMessage[] = [],
    roleMessages: RoleMessage[] = [],
    partnerMessages: PartnerMessage[] = [],
  ): DeliveryDecision => ({
    status: 'FAIL',
    messages,
    roleMessages,
    partnerMessages,
    changes: [],
  });

  // Step 1: D1–D6 in order; the first failure ends processing.
  const body = input.body;
  const deliveryCheck = [
    [!BILLING_UNIT_FORMAT.test(input.billingUnitPath), vendor('billingUnitFormat')],
    [!RESIDENTIAL_UNIT_FORMAT.test(input.residentialUnitPath), vendor('residentialUnitFormat')],
    [body.billingunit.reference.mscnumber !== input.billingUnitPath, vendor('billingUnitMismatch')],
    [
      body.billingunit.residentialunit.reference.mscnumber !== input.residentialUnitPath,
      vendor('residentialUnitMismatch'),
    ],
    [state.billingUnit === null, STANDARD.billingUnitUnknown],
    [state.residentialUnit === null, STANDARD.residentialUnitUnknown],
  ] as const;
  for (const [failed, message] of deliveryCheck) {
    if (failed) return fail([{ ...message }]);
  }
  const contracts = new Set(state.billingUnit?.contracts ?? []);
  const current = state.residentialUnit?.roles ?? [];

  // Step 2: D7, D8 and R1–R10 over all partners and roles; every failure is reported.
  const roles = body.billingunit.residentialunit.roles ?? [];
  const partners = body.billingunit.residentialunit.partners ?? [];
  const partnerByPmnumber = new Map<string, DeliveryPartner>();
  const partnerMessages: PartnerMessage[] = [];
  for (const partner of partners) {
    const pmnumber = partner.reference?.pmnumber;
    if (pmnumber == null) {
      partnerMessages.push(partnerMessage(partner, vendor('pmnumberMissing')));
    } else if (partnerByPmnumber.has(pmnumber)) {
      partnerMessages.push(partnerMessage(partner, vendor('partnerNotUnique')));
    } else {
      partnerByPmnumber.set(pmnumber, partner);
    }
  }

  const information: IndexedRoleMessage[] = []; // R1: reported, but not a failure
  const roleFailures: IndexedRoleMessage[] = [];
  const supported: { role: DeliveryRole; index: number }[] = [];
  roles.forEach((role, index) => {
    if (profile.supportedRoles.has(role.role)) supported.push({ role, index });
    else information.push({ index, message: roleMessage(role, vendor('roleNotSupported')) });
  });
  const messages: KeyedMessage[] = supported.length === 0 ? [vendor('noSupportedRole')] : [];

  const earlierInserts: DeliveryRole[] = [];
  for (const { role, index } of supported) {
    const report = (message: KeyedMessage) => roleFailures.push({ index, message: roleMessage(role, message) });
    const storesPartner = role.change === 'INSERT' || role.change === 'UPDATE';
    const to = normaliseTo(role.to);
    if (role.change == null) report(vendor('changeMissing'));
    if (role.partner == null) report(vendor('partnerReferenceMissing'));
    else if (role.partner.pmnumber == null) report(vendor('pmnumberMissing'));
    if (role.from == null) report(vendor('fromMissing'));
    if (storesPartner && role.from != null && to !== null && role.from >= to) {
      report(vendor('fromNotBeforeTo'));
    }
    const partner = role.partner?.pmnumber == null ? undefined : partnerByPmnumber.get(role.partner.pmnumber);
    if (storesPartner && partner) {
      if (isBlank(partner.name)) report(vendor('partnerNameMissing'));
      if ((partner.commercial ?? 'NON_COMMERCIAL') === 'NON_COMMERCIAL' && isBlank(partner.firstname)) {
        report(vendor('partnerFirstnameMissing'));
      }
    }
    if (role.change === 'INSERT' && role.from != null) {
      if (earlierInserts.some((earlier) => earlier.role === role.role && overlaps(earlier, role))) {
        report(vendor('insertsOverlap'));
      }
      earlierInserts.push(role);
    }
    if (!contracts.has(role.role)) report(STANDARD.noContract);
  }
  if (messages.length > 0 || partnerMessages.length > 0 || roleFailures.length > 0) {
    return fail(messages, inRoleOrder(information, roleFailures), partnerMessages);
  }

  // Step 3: apply in array order, each change seeing the ones before it.
  let timelines = groupByType(current);
  const changes: AppliedChange[] = [];
  for (const { role, index } of supported) {
    // Step 2 guarantees change, from and partner.pmnumber on every supported role.
    const change = role.change as ChangeKind;
    const request = {
      role: role.role,
      from: role.from as string,
      to: normaliseTo(role.to),
      pmnumber: role.partner?.pmnumber as string,
    };
    let outcome: ReturnType<(typeof APPLY)[ChangeKind]>;
    try {
      outcome = APPLY[change](timelines.get(role.role) ?? [], request);
    } catch (error) {
      throw new UnexpectedApplyError(index, error);
    }
    if (!outcome.ok) {
      return fail([], inRoleOrder(information, [{ index, message: roleMessage(role, vendor(outcome.message)) }]));
    }
    timelines = new Map(timelines).set(role.role, outcome.timeline);
    changes.push({
      roleIndex: index,
      change,
      before: outcome.before,
      after: outcome.after,
      partner: change === 'DELETE' ? null : (partnerByPmnumber.get(request.pmnumber) ?? null),
    });
  }
  return { status: 'SUCCESS', messages: [], roleMessages: inRoleOrder(information), partnerMessages: [], changes };
}

/** The FAIL result for an unexpected error while applying the role at `roleIndex`. */
export function unexpectedFailure(
  body: DeliveryBody,
  roleIndex: number,
  profile: ProcessingProfile = DEFAULT_PROFILE,
): DeliveryDecision {
  // Defensive: also for a stored body that is not what the schema promised.
  const role = body?.billingunit?.residentialunit?.roles?.[roleIndex];
  const change = (role?.change ?? 'INSERT') as ChangeKind;
  const message = { key: profile.vendorKey, message: VENDOR[UNEXPECTED[change]] };
  return {
    status: 'FAIL',
    messages: role ? [] : [message],
    roleMessages: role ? [roleMessage(role, message)] : [],
    partnerMessages: [],
    changes: [],
  };
}

/** Two periods overlap when each starts on or before the other's end (open end = never ends). */
function overlaps(a: DeliveryRole, b: DeliveryRole): boolean {
  const aTo = normaliseTo(a.to);
  const bTo = normaliseTo(b.to);
  return (aTo === null || (b.from as string) <= aTo) && (bTo === null || (a.from as string) <= bTo);
}

function groupByType(roles: Timeline): Map<string, Timeline> {
  const grouped = new Map<string, TimelineRole[]>();
  for (const role of roles) grouped.set(role.role, [...(grouped.get(role.role) ?? []), role]);
  for (const list of grouped.values()) list.sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0));
  return grouped;
}

interface IndexedRoleMessage {
  index: number;
  message: RoleMessage;
}

/** Role messages in the order of the roles in the delivery (stable within one role). */
function inRoleOrder(...lists: IndexedRoleMessage[][]): RoleMessage[] {
  return lists
    .flat()
    .sort((a, b) => a.index - b.index)
    .map((entry) => entry.message);
}
