import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { ProcessingProfile } from '../../domain/process-delivery.js';

/** What the routes need from the application. */
export interface RouteContext {
  db: Kysely<Database>;
  basePath: string;
  profile: ProcessingProfile;
}
