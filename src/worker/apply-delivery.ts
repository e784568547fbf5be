import type { Kysely, Transaction } from 'kysely';
import { isTransient } from '../db/errors.js';
import type { StoredChange, StoredOutcome } from '../db/functions.js';
import { attempt, type ClaimedDelivery, claimBatch, storeOutcomes } from '../db/repositories/queue.js';
import type { Database } from '../db/schema.js';
import { changeFeedEntries } from '../domain/change-feed.js';
import {
  type AppliedChange,
  type DeliveryDecision,
  type ProcessingProfile,
  processDelivery,
  UnexpectedApplyError,
  unexpectedFailure,
} from '../domain/process-delivery.js';
import { unitWrites } from '../domain/unit-writes.js';

export type ProcessedDelivery = {
  id: string;
  status: DeliveryDecision['status'];
  receivedAt: Date;
  /** The request id of the POST that delivered it (null: not delivered over HTTP). */
  requestId: string | null;
  /** The unexpected error that made it FAIL (logged by the worker, never shown to the client). */
  error?: unknown;
};

export interface ProcessedBatch {
  processed: ProcessedDelivery[];
  /** Why the batch's one-statement store failed, so that its deliveries were stored one by one. */
  batchError?: unknown;
}

interface Decided {
  delivery: ClaimedDelivery;
  decision: DeliveryDecision;
  /** Its change-feed entries (spec 10.2): a SUCCESS's changes, else none. */
  feed: StoredChange[];
  error?: unknown;
}

/**
 * Processes up to `limit` eligible deliveries (of different units) in one transaction: one claim
 * call, the pure rules for each, one store call. A crash before COMMIT leaves them PENDING with
 * nothing applied; a transient database error (connection lost, timeout, serialisation) too.
 * Any other error while storing rolls the batch back and runs it again, storing each delivery in
 * a savepoint of its own: a delivery whose store fails again ends FAIL with the "contact the
 * support" message for the role whose change made it fail, and the others are unaffected.
 */
export async function processNextBatch(
  db: Kysely<Database>,
  profile: ProcessingProfile,
  limit: number,
): Promise<ProcessedBatch> {
  try {
    const processed = await db.transaction().execute(async (trx) => {
      const decided = (await claimBatch(trx, limit)).map((delivery) => decide(delivery, profile));
      if (decided.length > 0)
        await storeOutcomes(
          trx,
          decided.map((one) => outcomeOf(one, profile)),
          decided.flatMap((one) => one.feed),
        );
      return decided.map(processedOf);
    });
    return { processed };
  } catch (batchError) {
    if (isTransient(batchError)) throw batchError;
    const processed = await db.transaction().execute(async (trx) => {
      const decided = (await claimBatch(trx, limit)).map((delivery) => decide(delivery, profile));
      const stored: Decided[] = [];
      for (const one of decided) stored.push(await storeAlone(trx, one, profile));
      // The feed entries of those that stayed SUCCESS, as the last statement (it takes the feed's lock).
      const feed = stored.flatMap((one) => one.feed);
      if (feed.length > 0) await storeOutcomes(trx, [], feed);
      return stored.map(processedOf);
    });
    return { processed, batchError };
  }
}

/** The pure rules; an error inside them (a bug) fails the delivery for the role being applied. */
function decide(delivery: ClaimedDelivery, profile: ProcessingProfile): Decided {
  try {
    const decision = processDelivery(
      {
        clientId: delivery.clientId,
        billingUnitPath: delivery.billingUnit,
        residentialUnitPath: delivery.residentialUnit,
        body: delivery.body,
      },
      {
        billingUnit: delivery.billingUnitFound,
        residentialUnit: delivery.residentialUnitId === null ? null : { roles: delivery.roles },
      },
      profile,
    );
    return { delivery, decision, feed: feedOf(delivery, decision) };
  } catch (error) {
    const unexpected = error instanceof UnexpectedApplyError;
    const roleIndex = unexpected ? error.roleIndex : firstSupportedRole(delivery, profile);
    return {
      delivery,
      decision: unexpectedFailure(delivery.body, roleIndex, profile),
      feed: [],
      error: unexpected ? error.cause : error,
    };
  }
}

