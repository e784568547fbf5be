import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { type Command, Option } from '@commander-js/extra-typings';
import { z } from 'zod';
import { loadConfig, profileOf } from '../config.js';
import { ConflictError } from '../db/repositories/admin.js';
import { type ImportData, type ImportReport, importMasterData } from '../db/repositories/bulk-import.js';
import { calendarDate } from '../domain/delivery-schema.js';
import { defaultContracts } from '../domain/profiles.js';
import { isKnownRoleType, KNOWN_ROLE_TYPES } from '../domain/role-types.js';
import { BILLING_UNIT, CLIENT_ID, type Format, KNOWN_ROLE_TYPES_TEXT, RESIDENTIAL_UNIT, UsageError } from './args.js';
import { withDatabase } from './runtime.js';

/**
 * `osr import <file>`: bulk upsert of clients, billing units and residential units from JSON or
 * CSV (formats in the README), in one transaction; any conflict aborts the whole import.
 */

const formatted = (format: Format) => z.string().regex(format.pattern, `invalid ${format.what} (${format.rule})`);
// missing: the profile's default contracts (spec 8.1), given to the parser by the command
const contractsSchema = z
  .array(z.enum(KNOWN_ROLE_TYPES, { error: `unknown contract role type (known: ${KNOWN_ROLE_TYPES_TEXT})` }))
  .optional();
const jsonSchema = z.object({
  clients: z.array(
    z.object({
      id: formatted(CLIENT_ID),
      name: z.string().min(1).max(200).optional(),
      billingUnits: z
        .array(
          z.object({
            mscnumber: formatted(BILLING_UNIT),
            contracts: contractsSchema,
            // spec 8.5: a day (forward only), or empty / null for "leave it"
            closedUntil: z
              .union([calendarDate, z.literal(''), z.null()], { error: 'closedUntil is a date YYYY-MM-DD or empty' })
              .optional(),
            residentialUnits: z.array(formatted(RESIDENTIAL_UNIT)).default([]),
          }),
        )
        .default([]),
    }),
  ),
});

export const CSV_HEADER = ['client', 'client_name', 'billingunit', 'contracts', 'residentialunit'];
/** The header with the optional last column (spec 8.5): closed-until per billing unit, or empty. */
export const CSV_HEADER_WITH_CLOSED_UNTIL = [...CSV_HEADER, 'closed_until'];

class Collector {
  readonly data: ImportData = { clients: new Map(), billingUnits: new Map(), residentialUnits: [] };
  private readonly seenUnits = new Set<string>();

  client(id: string, name: string | undefined, where: string) {
    const existing = this.data.clients.get(id);
    if (existing && name !== undefined && existing.name !== undefined && existing.name !== name) {
      throw new UsageError(`${where}: client ${id} appears with two names`);
    }
    this.data.clients.set(id, { name: name ?? existing?.name });
  }

  billingUnit(
    mscnumber: string,
    clientId: string,
    contracts: string[],
    closedUntil: string | undefined,
    where: string,
  ) {
    const existing = this.data.billingUnits.get(mscnumber);
    if (
      existing &&
      (existing.clientId !== clientId ||
        existing.contracts.join(',') !== contracts.join(',') ||
        (closedUntil !== undefined && existing.closedUntil !== undefined && existing.closedUntil !== closedUntil))
    ) {
      throw new UsageError(
        `${where}: billing unit ${mscnumber} appears with another client, other contracts or another closed-until`,
      );
    }
    this.data.billingUnits.set(mscnumber, { clientId, contracts, closedUntil: closedUntil ?? existing?.closedUntil });
  }

  residentialUnit(billingUnit: string, mscnumber: string) {
    const key = `${billingUnit}/${mscnumber}`;
    if (this.seenUnits.has(key)) return;
    this.seenUnits.add(key);
    this.data.residentialUnits.push({ billingUnit, mscnumber });
  }
}

/** `defaults`: the contracts of a billing unit without `contracts` (`defaultContracts` of the profile). */
export function parseJsonImport(text: string, defaults: readonly string[]): ImportData {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UsageError('the file is not valid JSON');
  }
  const parsed = jsonSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UsageError(`invalid import at /${issue?.path.join('/')}: ${issue?.message}`);
  }
  const collect = new Collector();
  for (const client of parsed.data.clients) {
    collect.client(client.id, client.name, `client ${client.id}`);
    for (const unit of client.billingUnits) {
      const contracts = [...new Set(unit.contracts ?? defaults)].sort();
      const closedUntil = unit.closedUntil === '' || unit.closedUntil == null ? undefined : unit.closedUntil;
      collect.billingUnit(unit.mscnumber, client.id, contracts, closedUntil, `billing unit ${unit.mscnumber}`);
      for (const ru of unit.residentialUnits) collect.residentialUnit(unit.mscnumber, ru);
    }
  }
  return collect.data;
}

