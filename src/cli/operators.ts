import type { Command } from '@commander-js/extra-typings';
import { hashPassword } from '../auth/password.js';
import { ConflictError } from '../db/repositories/admin.js';
import {
  addOperator,
  listOperators,
  operatorStatus,
  revokeOperator,
  rotateOperator,
} from '../db/repositories/operators.js';
import {
  expect,
  type Format,
  MIN_PASSWORD_LENGTH,
  printGeneratedPassword,
  readPasswordOrGenerate,
  USERNAME,
} from './args.js';
import { withDatabase } from './runtime.js';
import { renderTable } from './table.js';

/**
 * Operator accounts (spec 10.1): the metering company's own staff and systems, for `/msc/v1/` and
 * `/console` only; apart from the clients' credentials (a client credential is refused there, an
 * operator's on E1–E3). Revoking or rotating takes effect with the next request, also in running
 * servers: they check a remembered operator's row on every request.
 */

const OPERATOR_NAME: Format = { ...USERNAME, what: 'operator name' };

const access = (readOnly: boolean) => (readOnly ? 'read-only' : 'read-write');

export function addOperatorCommands(operator: Command): void {
  operator
    .command('add')
    .description(
      `add an operator account for /msc/v1 and /console; the password is the first line of stdin when stdin is not a terminal (at least ${MIN_PASSWORD_LENGTH} characters), else one is generated and printed once; stored as a salted scrypt hash`,
    )
    .argument('<name>', OPERATOR_NAME.rule)
    .option('--read-only', 'may read everything under /msc/v1 and /console but change nothing')
    .action(async (value, options) => {
      const name = expect(value, OPERATOR_NAME);
      const readOnly = options.readOnly ?? false;
      let generatedPassword: string | undefined;
      const outcome = await withDatabase(async ({ db }) => {
        const { password, generated } = await readPasswordOrGenerate();
        if (generated) generatedPassword = password;
        return addOperator(db, { name, password, passwordHash: await hashPassword(password), readOnly });
      });
      process.stdout.write(`${outcome} operator ${name}${readOnly ? ' (read-only)' : ''}\n`);
      if (generatedPassword && outcome === 'created') printGeneratedPassword(generatedPassword);
    });

  operator
    .command('list')
    .description('the operator accounts: name, access, active or revoked, when created and rotated (never passwords)')
    .action(async () => {
      const rows = await withDatabase(({ db }) => listOperators(db));
      process.stdout.write(
        renderTable(
          ['name', 'access', 'status', 'created at', 'rotated at'],
          rows.map((row) => [
            row.name,
            access(row.read_only),
            row.revoked_at ? `revoked ${row.revoked_at.toISOString()}` : 'active',
            row.created_at.toISOString(),
            row.rotated_at?.toISOString() ?? '-',
          ]),
        ),
      );
    });

  operator
    .command('revoke')
    .description('revoke an operator account: refused from the next request on, also by running servers')
    .argument('<name>', 'the operator')
    .action(async (value) => {
      const name = expect(value, OPERATOR_NAME);
      const outcome = await withDatabase(({ db }) => revokeOperator(db, name));
      process.stdout.write(`${outcome} operator ${name}\n`);
    });

  operator
    .command('rotate')
    .description(
      `give an operator a new password (first line of stdin, at least ${MIN_PASSWORD_LENGTH} characters, else generated and printed once); the old one is refused from the next request on`,
    )
    .argument('<name>', 'the operator')
    .action(async (value) => {
      const name = expect(value, OPERATOR_NAME);
      let generatedPassword: string | undefined;
      await withDatabase(async ({ db }) => {
        // Said before anything about the password.
        if ((await operatorStatus(db, name)) === 'revoked') {
          throw new ConflictError(`operator ${name} is revoked; add a new one with osr operator add`);
        }
        const { password, generated } = await readPasswordOrGenerate();
        if (generated) generatedPassword = password;
        await rotateOperator(db, name, await hashPassword(password));
      });
      process.stdout.write(`rotated operator ${name}\n`);
      if (generatedPassword) printGeneratedPassword(generatedPassword);
    });
}
