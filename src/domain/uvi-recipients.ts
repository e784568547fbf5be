import { BILLING_UNIT_FORMAT, RESIDENTIAL_UNIT_FORMAT } from './delivery-schema.js';

/**
 * Spec 10.3, the UVI recipients of a month: who gets the monthly consumption information of each
 * residential unit. Decided here and nowhere else; the repository (src/db/repositories/
 * uvi-recipients.ts) only finds the candidate rows in this order, the CLI and the HTTP route only
 * render what this file returns.
 *
 * The rule (10.3):
 *   - The recipients of a unit are its `S-COR` roles that share at least one day with the month
 *     (`from` ≤ last day and `to` open or ≥ first day; `to` is inclusive).
 *   - Each is clipped to the month: `from` = the later of role.from and the first day, `to` = the
 *     earlier of role.to (open = no end) and the last day; `days` = the number of days from `from`
 *     to `to`, both included; `fullMonth` is true when that one role covers every day of the month
 *     (so a change of tenant inside the month gives two recipients, each with `fullMonth` false).
 *   - Recipients are ordered by `from`. The partner is `{ pmnumber, name, firstname,
 *     additionalname, commercial }` as stored for the unit; a field without a value is null (also
 *     every field but pmnumber when the partner is not on record).
 *   - Only units with at least one recipient are listed, ordered by billing unit, then residential
 *     unit, both compared as strings by code point.
 *   - Query: `month` required `YYYY-MM`; `billingUnit` optional (section 1 format); `after` the
 *     cursor of the last unit of the previous page; `limit` 1–5000 units, default 500. A missing
 *     or malformed one is OSR-SCHEMA with path `/query/<name>` (parseUviQuery below).
 *
 * Dates are ISO `YYYY-MM-DD` strings (string order is date order), as everywhere in src/domain.
 */

/** The role type whose holder gets the UVI. */
export const UVI_ROLE_TYPE = 'S-COR';

export const UVI_DEFAULT_LIMIT = 500;
export const UVI_MAX_LIMIT = 5000;

/** A month `YYYY-MM` with its first and last day and its number of days. */
export interface Month {
  month: string;
  first: string;
  last: string;
  days: number;
}

const MONTH_FORMAT = /^(\d{4})-(0[1-9]|1[0-2])$/;

const isLeapYear = (year: number) => year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);

/** Days of a month of the Gregorian calendar (the calendar PostgreSQL's `date` uses). */
export function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** The month named by `YYYY-MM` (years 0001–9999, months 01–12), else undefined. */
export function parseMonth(text: string): Month | undefined {
  const match = MONTH_FORMAT.exec(text);
  if (!match) return undefined;
  const year = Number(match[1]);
  if (year < 1) return undefined; // there is no year 0000 (dates start at 0001-01-01)
  const days = daysInMonth(year, Number(match[2]));
  return { month: text, first: `${text}-01`, last: `${text}-${String(days).padStart(2, '0')}`, days };
}

/** An S-COR role as stored, with its partner's stored fields (null when the partner is not on record). */
export interface StoredUviRole {
  role: string;
  from: string;
  /** Inclusive; null = open-ended. */
  to: string | null;
  pmnumber: string;
  partner: StoredUviPartner | null;
}

export interface StoredUviPartner {
  name: string | null;
  firstname: string | null;
  additionalname: string | null;
  commercial: string | null;
}

export interface UviPartner extends StoredUviPartner {
  pmnumber: string;
}

export interface UviRecipient {
  partner: UviPartner;
  from: string;
  to: string;
  days: number;
  fullMonth: boolean;
}

export interface UviUnit {
  billingUnit: string;
  residentialUnit: string;
  recipients: UviRecipient[];
}

/** Whether a role shares at least one day with the month. */
export const overlapsMonth = (role: { from: string; to: string | null }, month: Month): boolean =>
  role.from <= month.last && (role.to === null || role.to >= month.first);

const dayOfMonth = (date: string) => Number(date.slice(8, 10));
const later = (a: string, b: string) => (a > b ? a : b);
const earlier = (a: string, b: string) => (a < b ? a : b);

/** The recipients of one unit for the month (10.3), ordered by `from`; empty when there are none. */
export function uviRecipients(month: Month, roles: readonly StoredUviRole[]): UviRecipient[] {
  return roles
    .filter((role) => role.role === UVI_ROLE_TYPE && overlapsMonth(role, month))
    .map((role) => {
      const from = later(role.from, month.first);
      const to = role.to === null ? month.last : earlier(role.to, month.last);
      const days = dayOfMonth(to) - dayOfMonth(from) + 1;
      return {
        partner: {
          pmnumber: role.pmnumber,
          name: role.partner?.name ?? null,
          firstname: role.partner?.firstname ?? null,
          additionalname: role.partner?.additionalname ?? null,
          commercial: role.partner?.commercial ?? null,
        },
        from,
        to,
        days,
        fullMonth: days === month.days,
      };
    })
    .sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0));
}

