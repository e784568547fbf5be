import type pg from 'pg';

/**
 * The hot statements that run as named prepared statements on PostgreSQL: parsed and planned once
 * per connection instead of at every call (node-postgres sends a statement text unnamed, so
 * PostgreSQL parses and plans it each time). Measured with pgbench on 2 cores: E3's statement
 * ~4,500 calls/s unnamed, ~7,500 prepared. Registered by text (src/db/functions.ts registers the
 * function calls it builds); Kysely sends the same text, so the pool's clients recognise it.
 */
const names = new Map<string, string>();

export function registerPreparedStatement(name: string, text: string): void {
  names.set(text, name);
}

/**
 * Makes a pool client send the registered statements by name (node-postgres keeps which names
 * the connection has parsed). Only for connections to PostgreSQL itself: a pooler in
 * transaction mode would hand a parsed name to another session (OSR_DB_PREPARED_STATEMENTS=false
 * turns this off).
 */
export function usePreparedStatements(client: pg.PoolClient): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  Object.assign(client, {
    query: (...args: unknown[]) => {
      const [text, values] = args;
      const name = typeof text === 'string' && args.length === 2 ? names.get(text) : undefined;
      return name === undefined ? query(...args) : query({ name, text, values });
    },
  });
}
