import { ownsBillingUnit } from './access.js';
import {
  APPLY_BILLING_RECIPIENT,
  type BillingRecipientOutcome,
  billingRecipientTimelineProblems,
} from './billing-recipients.js';
import { type DeliveryBody, type DeliveryPartner, type DeliveryRole, normaliseTo } from './delivery-schema.js';
import { partnerMessage, roleMessage } from './echo.js';
import { type KeyedMessage, keyedMessage, type MessageId } from './messages.js';
import { DEFAULT_PROFILE, type ProcessingProfile } from './profiles.js';
import type { PartnerMessage, PlainMessage, RoleMessage } from './response-schema.js';
import { failedRoleChecks } from './role-checks.js';
import { BILLING_RECIPIENT_ROLE_TYPES } from './role-types.js';
import {
  APPLY,
  type ChangeKind,
  type ChangeOutcome,
  sortTimeline,
  type Timeline,
  type TimelineRole,
} from './timeline.js';
import { unitPathFormatMessages } from './unit-path.js';

/**
 * Asynchronous processing of one delivery (spec section 5), as a pure function: the unit's
 * current state and the delivery in, the decision with its messages and changes out.
 */

// The profiles are data (profiles.ts); re-exported because the shells import them from here.
export { DEFAULT_PROFILE, type ProcessingProfile };

export interface DeliveryInput {
  /** The client whose credential POSTed the delivery. */
  clientId: string;
  /** `{bu}` and `{ru}` exactly as the POST's path carried them. */
  billingUnitPath: string;
  residentialUnitPath: string;
  body: DeliveryBody;
}

