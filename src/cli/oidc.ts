import type { Command } from '@commander-js/extra-typings';
import { addOidcClient, listOidcClients, removeOidcClient } from '../db/repositories/oidc-clients.js';
import { CLAIM_VALUE_FORMAT, CLAIM_VALUE_RULE } from '../domain/bearer-tokens.js';
import { CLIENT_ID, expect, type Format } from './args.js';
import { requireClient } from './lookups.js';
import { withDatabase } from './runtime.js';
import { renderTable } from './table.js';

/**
 * Bearer tokens' clients (spec 9.3): which value of a token's client claim (`azp`, else
 * `client_id`, or OSR_OIDC_CLIENT_CLAIM) acts for which client. Adding and removing take effect
 * with the next request, also in running servers: every request's statement re-checks the mapping.
 */

const CLAIM_VALUE: Format = { what: 'claim value', pattern: CLAIM_VALUE_FORMAT, rule: CLAIM_VALUE_RULE };

const access = (readOnly: boolean) => (readOnly ? 'read-only' : 'read-write');

export function addOidcCommands(oidc: Command): void {
  oidc
    .command('add')
    .description(
      "map the value of a token's client claim (azp, else client_id, or the claim OSR_OIDC_CLIENT_CLAIM names) to a client; takes effect with the next request",
    )
    .argument('<clientId>', 'the client the tokens act for')
    .argument('<claimValue>', CLAIM_VALUE_RULE)
    .option('--read-only', 'may read (E2, E3) but not submit deliveries')
    .action(async (client, value, options) => {
      const clientId = expect(client, CLIENT_ID);
      const claimValue = expect(value, CLAIM_VALUE);
      const readOnly = options.readOnly ?? false;
      const outcome = await withDatabase(async ({ db }) => {
        await requireClient(db, clientId);
        return addOidcClient(db, { claimValue, clientId, readOnly });
      });
      process.stdout.write(`${outcome} OIDC client ${claimValue} for client ${clientId} (${access(readOnly)})\n`);
    });

  oidc
    .command('list')
    .description("a client's mapped claim values, with their access")
    .argument('<clientId>', 'the client')
    .action(async (client) => {
      const clientId = expect(client, CLIENT_ID);
      const rows = await withDatabase(async ({ db }) => {
        await requireClient(db, clientId);
        return listOidcClients(db, clientId);
      });
      process.stdout.write(
        renderTable(
          ['claim value', 'access', 'created at'],
          rows.map((row) => [row.claim_value, access(row.read_only), row.created_at.toISOString()]),
        ),
      );
    });

  oidc
    .command('remove')
    .description('remove the mapping of a claim value: its tokens are refused from the next request on')
    .argument('<claimValue>', 'the mapped value')
    .action(async (value) => {
      const claimValue = expect(value, CLAIM_VALUE);
      const removed = await withDatabase(({ db }) => removeOidcClient(db, claimValue));
      process.stdout.write(`removed OIDC client ${claimValue} (was client ${removed.clientId})\n`);
    });
}
