import { ConfigError } from '../config.js';
import { ConflictError } from '../db/repositories/admin.js';
import { adminCommands } from './admin.js';
import { UsageError } from './args.js';
import { credentialCommands } from './credentials.js';
import { importCommands } from './import.js';
import { migrate } from './migrate.js';
import { serve, work } from './serve.js';
import { supportCommands } from './support.js';

export type Command = (args: string[]) => Promise<void>;

const USAGE = `usage: osr <command>
  serve [--no-worker]          apply migrations, serve the API (with an in-process worker)
  worker                       run a worker only
  migrate                      apply pending migrations and exit
  client add <clientId> [--name <text>]
  credential add <clientId> <username> [--read-only]   (password: first line of stdin, else generated)
  billingunit add <mscnumber> --client <clientId> [--contracts <ROLE,ROLE…|none>]
  residentialunit add <billingunit-mscnumber> <residentialunit-mscnumber>
  credential list <clientId> | credential revoke <username> | credential rotate <username>
  import <file.json|file.csv> [--format json|csv]   bulk upsert of master data, all or nothing
  history <billingunit> <residentialunit> [--json]  the unit's append-only change history
  deliveries [--status FAIL] [--since 24h|<ISO date>] [--limit N] [--json]
  purge --older-than <days>    remove personal data from processed deliveries older than that`;

const commands: Record<string, Command> = {
  serve,
  worker: work,
  migrate,
  ...adminCommands,
  ...credentialCommands,
  ...supportCommands,
  ...importCommands,
};

export async function main(argv: string[]): Promise<number> {
  const [first, second, ...rest] = argv;
  const compound = first && second ? `${first} ${second}` : undefined;
  const [command, args] =
    compound && commands[compound] ? [commands[compound], rest] : [first ? commands[first] : undefined, argv.slice(1)];
  if (first === 'help' || first === '--help' || first === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (!command) {
    const what = first ? `unknown command "${[first, second].filter(Boolean).join(' ')}"` : 'no command given';
    process.stderr.write(`osr: ${what} (osr help lists the commands)\n`);
    return 2;
  }
  try {
    await command(args);
    return 0;
  } catch (error) {
    if (error instanceof UsageError || error instanceof ConflictError || error instanceof ConfigError) {
      process.stderr.write(`osr: ${error.message}\n`);
      return 2;
    }
    process.stderr.write(`osr: ${(error as Error).message ?? String(error)}\n`);
    return 1;
  }
}