/** RFC 4180 fields: commas, quotes ("" escapes a quote) and no line breaks inside fields. */
export function parseCsvLine(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const char = line[i];
    if (quoted) {
      if (char === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"' && field === '') quoted = true;
    else if (char === ',') {
      fields.push(field);
      field = '';
    } else field += char;
  }
  if (quoted) throw new UsageError('unterminated quoted field');
  fields.push(field);
  return fields;
}

/** `defaults`: the contracts of a row with an empty `contracts` cell. */
export function parseCsvImport(text: string, defaults: readonly string[]): ImportData {
  const lines = text.split(/\r?\n/);
  const header = parseCsvLine(lines[0]?.replace(/^\uFEFF/, '') ?? '').join(',');
  const columns = [CSV_HEADER, CSV_HEADER_WITH_CLOSED_UNTIL].find((known) => known.join(',') === header);
  if (!columns) {
    throw new UsageError(`line 1: the header must be ${CSV_HEADER.join(',')} (optionally followed by ,closed_until)`);
  }
  const collect = new Collector();
  lines.slice(1).forEach((line, index) => {
    if (line.trim() === '') return;
    const where = `line ${index + 2}`;
    let cells: string[];
    try {
      cells = parseCsvLine(line).map((cell) => cell.trim());
    } catch (error) {
      throw new UsageError(`${where}: ${(error as Error).message}`);
    }
    if (cells.length !== columns.length) throw new UsageError(`${where}: expected ${columns.length} fields`);
    const [client, clientName, billingUnit, contractsCell, residentialUnit, closedUntilCell = ''] = cells as [
      string,
      string,
      string,
      string,
      string,
      string?,
    ];
    if (closedUntilCell !== '' && !calendarDate.safeParse(closedUntilCell).success) {
      throw new UsageError(
        `${where}: invalid closed_until "${closedUntilCell}" (a calendar date YYYY-MM-DD, or empty)`,
      );
    }
    if (!CLIENT_ID.pattern.test(client)) {
      throw new UsageError(`${where}: invalid client id "${client}" (${CLIENT_ID.rule})`);
    }
    collect.client(client, clientName === '' ? undefined : clientName, where);
    if (billingUnit === '') return;
    if (!BILLING_UNIT.pattern.test(billingUnit)) {
      throw new UsageError(`${where}: invalid billing unit "${billingUnit}" (${BILLING_UNIT.rule})`);
    }
    const contracts =
      contractsCell === ''
        ? [...defaults].sort()
        : contractsCell === 'none'
          ? []
          : [...new Set(contractsCell.split(/[;|]/).map((c) => c.trim()))].sort();
    for (const role of contracts) {
      if (!isKnownRoleType(role)) {
        throw new UsageError(
          `${where}: invalid contract role type "${role}" (known role types: ${KNOWN_ROLE_TYPES_TEXT}, separated by ";"; or none)`,
        );
      }
    }
    collect.billingUnit(billingUnit, client, contracts, closedUntilCell === '' ? undefined : closedUntilCell, where);
    if (residentialUnit === '') return;
    if (!RESIDENTIAL_UNIT.pattern.test(residentialUnit)) {
      throw new UsageError(`${where}: invalid residential unit "${residentialUnit}" (${RESIDENTIAL_UNIT.rule})`);
    }
    collect.residentialUnit(billingUnit, residentialUnit);
  });
  return collect.data;
}

/**
 * One line per kind. An aborted import created nothing: its lines say what it would have created
 * (never "created"), next to the conflicts that stopped it.
 */
function formatReport(report: ImportReport, aborted: boolean): string {
  const created = aborted ? 'would create' : 'created';
  const row = (label: string, c: ImportReport['clients']) =>
    `${label.padEnd(19)} ${created} ${c.created}, unchanged ${c.unchanged}, conflicting ${c.conflicting}`;
  const moved = report.billingUnits.closedUntilMoved;
  return [
    row('clients:', report.clients),
    row('billing units:', report.billingUnits),
    row('residential units:', report.residentialUnits),
    ...(moved > 0
      ? [`closed-until:       ${aborted ? 'would move' : 'moved'} forward for ${moved} billing unit(s)`]
      : []),
  ].join('\n');
}

async function importCommand(file: string, values: { format?: 'json' | 'csv' }) {
  const format = values.format ?? extname(file).slice(1).toLowerCase();
  if (format !== 'json' && format !== 'csv')
    throw new UsageError('the file must be .json or .csv (or give --format json|csv)');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  // spec 8.1: billing units created without contracts get every role type of the profile
  const defaults = defaultContracts(profileOf(loadConfig()));
  const data = format === 'json' ? parseJsonImport(text, defaults) : parseCsvImport(text, defaults);
  const progress = process.stderr.isTTY
    ? (done: number, total: number) => process.stderr.write(`\rresidential units ${done}/${total}`)
    : undefined;
  const report = await withDatabase(({ db }) => importMasterData(db, data, progress));
  if (progress) process.stderr.write('\n');
  const aborted = report.conflicts.length > 0;
  process.stdout.write(`${formatReport(report, aborted)}\n`);
  if (aborted) {
    const shown = report.conflicts.slice(0, 20);
    process.stdout.write(`${shown.map((line) => `conflict: ${line}`).join('\n')}\n`);
    if (report.conflicts.length > shown.length)
      process.stdout.write(`… and ${report.conflicts.length - shown.length} more\n`);
    throw new ConflictError(`import aborted: ${report.conflicts.length} conflicting row(s); nothing was imported`);
  }
}

export function addImportCommand(program: Command): void {
  program
    .command('import')
    .description(
      'bulk upsert of master data (clients, billing units, residential units) in one transaction: creates what is missing, leaves identical rows alone; any conflict aborts the whole import; a billing unit without contracts gets every role type the profile (OSR_PROFILE) processes (formats in the README)',
    )
    .argument('<file>', 'a .json or .csv file')
    .addOption(
      new Option('--format <format>', 'the file format (default: from the file name)').choices([
        'json',
        'csv',
      ] as const),
    )
    .action((file, options) => importCommand(file, options));
}
