import type { Kysely } from 'kysely';
import type { Principal } from '../../auth/authenticator.js';
import type { Database } from '../schema.js';
import { type AddOutcome, ConflictError } from './admin.js';

/**
 * Bearer tokens' clients (spec 9.3, migrations/0006_oidc_clients.sql): which value of a token's
 * client claim acts for which client. Read by the API for a token whose value it does not
 * remember; changed by `osr oidc`.
 */

export interface OidcClient {
  claimValue: string;
  clientId: string;
  readOnly: boolean;
}

/**
 * The marker osr_credential_current recognises a bearer principal by (in place of a password
 * hash, which always starts with `scrypt$`), and the prefix of its name (usernames have no ':').
 */
const BEARER_MARKER = 'oidc-token';
const BEARER_PREFIX = 'oidc:';

/**
 * The principal of a token mapped to `client`. Its name, `oidc:<claim value>`, is what deliveries
 * and the change history record as the credential; every request statement re-checks the mapping
 * (osr_credential_current), as it re-checks a password credential's row.
 */
export const bearerPrincipal = (client: OidcClient): Principal => ({
  username: `${BEARER_PREFIX}${client.claimValue}`,
  clientId: client.clientId,
  readOnly: client.readOnly,
  passwordHash: BEARER_MARKER,
});

export async function findOidcClient(db: Kysely<Database>, claimValue: string): Promise<OidcClient | undefined> {
  const row = await db
    .selectFrom('oidc_clients')
    .select(['claim_value', 'client_id', 'read_only'])
    .where('claim_value', '=', claimValue)
    .executeTakeFirst();
  return row && { claimValue: row.claim_value, clientId: row.client_id, readOnly: row.read_only };
}

/** Maps a claim value to a client; the same mapping again is fine, another one conflicts. */
export async function addOidcClient(db: Kysely<Database>, client: OidcClient): Promise<AddOutcome> {
  const inserted = await db
    .insertInto('oidc_clients')
    .values({ claim_value: client.claimValue, client_id: client.clientId, read_only: client.readOnly })
    .onConflict((oc) => oc.column('claim_value').doNothing())
    .returning('claim_value')
    .executeTakeFirst();
  if (inserted) return 'created';
  const existing = await findOidcClient(db, client.claimValue);
  if (existing && existing.clientId === client.clientId && existing.readOnly === client.readOnly) return 'unchanged';
  const mapping = existing ? ` to client ${existing.clientId} (${existing.readOnly ? 'read-only' : 'read-write'})` : '';
  throw new ConflictError(
    `OIDC client ${client.claimValue} is already mapped${mapping}; to change it, remove it first (osr oidc remove ${client.claimValue})`,
  );
}

export async function listOidcClients(db: Kysely<Database>, clientId: string) {
  return db
    .selectFrom('oidc_clients')
    .select(['claim_value', 'read_only', 'created_at'])
    .where('client_id', '=', clientId)
    .orderBy('claim_value')
    .execute();
}

/** Removes a mapping; an unknown claim value is a conflict (most likely a typo). */
export async function removeOidcClient(db: Kysely<Database>, claimValue: string): Promise<OidcClient> {
  const removed = await db
    .deleteFrom('oidc_clients')
    .where('claim_value', '=', claimValue)
    .returning(['claim_value', 'client_id', 'read_only'])
    .executeTakeFirst();
  if (!removed) {
    throw new ConflictError(`unknown OIDC client ${claimValue} (osr oidc list <clientId> shows the mapped ones)`);
  }
  return { claimValue: removed.claim_value, clientId: removed.client_id, readOnly: removed.read_only };
}

/** The principal of the token whose client claim has this value; undefined when it is not mapped. */
export async function findBearerPrincipal(db: Kysely<Database>, claimValue: string): Promise<Principal | undefined> {
  const client = await findOidcClient(db, claimValue);
  return client && bearerPrincipal(client);
}
