import { spawn } from 'node:child_process';
import { expect } from 'vitest';
import { REPO_ROOT } from './processes.js';

/** Running the operator CLI (`node bin/osr.js …`) as a real process in tests. */

export const CLI_TIMEOUT_MS = 60_000;

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `node bin/osr.js …args`; `input` (if any) is written to stdin, which is then closed. An
 * empty `databaseUrl` means the embedded database (of `env.OSR_DATA_DIR`).
 */
export function osr(
  databaseUrl: string,
  args: string[],
  input?: string,
  env: Record<string, string> = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/osr.js', ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), CLI_TIMEOUT_MS - 5_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.on('error', () => {}); // the CLI may exit before reading stdin
    child.stdin.end(input ?? '');
  });
}

/** Exit 0 and nothing on stderr. */
export function expectOk(run: Run): void {
  expect(run.stderr, run.stderr).toBe('');
  expect(run.code, run.stdout).toBe(0);
}

/** Exit 2 and exactly one line on stderr (optionally matching `pattern`). */
export function expectUsageError(run: Run, pattern?: RegExp): void {
  expect(run.code, `stdout: ${run.stdout}\nstderr: ${run.stderr}`).toBe(2);
  expect(run.stderr, run.stderr).toMatch(/^[^\n]+\n$/);
  if (pattern) expect(run.stderr).toMatch(pattern);
}
