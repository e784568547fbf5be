import type { Kysely } from 'kysely';
import type { AcceptBatcher } from '../../db/accept-batcher.js';
import type { Database } from '../../db/schema.js';
import type { ProcessingProfile } from '../../domain/process-delivery.js';
import type { Metrics } from '../../metrics.js';

/** What the routes need from the application. */
export interface RouteContext {
  db: Kysely<Database>;
  /** E1's group commit: one per app, so that all its E1 requests share the batches. */
  acceptBatcher: AcceptBatcher;
  basePath: string;
  profile: ProcessingProfile;
  metrics: Metrics;
  /** Wakes the workers after a delivery was stored. */
  wakeWorkers: () => void;
  /** How long E1 keeps an `Idempotency-Key` (spec 9.2). */
  idempotencyRetentionHours: number;
}
