/** A suite's figures as a plain-text table, columns padded, numbers right-aligned. */
export function formatTable(headers: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number>>): string {
  const cells = [headers, ...rows].map((row) => row.map(String));
  const widths = headers.map((_, column) => Math.max(...cells.map((row) => row[column]!.length)));
  const line = (row: readonly string[], source: ReadonlyArray<string | number>) =>
    row.map((cell, column) => (typeof source[column] === 'number' ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!))).join('  ').trimEnd();
  return [line(cells[0]!, headers), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map((row, index) => line(cells[index + 1]!, row))].join('\n');
}

/** A size from the environment (`npm run test:stress` sets the full sizes), else the npm test size. */
export function suiteSize(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive whole number (given ${process.env[name]})`);
  return value;
}
