import type { Kysely, Transaction } from 'kysely';
import { isTransient } from '../db/errors.js';
import { type ClaimedDelivery, lockPendingDelivery, storeDeliveryResult } from '../db/repositories/deliveries.js';
import {
  type ClaimedWithState,
  claimBatchWithState,
  type Outcome,
  storeOutcome,
  storeOutcomes,
} from '../db/repositories/unit-batch.js';
import {
  appendHistory,
  deleteRole,
  insertRole,
  loadUnitState,
  type PartnerRow,
  refreshUnitDocument,
  storeUnitReferences,
  toPartnerRow,
  updateRoleEnd,
  upsertPartner,
} from '../db/repositories/units.js';
import type { Database } from '../db/schema.js';
import {
  type AppliedChange,
  type DeliveryDecision,
  type ProcessingProfile,
  processDelivery,
  UnexpectedApplyError,
  unexpectedFailure,
} from '../domain/process-delivery.js';
import { diffRoles } from '../domain/role-diff.js';

export type ProcessedDelivery = {
  id: string;
  status: DeliveryDecision['status'];
  receivedAt: Date;
  /** The unexpected error that made it FAIL. */
  error?: unknown;
  /** Why the one-statement write failed, when the delivery was then applied change by change. */
  fastPathError?: unknown;
};

/** Raised inside the apply transaction; carries what is needed to record the failure after rollback. */
class ApplyFailure extends Error {
  constructor(
    readonly delivery: ClaimedDelivery,
    readonly roleIndex: number,
    cause: unknown,
  ) {
    super('applying a delivery failed unexpectedly', { cause });
  }
}

/**
 * Processes the next eligible delivery in one transaction: claim, load, decide (pure rules),
 * write, store the result. A crash anywhere before COMMIT leaves the delivery PENDING and
 * nothing applied. The fast path needs two statements (claim and load; write everything). An
 * unexpected error rolls everything back; the delivery is then redone change by change, so an
 * error that recurs is attributed to the role being applied and recorded as FAIL with the
 * "contact the support" message. A transient database error (connection lost, timeout,
 * serialisation) leaves it PENDING for the next attempt. Returns undefined when nothing waits
 * (or the next delivery's unit is busy in another transaction).
 */
export async function processNextDelivery(
  db: Kysely<Database>,
  profile: ProcessingProfile,
): Promise<ProcessedDelivery | undefined> {
  let claimed: ClaimedDelivery | undefined;
  try {
    return await db.transaction().execute(async (trx) => {
      const [next] = await claimBatchWithState(trx, 1);
      if (!next) return undefined;
      claimed = next.delivery;
      const decision = decide(next, profile);
      await storeOutcome(trx, outcomeOf(next, decision));
      return { id: next.delivery.id, status: decision.status, receivedAt: next.delivery.receivedAt };
    });
  } catch (error) {
    if (error instanceof ApplyFailure) return recordFailure(db, error, profile);
    if (!claimed || isTransient(error)) throw error;
    const processed = await processChangeByChange(db, claimed, profile);
    return processed && { ...processed, fastPathError: error };
  }
}

export interface ProcessedBatch {
  processed: ProcessedDelivery[];
  /** Why the batch was rolled back and its deliveries were then processed one at a time. */
  batchError?: unknown;
}

/**
 * Processes up to `limit` eligible deliveries (of different units) in one transaction: one claim
 * call, the pure rules for each, one store call. Any unexpected error rolls the whole batch back
 * and the deliveries are processed one at a time instead (`processNextDelivery`, which attributes
 * the error to its delivery); transient database errors leave them PENDING.
 */
export async function processNextBatch(
  db: Kysely<Database>,
  profile: ProcessingProfile,
  limit: number,
): Promise<ProcessedBatch> {
  let claimed = 0;
  try {
    const processed = await db.transaction().execute(async (trx) => {
      const batch = await claimBatchWithState(trx, limit);
      claimed = batch.length;
      const decided = batch.map((next) => ({ next, decision: decide(next, profile) }));
      if (decided.length > 0) {
        await storeOutcomes(
          trx,
          decided.map(({ next, decision }) => outcomeOf(next, decision)),
        );
      }
      return decided.map(({ next, decision }) => ({
        id: next.delivery.id,
        status: decision.status,
        receivedAt: next.delivery.receivedAt,
      }));
    });
    return { processed };
  } catch (error) {
    if (claimed === 0 || isTransient(error) || (error instanceof ApplyFailure && isTransient(error.cause))) throw error;
    const processed: ProcessedDelivery[] = [];
    for (let i = 0; i < claimed; i++) {
      const one = await processNextDelivery(db, profile);
      if (!one) break;
      processed.push(one);
    }
    return { processed, batchError: error instanceof ApplyFailure ? error.cause : error };
  }
}

function decide(next: ClaimedWithState, profile: ProcessingProfile): DeliveryDecision {
  const { delivery } = next;
  try {
    return processDelivery(
      { billingUnitPath: delivery.billingUnit, residentialUnitPath: delivery.residentialUnit, body: delivery.body },
      {
        billingUnit: next.contracts ? { contracts: next.contracts } : null,
        residentialUnit: next.residentialUnitId ? { roles: next.roles } : null,
      },
      profile,
    );
  } catch (error) {
    if (error instanceof UnexpectedApplyError) throw new ApplyFailure(delivery, error.roleIndex, error.cause);
    throw new ApplyFailure(delivery, firstSupportedRole(delivery, profile), error);
  }
}

