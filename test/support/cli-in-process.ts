import { vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { Run } from './cli.js';

/** Runs the CLI's `main` in this process (not as `node bin/osr.js`), capturing what it writes. */
export async function inProcess(argv: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  try {
    return { code: await main(argv), stdout, stderr };
  } finally {
    vi.restoreAllMocks();
  }
}
