import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { deliveryResultSchema } from '../../src/domain/response-schema.js';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface OsrProcess {
  child: ChildProcess;
  exited: Promise<number | null>;
  output: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `osr <args>` as a real process against the given database. */
export function startOsr(args: string[], env: Record<string, string>, stdin?: string): OsrProcess {
  const child = spawn(process.execPath, ['bin/osr.js', ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  if (stdin !== undefined) child.stdin?.end(stdin);
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    exited,
    output: () => output,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

export async function waitFor(condition: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * POSTs a delivery to a running server over real HTTP, expects 202, and polls its Location (E3)
 * until it is SUCCESS.
 */
export async function postUntilSuccess(unitUrl: string, base: string, auth: string, body: unknown): Promise<void> {
  const posted = await fetch(unitUrl, {
    method: 'POST',
    headers: { authorization: auth, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(posted.status).toBe(202);
  const location = posted.headers.get('location') as string;
  await waitFor(
    async () =>
      deliveryResultSchema.parse(await (await fetch(`${base}${location}`, { headers: { authorization: auth } })).json())
        .status === 'SUCCESS',
    10_000,
    'SUCCESS',
  );
}
