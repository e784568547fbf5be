// The benchmark table's row, shared by bench/run.ts and the modules that add rows to it.

/** One figure of the table: ours beside its baseline (or '-'), and whether it meets its target. */
export type Row = { name: string; ours: string; baseline: string; ratio: string; target: string; met: string };

export const formatNumber = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** Prints the rows as an aligned table under a title line. */
export function printTable(title: string, rows: readonly Row[]): void {
  const header: Row = {
    name: 'figure',
    ours: 'ours',
    baseline: 'baseline',
    ratio: 'ratio',
    target: 'target',
    met: 'met',
  };
  const keys = Object.keys(header) as (keyof Row)[];
  const widths = keys.map((key) => Math.max(...[header, ...rows].map((row) => row[key].length)));
  const line = (row: Row) => keys.map((key, i) => row[key].padEnd(widths[i] as number)).join(' | ');
  console.log(`\n${title}`);
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  for (const row of rows) console.log(line(row));
}
