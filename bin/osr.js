#!/usr/bin/env node
// The `osr` command. Runs the compiled CLI in dist/ (`npm run build`, which `npm ci` runs) when
// it is at least as new as every TypeScript source, else the sources directly through tsx: an
// edited source never runs stale code, and a checkout without dist/ works too. Compiled, a
// process starts about a second sooner (no transpiling at start).
import { readdirSync, statSync } from 'node:fs';
import module from 'node:module';

// Node 22.1+ keeps the compiled code of the modules on disk (in the OS's temporary directory) and
// reuses it at the next start: a process is ready sooner (issue 15). Node 20 has no such cache.
module.enableCompileCache?.();

const root = new URL('../', import.meta.url);

/** Newest modification time of the .ts files under a directory of the project. */
function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(new URL(dir, root), { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith('.ts')) {
      newest = Math.max(newest, statSync(`${entry.parentPath ?? entry.path}/${entry.name}`).mtimeMs);
    }
  }
  return newest;
}

function compiledIsCurrent() {
  try {
    const built = statSync(new URL('dist/.built', root)).mtimeMs;
    return newestSource('src/') <= built;
  } catch {
    return false; // never built
  }
}

async function loadMain() {
  if (compiledIsCurrent()) return import('../dist/src/cli/main.js');
  const { register } = await import('tsx/esm/api');
  register();
  return import('../src/cli/main.ts');
}

const { main } = await loadMain();
process.exitCode = await main(process.argv.slice(2));
