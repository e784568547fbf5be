import { type Kysely, sql } from 'kysely';

/** When the personal fields of a processed delivery's stored body were removed (`osr purge`). */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE deliveries ADD COLUMN purged_at timestamptz;
    CREATE INDEX deliveries_purge_idx ON deliveries(processed_at) WHERE purged_at IS NULL AND status <> 'PENDING';
  `.execute(db);
}
