/**
 * Characters a terminal acts on instead of showing: C0 and C1 controls (ESC starts colour, cursor
 * and screen-clearing sequences; U+009B is a one-byte CSI on some terminals), DEL, the Unicode line
 * separators, and the bidirectional overrides and isolates that reorder what is shown.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text that came from a message (a task name, a run id, an error, a body) made safe to print: every
 * control character is shown as its `\uXXXX` escape instead of reaching the terminal, so
 * `x\u001b[2J` prints as those characters and does not clear the screen. Everything else, other
 * languages' letters included, is kept. Every place that prints such text goes through this.
 *
 * @example
 * printable('x\u001b[31mRED') // 'x\\u001b[31mRED'
 */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
