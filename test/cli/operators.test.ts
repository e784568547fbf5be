import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { CLI_TIMEOUT_MS, expectOk, expectUsageError, osr } from '../support/cli.js';
import { inProcess } from '../support/cli-in-process.js';
import { multiConnectionSkipReason } from '../support/database.js';
import { BASE, basic, type Harness, seed, startHarness } from '../support/harness.js';

/**
 * `osr operator add|list|revoke|rotate` (spec 10.1) as real processes against the database a
 * running app uses: the app takes a new operator, and refuses a revoked one or an old password
 * with the next request. Operators and client credentials stay apart here too.
 */

const UVI = '/msc/v1/uvi-recipients?month=2024-02';
const E2 = `${BASE}/billingunits/654321/residentialunits/0001/on-site-roles`;

const skipReason = multiConnectionSkipReason();
if (skipReason) console.warn(`[skipped] osr operator commands as child processes: ${skipReason}`);

describe.skipIf(Boolean(skipReason))('osr operator', { timeout: CLI_TIMEOUT_MS }, () => {
  let h: Harness;
  let url: string;
  const run = (args: string[], input?: string) => osr(url, ['operator', ...args], input);
  const status = async (authorization: string, path = UVI) =>
    (await h.app.inject({ method: 'GET', url: path, headers: { authorization } })).statusCode;

  beforeAll(async () => {
    h = await startHarness({ worker: false });
    url = h.database.url as string;
    await seed(h, {
      clients: [{ id: 'acme', billingUnits: [{ mscnumber: '654321', units: ['0001'] }] }],
      credentials: [],
    });
    for (const secret of [
      'ops-password-1',
      'ops-password-2',
      'auditor-password',
      'client-shared-pw',
      'operator-shared-pw',
    ]) {
      h.logs.remember(secret);
    }
  });
  afterAll(() => h?.close());
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it('adds operators with the password from stdin and lists them (never passwords); the same again is unchanged', async () => {
    const added = await run(['add', 'ops'], 'ops-password-1\n');
    expectOk(added);
    expect(added.stdout).toBe('created operator ops\n');
    const reader = await run(['add', 'auditor', '--read-only'], 'auditor-password\n');
    expectOk(reader);
    expect(reader.stdout).toBe('created operator auditor (read-only)\n');
    const again = await run(['add', 'ops'], 'ops-password-1\n');
    expectOk(again);
    expect(again.stdout).toBe('unchanged operator ops\n');

    const listed = await run(['list']);
    expectOk(listed);
    const lines = listed.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^name\s+access\s+status\s+created at\s+rotated at$/);
    expect(lines[2]).toMatch(/^auditor\s+read-only\s+active\s+\d{4}-\d\d-\d\dT\S+Z\s+-$/);
    expect(lines[3]).toMatch(/^ops\s+read-write\s+active\s+\d{4}-\d\d-\d\dT\S+Z\s+-$/);
    expect(listed.stdout).not.toMatch(/password|scrypt/);

    // A running app takes them with the next request, under /msc/v1 only.
    expect(await status(basic('ops', 'ops-password-1'))).toBe(200);
    expect(await status(basic('auditor', 'auditor-password'))).toBe(200);
    expect(await status(basic('ops', 'ops-password-1'), E2)).toBe(401);
  });

  it('the same name with other settings conflicts: exit 2, one line', async () => {
    expectUsageError(
      await run(['add', 'ops', '--read-only'], 'ops-password-1\n'),
      /operator ops already exists with other settings/,
    );
    expectUsageError(
      await run(['add', 'ops'], 'another-password\n'),
      /operator ops already exists with other settings/,
    );
  });

  it('refuses bad arguments and passwords with one line and exit 2', async () => {
    expectUsageError(
      await run(['add', 'a:b'], 'long-enough-password\n'),
      /invalid operator name "a:b" \(1 to 128 characters, no spaces and no ":"\)/,
    );
    expectUsageError(await run(['add', 'a b'], 'long-enough-password\n'), /invalid operator name/);
    expectUsageError(await run(['add', 'x'.repeat(129)], 'long-enough-password\n'), /invalid operator name/);
    expectUsageError(await run(['add', 'newcomer'], 'short\n'), /a password needs at least 12/);
    expectUsageError(await run(['add']), /missing required argument 'name'/);
    expectUsageError(await run(['revoke', 'nobody']), /unknown operator nobody/);
    expectUsageError(await run(['rotate', 'nobody'], 'long-enough-password\n'), /unknown operator nobody/);
    expectUsageError(await run([]), /operator needs a command: add, list, revoke, rotate/);
    expect((await run(['list'])).stdout).not.toContain('newcomer');
  });

  it('rotate: the old password is refused by a running app with the next request, the new one works', async () => {
    const old = basic('ops', 'ops-password-1');
    expect(await status(old)).toBe(200);
    expect(await status(old)).toBe(200); // remembered by the app now
    const rotated = await run(['rotate', 'ops'], 'ops-password-2\n');
    expectOk(rotated);
    expect(rotated.stdout).toBe('rotated operator ops\n');
    expect(await status(old)).toBe(401);
    expect(await status(basic('ops', 'ops-password-2'))).toBe(200);
    expect((await run(['list'])).stdout).toMatch(/^ops\s+read-write\s+active\s+\S+\s+\d{4}-\d\d-\d\dT\S+Z$/m);
    expectUsageError(await run(['rotate', 'ops'], 'short\n'), /at least 12/);
    expect(await status(basic('ops', 'ops-password-2'))).toBe(200);
  });

  it('revoke: a running app refuses the operator with the next request; again is unchanged; a revoked one cannot rotate', async () => {
    const current = basic('ops', 'ops-password-2');
    expect(await status(current)).toBe(200);
    const revoked = await run(['revoke', 'ops']);
    expectOk(revoked);
    expect(revoked.stdout).toBe('revoked operator ops\n');
    expect(await status(current)).toBe(401);
    expect((await run(['list'])).stdout).toMatch(/^ops\s+read-write\s+revoked \d{4}-\d\d-\d\dT\S+Z\s/m);
    const again = await run(['revoke', 'ops']);
    expectOk(again);
    expect(again.stdout).toBe('unchanged operator ops\n');
    expectUsageError(await run(['rotate', 'ops'], 'ops-password-3\n'), /operator ops is revoked; add a new one/);
    expectUsageError(await run(['add', 'ops'], 'ops-password-2\n'), /already exists with other settings/);
  });

  it('an operator and a client credential of the same name are two accounts', async () => {
    expectOk(await osr(url, ['credential', 'add', 'acme', 'shared'], 'client-shared-pw\n'));
    expectOk(await run(['add', 'shared'], 'operator-shared-pw\n'));
    expect((await run(['list'])).stdout).toMatch(/^shared\s+read-write\s+active/m);
    expect((await osr(url, ['credential', 'list', 'acme'])).stdout).toMatch(/^shared\s+read-write\s+active/m);
    expect(await status(basic('shared', 'operator-shared-pw'))).toBe(200);
    expect(await status(basic('shared', 'client-shared-pw'))).toBe(401);
    expect(await status(basic('shared', 'client-shared-pw'), E2)).toBe(404); // a client: no roles on the unit yet
    expectOk(await run(['revoke', 'shared']));
    expect(await status(basic('shared', 'client-shared-pw'), E2)).toBe(404); // the credential is untouched
    expect((await osr(url, ['credential', 'list', 'acme'])).stdout).toMatch(/^shared\s+read-write\s+active/m);
  });

  it('without a password on stdin (no input, or an empty first line), add and rotate generate one and print it once', async () => {
    for (const [name, input] of [
      ['piped-none', ''],
      ['piped-empty', '\n'],
    ] as const) {
      const added = await run(['add', name], input);
      expectOk(added);
      const password = new RegExp(
        `^created operator ${name}\npassword: (\\S+)\n\\(shown once; store it now\\)\n$`,
      ).exec(added.stdout)?.[1];
      expect(password, added.stdout).toBeDefined();
      h.logs.remember(password as string);
      expect(await status(basic(name, password as string))).toBe(200);
    }
    const rotated = await run(['rotate', 'piped-none'], '');
    expectOk(rotated);
    const next = /^rotated operator piped-none\npassword: (\S+)\n/.exec(rotated.stdout)?.[1];
    expect(next, rotated.stdout).toBeDefined();
    h.logs.remember(next as string);
    expect(await status(basic('piped-none', next as string))).toBe(200);
  });

  it('on a terminal, add generates a password and prints it once; rotate too', async () => {
    vi.stubEnv('DATABASE_URL', url);
    vi.stubEnv('LOG_LEVEL', 'silent');
    Object.defineProperty(process.stdin, 'isTTY', { value: true, configurable: true });
    try {
      const added = await inProcess(['operator', 'add', 'generated']);
      expect(added.code, added.stderr).toBe(0);
      const password = /^created operator generated\npassword: (\S+)\n\(shown once; store it now\)\n$/.exec(
        added.stdout,
      )?.[1];
      expect(password, added.stdout).toBeDefined();
      h.logs.remember(password as string);
      expect(await status(basic('generated', password as string))).toBe(200);

      const rotated = await inProcess(['operator', 'rotate', 'generated']);
      expect(rotated.code, rotated.stderr).toBe(0);
      const next = /^rotated operator generated\npassword: (\S+)\n/.exec(rotated.stdout)?.[1];
      expect(next).toBeDefined();
      h.logs.remember(next as string);
      expect(next).not.toBe(password);
      expect(await status(basic('generated', password as string))).toBe(401);
      expect(await status(basic('generated', next as string))).toBe(200);
    } finally {
      Object.defineProperty(process.stdin, 'isTTY', { value: undefined, configurable: true });
    }
  });
});

describe('osr operator on the embedded database', { timeout: CLI_TIMEOUT_MS }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'osr-operators-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
  const run = (args: string[], input?: string) => osr('', ['operator', ...args], input, { OSR_DATA_DIR: dataDir });

  it('adds, lists and revokes', async () => {
    const added = await run(['add', 'ops', '--read-only'], 'embedded-password\n');
    expectOk(added);
    expect(added.stdout).toBe('created operator ops (read-only)\n');
    expectOk(await run(['revoke', 'ops']));
    expect((await run(['list'])).stdout).toMatch(/^ops\s+read-only\s+revoked/m);
  });
});
