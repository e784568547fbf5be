import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { ProcessingProfile } from '../../domain/process-delivery.js';
import type { Metrics } from '../../metrics.js';

/** What the routes need from the application. */
export interface RouteContext {
  db: Kysely<Database>;
  basePath: string;
  profile: ProcessingProfile;
  metrics: Metrics;
  /** Wakes the workers after a delivery was stored. */
  wakeWorkers: () => void;
  /** How long E1 keeps an `Idempotency-Key` (spec 9.2). */
  idempotencyRetentionHours: number;
}
