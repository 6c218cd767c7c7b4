import { printable } from '../core/printable';

/**
 * Everything the commands print for humans: colors (off for NO_COLOR, TERM=dumb and non-TTY
 * output), aligned tables and short durations. Scripts use `--json` instead. Text that came from a
 * message goes through `printable` (directly, or through `clip`) so that it cannot drive the terminal.
 */

/**
 * The command a user types to run this CLI, as every hint and example prints it: `taskgate` alone
 * is on no PATH in a clone or an app that depends on taskgate, `npx taskgate` is.
 */
export const CLI = 'npx taskgate';

const CODES = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, gray: 90, bold: 1 } as const;
export type Color = keyof typeof CODES;

/** Whether stdout gets ANSI colors: FORCE_COLOR wins, then NO_COLOR, then a TTY that is not dumb. */
export function colorEnabled(stream: NodeJS.WriteStream = process.stdout): boolean {
  const force = process.env.FORCE_COLOR;
  if (force !== undefined && force !== '' && force !== '0') return true;
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false;
  return stream.isTTY === true && process.env.TERM !== 'dumb';
}

export function paint(color: Color, text: string, enabled = colorEnabled()): string {
  return enabled ? `\u001b[${CODES[color]}m${text}\u001b[${color === 'bold' ? 22 : 39}m` : text;
}

const STATUS_COLORS: Record<string, Color> = {
  succeeded: 'green',
  running: 'cyan',
  failed: 'yellow',
  skipped: 'gray',
  dead: 'red',
  enabled: 'green',
  paused: 'yellow',
};

/** A run or schedule status in its color. */
export function status(text: string): string {
  const color = STATUS_COLORS[text];
  return color ? paint(color, text) : text;
}

// eslint-disable-next-line no-control-regex -- matching the escape codes paint() writes
const ANSI = /\u001b\[\d+m/g;

function width(text: string): number {
  return text.replace(ANSI, '').length;
}

/**
 * Rows under a bold header, each column as wide as its widest cell; the last column is not padded.
 * Cells may carry colors.
 */
export function table(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = headers.map((header, column) => Math.max(width(header), ...rows.map((row) => width(row[column] ?? ''))));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell + ' '.repeat(widths[column]! - width(cell))))
      .join('  ')
      .trimEnd();
  return [paint('bold', line(headers)), ...rows.map(line)].join('\n');
}

/** `850ms`, `12.3s`, `4m 05s`, `2h 10m`, `3d 4h`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const s = Math.floor(seconds);
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3600)}h`;
}

/** An ISO time without milliseconds, UTC: `2026-11-22 12:00:00Z`. */
export function formatTime(value: string | Date | undefined): string {
  if (value === undefined) return '-';
  const date = typeof value === 'string' ? new Date(value) : value;
  // Not a time: a message attribute, say, shown as it came but escaped.
  if (Number.isNaN(date.getTime())) return printable(String(value));
  return date.toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
}

/** Cuts a cell to `max` characters, on one line, control characters escaped. */
export function clip(text: string | undefined, max = 60): string {
  if (text === undefined || text === '') return '-';
  const line = printable(text.replace(/\s+/g, ' '));
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** JSON for `--json`: two-space indented, one document on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${jsonText(value, 2)}\n`);
}

/**
 * JSON with every control character escaped: JSON.stringify escapes U+0000-U+001F but leaves the
 * C1 controls and bidi overrides raw. Escaping line by line keeps the indentation's newlines, and
 * a `\uXXXX` escape inside a string is the same JSON value.
 */
export function jsonText(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).split('\n').map(printable).join('\n');
}
