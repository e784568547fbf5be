import { readFileSync } from 'node:fs';
import { Command, CommanderError } from '@commander-js/extra-typings';
import { ConfigError } from '../config.js';
import { ConflictError } from '../db/repositories/admin.js';
import { projectFile } from '../project-files.js';
import {
  addBillingUnitCommands,
  addClientCommands,
  addCredentialAddCommand,
  addResidentialUnitCommands,
} from './admin.js';
import { UsageError } from './args.js';
import { addCredentialLifecycleCommands } from './credentials.js';
import { addImportCommand } from './import.js';
import { addMigrateCommand } from './migrate.js';
import { addOidcCommands } from './oidc.js';
import { addOperatorCommands } from './operators.js';
import { addServeCommands } from './serve.js';
import { addSupportCommands } from './support.js';
import { addUviRecipientsCommand } from './uvi-recipients.js';

/**
 * The `osr` command line (commander). Its interface is the README's "Operator commands" table:
 * exit 0 when done (also when what is added exists identically), 2 for bad arguments and
 * conflicts with exactly one line `osr: …` on stderr, 1 for anything unexpected. Every command
 * answers --help, and `osr help <command…>` shows the same.
 */

const DESCRIPTION =
  'Operator commands of the on-site-roles server. They use DATABASE_URL when set, else the embedded database in OSR_DATA_DIR (default ./data), also while `osr serve` runs on it, and apply pending migrations first.';

const EXIT_CODES = `Exit codes: 0 done (also when what you add exists identically); 2 bad arguments or a
conflict, with one line on stderr; 1 anything else.`;

export function buildProgram(): Command {
  const program = new Command('osr')
    .description(DESCRIPTION)
    .version(packageVersion(), '-V, --version', 'print the version')
    .helpCommand('help [command...]', 'show the help of a command (osr help <command…>)')
    .showSuggestionAfterError(true);
  addServeCommands(program);
  addMigrateCommand(program);
  addClientCommands(group(program, 'client', 'clients: the property-management companies'));
  const credential = group(program, 'credential', "credentials: the usernames and passwords of a client's systems");
  addCredentialAddCommand(credential);
  addCredentialLifecycleCommands(credential);
  addOidcCommands(group(program, 'oidc', 'bearer tokens (OpenID Connect): which token client acts for which client'));
  addBillingUnitCommands(group(program, 'billingunit', 'billing units of a client, with their contracts'));
  addResidentialUnitCommands(group(program, 'residentialunit', 'residential units of a billing unit'));
  addOperatorCommands(
    group(program, 'operator', "operator accounts: the metering company's staff and systems, for /msc/v1 and /console"),
  );
  addImportCommand(program);
  addSupportCommands(program);
  addUviRecipientsCommand(program);
  configureAll(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  if (argv.length === 0) return usageError('no command given (osr help lists the commands)');
  try {
    const program = buildProgram();
    await program.parseAsync(helpAsOption(program, argv), { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode; // 0: help or version shown
    if (error instanceof UsageError || error instanceof ConflictError || error instanceof ConfigError) {
      return usageError(error.message);
    }
    process.stderr.write(`osr: ${oneLine((error as Error).message ?? String(error))}\n`);
    return 1;
  }
}

function usageError(message: string): 2 {
  process.stderr.write(`osr: ${oneLine(message)}\n`);
  return 2;
}

const oneLine = (text: string) => text.replace(/\s*\n\s*/g, ' ').trim();

/** `osr help client add` is `osr client add --help` (commander's help command takes one name). */
function helpAsOption(program: Command, argv: string[]): string[] {
  if (argv[0] !== 'help' || argv.length === 1) return argv;
  const names = argv.slice(1);
  let command = program;
  for (const [index, name] of names.entries()) {
    const sub = (command.commands as Command[]).find((candidate) => candidate.name() === name);
    if (!sub) {
      throw new UsageError(`unknown command '${names.slice(0, index + 1).join(' ')}' (osr help lists the commands)`);
    }
    command = sub;
  }
  return [...names, '--help'];
}

function group(program: Command, name: string, description: string): Command {
  return program.command(name).description(description);
}

function packageVersion(): string {
  return (JSON.parse(readFileSync(projectFile('package.json'), 'utf8')) as { version: string }).version;
}

function path(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent as Command | null) names.unshift(c.name());
  return names.join(' ');
}

function leaves(command: Command): Command[] {
  return command.commands.length === 0 ? [command] : (command.commands as Command[]).flatMap(leaves);
}

/** One line per command with all its arguments and options, as in the README. */
function synopsis(command: Command): string {
  const args = command.registeredArguments.map((arg) => (arg.required ? `<${arg.name()}>` : `[${arg.name()}]`));
  const options = command.options.map((option) => (option.mandatory ? option.flags : `[${option.flags}]`));
  return ['  osr', path(command), ...args, ...options].join(' ');
}

/**
 * Commander reports its own errors (unknown command or option, missing argument, …) through
 * `exitOverride`; they become one line on stderr with exit code 2, like every other bad argument.
 * Its own error output is switched off, help and version still go to stdout. Command lists show
 * names only (the full lines are under "All commands").
 */
function configureAll(command: Command): void {
  command.configureHelp({ subcommandTerm: (sub) => sub.name() });
  command.configureOutput({ writeErr: () => {}, outputError: () => {} });
  if (command.commands.length > 0) {
    const heading = command.parent ? 'Its commands' : 'All commands';
    command.addHelpText('after', () => `\n${heading}:\n${leaves(command).map(synopsis).join('\n')}\n\n${EXIT_CODES}`);
  }
  command.exitOverride((error) => {
    if (error.exitCode === 0) throw error;
    throw new UsageError(describe(command, error));
  });
  for (const sub of command.commands as Command[]) configureAll(sub);
}

function describe(command: Command, error: CommanderError): string {
  const where = path(command);
  const help = where ? `osr help ${where}` : 'osr help lists the commands';
  if (error.code === 'commander.help') {
    // a group called without one of its commands
    return `${where} needs a command: ${command.commands.map((sub) => sub.name()).join(', ')} (${help})`;
  }
  if (error.code === 'commander.missingMandatoryOptionValue') {
    const option = command.options.find((o) => error.message.includes(`'${o.flags}'`));
    if (option) return `${option.flags} is required (${option.description})`;
  }
  return `${error.message.replace(/^error: /, '')} (${help})`;
}
