import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler } from 'kysely';
import pino from 'pino';
import type { DatabaseHandle } from '../db/connection.js';
import type { Database } from '../db/schema.js';
import { DEFAULT_PROFILE, type ProcessingProfile } from '../domain/process-delivery.js';
import { buildApp } from './app.js';

/** The OpenAPI document exactly as the server serves it, generated without a database. */
export async function generateOpenApiDocument(
  basePath = '/arge/on-site-roles/v1',
  profile: ProcessingProfile = DEFAULT_PROFILE,
): Promise<unknown> {
  const offline: DatabaseHandle = {
    db: new Kysely<Database>({
      dialect: {
        createAdapter: () => new PostgresAdapter(),
        createDriver: () => new DummyDriver(),
        createIntrospector: (db) => new PostgresIntrospector(db),
        createQueryCompiler: () => new PostgresQueryCompiler(),
      },
    }),
    kind: 'postgres',
    listen: async () => async () => {},
    close: async () => {},
  };
  const app = await buildApp({
    database: offline,
    logger: pino({ level: 'silent' }),
    basePath,
    profile,
    requestsPerMinute: 1,
  });
  await app.ready();
  const document = app.swagger();
  await app.close();
  return JSON.parse(JSON.stringify(document));
}
