import { type DeliveryBody, deliveryBodySchema } from '../../../src/domain/delivery-schema.js';
import { processDelivery } from '../../../src/domain/process-delivery.js';
import type { TimelineRole } from '../../../src/domain/timeline.js';
import { SYSTEM } from './system-seed.js';

/** A role as E2 answers it. */
export interface CurrentRole {
  role: string;
  from: string;
  to: string;
  partner: { pmnumber: string };
}

const random = (n: number) => Math.floor(Math.random() * n);
const partner = (pm: string) => ({ reference: { pmnumber: pm }, name: `Name ${pm}`, firstname: `First ${pm}` });
const dayAfter = (date: string) => new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
const yearEnd = (date: string) => `${date.slice(0, 4)}-12-31`;
const role = (change: string, r: { from: string; to?: string | null; pmnumber: string }) => ({
  change,
  role: 'S-COR',
  from: r.from,
  ...(r.to ? { to: r.to } : {}),
  partner: { pmnumber: r.pmnumber },
});

/**
 * What an ERP believes about each residential unit of `SYSTEM`'s billing unit: its S-COR
 * timeline, predicted with the pure rules from the deliveries answered 202. It sends plausible
 * resident changes: a first move-in, a move-out with the next move-in, a new move-in after a
 * move-out, and now and then the deletion of the active role.
 */
export class ErpModel {
  private readonly units = new Map<string, { timeline: TimelineRole[]; sent: number }>();

  constructor(residentialUnits: readonly string[]) {
    for (const ru of residentialUnits) this.units.set(ru, { timeline: [], sent: 0 });
  }

  nextBody(ru: string): DeliveryBody {
    const unit = this.unit(ru);
    const active = unit.timeline.at(-1);
    unit.sent += 1;
    const pm = `${ru}-${unit.sent}`;
    const roles: unknown[] = [];
    const partners: unknown[] = [];
    if (!active) {
      roles.push(role('INSERT', { from: '2000-01-01', pmnumber: pm }));
      partners.push(partner(pm));
    } else if (active.to === null) {
      const end = yearEnd(active.from);
      roles.push(role('UPDATE', { ...active, to: end }), role('INSERT', { from: dayAfter(end), pmnumber: pm }));
      partners.push(partner(active.pmnumber), partner(pm));
    } else if (random(4) === 0) {
      roles.push(role('DELETE', active));
      partners.push(partner(active.pmnumber));
    } else {
      roles.push(role('INSERT', { from: dayAfter(active.to), pmnumber: pm }));
      partners.push(partner(pm));
    }
    return deliveryBodySchema.parse({
      timestamp: new Date().toISOString(),
      billingunit: {
        reference: { mscnumber: SYSTEM.billingUnit },
        residentialunit: { reference: { mscnumber: ru }, roles, partners },
      },
    });
  }

  /** The delivery was answered 202: it will be applied after the unit's earlier ones. */
  accepted(ru: string, body: DeliveryBody): void {
    const unit = this.unit(ru);
    const decision = processDelivery(
      { clientId: SYSTEM.client, billingUnitPath: SYSTEM.billingUnit, residentialUnitPath: ru, body },
      {
        billingUnit: { clientId: SYSTEM.client, contracts: ['S-COR'] },
        residentialUnit: { roles: unit.timeline },
      },
    );
    for (const change of decision.status === 'SUCCESS' ? decision.changes : []) {
      if (change.before) unit.timeline = unit.timeline.filter((r) => r.from !== change.before?.from);
      if (change.after) unit.timeline = [...unit.timeline, change.after].sort((a, b) => (a.from < b.from ? -1 : 1));
    }
  }

  /** After a request with an unknown outcome: the unit's roles as E2 answered them (none: 404). */
  resynced(ru: string, roles: readonly CurrentRole[]): void {
    this.unit(ru).timeline = roles.map((r) => ({
      role: r.role,
      from: r.from,
      to: r.to === '9999-12-31' ? null : r.to,
      pmnumber: r.partner.pmnumber,
    }));
  }

  private unit(ru: string) {
    const unit = this.units.get(ru);
    if (!unit) throw new Error(`unit ${ru} is not part of the model`);
    return unit;
  }
}
