import { linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The embedded data directory's lock file, `osr.lock`: which process has the embedded database
 * open (PGlite allows one), what it runs, and where it serves operator commands (its Unix
 * socket, while `osr serve` runs). A lock or socket left by a process that no longer runs is
 * removed by the next process that looks.
 */

export const LOCK_FILE = 'osr.lock';

/** What holds the embedded database: `serve`, `worker`, or a short operator command. */
export type LockPurpose = 'serve' | 'worker' | 'command';

export interface LockHolder {
  pid: number;
  purpose: LockPurpose;
  /** The operator socket, once the holder serves one. */
  socket?: string | undefined;
}

export interface HeldLock {
  /** Records the operator socket this process now serves. */
  recordSocket(path: string): void;
  release(): void;
}

/** The process that holds the lock, when it still runs; a stale lock (and its socket) is removed. */
export function liveHolder(dataDir: string): LockHolder | undefined {
  const lockFile = join(dataDir, LOCK_FILE);
  let text: string;
  try {
    text = readFileSync(lockFile, 'utf8');
  } catch {
    return undefined;
  }
  const holder = parseLock(text);
  if (holder && holder.pid !== process.pid && isAlive(holder.pid)) return holder;
  if (holder?.socket) rmSync(holder.socket, { force: true });
  rmSync(lockFile, { force: true });
  return undefined;
}

/** Takes the lock, or returns the live process that holds it. */
export function takeLock(dataDir: string, purpose: LockPurpose): HeldLock | LockHolder {
  mkdirSync(dataDir, { recursive: true });
  const lockFile = join(dataDir, LOCK_FILE);
  // Readers never see a half-written lock: it is written beside it, then linked or renamed.
  const draft = `${lockFile}.${process.pid}`;
  const writeDraft = (holder: LockHolder) => writeFileSync(draft, `${JSON.stringify(holder)}\n`, { mode: 0o600 });
  for (;;) {
    const holder = liveHolder(dataDir);
    if (holder) return holder;
    writeDraft({ pid: process.pid, purpose });
    try {
      linkSync(draft, lockFile); // exclusive: of two processes starting at once, one wins
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw error;
    } finally {
      rmSync(draft, { force: true });
    }
    let socket: string | undefined;
    return {
      recordSocket(path) {
        socket = path;
        writeDraft({ pid: process.pid, purpose, socket });
        renameSync(draft, lockFile);
      },
      release() {
        if (socket) rmSync(socket, { force: true });
        rmSync(lockFile, { force: true });
      },
    };
  }
}

/** The lock's JSON; a lock of an earlier version holds only the process id. */
function parseLock(text: string): LockHolder | undefined {
  if (/^\s*\d+\s*$/.test(text)) return { pid: Number(text), purpose: 'command' };
  try {
    const value = JSON.parse(text) as Partial<LockHolder>;
    if (!Number.isInteger(value.pid)) return undefined;
    return {
      pid: value.pid as number,
      purpose: value.purpose === 'serve' || value.purpose === 'worker' ? value.purpose : 'command',
      socket: typeof value.socket === 'string' ? value.socket : undefined,
    };
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
