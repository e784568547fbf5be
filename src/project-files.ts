import { existsSync } from 'node:fs';

/**
 * A file of the project (e.g. `examples/use-case-1.json`), found both from the TypeScript sources
 * in src/ and from their compiled copy in dist/src/ (see bin/osr.js).
 */
export function projectFile(relative: string): URL {
  const fromSource = new URL(`../${relative}`, import.meta.url);
  return existsSync(fromSource) ? fromSource : new URL(`../../${relative}`, import.meta.url);
}
