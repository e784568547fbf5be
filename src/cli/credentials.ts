import type { Command } from '@commander-js/extra-typings';
import { hashPassword } from '../auth/password.js';
import { listCredentials, revokeCredential, rotateCredential } from '../db/repositories/operator.js';
import {
  CLIENT_ID,
  expect,
  MIN_PASSWORD_LENGTH,
  printGeneratedPassword,
  readPasswordOrGenerate,
  USERNAME,
} from './args.js';
import { requireActiveCredential, requireClient } from './lookups.js';
import { withDatabase } from './runtime.js';
import { renderTable } from './table.js';

/**
 * Credential lifecycle. Revoking or rotating takes effect at once, also in running servers: they
 * read the credential row on every request and cache only verifications of the current hash.
 */
export function addCredentialLifecycleCommands(credential: Command): void {
  credential
    .command('list')
    .description("a client's credentials: username, access, active or revoked (never passwords)")
    .argument('<clientId>', 'the client')
    .action(async (client) => {
      const clientId = expect(client, CLIENT_ID);
      const rows = await withDatabase(async ({ db }) => {
        await requireClient(db, clientId);
        return listCredentials(db, clientId);
      });
      process.stdout.write(
        renderTable(
          ['username', 'access', 'status', 'created at'],
          rows.map((row) => [
            row.username,
            row.read_only ? 'read-only' : 'read-write',
            row.revoked_at ? `revoked ${row.revoked_at.toISOString()}` : 'active',
            row.created_at.toISOString(),
          ]),
        ),
      );
    });

  credential
    .command('revoke')
    .description('revoke a credential: refused at once, also by running servers')
    .argument('<username>', 'the credential')
    .action(async (user) => {
      const username = expect(user, USERNAME);
      const outcome = await withDatabase(({ db }) => revokeCredential(db, username));
      process.stdout.write(`${outcome} credential ${username}\n`);
    });

  credential
    .command('rotate')
    .description(
      `give a credential a new password (first line of stdin, at least ${MIN_PASSWORD_LENGTH} characters, else generated and printed once); the old one is refused at once`,
    )
    .argument('<username>', 'the credential')
    .action(async (user) => {
      const username = expect(user, USERNAME);
      let generatedPassword: string | undefined;
      await withDatabase(async ({ db }) => {
        await requireActiveCredential(db, username); // said before anything about the password
        const { password, generated } = await readPasswordOrGenerate();
        if (generated) generatedPassword = password;
        await rotateCredential(db, username, await hashPassword(password));
      });
      process.stdout.write(`rotated credential ${username}\n`);
      if (generatedPassword) printGeneratedPassword(generatedPassword);
    });
}