/** What the worker loaded for the delivery's path. */
export interface UnitState {
  /** The billing unit with the path's number, whoever owns it; null: unknown (D5 decides). */
  billingUnit: {
    clientId: string;
    contracts: readonly string[];
    /** 8.2: bills are final up to and including this day; missing or null: nothing closed. */
    closedUntil?: string | null;
  } | null;
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

/** 5.1 D3–D6, after D1 and D2 (unit-path.ts): decided in this order, the first failure ends processing. */
const DELIVERY_CHECKS: readonly { id: MessageId; failed: (input: DeliveryInput, state: UnitState) => boolean }[] = [
  { id: 'D3', failed: ({ body, billingUnitPath }) => body.billingunit.reference.mscnumber !== billingUnitPath },
  {
    id: 'D4',
    failed: ({ body, residentialUnitPath }) =>
      body.billingunit.residentialunit.reference.mscnumber !== residentialUnitPath,
  },
  { id: 'D5', failed: ({ clientId }, { billingUnit }) => !ownsBillingUnit(billingUnit, clientId) },
  { id: 'D6', failed: (_input, { residentialUnit }) => residentialUnit === null },
];

/** 5.3: the message for an unexpected failure while applying, by the change being applied. */
const UNEXPECTED: Record<ChangeKind, MessageId> = {
  INSERT: 'INSERT_UNEXPECTED',
  UPDATE: 'UPDATE_UNEXPECTED',
  DELETE: 'DELETE_UNEXPECTED',
};

const failed = (lists: Partial<Omit<DeliveryDecision, 'status' | 'changes'>>): DeliveryDecision => ({
  status: 'FAIL',
  messages: [],
  roleMessages: [],
  partnerMessages: [],
  ...lists,
  changes: [],
});

export function processDelivery(
  input: DeliveryInput,
  state: UnitState,
  profile: ProcessingProfile = DEFAULT_PROFILE,
): DeliveryDecision {
  const say = (id: MessageId): KeyedMessage => keyedMessage(id, profile.vendorKey);

  // Step 1: D1–D6 in order; the first failure ends processing.
  const [formatProblem] = unitPathFormatMessages(input.billingUnitPath, input.residentialUnitPath, profile.vendorKey);
  if (formatProblem) return failed({ messages: [formatProblem] });
  const failedCheck = DELIVERY_CHECKS.find((check) => check.failed(input, state));
  if (failedCheck) return failed({ messages: [say(failedCheck.id)] });
  const contracts = new Set(state.billingUnit?.contracts ?? []);
  const current = state.residentialUnit?.roles ?? [];

  // Step 2: D7, D8 and R1–R10 over all partners and roles; every failure is reported.
  const { body } = input;
  const roles = body.billingunit.residentialunit.roles ?? [];
  const partners = body.billingunit.residentialunit.partners ?? [];
  const partnerByPmnumber = new Map<string, DeliveryPartner>();
  const partnerMessages: PartnerMessage[] = [];
  for (const partner of partners) {
    const pmnumber = partner.reference?.pmnumber;
    // README: a partner without pmnumber cannot be stored; it gets R4's text.
    if (pmnumber == null) partnerMessages.push(partnerMessage(partner, say('R4')));
    else if (partnerByPmnumber.has(pmnumber)) partnerMessages.push(partnerMessage(partner, say('D7')));
    else partnerByPmnumber.set(pmnumber, partner);
  }

  const information: IndexedRoleMessage[] = []; // R1: reported, but not a failure
  const supported: { role: DeliveryRole; index: number }[] = [];
  roles.forEach((role, index) => {
    if (profile.supportedRoles.has(role.role)) supported.push({ role, index });
    else information.push({ index, message: roleMessage(role, say('R1')) });
  });
  const messages = supported.length === 0 ? [say('D8')] : [];

  const roleFailures: IndexedRoleMessage[] = [];
  supported.forEach(({ role, index }, position) => {
    const pmnumber = role.partner?.pmnumber;
    const context = {
      partner: pmnumber == null ? undefined : partnerByPmnumber.get(pmnumber),
      earlier: supported.slice(0, position).map((earlier) => earlier.role),
      contracts,
    };
    for (const rule of failedRoleChecks(role, context)) {
      roleFailures.push({ index, message: roleMessage(role, say(rule)) });
    }
  });
  if (messages.length > 0 || partnerMessages.length > 0 || roleFailures.length > 0) {
    return failed({ messages, roleMessages: inRoleOrder(information, roleFailures), partnerMessages });
  }

  // Step 3: apply in array order, each change seeing the ones before it; I1–I3, U1–U3, X1–X3
  // are the rule tables of timeline.ts (S-COR), BR-I1…BR-X3 those of billing-recipients.ts
  // (8.3: S-BIR and S-BVA share one timeline).
  const closedUntil = state.billingUnit?.closedUntil ?? null;
  let timelines = groupByTimeline(current);
  const changes: AppliedChange[] = [];
  let billingRecipientChanged = false;
  for (const { role, index } of supported) {
    // Step 2 guarantees change, from and partner.pmnumber on every supported role.
    const change = role.change as ChangeKind;
    const request = {
      role: role.role,
      from: role.from as string,
      to: normaliseTo(role.to),
      pmnumber: role.partner?.pmnumber as string,
    };
    const group = timelineOf(role.role);
    const isBillingRecipient = group === BILLING_RECIPIENTS;
    let outcome: ChangeOutcome | BillingRecipientOutcome;
    try {
      const timeline = timelines.get(group) ?? [];
      outcome = isBillingRecipient
        ? APPLY_BILLING_RECIPIENT[change](timeline, request, closedUntil)
        : APPLY[change](timeline, request);
    } catch (error) {
      throw new UnexpectedApplyError(index, error);
    }
    if (!outcome.ok) {
      const rejection = { index, message: roleMessage(role, say(outcome.rule)) };
      return failed({ roleMessages: inRoleOrder(information, [rejection]) });
    }
    billingRecipientChanged ||= isBillingRecipient;
    timelines = new Map(timelines).set(group, outcome.timeline);
    changes.push({
      roleIndex: index,
      change,
      before: outcome.before,
      after: outcome.after,
      partner: change === 'DELETE' ? null : (partnerByPmnumber.get(request.pmnumber) ?? null),
    });
  }

  // 8.4: after applying, only when a billing-recipient change was applied.
  if (billingRecipientChanged) {
    const problems = billingRecipientTimelineProblems(timelines.get(BILLING_RECIPIENTS) ?? []);
    if (problems.length > 0) {
      return failed({ messages: problems.map(say), roleMessages: inRoleOrder(information) });
    }
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
  const message = keyedMessage(UNEXPECTED[(role?.change ?? 'INSERT') as ChangeKind], profile.vendorKey);
  return role ? failed({ roleMessages: [roleMessage(role, message)] }) : failed({ messages: [message] });
}

/** The one timeline S-BIR and S-BVA roles share (8.2); every other type has its own. */
const BILLING_RECIPIENTS = 'billing recipients';
const timelineOf = (roleType: string) => (BILLING_RECIPIENT_ROLE_TYPES.has(roleType) ? BILLING_RECIPIENTS : roleType);

/** Each timeline, sorted (for S-COR the active role is the last). */
function groupByTimeline(roles: Timeline): Map<string, Timeline> {
  const grouped = new Map<string, TimelineRole[]>();
  for (const role of roles) {
    const group = timelineOf(role.role);
    grouped.set(group, [...(grouped.get(group) ?? []), role]);
  }
  return new Map([...grouped].map(([type, list]) => [type, sortTimeline(list)]));
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
