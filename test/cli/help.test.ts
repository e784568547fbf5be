import type { Command } from '@commander-js/extra-typings';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildProgram } from '../../src/cli/main.js';
import { CLI_TIMEOUT_MS, expectOk, osr } from '../support/cli.js';
import { inProcess } from '../support/cli-in-process.js';

/**
 * Every `osr` command answers --help and `osr help <command…>`; commander's own errors are
 * reshaped into the one-line `osr: …` form with exit code 2. The matrix runs `main` in process
 * (the command tree comes from the program itself, so a new command is covered too); the
 * commands of the issue also run as real processes.
 */

function commandPaths(command: Command, path: string[] = []): string[][] {
  return (command.commands as Command[]).flatMap((sub) => [
    [...path, sub.name()],
    ...commandPaths(sub, [...path, sub.name()]),
  ]);
}

const paths = commandPaths(buildProgram());

describe('osr --help and osr help <command>', () => {
  afterEach(() => vi.restoreAllMocks());

  it('the tree holds every command of the README', () => {
    expect(paths.map((path) => path.join(' '))).toEqual(
      expect.arrayContaining([
        'serve',
        'worker',
        'migrate',
        'client add',
        'credential add',
        'credential list',
        'credential revoke',
        'credential rotate',
        'billingunit add',
        'residentialunit add',
        'import',
        'history',
        'deliveries',
        'purge',
      ]),
    );
  });

  it.each(paths.map((path) => [path.join(' '), path]))('osr %s --help and osr help %s', async (_name, path) => {
    const flag = await inProcess([...(path as string[]), '--help']);
    expectOk(flag);
    expect(flag.stdout).toMatch(new RegExp(`^Usage: osr ${(path as string[]).join(' ')} `));
    const help = await inProcess(['help', ...(path as string[])]);
    expectOk(help);
    expect(help.stdout).toBe(flag.stdout);
  });

  it('osr help and osr --help list the commands and every command line', async () => {
    const help = await inProcess(['help']);
    expectOk(help);
    expect((await inProcess(['--help'])).stdout).toBe(help.stdout);
    for (const name of ['serve', 'worker', 'migrate', 'client', 'credential', 'import', 'deliveries', 'purge']) {
      expect(help.stdout).toMatch(new RegExp(`^ {2}${name} `, 'm'));
    }
    expect(help.stdout).toContain('osr billingunit add <mscnumber> --client <clientId> [--contracts <roles>]');
    expect(help.stdout).toContain('osr credential add <clientId> <username> [--read-only]');
  });
});

describe('bad arguments: one line `osr: …` on stderr, exit 2', () => {
  afterEach(() => vi.restoreAllMocks());

  it.each([
    ['no command', [], /^osr: no command given \(osr help lists the commands\)\n$/],
    ['an unknown command', ['frobnicate'], /^osr: unknown command 'frobnicate'/],
    ['an unknown command after help', ['help', 'credential', 'frob'], /^osr: unknown command 'credential frob'/],
    ['a group without its command', ['credential'], /^osr: credential needs a command: add, list, revoke, rotate/],
    [
      'an unknown option',
      ['client', 'add', 'acme', '--bogus'],
      /^osr: unknown option '--bogus' \(osr help client add\)\n$/,
    ],
    ['a missing argument', ['credential', 'add', 'acme'], /^osr: missing required argument 'username'/],
    ['an argument too many', ['credential', 'revoke', 'a', 'b'], /^osr: too many arguments for 'revoke'/],
    ['a missing required option', ['billingunit', 'add', '654321'], /^osr: --client <clientId> is required/],
    ['purge without --older-than', ['purge'], /^osr: --older-than <days> is required \(a whole number of days/],
    ['a file format that does not exist', ['import', 'x.txt', '--format', 'xml'], /Allowed choices are json, csv/],
    [
      'a client id with a space',
      ['client', 'add', 'a b'],
      /^osr: invalid client id "a b" \(1 to 64 characters, each a letter A-Z or a-z, a digit, "\.", "_" or "-"\)\n$/,
    ],
    ['a username with a colon', ['credential', 'revoke', 'a:b'], /^osr: invalid username "a:b" \(.*no ":"\)/],
    [
      'an unknown contract role type',
      ['billingunit', 'add', '654321', '--client', 'acme', '--contracts', 'FOO'],
      /^osr: invalid contract role type "FOO" in --contracts \(known role types: S-COR, S-BIR, S-BVA, separated by commas; or none/,
    ],
    [
      'a contract list with an unknown type',
      ['billingunit', 'add', '654321', '--client', 'acme', '--contracts', 'S-COR,S-XYZ'],
      /"S-XYZ"/,
    ],
    ['--limit -1', ['deliveries', '--limit', '-1'], /^osr: invalid --limit "-1": it is a positive whole number/],
    ['--limit 0', ['deliveries', '--limit', '0'], /^osr: invalid --limit "0": it is a positive whole number/],
    ['--limit 1.5', ['deliveries', '--limit', '1.5'], /^osr: invalid --limit "1\.5": it is a positive whole number/],
    ['--limit abc', ['deliveries', '--limit', 'abc'], /^osr: invalid --limit "abc": it is a positive whole number/],
  ])('%s', async (_name, argv, pattern) => {
    const run = await inProcess(argv as string[]);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(/^osr: [^\n]+\n$/);
    expect(run.stderr).toMatch(pattern as RegExp);
    expect(run.stdout).toBe('');
  });
});

describe('as real processes', () => {
  it('osr import --help, osr serve --help, osr help credential add, osr help: exit 0, help on stdout', {
    timeout: CLI_TIMEOUT_MS,
  }, async () => {
    const [importHelp, serveHelp, credentialAdd, help] = await Promise.all([
      osr('', ['import', '--help']),
      osr('', ['serve', '--help']),
      osr('', ['help', 'credential', 'add']),
      osr('', ['help']),
    ]);
    for (const run of [importHelp, serveHelp, credentialAdd, help]) expectOk(run);
    expect(importHelp.stdout).toMatch(/^Usage: osr import \[options\] <file>\n/);
    expect(serveHelp.stdout).toMatch(/^Usage: osr serve \[options\]\n[\s\S]*--no-worker/);
    expect(credentialAdd.stdout).toMatch(/^Usage: osr credential add \[options\] <clientId> <username>\n/);
    expect(help.stdout).toMatch(/^Usage: osr \[options\] \[command\]\n[\s\S]*All commands:\n {2}osr serve/);
  });

  it("commander's own errors: one line on stderr, exit 2", { timeout: CLI_TIMEOUT_MS }, async () => {
    const run = await osr('', ['import']);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toBe("osr: missing required argument 'file' (osr help import)\n");
  });
});
