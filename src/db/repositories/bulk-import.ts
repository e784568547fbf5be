import { type Kysely, sql, type Transaction } from 'kysely';
import { closedUntilChange } from '../../domain/closed-until.js';
import type { Database } from '../schema.js';

/** Master data to upsert in one transaction (`osr import`). */
export interface ImportData {
  clients: Map<string, { name: string | undefined }>;
  /** `closedUntil`: move the billing unit's closed-until to this day (forward only); undefined: leave it. */
  billingUnits: Map<string, { clientId: string; contracts: string[]; closedUntil?: string | undefined }>;
  residentialUnits: { billingUnit: string; mscnumber: string }[];
}

export interface Counts {
  created: number;
  unchanged: number;
  conflicting: number;
}

export interface ImportReport {
  clients: Counts;
  /** `closedUntilMoved`: stored billing units whose closed-until the import moved forward. */
  billingUnits: Counts & { closedUntilMoved: number };
  residentialUnits: Counts;
  conflicts: string[];
}

const BATCH = 10_000;

function* batches<T>(items: T[]): Generator<T[]> {
  for (let i = 0; i < items.length; i += BATCH) yield items.slice(i, i + BATCH);
}

const sameContracts = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && [...a].sort().join(',') === [...b].sort().join(',');

/**
 * Idempotent bulk upsert. Existing identical rows count as unchanged; a row that contradicts what
 * is stored (another client's billing unit, other contracts, another client name) is a conflict,
 * and any conflict rolls the whole import back.
 */
export async function importMasterData(
  db: Kysely<Database>,
  data: ImportData,
  onProgress: (done: number, total: number) => void = () => {},
): Promise<ImportReport> {
  class Rollback extends Error {
    constructor(readonly report: ImportReport) {
      super('import has conflicts');
    }
  }
  let report: ImportReport;
  try {
    report = await db.transaction().execute(async (trx) => {
      const report = await upsertAll(trx, data, onProgress);
      if (report.conflicts.length > 0) throw new Rollback(report);
      return report;
    });
  } catch (error) {
    if (error instanceof Rollback) return error.report;
    throw error;
  }
  if (report.clients.created + report.billingUnits.created + report.residentialUnits.created > 0) {
    await analyzeMasterData(db);
  }
  return report;
}

/**
 * Fresh statistics for the master data an import has just filled: without them PostgreSQL plans
 * the first statements for empty tables (the worker's claim then walked every unit of a billing
 * unit per lookup, measured in the benchmark), until autovacuum gets round to it (or never, where
 * it is off). Only an optimisation: the import has committed, so a failure here loses nothing.
 */
async function analyzeMasterData(db: Kysely<Database>): Promise<void> {
  await sql`ANALYZE clients, billing_units, residential_units`.execute(db).catch(() => undefined);
}