/** Everything a decision writes: the net role changes, the partners, the history in order. */
function outcomeOf(next: ClaimedWithState, decision: DeliveryDecision): Outcome {
  const { delivery } = next;
  if (decision.status !== 'SUCCESS' || next.residentialUnitId === null) return { deliveryId: delivery.id, decision };
  const partners = new Map(next.partners);
  const written = new Map<string, PartnerRow>();
  const history: NonNullable<Outcome['writes']>['history'] = [];
  for (const change of decision.changes) {
    history.push({ entity: 'role', change: change.change, before: change.before, after: change.after });
    const pmnumber = change.after?.pmnumber;
    if (change.partner && pmnumber) {
      const row = toPartnerRow(pmnumber, change.partner);
      const before = partners.get(pmnumber) ?? null;
      history.push({ entity: 'partner', change: before ? 'UPDATE' : 'INSERT', before, after: row });
      partners.set(pmnumber, row);
      written.set(pmnumber, row);
    }
  }
  const unit = delivery.body.billingunit;
  return {
    deliveryId: delivery.id,
    decision,
    writes: {
      residentialUnitId: next.residentialUnitId,
      credential: delivery.credential,
      roles: diffRoles(next.roles, decision.changes),
      partners: [...written.values()],
      history,
      billingUnit: delivery.billingUnit,
      billingUnitPmnumber: unit.reference.pmnumber ?? null,
      residentialUnitPmnumber: unit.residentialunit.reference.pmnumber ?? null,
    },
  };
}

/** The slow path: the same delivery again, one statement per change, to attribute an error. */
async function processChangeByChange(
  db: Kysely<Database>,
  delivery: ClaimedDelivery,
  profile: ProcessingProfile,
): Promise<ProcessedDelivery | undefined> {
  try {
    return await db.transaction().execute(async (trx) => {
      if (!(await lockPendingDelivery(trx, delivery.id))) return undefined;
      const decision = await decideAndApply(trx, delivery, profile);
      await storeDeliveryResult(trx, delivery.id, decision);
      return { id: delivery.id, status: decision.status, receivedAt: delivery.receivedAt };
    });
  } catch (error) {
    if (!(error instanceof ApplyFailure)) throw error;
    return recordFailure(db, error, profile);
  }
}

async function recordFailure(
  db: Kysely<Database>,
  error: ApplyFailure,
  profile: ProcessingProfile,
): Promise<ProcessedDelivery> {
  // The database went away or asked for a retry: nothing was applied, the delivery stays
  // PENDING and is tried again, rather than failing a valid delivery for good.
  if (isTransient(error.cause)) throw error.cause;
  const failure = unexpectedFailure(error.delivery.body, error.roleIndex, profile);
  await db.transaction().execute(async (trx) => {
    if (await lockPendingDelivery(trx, error.delivery.id)) {
      await storeDeliveryResult(trx, error.delivery.id, failure);
    }
  });
  return { id: error.delivery.id, status: 'FAIL', receivedAt: error.delivery.receivedAt, error: error.cause };
}

async function decideAndApply(
  trx: Transaction<Database>,
  delivery: ClaimedDelivery,
  profile: ProcessingProfile,
): Promise<DeliveryDecision> {
  let currentRole = firstSupportedRole(delivery, profile);
  try {
    const loaded = await loadUnitState(trx, delivery);
    const decision = processDelivery(
      { billingUnitPath: delivery.billingUnit, residentialUnitPath: delivery.residentialUnit, body: delivery.body },
      loaded.state,
      profile,
    );
    if (decision.status === 'SUCCESS' && loaded.residentialUnitId !== null) {
      for (const change of decision.changes) {
        currentRole = change.roleIndex;
        await writeChange(trx, loaded.residentialUnitId, delivery, change);
      }
      const unit = delivery.body.billingunit;
      await storeUnitReferences(trx, {
        billingUnit: delivery.billingUnit,
        residentialUnitId: loaded.residentialUnitId,
        billingUnitPmnumber: unit.reference.pmnumber,
        residentialUnitPmnumber: unit.residentialunit.reference.pmnumber,
      });
      await refreshUnitDocument(trx, loaded.residentialUnitId);
    }
    return decision;
  } catch (error) {
    const roleIndex = error instanceof UnexpectedApplyError ? error.roleIndex : currentRole;
    throw new ApplyFailure(delivery, roleIndex, error instanceof UnexpectedApplyError ? error.cause : error);
  }
}

async function writeChange(
  trx: Transaction<Database>,
  residentialUnitId: string,
  delivery: ClaimedDelivery,
  change: AppliedChange,
): Promise<void> {
  const history = { residentialUnitId, deliveryId: delivery.id, credential: delivery.credential };
  if (change.change === 'INSERT' && change.after) await insertRole(trx, residentialUnitId, change.after);
  if (change.change === 'UPDATE' && change.after) await updateRoleEnd(trx, residentialUnitId, change.after);
  if (change.change === 'DELETE' && change.before) await deleteRole(trx, residentialUnitId, change.before);
  await appendHistory(trx, {
    ...history,
    entity: 'role',
    change: change.change,
    before: change.before,
    after: change.after,
  });
  const pmnumber = change.after?.pmnumber;
  if (change.partner && pmnumber) {
    const stored = toPartnerRow(pmnumber, change.partner);
    const before = await upsertPartner(trx, residentialUnitId, stored);
    await appendHistory(trx, {
      ...history,
      entity: 'partner',
      change: before ? 'UPDATE' : 'INSERT',
      before,
      after: stored,
    });
  }
}

function firstSupportedRole(delivery: ClaimedDelivery, profile: ProcessingProfile): number {
  // Defensive: a stored body that is not what the schema promised must not stop the worker.
  const roles = delivery.body?.billingunit?.residentialunit?.roles ?? [];
  return Math.max(
    0,
    roles.findIndex((role) => profile.supportedRoles.has(role.role)),
  );
}
