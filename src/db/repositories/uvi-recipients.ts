import { type Kysely, sql } from 'kysely';
import {
  encodeUnitCursor,
  type Month,
  type StoredUviRole,
  type UnitPosition,
  UVI_ROLE_TYPE,
  type UviUnit,
  uviRecipients,
} from '../../domain/uvi-recipients.js';
import type { Database } from '../schema.js';

/**
 * Reads for spec 10.3 (the rule: src/domain/uvi-recipients.ts). Units come in keyset pages,
 * ordered by (billing unit, residential unit) compared by code point (COLLATE "C"), each page one
 * short statement: nothing is held between pages (no transaction, no server-side cursor), so a
 * long export never blocks the embedded database's other users, and memory holds one page.
 */

/** Units per statement when the CLI streams every unit. */
export const UVI_STREAM_PAGE_SIZE = 5000;

export interface UviPageRequest {
  month: Month;
  billingUnit?: string | undefined;
  /** The position of the last unit of the previous page. */
  after?: UnitPosition | undefined;
  limit: number;
}

/** The answer of `GET /msc/v1/uvi-recipients` (10.3), as the route sends it. */
export interface UviRecipientsPage {
  month: string;
  units: UviUnit[];
  /** The cursor of the last unit returned; null exactly when no unit follows. */
  next: string | null;
}

interface UnitRow {
  billing_unit: string;
  residential_unit: string;
  roles: StoredUviRole[];
}

/**
 * Up to `count` units after `after` that have a candidate role, with those roles and their
 * partners. The SQL only narrows the search to S-COR roles overlapping the month (the same test
 * as `overlapsMonth`, so that a page is full); which of them are recipients, and how, is decided
 * by `uviRecipients`.
 *
 * The units are ordered in a subquery and only then joined to their roles, so the roles are read
 * for the units of this page only (the outer ORDER BY reuses the subquery's order). Without an
 * index on (billing_unit COLLATE "C", mscnumber COLLATE "C") every page sorts the units after the
 * cursor (about 0.5 s at a million units); with one, a page reads just its own units.
 */
async function unitRows(
  db: Kysely<Database>,
  { month, billingUnit, after }: Omit<UviPageRequest, 'limit'>,
  count: number,
): Promise<UnitRow[]> {
  const { rows } = await sql<UnitRow>`
    SELECT ru.billing_unit, ru.residential_unit, found.roles
    FROM (
      SELECT id, billing_unit COLLATE "C" AS billing_unit, mscnumber COLLATE "C" AS residential_unit
      FROM residential_units
      WHERE true
        ${billingUnit === undefined ? sql`` : sql`AND billing_unit = ${billingUnit}`}
        ${
          after === undefined
            ? sql``
            : sql`AND (billing_unit COLLATE "C", mscnumber COLLATE "C") > (${after.billingUnit}, ${after.residentialUnit})`
        }
      ORDER BY 2, 3
    ) ru
    CROSS JOIN LATERAL (
      SELECT json_agg(json_build_object(
               'role', r.role, 'from', r.from_date, 'to', r.to_date, 'pmnumber', r.partner_pmnumber,
               'partner', CASE WHEN p.pmnumber IS NULL THEN NULL
                               ELSE json_build_object('name', p.name, 'firstname', p.firstname,
                                                      'additionalname', p.additionalname,
                                                      'commercial', p.commercial) END)) AS roles
      FROM roles r
      LEFT JOIN partners p ON p.residential_unit = r.residential_unit AND p.pmnumber = r.partner_pmnumber
      WHERE r.residential_unit = ru.id AND r.role = ${UVI_ROLE_TYPE}
        AND r.from_date <= ${month.last} AND (r.to_date IS NULL OR r.to_date >= ${month.first})
    ) found
    WHERE found.roles IS NOT NULL
    ORDER BY ru.billing_unit, ru.residential_unit
    LIMIT ${count}
  `.execute(db);
  return rows;
}

const positionOf = (row: UnitRow): UnitPosition => ({
  billingUnit: row.billing_unit,
  residentialUnit: row.residential_unit,
});

function toUnits(month: Month, rows: readonly UnitRow[]): UviUnit[] {
  return rows.flatMap((row) => {
    const recipients = uviRecipients(month, row.roles);
    return recipients.length === 0 ? [] : [{ ...positionOf(row), recipients }];
  });
}

/** One page for the HTTP route: `limit` units after `after`, and whether (and where) more follow. */
export async function uviRecipientsPage(db: Kysely<Database>, request: UviPageRequest): Promise<UviRecipientsPage> {
  const rows = await unitRows(db, request, request.limit + 1); // one more: does a unit follow?
  const page = rows.slice(0, request.limit);
  const last = page.at(-1);
  return {
    month: request.month.month,
    units: toUnits(request.month, page),
    next: rows.length > request.limit && last ? encodeUnitCursor(positionOf(last)) : null,
  };
}

/** Every unit of the month in order, one page of units at a time (for streaming them out). */
export async function* uviRecipientPages(
  db: Kysely<Database>,
  request: Omit<UviPageRequest, 'limit' | 'after'>,
  pageSize = UVI_STREAM_PAGE_SIZE,
): AsyncGenerator<UviUnit[]> {
  let after: UnitPosition | undefined;
  for (;;) {
    const rows = await unitRows(db, { ...request, after }, pageSize);
    const last = rows.at(-1);
    if (!last) return;
    yield toUnits(request.month, rows);
    if (rows.length < pageSize) return;
    after = positionOf(last);
  }
}
