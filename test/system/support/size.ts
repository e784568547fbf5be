/**
 * The size of a system test: under CI=true always the CI size; elsewhere the number in the
 * environment variable `variable` when set, else the smaller local default.
 */
export function systemSize(variable: string, sizes: { ci: number; local: number }): number {
  if (process.env.CI === 'true') return sizes.ci;
  const chosen = process.env[variable];
  if (chosen === undefined || chosen === '') return sizes.local;
  const size = Number(chosen);
  if (!Number.isFinite(size) || size <= 0) throw new Error(`${variable} must be a positive number, not "${chosen}"`);
  return size;
}
