import type { Kysely } from 'kysely';
import type { Authenticator } from '../auth/authenticator.js';
import type { Database } from '../db/schema.js';
import type { ProcessingProfile } from '../domain/profiles.js';
import type { Metrics } from '../metrics.js';

/** What the console's route plugins share (src/console/routes/). */

export const CONSOLE_PREFIX = '/console';
export const CONSOLE_COOKIE = 'osr_console';

/** Every console route: kept out of the OpenAPI document. */
export const HIDDEN = { schema: { hide: true } } as const;

export interface ConsoleContext {
  db: Kysely<Database>;
  /** The operators' authenticator of /msc/v1 (same store, same throttle). */
  operatorAuthenticator: Authenticator;
  profile: ProcessingProfile;
  metrics: Metrics;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A console page that needs no signed-in operator (the sign-in form). */
    consolePublic?: boolean;
  }
}
