import { parseArgs } from 'node:util';

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
