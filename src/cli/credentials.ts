import { hashPassword } from '../auth/password.js';
import { listCredentials, revokeCredential, rotateCredential } from '../db/repositories/operator.js';
import {
  CLIENT_ID,
  expect,
  parseCommandArgs,
  printGeneratedPassword,
  readPasswordOrGenerate,
  USERNAME,
} from './args.js';
import { withDatabase } from './runtime.js';
import { renderTable } from './table.js';

/**
 * Credential lifecycle. Revoking or rotating takes effect at once, also in running servers: they
 * read the credential row on every request and cache only verifications of the current hash.
 */

async function list(args: string[]) {
  const { positionals } = parseCommandArgs(args, {}, ['clientId']);
  const clientId = expect(positionals[0] as string, CLIENT_ID, 'client id');
  const rows = await withDatabase(({ db }) => listCredentials(db, clientId));
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
}

async function revoke(args: string[]) {
  const { positionals } = parseCommandArgs(args, {}, ['username']);
  const username = expect(positionals[0] as string, USERNAME, 'username');
  const outcome = await withDatabase(({ db }) => revokeCredential(db, username));
  process.stdout.write(`${outcome} credential ${username}\n`);
}

async function rotate(args: string[]) {
  const { positionals } = parseCommandArgs(args, {}, ['username']);
  const username = expect(positionals[0] as string, USERNAME, 'username');
  const { password, generated } = await readPasswordOrGenerate();
  const passwordHash = await hashPassword(password);
  await withDatabase(({ db }) => rotateCredential(db, username, passwordHash));
  process.stdout.write(`rotated credential ${username}\n`);
  if (generated) printGeneratedPassword(password);
}

export const credentialCommands = { 'credential list': list, 'credential revoke': revoke, 'credential rotate': rotate };
