import type { DeliveryBody } from '../../../src/domain/delivery-schema.js';
import { type ProcessingProfile, processDelivery } from '../../../src/domain/process-delivery.js';
import { applyChanges } from '../../../src/domain/role-diff.js';
import { sortTimeline, type TimelineRole } from '../../../src/domain/timeline.js';

/**
 * Random deliveries of billing-recipient changes (spec section 8, arge profile) for a few units,
 * from a seeded generator: plausible moves (a tenant leaves, the owner follows; a vacancy ends),
 * the same with the successor a little early or late (overlaps, gaps), single INSERT, UPDATE and
 * DELETE changes of existing or made-up roles, several changes in one delivery, S-COR changes in
 * between, and now and then an unsupported role type or a partner without a name. Dates come from
 * a small pool around the closed-until dates of the test, so that the boundaries are hit. Every
 * body passes E1's synchronous checks. What the ERP believes a unit holds is predicted with the
 * pure rules, only to make the next change plausible; the test's oracle is the replay.
 */

/** A generator of numbers in [0, 1), e.g. `seededRandom(seed)`. */
export type Random = () => number;

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export interface Unit {
  billingUnit: string;
  residentialUnit: string;
}

type Change = 'INSERT' | 'UPDATE' | 'DELETE';
interface SentRole {
  change: Change;
  role: string;
  from: string;
  to?: string;
  partner: { pmnumber: string };
}

const BILLING_RECIPIENTS = ['S-BIR', 'S-BVA'] as const;
const PMNUMBERS = ['P1', 'P2', 'P3', 'P4', 'P5'];
const addDays = (date: string, days: number) =>
  new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
const isBillingRecipient = (role: TimelineRole) => role.role === 'S-BIR' || role.role === 'S-BVA';

export class BillingRecipientDeliveries {
  private readonly roles = new Map<string, TimelineRole[]>();
  private readonly days: string[];

  constructor(
    private readonly random: Random,
    private readonly profile: ProcessingProfile,
    private readonly client: { id: string; contracts: readonly string[] },
    /** Dates the pool must contain with their neighbours (the closed-until dates). */
    boundaries: readonly string[],
  ) {
    const days = new Set<string>();
    for (let year = 2019; year <= 2024; year++) {
      for (let month = 1; month <= 12; month++) {
        const first = `${year}-${String(month).padStart(2, '0')}-01`;
        days.add(first).add(addDays(first, -1));
      }
    }
    for (const day of boundaries) days.add(addDays(day, -1)).add(day).add(addDays(day, 1));
    this.days = [...days].sort();
  }

  /** The next delivery for the unit, with the closed-until its billing unit has now. */
  next(unit: Unit): DeliveryBody {
    const timeline = sortTimeline((this.roles.get(key(unit)) ?? []).filter(isBillingRecipient));
    const dice = this.random();
    let roles: SentRole[];
    if (timeline.length === 1 && dice < 0.1) roles = this.earliestChange(timeline);
    else if (dice < 0.3) roles = this.plausibleMove(timeline);
    else if (dice < 0.45) roles = this.moveWithOffset(timeline);
    else if (dice < 0.75) roles = [this.singleChange(timeline)];
    else if (dice < 0.82) roles = Array.from({ length: 2 + this.int(2) }, () => this.singleChange(timeline));
    else if (dice < 0.9) roles = this.earliestChange(timeline);
    else roles = this.shuffled([this.residentChange(unit), ...(this.chance(0.5) ? [this.singleChange(timeline)] : [])]);
    const extra: unknown[] = this.chance(0.05)
      ? [{ change: 'INSERT', role: 'S-XYZ', from: this.day(), partner: { pmnumber: this.pick(PMNUMBERS) } }]
      : [];
    const referenced = [...new Set([...roles, ...(extra as SentRole[])].map((role) => role.partner.pmnumber))];
    const nameless = this.chance(0.03) ? this.pick(referenced) : undefined;
    return {
      timestamp: '2024-05-16T10:17:17Z',
      billingunit: {
        reference: { pmnumber: `BU-${unit.billingUnit}`, mscnumber: unit.billingUnit },
        residentialunit: {
          reference: { pmnumber: `RU-${unit.residentialUnit}-${this.int(3)}`, mscnumber: unit.residentialUnit },
          roles: this.shuffledSometimes([...roles, ...(extra as SentRole[])]),
          partners: referenced.map((pmnumber) => ({
            reference: { pmnumber },
            ...(pmnumber === nameless ? {} : { name: `Nachname-${pmnumber}-${this.int(3)}` }),
            firstname: `Vorname-${pmnumber}`,
            commercial: 'NON_COMMERCIAL',
          })),
        },
      },
    } as DeliveryBody;
  }

