import type { DeliveryFilter, DeliveryPage, DeliveryStatus } from '../db/repositories/console.js';
import { BILLING_UNIT_FORMAT, RESIDENTIAL_UNIT_FORMAT } from '../domain/delivery-schema.js';

/**
 * The console's query strings and form bodies, read leniently: a field given twice counts once
 * (its first value), surrounding spaces are dropped, and what is wrong is said next to the field
 * (errors by field name) instead of failing the page.
 */

export type Fields = Record<string, unknown>;

/** A field's text: the first value when repeated, trimmed; '' when absent. */
export function field(fields: Fields | undefined, name: string): string {
  const value = fields?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' ? first.trim() : '';
}

export const BILLING_UNIT_RULE = '6 digits, or 099 and 6 digits';
export const RESIDENTIAL_UNIT_RULE = '1 to 4 digits';
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const SEQ = /^\d{1,18}$/;
const MAX_TEXT = 200;

/** A calendar date that exists (2023-02-30 does not). */
export const isCalendarDate = (text: string): boolean =>
  DATE.test(text) && new Date(`${text}T00:00:00Z`).toISOString().slice(0, 10) === text;

export interface UnitSearch {
  values: { billingUnit: string; residentialUnit: string };
  errors: Partial<Record<'billingUnit' | 'residentialUnit', string>>;
}

export function parseUnitSearch(query: Fields | undefined): UnitSearch {
  const values = { billingUnit: field(query, 'billingUnit'), residentialUnit: field(query, 'residentialUnit') };
  const errors: UnitSearch['errors'] = {};
  if (values.billingUnit && !BILLING_UNIT_FORMAT.test(values.billingUnit)) {
    errors.billingUnit = `Not a billing unit number: ${BILLING_UNIT_RULE}.`;
  }
  if (values.residentialUnit && !RESIDENTIAL_UNIT_FORMAT.test(values.residentialUnit)) {
    errors.residentialUnit = `Not a residential unit number: ${RESIDENTIAL_UNIT_RULE}.`;
  }
  if (values.residentialUnit && !values.billingUnit) errors.billingUnit = 'Enter the billing unit too.';
  return { values, errors };
}

export const DELIVERY_FIELDS = [
  'status',
  'client',
  'billingUnit',
  'residentialUnit',
  'from',
  'to',
  'older',
  'newer',
] as const;
export type DeliveryField = (typeof DELIVERY_FIELDS)[number];

export interface DeliverySearch {
  values: Record<DeliveryField, string>;
  errors: Partial<Record<DeliveryField, string>>;
  filter: DeliveryFilter;
  page: Omit<DeliveryPage, 'size'>;
}

const STATUSES: readonly string[] = ['PENDING', 'SUCCESS', 'FAIL'];
const DAY_MS = 86_400_000;

/** The deliveries page's filters (status, client, units, days received, both included, UTC) and page. */
export function parseDeliverySearch(query: Fields | undefined): DeliverySearch {
  const values = Object.fromEntries(DELIVERY_FIELDS.map((name) => [name, field(query, name)])) as Record<
    DeliveryField,
    string
  >;
  values.status = values.status.toUpperCase();
  const errors: DeliverySearch['errors'] = {};
  if (values.status && !STATUSES.includes(values.status)) errors.status = 'Choose PENDING, SUCCESS or FAIL.';
  if (values.client.length > MAX_TEXT) errors.client = `At most ${MAX_TEXT} characters.`;
  if (values.billingUnit && !BILLING_UNIT_FORMAT.test(values.billingUnit)) errors.billingUnit = `${BILLING_UNIT_RULE}.`;
  if (values.residentialUnit && !RESIDENTIAL_UNIT_FORMAT.test(values.residentialUnit)) {
    errors.residentialUnit = `${RESIDENTIAL_UNIT_RULE}.`;
  }
  for (const name of ['from', 'to'] as const) {
    if (values[name] && !isCalendarDate(values[name])) errors[name] = 'A date as YYYY-MM-DD.';
  }
  if (!errors.from && !errors.to && values.from && values.to && values.to < values.from) {
    errors.to = 'Not before the first day.';
  }
  for (const name of ['older', 'newer'] as const) {
    if (values[name] && !SEQ.test(values[name])) errors[name] = 'Not a page of this list.';
  }
  const day = (text: string) => (text ? new Date(`${text}T00:00:00Z`) : undefined);
  const receivedBefore = day(values.to);
  return {
    values,
    errors,
    filter: {
      status: (values.status || undefined) as DeliveryStatus | undefined,
      clientId: values.client || undefined,
      billingUnit: values.billingUnit || undefined,
      residentialUnit: values.residentialUnit || undefined,
      receivedFrom: day(values.from),
      receivedBefore: receivedBefore && new Date(receivedBefore.getTime() + DAY_MS),
    },
    page: { olderThan: values.older || undefined, newerThan: values.newer || undefined },
  };
}

/**
 * Where to go after signing in: a console page the sign-in was asked from, never another site
 * (no scheme, no `//`, no backslash), else the console's start.
 */
export function safeNext(next: string): string {
  return /^\/console(?:[/?][^\\\s]*)?$/.test(next) && !next.includes('//') ? next : '/console';
}
