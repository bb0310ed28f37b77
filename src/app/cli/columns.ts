/** An ISO time as the CLI's tables and lines show it: `2026-11-29 01:00:41Z`. */
export const cliTime = (iso: string) => iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');

/** Rows as aligned columns under a header, two spaces apart: the CLI's tables. */
export function columns(header: string[], rows: string[][]): string {
  const table = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...table.map((r) => r[i].length)));
  return table
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
