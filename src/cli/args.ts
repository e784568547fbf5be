import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { generatePassword } from '../auth/password.js';

/** Exit code 2: bad arguments or a conflicting request; one line on stderr. */
export class UsageError extends Error {}

/** Parses options strictly: unknown options and wrong positional counts are usage errors. */
export function parseCommandArgs<const O extends Record<string, { type: 'string' | 'boolean' }>>(
  args: string[],
  options: O,
  positionals: string[],
) {
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>>;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message.split('\n')[0]);
  }
  if (parsed.positionals.length !== positionals.length) {
    throw new UsageError(`expected ${positionals.map((p) => `<${p}>`).join(' ') || 'no arguments'}`);
  }
  return { values: parsed.values, positionals: parsed.positionals };
}

export const CLIENT_ID = /^[A-Za-z0-9._-]{1,64}$/;
export const USERNAME = /^[^\s:]{1,128}$/; // Basic auth cannot carry ':' in a user-id
export const ROLE_TYPE = /^[A-Z0-9-]{1,10}$/;

export function expect(value: string, pattern: RegExp, what: string): string {
  if (!pattern.test(value)) throw new UsageError(`invalid ${what} "${value}"`);
  return value;
}

/**
 * The password from the first line of stdin when stdin is not a terminal; otherwise a strong
 * generated one, which the caller prints once.
 */
export async function readPasswordOrGenerate(): Promise<{ password: string; generated: boolean }> {
  if (process.stdin.isTTY) return { password: generatePassword(), generated: true };
  const password = await readFirstLine();
  if (password.length === 0) throw new UsageError('empty password on stdin');
  if (password.length > 1024) throw new UsageError('password longer than 1024 characters');
  return { password, generated: false };
}

export function printGeneratedPassword(password: string): void {
  process.stdout.write(`password: ${password}\n(shown once; store it now)\n`);
}

function readFirstLine(): Promise<string> {
  return new Promise((resolve) => {
    const lines = createInterface({ input: process.stdin });
    let first: string | undefined;
    lines.once('line', (line) => {
      first = line;
      lines.close();
    });
    lines.once('close', () => resolve((first ?? '').replace(/\r$/, '')));
  });
}
