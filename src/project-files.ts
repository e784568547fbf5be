import { existsSync } from 'node:fs';

/**
 * The project's root (where package.json is), from the TypeScript sources in src/ as well as from
 * their compiled copy in dist/src/ (see bin/osr.js).
 */
const root = existsSync(new URL('../package.json', import.meta.url))
  ? new URL('../', import.meta.url)
  : new URL('../../', import.meta.url);

/** A file or directory of the project, e.g. `examples/use-case-1.json` or `migrations/`. */
export function projectFile(relative: string): URL {
  return new URL(relative, root);
}