/** A residential unit's position in the order of 10.3: billing unit, then residential unit. */
export interface UnitPosition {
  billingUnit: string;
  residentialUnit: string;
}

/** Code-point order of two strings (JavaScript's `<` compares UTF-16 code units instead). */
export function compareCodePoints(a: string, b: string): number {
  const left = [...a];
  const right = [...b];
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    const difference = (left[i]?.codePointAt(0) ?? 0) - (right[i]?.codePointAt(0) ?? 0);
    if (difference !== 0) return difference < 0 ? -1 : 1;
  }
  return left.length === right.length ? 0 : left.length < right.length ? -1 : 1;
}

/** The order of units in 10.3's answer. */
export const unitOrder = (a: UnitPosition, b: UnitPosition): number =>
  compareCodePoints(a.billingUnit, b.billingUnit) || compareCodePoints(a.residentialUnit, b.residentialUnit);

/**
 * The cursor `after`/`next`: the position of the last unit of a page, opaque to callers
 * (base64url of `<billing unit>/<residential unit>`). Units are ordered by position, so the next
 * page starts after it even when that unit has changed or gone since.
 */
export function encodeUnitCursor(position: UnitPosition): string {
  return Buffer.from(`${position.billingUnit}/${position.residentialUnit}`, 'utf8').toString('base64url');
}

/** The position in a cursor, or undefined when it is not one that encodeUnitCursor gives. */
export function decodeUnitCursor(cursor: string): UnitPosition | undefined {
  if (!/^[A-Za-z0-9_-]{1,24}$/.test(cursor)) return undefined;
  const [billingUnit = '', residentialUnit = '', ...rest] = Buffer.from(cursor, 'base64url')
    .toString('utf8')
    .split('/');
  if (rest.length > 0 || !BILLING_UNIT_FORMAT.test(billingUnit) || !RESIDENTIAL_UNIT_FORMAT.test(residentialUnit)) {
    return undefined;
  }
  const position = { billingUnit, residentialUnit };
  return encodeUnitCursor(position) === cursor ? position : undefined; // one spelling per position
}

/** The query of `GET /msc/v1/uvi-recipients`, validated. */
export interface UviQuery {
  month: Month;
  billingUnit: string | undefined;
  after: UnitPosition | undefined;
  limit: number;
}

/** One OSR-SCHEMA violation of the query: what is wrong and where (`/query/<name>`). */
export interface QueryViolation {
  message: string;
  path: string;
}

export const UVI_QUERY_RULES = {
  month: 'month is required, a month YYYY-MM, e.g. 2024-02.',
  billingUnit: 'billingUnit must be a billing-unit number: 6 digits, or 099 followed by 6 digits.',
  after: 'after must be a cursor returned as next by this endpoint.',
  limit: `limit must be a whole number from 1 to ${UVI_MAX_LIMIT}.`,
} as const;

type QueryName = keyof typeof UVI_QUERY_RULES;

/**
 * 10.3's query parameters as the HTTP layer parsed them (a repeated parameter arrives as an
 * array and is malformed). Every violation is reported, each with path `/query/<name>`.
 */
export function parseUviQuery(
  query: Readonly<Record<string, unknown>>,
): { ok: true; query: UviQuery } | { ok: false; violations: QueryViolation[] } {
  const violations: QueryViolation[] = [];
  const refuse = (name: QueryName) => {
    violations.push({ message: UVI_QUERY_RULES[name], path: `/query/${name}` });
    return undefined;
  };
  /** The parameter's text; undefined when absent (or refused when it is not one string). */
  const given = (name: QueryName): string | undefined => {
    const value = query[name];
    if (value === undefined) return undefined;
    return typeof value === 'string' ? value : refuse(name);
  };

  const monthText = given('month');
  const month = monthText === undefined ? undefined : (parseMonth(monthText) ?? refuse('month'));
  if (query.month === undefined) refuse('month');

  const billingUnitText = given('billingUnit');
  const billingUnit =
    billingUnitText === undefined || BILLING_UNIT_FORMAT.test(billingUnitText)
      ? billingUnitText
      : refuse('billingUnit');

  const afterText = given('after');
  const after = afterText === undefined ? undefined : (decodeUnitCursor(afterText) ?? refuse('after'));

  const limitText = given('limit');
  const limit = limitText === undefined ? UVI_DEFAULT_LIMIT : (parseLimit(limitText) ?? refuse('limit'));

  if (violations.length > 0 || month === undefined || limit === undefined) return { ok: false, violations };
  return { ok: true, query: { month, billingUnit, after, limit } };
}

function parseLimit(text: string): number | undefined {
  const value = Number(text);
  return /^\d{1,5}$/.test(text) && value >= 1 && value <= UVI_MAX_LIMIT ? value : undefined;
}
