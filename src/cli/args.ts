import { createInterface } from 'node:readline';
import { generatePassword } from '../auth/password.js';
import { BILLING_UNIT_FORMAT, calendarDate, RESIDENTIAL_UNIT_FORMAT } from '../domain/delivery-schema.js';
import { isKnownRoleType, KNOWN_ROLE_TYPES } from '../domain/role-types.js';

/** Exit code 2: bad arguments or a conflicting request; one line on stderr. */
export class UsageError extends Error {}

/** A value an operator types, and the rule it follows (every error about it states the rule). */
export interface Format {
  what: string;
  pattern: RegExp;
  rule: string;
}

export const CLIENT_ID: Format = {
  what: 'client id',
  pattern: /^[A-Za-z0-9._-]{1,64}$/,
  rule: '1 to 64 characters, each a letter A-Z or a-z, a digit, ".", "_" or "-"',
};
export const USERNAME: Format = {
  what: 'username',
  pattern: /^[^\s:]{1,128}$/, // Basic auth cannot carry ':' in a user-id
  rule: '1 to 128 characters, no spaces and no ":"',
};
export const BILLING_UNIT: Format = {
  what: 'billing unit number',
  pattern: BILLING_UNIT_FORMAT,
  rule: '6 digits, or 099 followed by 6 digits',
};
export const RESIDENTIAL_UNIT: Format = {
  what: 'residential unit number',
  pattern: RESIDENTIAL_UNIT_FORMAT,
  rule: '1 to 4 digits',
};

export function expect(value: string, format: Format): string {
  if (!format.pattern.test(value)) throw new UsageError(`invalid ${format.what} "${value}" (${format.rule})`);
  return value;
}

export const KNOWN_ROLE_TYPES_TEXT = KNOWN_ROLE_TYPES.join(', ');

/** `--contracts`: known role types separated by commas, or `none` (no contract). */
export function parseContracts(text: string): string[] {
  if (text === 'none') return [];
  const roles = text.split(',').map((role) => role.trim());
  for (const role of roles) {
    if (!isKnownRoleType(role)) {
      throw new UsageError(
        `invalid contract role type "${role}" in --contracts (known role types: ${KNOWN_ROLE_TYPES_TEXT}, separated by commas; or none for no contract)`,
      );
    }
  }
  return [...new Set(roles)];
}

/** A whole number from 1 to `max`, e.g. `--limit`. */
export function parsePositiveWholeNumber(text: string, option: string, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 1 || value > max) {
    throw new UsageError(`invalid ${option} "${text}": it is a positive whole number (1 to ${max})`);
  }
  return value;
}

export const MIN_PASSWORD_LENGTH = 12;
const MAX_PASSWORD_LENGTH = 1024;

/**
 * The password from the first line of stdin; a strong generated one, which the caller prints
 * once, when stdin is a terminal or has no first line or an empty one (spec 10.1: "first line of
 * stdin, else generated" — a script that starts the command without input gets a password).
 */
export async function readPasswordOrGenerate(): Promise<{ password: string; generated: boolean }> {
  if (process.stdin.isTTY) return { password: generatePassword(), generated: true };
  const password = await readFirstLine();
  const length = [...password].length;
  if (length === 0) return { password: generatePassword(), generated: true };
  if (length < MIN_PASSWORD_LENGTH) {
    throw new UsageError(
      `the password on stdin has ${length} characters; a password needs at least ${MIN_PASSWORD_LENGTH}`,
    );
  }
  if (password.length > MAX_PASSWORD_LENGTH) {
    throw new UsageError(`the password on stdin is longer than ${MAX_PASSWORD_LENGTH} characters`);
  }
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

/** A calendar date `YYYY-MM-DD` (impossible dates such as 2023-02-30 are refused). */
export function expectCalendarDate(value: string, option: string): string {
  if (!calendarDate.safeParse(value).success) {
    throw new UsageError(`invalid ${option} "${value}" (a calendar date YYYY-MM-DD, e.g. 2023-12-31)`);
  }
  return value;
}
