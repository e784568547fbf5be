import { type DeliveryBody, deliveryBodySchema } from '../../../src/domain/delivery-schema.js';
import { DEFAULT_PROFILE, type ProcessingProfile, processDelivery } from '../../../src/domain/process-delivery.js';
import { defaultContracts } from '../../../src/domain/profiles.js';
import { applyChanges } from '../../../src/domain/role-diff.js';
import { sortTimeline, type TimelineRole } from '../../../src/domain/timeline.js';
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
const role = (change: string, r: { role?: string; from: string; to?: string | null; pmnumber: string }) => ({
  change,
  role: r.role ?? 'S-COR',
  from: r.from,
  ...(r.to ? { to: r.to } : {}),
  partner: { pmnumber: r.pmnumber },
});
const isBillingRecipient = (r: TimelineRole) => r.role === 'S-BIR' || r.role === 'S-BVA';

interface Change {
  roles: unknown[];
  partners: unknown[];
}

/**
 * What an ERP believes about each residential unit of `SYSTEM`'s billing unit: its roles,
 * predicted with the pure rules (and the profile the servers run with) from the deliveries
 * answered 202. It sends plausible resident changes (S-COR): a first move-in, a move-out with the
 * next move-in, a new move-in after a move-out, and now and then the deletion of the active role.
 * When the profile takes billing recipients (arge), about half of the deliveries also or instead
 * change those: the first billing recipient, a tenant who leaves with the owner following (S-BIR →
 * S-BVA) or a vacancy that ends with a new tenant (S-BVA → S-BIR), and now and then the deletion
 * of the latest one.
 */
export class ErpModel {
  private readonly units = new Map<string, { roles: TimelineRole[]; sent: number }>();
  private readonly contracts: readonly string[];

  constructor(
    residentialUnits: readonly string[],
    private readonly profile: ProcessingProfile = DEFAULT_PROFILE,
  ) {
    this.contracts = defaultContracts(profile);
    for (const ru of residentialUnits) this.units.set(ru, { roles: [], sent: 0 });
  }

  nextBody(ru: string): DeliveryBody {
    const unit = this.unit(ru);
    unit.sent += 1;
    const takesBillingRecipients = this.profile.supportedRoles.has('S-BIR');
    const which = takesBillingRecipients ? random(4) : 0; // 0, 1: S-COR; 2: billing recipients; 3: both
    const changes: Change[] = [];
    if (which <= 1 || which === 3) changes.push(this.residentChange(unit, `${ru}-${unit.sent}`));
    if (which >= 2) changes.push(this.billingRecipientChange(unit, `${ru}-b${unit.sent}`));
    return deliveryBodySchema.parse({
      timestamp: new Date().toISOString(),
      billingunit: {
        reference: { mscnumber: SYSTEM.billingUnit },
        residentialunit: {
          reference: { mscnumber: ru },
          roles: changes.flatMap((change) => change.roles),
          partners: changes.flatMap((change) => change.partners),
        },
      },
    });
  }

  /** The delivery was answered 202: it will be applied after the unit's earlier ones. */
  accepted(ru: string, body: DeliveryBody): void {
    const unit = this.unit(ru);
    const decision = processDelivery(
      { clientId: SYSTEM.client, billingUnitPath: SYSTEM.billingUnit, residentialUnitPath: ru, body },
      { billingUnit: { clientId: SYSTEM.client, contracts: this.contracts }, residentialUnit: { roles: unit.roles } },
      this.profile,
    );
    if (decision.status === 'SUCCESS') unit.roles = applyChanges(unit.roles, decision.changes);
  }

  /** After a request with an unknown outcome: the unit's roles as E2 answered them (none: 404). */
  resynced(ru: string, roles: readonly CurrentRole[]): void {
    this.unit(ru).roles = roles.map((r) => ({
      role: r.role,
      from: r.from,
      to: r.to === '9999-12-31' ? null : r.to,
      pmnumber: r.partner.pmnumber,
    }));
  }

  private residentChange(unit: { roles: TimelineRole[] }, pm: string): Change {
    const active = sortTimeline(unit.roles.filter((r) => r.role === 'S-COR')).at(-1);
    if (!active) return { roles: [role('INSERT', { from: '2000-01-01', pmnumber: pm })], partners: [partner(pm)] };
    if (active.to === null) {
      const end = yearEnd(active.from);
      return {
        roles: [role('UPDATE', { ...active, to: end }), role('INSERT', { from: dayAfter(end), pmnumber: pm })],
        partners: [partner(active.pmnumber), partner(pm)],
      };
    }
    if (random(4) === 0) return { roles: [role('DELETE', active)], partners: [partner(active.pmnumber)] };
    return { roles: [role('INSERT', { from: dayAfter(active.to), pmnumber: pm })], partners: [partner(pm)] };
  }

  private billingRecipientChange(unit: { roles: TimelineRole[] }, pm: string): Change {
    const timeline = sortTimeline(unit.roles.filter(isBillingRecipient));
    const latest = timeline.at(-1);
    if (!latest) {
      return { roles: [role('INSERT', { role: 'S-BIR', from: '2000-01-01', pmnumber: pm })], partners: [partner(pm)] };
    }
    const next = latest.role === 'S-BIR' ? 'S-BVA' : 'S-BIR';
    if (latest.to === null) {
      const end = yearEnd(latest.from);
      return {
        roles: [
          role('UPDATE', { ...latest, to: end }),
          role('INSERT', { role: next, from: dayAfter(end), pmnumber: pm }),
        ],
        partners: [partner(latest.pmnumber), partner(pm)],
      };
    }
    if (timeline.length > 1 && random(4) === 0) {
      return { roles: [role('DELETE', latest)], partners: [partner(latest.pmnumber)] };
    }
    return {
      roles: [role('INSERT', { role: next, from: dayAfter(latest.to), pmnumber: pm })],
      partners: [partner(pm)],
    };
  }

  private unit(ru: string) {
    const unit = this.units.get(ru);
    if (!unit) throw new Error(`unit ${ru} is not part of the model`);
    return unit;
  }
}
