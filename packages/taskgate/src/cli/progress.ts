/**
 * A one-line progress bar on stderr, redrawn in place, shown only on a TTY so that piped output and
 * logs stay clean; the caller prints the final count on stdout either way.
 */
export class Progress {
  private done = 0;
  private readonly enabled: boolean;
  private lastDraw = 0;

  constructor(
    private readonly label: string,
    private total: number | undefined,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {
    this.enabled = stream.isTTY === true && process.env.TERM !== 'dumb';
  }

  /** Adds `count` finished units. */
  tick(count = 1): void {
    this.done += count;
    this.draw(false);
  }

  /** Sets the finished count (for work counted elsewhere, such as an SQS move task). */
  update(done: number, total?: number): void {
    this.done = done;
    if (total !== undefined) this.total = total;
    this.draw(false);
  }

  /** Clears the bar. */
  stop(): void {
    if (this.enabled) this.stream.write('\r\u001b[2K');
  }

  private draw(force: boolean): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (!force && now - this.lastDraw < 100 && this.done !== this.total) return;
    this.lastDraw = now;
    const columns = 30;
    let line = `${this.label} ${this.done}`;
    if (this.total !== undefined && this.total > 0) {
      const filled = Math.min(columns, Math.round((this.done / this.total) * columns));
      line = `${this.label} [${'#'.repeat(filled)}${'-'.repeat(columns - filled)}] ${this.done}/${this.total}`;
    }
    this.stream.write(`\r\u001b[2K${line}`);
  }
}