  /** The delivery was accepted: predict its outcome, so that the next ones are plausible. */
  accepted(unit: Unit, body: DeliveryBody, closedUntil: string | null): void {
    const roles = this.roles.get(key(unit)) ?? [];
    const decision = processDelivery(
      {
        clientId: this.client.id,
        billingUnitPath: unit.billingUnit,
        residentialUnitPath: unit.residentialUnit,
        body,
      },
      {
        billingUnit: { clientId: this.client.id, contracts: this.client.contracts, closedUntil },
        residentialUnit: { roles },
      },
      this.profile,
    );
    if (decision.status === 'SUCCESS') this.roles.set(key(unit), applyChanges(roles, decision.changes));
  }

  /** A tenant leaves and the owner follows the next day, or a vacancy ends; or the first recipient. */
  private plausibleMove(timeline: TimelineRole[]): SentRole[] {
    const latest = timeline.at(-1);
    const pm = this.pick(PMNUMBERS);
    if (!latest) return [{ change: 'INSERT', role: 'S-BIR', from: this.earlyDay(), partner: { pmnumber: pm } }];
    const other = latest.role === 'S-BIR' ? 'S-BVA' : 'S-BIR';
    const earliest = timeline[0] as TimelineRole;
    const before = this.days.filter((day) => day < earliest.from && day < '2021-01-01');
    if (before.length > 0 && this.chance(0.2)) {
      // history filled in: who got the bills before the earliest one (refused once closed: BR-I1)
      const from = this.pick(before);
      const to = addDays(earliest.from, -1);
      return [{ change: 'INSERT', role: this.pick(BILLING_RECIPIENTS), from, to, partner: { pmnumber: pm } }];
    }
    if (latest.to !== null) {
      // withdrawn; the only one is refused (BR-X3), as is one in a closed period (BR-X2)
      if (this.chance(0.25)) return [this.sent('DELETE', latest)];
      return [{ change: 'INSERT', role: other, from: addDays(latest.to, 1), partner: { pmnumber: pm } }];
    }
    const end = this.dayAfter(latest.from);
    return [
      this.sent('UPDATE', latest, end),
      { change: 'INSERT', role: other, from: addDays(end, 1), partner: { pmnumber: pm } },
    ];
  }

  /** As a move, with the successor up to a month early or late (8.4: overlap or gap). */
  private moveWithOffset(timeline: TimelineRole[]): SentRole[] {
    const latest = timeline.at(-1);
    if (!latest) return this.plausibleMove(timeline);
    const end = this.dayAfter(latest.from);
    const offset = this.pick([-31, -1, 0, 1, 2, 32]);
    return [
      this.sent('UPDATE', latest, end),
      {
        change: 'INSERT',
        role: latest.role === 'S-BIR' ? 'S-BVA' : 'S-BIR',
        from: addDays(end, offset),
        ...(this.chance(0.5) ? {} : { to: this.dayAfter(addDays(end, offset)) }),
        partner: { pmnumber: this.pick(PMNUMBERS) },
      },
    ];
  }

