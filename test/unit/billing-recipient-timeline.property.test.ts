import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { processDelivery } from '../../src/domain/process-delivery.js';
import { profileNamed } from '../../src/domain/profiles.js';
import { applyChanges } from '../../src/domain/role-diff.js';
import type { TimelineRole } from '../../src/domain/timeline.js';
import { KALO, type LooseRole } from '../support/spec.js';
import { body, input, partner, role, state } from './fixtures.js';

/**
 * Spec 8.2–8.4 as a property: whatever sequence of billing-recipient deliveries arrives, every
 * SUCCESS leaves a timeline without overlap and without inner gap (checked here independently of
 * the rules: sorted by `from`, each period starts exactly the day after the one before ends), and
 * every FAIL returns no changes, so the timeline stays as it was. Each SUCCESS's timeline is the
 * next delivery's starting state (role-diff.ts applyChanges, as the worker stores it).
 */

const ARGE = profileNamed('arge', KALO);
const TYPES = ['S-BIR', 'S-BVA'] as const;
const PMNUMBERS = ['1', '2', '3'];
const FIRST_DAY = Date.UTC(2022, 0, 1);
const DAY = 24 * 60 * 60 * 1000;

/** Days close together, so that generated changes meet, touch and overlap each other often. */
const day = (offset: number) => new Date(FIRST_DAY + offset * DAY).toISOString().slice(0, 10);
const plusDays = (date: string, days: number) =>
  new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY).toISOString().slice(0, 10);
const dayAfter = (date: string) => plusDays(date, 1);

type Step =
  | {
      kind: 'INSERT';
      type: number;
      /** Days left empty after the last period's end (0: the day after it); null: `from` instead. */
      afterLast: number | null;
      from: number;
      length: number | null;
      pmnumber: number;
    }
  | { kind: 'UPDATE'; pick: number; keepTo: boolean; to: number | null }
  | { kind: 'DELETE'; pick: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant('INSERT' as const),
    type: fc.nat(1),
    afterLast: fc.option(fc.integer({ min: -1, max: 2 })),
    from: fc.integer({ min: 0, max: 60 }),
    length: fc.option(fc.integer({ min: 1, max: 30 })),
    pmnumber: fc.nat(2),
  }),
  fc.record({
    kind: fc.constant('UPDATE' as const),
    pick: fc.nat(9),
    keepTo: fc.boolean(),
    to: fc.option(fc.integer({ min: 0, max: 90 })),
  }),
  fc.record({ kind: fc.constant('DELETE' as const), pick: fc.nat(9) }),
);

const deliveryArbitrary = fc.record({
  steps: fc.array(step, { minLength: 1, maxLength: 3 }),
  closedUntil: fc.option(fc.integer({ min: -10, max: 60 })),
});

/** The delivered role a step stands for, resolved against the timeline the delivery starts from. */
function resolve(stepToResolve: Step, timeline: readonly TimelineRole[]): LooseRole {
  const sorted = [...timeline].sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0));
  const last = sorted.at(-1);
  if (stepToResolve.kind === 'INSERT') {
    const { afterLast } = stepToResolve;
    const from = afterLast !== null && last?.to != null ? plusDays(last.to, afterLast + 1) : day(stepToResolve.from);
    const to = stepToResolve.length === null ? undefined : plusDays(from, stepToResolve.length);
    return role('INSERT', from, to, PMNUMBERS[stepToResolve.pmnumber], TYPES[stepToResolve.type]);
  }
  const target = sorted[stepToResolve.pick % Math.max(sorted.length, 1)] ?? {
    role: 'S-BIR',
    from: day(0),
    to: null,
    pmnumber: '1',
  };
  if (stepToResolve.kind === 'DELETE') return role('DELETE', target.from, undefined, target.pmnumber, target.role);
  const to = stepToResolve.keepTo
    ? (target.to ?? undefined)
    : stepToResolve.to === null
      ? undefined
      : day(stepToResolve.to);
  return role('UPDATE', target.from, to, target.pmnumber, target.role);
}

/** No overlap and no inner gap, decided without the rules under test. */
function isContiguous(timeline: readonly TimelineRole[]): boolean {
  const sorted = [...timeline].sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0));
  return sorted.every((period, index) => {
    if (index === 0) return true;
    const previous = sorted[index - 1] as TimelineRole;
    return previous.to !== null && period.from === dayAfter(previous.to);
  });
}

describe('property: the billing-recipient timeline (spec 8.2–8.4)', () => {
  it('after every SUCCESS it has no overlap and no gap; a FAIL changes nothing', () => {
    let successes = 0;
    fc.assert(
      fc.property(fc.array(deliveryArbitrary, { minLength: 1, maxLength: 12 }), (deliveries) => {
        let timeline: TimelineRole[] = [];
        for (const { steps, closedUntil } of deliveries) {
          const roles = steps.map((s) => resolve(s, timeline));
          const partners = PMNUMBERS.map((pmnumber) => partner(pmnumber));
          const closed = closedUntil === null ? null : day(closedUntil);
          const decision = processDelivery(
            input(body({ roles, partners })),
            state(timeline, ['S-BIR', 'S-BVA'], closed),
            ARGE,
          );
          if (decision.status === 'FAIL') {
            expect(decision.changes).toStrictEqual([]);
            continue;
          }
          successes += 1;
          timeline = applyChanges(timeline, decision.changes);
          expect(isContiguous(timeline)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
    // The property is only worth something if deliveries do succeed.
    expect(successes).toBeGreaterThan(100);
  });
});
