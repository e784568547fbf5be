import type { Command } from '@commander-js/extra-typings';
import { deleteExpiredIdempotencyKeys } from '../db/repositories/idempotency-keys.js';
import { deleteExpiredLoginFailures } from '../db/repositories/login-failures.js';
import { purgeDeliveries, purgePartnerData, recentDeliveries, unitHistory } from '../db/repositories/operator.js';
import type { PartnerMessage, PlainMessage, RoleMessage } from '../domain/response-schema.js';
import { BILLING_UNIT, expect, parsePositiveWholeNumber, RESIDENTIAL_UNIT, UsageError } from './args.js';
import { withDatabase } from './runtime.js';
import { renderTable } from './table.js';

/** Support questions: "what happened to this unit?" and "why did my delivery fail?". */

type Stored = Record<string, unknown> | null;

/** One line per stored role or partner version, readable at a glance. */
function describe(entity: string, value: Stored): string {
  if (value == null) return '';
  if (entity === 'role') return `${value.role} ${value.from}…${value.to ?? 'open'} partner ${value.pmnumber}`;
  const name = [value.name, value.firstname].filter(Boolean).join(', ');
  return `partner ${value.pmnumber}${name ? ` (${name})` : ''}`;
}

async function history(billingUnitNumber: string, residentialUnitNumber: string, values: { json?: true }) {
  const billingUnit = expect(billingUnitNumber, BILLING_UNIT);
  const residentialUnit = expect(residentialUnitNumber, RESIDENTIAL_UNIT);
  const entries = await withDatabase(({ db }) => unitHistory(db, billingUnit, residentialUnit));
  if (!entries) throw new UsageError(`unknown residential unit ${residentialUnit} in billing unit ${billingUnit}`);
  if (values.json) {
    process.stdout.write(`${JSON.stringify(entries, null, 2)}\n`);
    return;
  }
  process.stdout.write(
    renderTable(
      ['changed at', 'delivery', 'credential', 'entity', 'change', 'before', 'after'],
      entries.map((e) => [
        e.changed_at.toISOString(),
        e.delivery_id,
        e.credential,
        e.entity,
        e.change,
        describe(e.entity, e.before as Stored),
        describe(e.entity, e.after as Stored),
      ]),
    ),
  );
}

const DURATION = /^(\d+)([mhd])$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `--since` takes an ISO date/time or a duration back from now (30m, 24h, 7d). */
export function parseSince(text: string, now = Date.now()): Date {
  const duration = DURATION.exec(text);
  if (duration) return new Date(now - Number(duration[1]) * UNIT_MS[duration[2] as keyof typeof UNIT_MS]);
  const date = new Date(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(date.getTime())) {
    throw new UsageError(`invalid --since "${text}" (an ISO date/time, or 30m, 24h, 7d)`);
  }
  return date;
}

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 10_000;

async function deliveries(values: { status?: string; since?: string; limit?: string; json?: true }) {
  const status = values.status?.toUpperCase();
  if (status !== undefined && !['PENDING', 'SUCCESS', 'FAIL'].includes(status)) {
    throw new UsageError(`invalid --status "${values.status}" (PENDING, SUCCESS or FAIL)`);
  }
  const since = values.since === undefined ? undefined : parseSince(values.since);
  const limit =
    values.limit === undefined ? DEFAULT_LIMIT : parsePositiveWholeNumber(values.limit, '--limit', MAX_LIMIT);
  const rows = await withDatabase(({ db }) => recentDeliveries(db, { status, since, limit }));
  if (values.json) {
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return;
  }
  process.stdout.write(
    renderTable(
      ['received at', 'delivery', 'status', 'client', 'credential', 'unit', 'messages'],
      rows.map((row) => [
        row.received_at.toISOString(),
        row.id,
        row.status,
        row.client_id,
        row.credential,
        `${row.billing_unit}/${row.residential_unit}`,
        summarise(
          row.messages as PlainMessage[] | null,
          row.role_messages as RoleMessage[] | null,
          row.partner_messages as PartnerMessage[] | null,
        ),
      ]),
    ),
  );
}

function summarise(messages: PlainMessage[] | null, roles: RoleMessage[] | null, partners: PartnerMessage[] | null) {
  return [
    ...(messages ?? []).map((m) => `${m.key}: ${m.message}`),
    ...(roles ?? []).map((m) => `${m.key} [${m.role} ${m.from ?? '-'} ${m.partner.pmnumber ?? '-'}]: ${m.message}`),
    ...(partners ?? []).map((m) => `${m.key} [partner ${m.partner.pmnumber ?? '-'}]: ${m.message}`),
  ].join(' | ');
}

const RETENTION_DAYS_RULE = 'a whole number of days, 0 to 36500';

async function purge(olderThan: string) {
  const days = Number(olderThan);
  if (!/^\d+$/.test(olderThan) || days > 36_500) {
    throw new UsageError(`invalid --older-than "${olderThan}" (${RETENTION_DAYS_RULE})`);
  }
  const { purged, partnerData, expiredKeys, expiredLoginFailures } = await withDatabase(async ({ db }) => ({
    purged: await purgeDeliveries(db, days),
    // Spec 10.4: names, e-mail, phone and tax number out of old history and change-feed entries.
    partnerData: await purgePartnerData(db, days),
    // Past their retention (OSR_IDEMPOTENCY_RETENTION_HOURS) the keys already count as absent (spec 9.2).
    expiredKeys: await deleteExpiredIdempotencyKeys(db),
    // Failed logins past their window (spec 7); later failures delete them as well, a few at a time.
    expiredLoginFailures: await deleteExpiredLoginFailures(db),
  }));
  process.stdout.write(`purged personal data from ${purged} processed deliveries older than ${days} days\n`);
  process.stdout.write(
    `purged partner data from ${partnerData.history} change-history entries and ${partnerData.feed} change-feed ` +
      `entries applied more than ${days} days ago (current roles and partners kept)\n`,
  );
  process.stdout.write(`deleted ${expiredKeys} expired idempotency keys\n`);
  process.stdout.write(`deleted ${expiredLoginFailures} expired failed-login counts\n`);
}

export function addSupportCommands(program: Command): void {
  program
    .command('history')
    .description("the unit's append-only change history: when, which delivery, which credential, before → after")
    .argument('<billingunit>', BILLING_UNIT.rule)
    .argument('<residentialunit>', RESIDENTIAL_UNIT.rule)
    .option('--json', 'as JSON')
    .action((billingUnit, residentialUnit, options) => history(billingUnit, residentialUnit, options));

  program
    .command('deliveries')
    .description('recent deliveries with their messages ("why did my delivery fail?"), newest first')
    .option('--status <status>', 'only PENDING, SUCCESS or FAIL')
    .option('--since <when>', 'received since an ISO date/time, or 30m, 24h, 7d ago')
    .option(
      '--limit <n>',
      `at most n deliveries, a positive whole number up to ${MAX_LIMIT} (default ${DEFAULT_LIMIT})`,
    )
    .option('--json', 'as JSON')
    .action((options) => deliveries(options));

  program
    .command('purge')
    .description(
      'retention: removes personal fields from processed deliveries, change history and change-feed entries older than that, and deletes expired idempotency keys',
    )
    .requiredOption('--older-than <days>', RETENTION_DAYS_RULE)
    .action((options) => purge(options.olderThan));
}