  /** One INSERT, UPDATE or DELETE: of an existing role (sometimes slightly wrong), or made up. */
  private singleChange(timeline: TimelineRole[]): SentRole {
    const change = this.pick<Change>(['INSERT', 'UPDATE', 'UPDATE', 'DELETE', 'DELETE']);
    if (change === 'INSERT' || timeline.length === 0 || this.chance(0.25)) {
      const from = this.chance(0.5) ? this.earlyDay() : this.day();
      const to = this.chance(0.5) ? undefined : this.chance(0.9) ? this.dayAfter(from) : this.day();
      return {
        change,
        role: this.pick(BILLING_RECIPIENTS),
        from,
        ...(to ? { to } : {}),
        partner: { pmnumber: this.pick(PMNUMBERS) },
      };
    }
    // a DELETE mostly withdraws the latest; anything else may name any role
    const target = change === 'DELETE' && this.chance(0.6) ? (timeline.at(-1) as TimelineRole) : this.pick(timeline);
    const named = {
      ...target,
      role: this.chance(0.1) ? (target.role === 'S-BIR' ? 'S-BVA' : 'S-BIR') : target.role,
      pmnumber: this.chance(0.1) ? this.pick(PMNUMBERS) : target.pmnumber,
    };
    if (change === 'DELETE') return this.sent('DELETE', named);
    const to = this.pick([undefined, '9999-12-31', target.to ?? undefined, this.dayAfter(target.from), this.day()]);
    return this.sent('UPDATE', named, to);
  }

  /**
   * A change of the earliest role, the one most likely in a closed period (BR-U2, BR-X2); when it
   * is the only one, its deletion is refused (BR-X3).
   */
  private earliestChange(timeline: TimelineRole[]): SentRole[] {
    const earliest = timeline[0];
    if (!earliest) return this.plausibleMove(timeline);
    if (timeline.length === 1 || this.chance(0.5)) return [this.sent('DELETE', earliest)];
    const to =
      earliest.to === null ? this.dayAfter(earliest.from) : this.pick([undefined, this.dayAfter(earliest.from)]);
    return [this.sent('UPDATE', earliest, to)];
  }

  /** An S-COR change (5.3), which never touches the billing recipients. */
  private residentChange(unit: Unit): SentRole {
    const residents = sortTimeline((this.roles.get(key(unit)) ?? []).filter((role) => role.role === 'S-COR'));
    const active = residents.at(-1);
    const pm = this.pick(PMNUMBERS);
    if (!active) return { change: 'INSERT', role: 'S-COR', from: this.day(), partner: { pmnumber: pm } };
    if (active.to === null) return this.sent('UPDATE', active, this.dayAfter(active.from));
    return { change: 'INSERT', role: 'S-COR', from: addDays(active.to, 1), partner: { pmnumber: pm } };
  }

  private sent(change: Change, role: TimelineRole, to?: string | null): SentRole {
    const end = change === 'UPDATE' ? to : (role.to ?? undefined);
    return {
      change,
      role: role.role,
      from: role.from,
      ...(end ? { to: end } : {}),
      partner: { pmnumber: role.pmnumber },
    };
  }

  /** A day before the closed-until dates, so that later phases find closed roles. */
  private earlyDay(): string {
    return this.pick(this.days.filter((day) => day < '2020-07-01'));
  }

  private day(): string {
    const day = this.pick(this.days);
    return this.chance(0.15) ? addDays(day, this.pick([-2, -1, 1, 2])) : day;
  }

  /** A day of the pool after `date` (else the year's end after it). */
  private dayAfter(date: string): string {
    const later = this.days.filter((day) => day > date);
    return later.length > 0 ? this.pick(later.slice(0, 24)) : `${Number(date.slice(0, 4)) + 1}-12-31`;
  }

  private shuffledSometimes<T>(items: T[]): T[] {
    return this.chance(0.1) ? this.shuffled(items) : items;
  }

  private shuffled<T>(items: T[]): T[] {
    const copy = [...items];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
    }
    return copy;
  }

  private chance(p: number): boolean {
    return this.random() < p;
  }

  private int(n: number): number {
    return Math.floor(this.random() * n);
  }

  private pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }
}

const key = (unit: Unit) => `${unit.billingUnit}/${unit.residentialUnit}`;
