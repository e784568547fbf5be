/**
 * Builders for the domain unit tests: parsed bodies, pure inputs and stored timelines. What the
 * contract says (texts, keys, echoes, use-case bodies) is in test/support/spec.ts.
 */
import { type DeliveryBody, deliveryBodySchema } from '../../src/domain/delivery-schema.js';
import type { DeliveryInput, UnitState } from '../../src/domain/process-delivery.js';
import type { TimelineRole } from '../../src/domain/timeline.js';
import { BU, type LooseRole, RU } from '../support/spec.js';

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
