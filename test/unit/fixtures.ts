/**
 * Builders for the domain unit tests: parsed bodies, pure inputs and stored timelines. What the
 * contract says (texts, keys, echoes, use-case bodies) is in test/support/spec.ts.
 */
import { expect } from 'vitest';
import { type DeliveryBody, deliveryBodySchema } from '../../src/domain/delivery-schema.js';
import {
  type DeliveryInput,
  type ProcessingProfile,
  processDelivery,
  type UnitState,
} from '../../src/domain/process-delivery.js';
import { applyChanges } from '../../src/domain/role-diff.js';
import { sortTimeline, type TimelineRole } from '../../src/domain/timeline.js';
import { BU, type LooseRole, plainMessage, RU, type RuleId, roleEcho } from '../support/spec.js';

/** The client that delivers, and owns the billing unit in `state()`. */
export const CLIENT = 'acme';

/** A role as stored in a timeline (S-COR unless another type is given). */
export const stored = (from: string, to: string | null, pmnumber: string, role = 'S-COR'): TimelineRole => ({
  role,
  from,
  to,
  pmnumber,
});

/** A delivered role; fields given as `undefined` are left out (missing). */
export function role(
  change: 'INSERT' | 'UPDATE' | 'DELETE' | undefined,
  from: string | undefined,
  to: string | undefined,
  pmnumber: string | undefined,
  type = 'S-COR',
): LooseRole {
  return {
    ...(change === undefined ? {} : { change }),
    role: type,
    ...(from === undefined ? {} : { from }),
    ...(to === undefined ? {} : { to }),
    ...(pmnumber === undefined ? {} : { partner: { pmnumber } }),
  };
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

/** A body as the worker sees it: through the real schema. */
export const parseBody = (raw: unknown): DeliveryBody => deliveryBodySchema.parse(raw);

/** The pure input for a delivery POSTed by CLIENT to `{bu}`/`{ru}` (default 654321/0001). */
export function input(deliveryBody: DeliveryBody, billingUnitPath = BU, residentialUnitPath = RU): DeliveryInput {
  return { clientId: CLIENT, billingUnitPath, residentialUnitPath, body: deliveryBody };
}

/**
 * CLIENT's billing unit with these contracts (and closed-until, 8.2, when given), and a known
 * residential unit with these roles.
 */
export function state(roles: TimelineRole[], contracts: string[] = ['S-COR'], closedUntil?: string | null): UnitState {
  const billingUnit = { clientId: CLIENT, contracts, ...(closedUntil === undefined ? {} : { closedUntil }) };
  return { billingUnit, residentialUnit: { roles } };
}

/** A role as its echo shows it (spec section 6), for expectations spelled out literally. */
export const shown = (type: string, from: string | null, to: string, pmnumber: string | null): LooseRole => ({
  role: type,
  from,
  to,
  partner: { pmnumber },
});

/** What one row of a rules table expects: a role's rule (echoing it), delivery messages, or the timeline after. */
export type RowExpectation = { fails: RuleId; at?: number } | { messages: RuleId[] } | { timeline: TimelineRole[] };

/**
 * Runs one rules-table row through `processDelivery` (with a partner for every pmnumber the roles
 * reference) and checks the decision against what the row expects.
 */
export function expectRow(
  { before, roles, expected }: { before: TimelineRole[]; roles: LooseRole[]; expected: RowExpectation },
  unit: UnitState = state(before),
  profile?: ProcessingProfile,
): void {
  const pmnumbers = new Set(roles.map((r) => r.partner?.pmnumber).filter((pmnumber) => pmnumber != null));
  const decision = processDelivery(
    input(body({ roles, partners: [...pmnumbers].map((pm) => partner(pm)) })),
    unit,
    profile,
  );
  if ('fails' in expected) {
    expect(decision).toStrictEqual({
      status: 'FAIL',
      messages: [],
      roleMessages: [roleEcho(roles[expected.at ?? 0] as LooseRole, expected.fails)],
      partnerMessages: [],
      changes: [],
    });
  } else if ('messages' in expected) {
    expect(decision).toStrictEqual({
      status: 'FAIL',
      messages: expected.messages.map((id) => plainMessage(id)),
      roleMessages: [],
      partnerMessages: [],
      changes: [],
    });
  } else {
    expect(decision).toMatchObject({ status: 'SUCCESS', messages: [], roleMessages: [], partnerMessages: [] });
    expect(decision.changes.map((change) => change.roleIndex)).toStrictEqual(roles.map((_, index) => index));
    expect(sortTimeline(applyChanges(before, decision.changes))).toStrictEqual(expected.timeline);
  }
}