/** A SUCCESS's change-feed entries (src/domain/change-feed.ts) with its delivery's id, client and unit. */
function feedOf(delivery: ClaimedDelivery, decision: DeliveryDecision): StoredChange[] {
  if (decision.status !== 'SUCCESS' || delivery.residentialUnitId === null) return [];
  return changeFeedEntries(decision.changes).map((entry) => ({
    deliveryId: delivery.id,
    client: delivery.clientId,
    billingUnit: delivery.billingUnit,
    residentialUnit: delivery.residentialUnit,
    ...entry,
  }));
}

/** Everything a decision stores; `changes` defaults to all of the decision's. */
function outcomeOf(
  { delivery, decision }: Decided,
  profile: ProcessingProfile,
  changes: readonly AppliedChange[] = decision.changes,
): StoredOutcome {
  const list = <T>(items: T[]) => (items.length === 0 ? null : items);
  const outcome: StoredOutcome = {
    deliveryId: delivery.id,
    status: decision.status,
    messages: list(decision.messages),
    roleMessages: list(decision.roleMessages),
    partnerMessages: list(decision.partnerMessages),
    writes: null,
  };
  if (decision.status !== 'SUCCESS' || delivery.residentialUnitId === null) return outcome;
  const writes = unitWrites(delivery, changes, profile.supportedRoles);
  const { reference, residentialunit } = delivery.body.billingunit;
  return {
    ...outcome,
    writes: {
      residentialUnitId: delivery.residentialUnitId,
      credential: delivery.credential,
      deletedRoles: writes.roles.deleted,
      updatedRoles: writes.roles.updated,
      insertedRoles: writes.roles.inserted,
      partners: writes.partners,
      history: writes.history,
      billingUnit: delivery.billingUnit,
      billingUnitPmnumber: reference.pmnumber ?? null,
      residentialUnitPmnumber: residentialunit.reference.pmnumber ?? null,
      rolesDocument: writes.rolesDocument,
    },
  };
}

/** Stores one delivery in a savepoint; if that fails, finds the failing role and stores the FAIL. */
async function storeAlone(trx: Transaction<Database>, one: Decided, profile: ProcessingProfile): Promise<Decided> {
  const error = await attempt(trx, () => storeOutcomes(trx, [outcomeOf(one, profile)]), { keep: true });
  if (error === undefined) return one;
  if (isTransient(error)) throw error;
  const roleIndex = await failingRole(trx, one, profile);
  const failed = {
    delivery: one.delivery,
    decision: unexpectedFailure(one.delivery.body, roleIndex, profile),
    feed: [],
    error,
  };
  await storeOutcomes(trx, [outcomeOf(failed, profile)]);
  return failed;
}

/**
 * The role whose change makes storing fail: the delivery's store is tried (and rolled back) with
 * its first k changes for k = 0, 1, …; the first k that fails names change k's role.
 */
async function failingRole(trx: Transaction<Database>, one: Decided, profile: ProcessingProfile): Promise<number> {
  const { changes } = one.decision;
  for (let k = 0; k <= changes.length; k++) {
    const prefix = changes.slice(0, k);
    const error = await attempt(trx, () => storeOutcomes(trx, [outcomeOf(one, profile, prefix)]), { keep: false });
    if (error === undefined) continue;
    if (isTransient(error)) throw error;
    return k === 0 ? firstSupportedRole(one.delivery, profile) : (changes[k - 1] as AppliedChange).roleIndex;
  }
  // Not reproducible (the failure went away): the last change is the best guess.
  return changes.at(-1)?.roleIndex ?? firstSupportedRole(one.delivery, profile);
}

const processedOf = ({ delivery, decision, error }: Decided): ProcessedDelivery => ({
  id: delivery.id,
  status: decision.status,
  receivedAt: delivery.receivedAt,
  requestId: delivery.requestId,
  ...(error === undefined ? {} : { error }),
});

function firstSupportedRole(delivery: ClaimedDelivery, profile: ProcessingProfile): number {
  // Defensive: a stored body that is not what the schema promised must not stop the worker.
  const roles = delivery.body?.billingunit?.residentialunit?.roles ?? [];
  return Math.max(
    0,
    roles.findIndex((role) => profile.supportedRoles.has(role.role)),
  );
}