async function upsertAll(
  trx: Transaction<Database>,
  data: ImportData,
  onProgress: (done: number, total: number) => void,
): Promise<ImportReport> {
  const conflicts: string[] = [];
  const counts = (): Counts => ({ created: 0, unchanged: 0, conflicting: 0 });
  const report: ImportReport = {
    clients: counts(),
    billingUnits: { ...counts(), closedUntilMoved: 0 },
    residentialUnits: counts(),
    conflicts,
  };

  // Clients
  const clientIds = [...data.clients.keys()];
  for (const ids of batches(clientIds)) {
    const names = ids.map((id) => data.clients.get(id)?.name ?? null);
    const created = await sql<{ id: string }>`
      INSERT INTO clients (id, name) SELECT * FROM unnest(${ids}::text[], ${names}::text[])
      ON CONFLICT (id) DO NOTHING RETURNING id`.execute(trx);
    report.clients.created += created.rows.length;
    const fresh = new Set(created.rows.map((row) => row.id));
    const known = ids.filter((id) => !fresh.has(id));
    const existing =
      known.length === 0
        ? []
        : await trx.selectFrom('clients').select(['id', 'name']).where('id', 'in', known).execute();
    for (const row of existing) {
      const wanted = data.clients.get(row.id)?.name;
      if (wanted !== undefined && wanted !== row.name) {
        report.clients.conflicting += 1;
        conflicts.push(`client ${row.id}: stored name "${row.name ?? ''}" differs from "${wanted}"`);
      } else {
        report.clients.unchanged += 1;
      }
    }
  }

  // Billing units (their client must be in the import or already stored)
  const owners = [...new Set([...data.billingUnits.values()].map((unit) => unit.clientId))];
  const storedClients = new Set(
    owners.length === 0
      ? []
      : (await trx.selectFrom('clients').select('id').where('id', 'in', owners).execute()).map((row) => row.id),
  );
  const billingUnits = [...data.billingUnits.entries()].filter(([mscnumber, unit]) => {
    if (storedClients.has(unit.clientId)) return true;
    report.billingUnits.conflicting += 1;
    conflicts.push(`billing unit ${mscnumber}: unknown client ${unit.clientId}`);
    return false;
  });
  for (const batch of batches(billingUnits)) {
    const numbers = batch.map(([mscnumber]) => mscnumber);
    const created = await sql<{ mscnumber: string }>`
      INSERT INTO billing_units (mscnumber, client_id, contracts, closed_until)
      SELECT m, c, CASE WHEN k = '' THEN '{}'::text[] ELSE string_to_array(k, ',') END, u
      FROM unnest(${numbers}::text[], ${batch.map(([, unit]) => unit.clientId)}::text[],
                  ${batch.map(([, unit]) => unit.contracts.join(','))}::text[],
                  ${batch.map(([, unit]) => unit.closedUntil ?? null)}::date[]) AS t(m, c, k, u)
      ON CONFLICT (mscnumber) DO NOTHING RETURNING mscnumber`.execute(trx);
    report.billingUnits.created += created.rows.length;
    const fresh = new Set(created.rows.map((row) => row.mscnumber));
    const known = numbers.filter((n) => !fresh.has(n));
    const existing =
      known.length === 0
        ? []
        : await trx
            .selectFrom('billing_units')
            .select(['mscnumber', 'client_id', 'contracts', 'closed_until'])
            .where('mscnumber', 'in', known)
            .execute();
    for (const row of existing) {
      const wanted = data.billingUnits.get(row.mscnumber);
      if (!wanted) continue;
      if (wanted.clientId !== row.client_id) {
        report.billingUnits.conflicting += 1;
        conflicts.push(`billing unit ${row.mscnumber}: belongs to another client`);
      } else if (!sameContracts(wanted.contracts, row.contracts)) {
        report.billingUnits.conflicting += 1;
        conflicts.push(
          `billing unit ${row.mscnumber}: stored contracts ${row.contracts.join(',') || 'none'} differ from ${wanted.contracts.join(',') || 'none'}`,
        );
      } else {
        const change =
          wanted.closedUntil === undefined ? 'unchanged' : closedUntilChange(row.closed_until, wanted.closedUntil);
        if (change === 'refused') {
          report.billingUnits.conflicting += 1;
          conflicts.push(
            `billing unit ${row.mscnumber}: closed until ${row.closed_until}, later than ${wanted.closedUntil} (closed-until only moves forward)`,
          );
          continue;
        }
        if (change === 'set') {
          await trx
            .updateTable('billing_units')
            .set({ closed_until: wanted.closedUntil as string })
            .where('mscnumber', '=', row.mscnumber)
            .execute();
          report.billingUnits.closedUntilMoved += 1;
        }
        report.billingUnits.unchanged += 1;
      }
    }
  }

  // Residential units (their billing unit must be in the import or already stored)
  const importedBillingUnits = new Set(billingUnits.map(([mscnumber]) => mscnumber));
  const referenced = [...new Set(data.residentialUnits.map((unit) => unit.billingUnit))].filter(
    (mscnumber) => !importedBillingUnits.has(mscnumber),
  );
  const storedBillingUnits = new Set(
    referenced.length === 0
      ? []
      : (await trx.selectFrom('billing_units').select('mscnumber').where('mscnumber', 'in', referenced).execute()).map(
          (row) => row.mscnumber,
        ),
  );
  const units = data.residentialUnits.filter((unit) => {
    if (importedBillingUnits.has(unit.billingUnit) || storedBillingUnits.has(unit.billingUnit)) return true;
    report.residentialUnits.conflicting += 1;
    conflicts.push(`residential unit ${unit.billingUnit}/${unit.mscnumber}: unknown billing unit`);
    return false;
  });
  let done = 0;
  for (const batch of batches(units)) {
    const created = await sql`
      INSERT INTO residential_units (billing_unit, mscnumber)
      SELECT * FROM unnest(${batch.map((unit) => unit.billingUnit)}::text[], ${batch.map((unit) => unit.mscnumber)}::text[])
      ON CONFLICT (billing_unit, mscnumber) DO NOTHING RETURNING id`.execute(trx);
    report.residentialUnits.created += created.rows.length;
    report.residentialUnits.unchanged += batch.length - created.rows.length;
    done += batch.length;
    onProgress(done, units.length);
  }
  return report;
}
