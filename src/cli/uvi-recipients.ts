import { type Command, Option } from '@commander-js/extra-typings';
import { uviRecipientPages } from '../db/repositories/uvi-recipients.js';
import { type Month, parseMonth, type UviUnit } from '../domain/uvi-recipients.js';
import { BILLING_UNIT, expect, UsageError } from './args.js';
import { withDatabase } from './runtime.js';

/**
 * `osr uvi-recipients` (spec 10.3): every unit's UVI recipients of a month on stdout, in the
 * spec's order, streamed: one page of units is read, written and awaited (backpressure) before
 * the next is read, so memory does not grow with the number of units.
 */

const FORMATS = ['csv', 'json'] as const;

/** The CSV columns, one line per recipient (README "Getting the data out"). */
export const CSV_COLUMNS = [
  'billingunit',
  'residentialunit',
  'from',
  'to',
  'days',
  'full_month',
  'pmnumber',
  'name',
  'firstname',
  'additionalname',
  'commercial',
] as const;

/**
 * RFC 4180 quoting: a field with a comma, quote, CR or LF is quoted (quotes doubled). A value
 * without a value (null) is an empty field; an empty string is `""`, so the two stay apart.
 */
export function csvField(value: string | number | boolean | null): string {
  if (value === null) return '';
  const text = String(value);
  return text === '' || /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvLines(units: readonly UviUnit[]): string {
  let text = '';
  for (const unit of units) {
    for (const { partner, from, to, days, fullMonth } of unit.recipients) {
      const fields = [
        unit.billingUnit,
        unit.residentialUnit,
        from,
        to,
        days,
        fullMonth,
        partner.pmnumber,
        partner.name,
        partner.firstname,
        partner.additionalname,
        partner.commercial,
      ];
      text += `${fields.map(csvField).join(',')}\n`;
    }
  }
  return text;
}

/**
 * One JSON document, `{ "month", "units": [ … ] }` with the units as in the HTTP answer, written
 * piece by piece: the opening, each page's units (one a line), the closing.
 */
function jsonWriter(month: Month) {
  let first = true;
  return {
    start: () => `{"month":${JSON.stringify(month.month)},"units":[`,
    units(units: readonly UviUnit[]): string {
      let text = '';
      for (const unit of units) {
        text += `${first ? '\n' : ',\n'}${JSON.stringify(unit)}`;
        first = false;
      }
      return text;
    },
    end: () => `${first ? '' : '\n'}]}\n`,
  };
}

/** stdout with backpressure: a write that fills the buffer waits for it to drain. */
function sink(out: NodeJS.WriteStream) {
  let failure: Error | undefined;
  const onError = (error: Error) => {
    failure ??= error;
  };
  out.on('error', onError);
  const closedEarly = () => new Error(`stdout was closed before every unit was written (${failure?.message})`);
  return {
    async write(text: string): Promise<void> {
      if (failure) throw closedEarly();
      if (text === '' || out.write(text)) return;
      await new Promise<void>((resolve, reject) => {
        const done = (error?: Error) => {
          out.off('drain', drained);
          out.off('error', done);
          out.off('close', closed);
          if (error) reject(closedEarly());
          else resolve();
        };
        const drained = () => done();
        const closed = () => {
          failure ??= new Error('closed by the reader');
          done(failure);
        };
        out.on('drain', drained);
        out.on('error', done);
        out.on('close', closed);
      });
    },
    release: () => out.off('error', onError),
  };
}

interface Options {
  month: string;
  billingUnit?: string;
  format: (typeof FORMATS)[number];
}

async function uviRecipients(options: Options): Promise<void> {
  const month = parseMonth(options.month);
  if (!month) throw new UsageError(`invalid --month "${options.month}" (a month YYYY-MM, e.g. 2024-02)`);
  const billingUnit = options.billingUnit === undefined ? undefined : expect(options.billingUnit, BILLING_UNIT);
  const { format } = options;

  const out = sink(process.stdout);
  try {
    await withDatabase(async ({ db }) => {
      const json = jsonWriter(month);
      await out.write(format === 'csv' ? `${CSV_COLUMNS.join(',')}\n` : json.start());
      for await (const units of uviRecipientPages(db, { month, billingUnit })) {
        await out.write(format === 'csv' ? csvLines(units) : json.units(units));
      }
      if (format === 'json') await out.write(json.end());
    });
  } finally {
    out.release();
  }
}

export function addUviRecipientsCommand(program: Command): void {
  program
    .command('uvi-recipients')
    .description(
      'who gets the monthly consumption information (UVI): the S-COR roles of every unit in the month, ordered by billing unit, then residential unit; streamed to stdout',
    )
    .requiredOption('--month <month>', 'the month, YYYY-MM (e.g. 2024-02)')
    .option('--billing-unit <billingunit>', `only this billing unit (${BILLING_UNIT.rule})`)
    .addOption(
      new Option(
        '--format <format>',
        'csv (a header line, then one line per recipient) or json (one document { "month", "units" })',
      )
        .choices(FORMATS)
        .default('csv' as const),
    )
    .action((options) => uviRecipients(options));
}
