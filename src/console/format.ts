import type { DeliverySummary } from '../db/repositories/console.js';

/** How the console's pages write things: plain functions the templates call (src/console/templates/). */

/** A time in UTC to the second: "2026-11-30 10:00:00 UTC"; '' for none. */
export const formatTime = (time: Date | null | undefined): string =>
  time ? `${time.toISOString().slice(0, 19).replace('T', ' ')} UTC` : '';

/** Today in UTC, YYYY-MM-DD. */
export const todayUtc = (now = new Date()): string => now.toISOString().slice(0, 10);

interface PartnerNameFields {
  name: string | null;
  firstname?: string | null;
  additionalname?: string | null;
}

/** "Mustermann, Max" (name, then first name and additional name); '' when neither is known. */
export function partnerName(partner: PartnerNameFields): string {
  const given = [partner.firstname, partner.additionalname].filter(Boolean).join(' ');
  return [partner.name, given].filter(Boolean).join(', ');
}

type Stored = Record<string, unknown> | null | undefined;

/** One change-history value, readable at a glance (as `osr history` shows it, with the partner's name). */
export function describeHistoryValue(entity: string, value: Stored): string {
  if (value == null) return '';
  if (entity === 'role') {
    const to = value.to == null || value.to === '9999-12-31' ? 'open' : String(value.to);
    return `${value.role} ${value.from} – ${to}, partner ${value.pmnumber}`;
  }
  const name = partnerName({
    name: (value.name as string | null) ?? null,
    firstname: (value.firstname as string | null) ?? null,
    additionalname: (value.additionalname as string | null) ?? null,
  });
  return `partner ${value.pmnumber}${name ? ` (${name})` : ''}`;
}

export interface MessageRow {
  /** Which list of the result: the delivery's own messages, a role's, a partner's. */
  level: 'delivery' | 'role' | 'partner';
  /** What the message is about: the role (type, from, partner) or the partner; '' for the delivery. */
  subject: string;
  key: string;
  message: string;
}

/** Every message of a delivery's result, in the order E3 lists them (messages, role, partner messages). */
export function messageRows(delivery: Pick<DeliverySummary, 'messages' | 'roleMessages' | 'partnerMessages'>) {
  const rows: MessageRow[] = [];
  for (const m of delivery.messages ?? []) {
    rows.push({ level: 'delivery', subject: m.path ? `at ${m.path}` : '', key: m.key, message: m.message });
  }
  for (const m of delivery.roleMessages ?? []) {
    const subject = [m.role ?? '(no role)', m.from ?? '(no from)', `partner ${m.partner.pmnumber ?? '(none)'}`];
    rows.push({ level: 'role', subject: subject.join(' '), key: m.key, message: m.message });
  }
  for (const m of delivery.partnerMessages ?? []) {
    rows.push({
      level: 'partner',
      subject: `partner ${m.partner.pmnumber ?? '(none)'}`,
      key: m.key,
      message: m.message,
    });
  }
  return rows;
}

/** A delivery body as indented JSON for reading. */
export const prettyJson = (value: unknown): string => JSON.stringify(value, null, 2);

/** A query string of the given values, leaving out the empty ones ('' for none). */
export function queryString(values: Record<string, string | undefined>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(values)) if (value) params.set(name, value);
  const text = params.toString();
  return text ? `?${text}` : '';
}
