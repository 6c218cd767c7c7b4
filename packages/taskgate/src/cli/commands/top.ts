import type { Command } from 'commander';
import { CLI, colorEnabled, formatDuration, paint, table } from '../format';
import { interruptSignal } from '../interrupt';
import { resolveTarget } from '../target';
import { parseCount, sleep } from '../time';
import { gateStatuses, type GateStatus } from './status';

const REFRESH_MS = 2000;
/** Clears the screen and homes the cursor, as `top` does between frames. */
const CLEAR = '\u001b[H\u001b[2J';

/** `taskgate top`: the gate table of `taskgate status`, redrawn every 2 s until Ctrl-C. */
export function registerTop(program: Command): void {
  program
    .command('top')
    .summary('The gate table, refreshed every 2 s, in the terminal')
    .description("Each gate's visible, in flight, delayed, dead letters, oldest message and concurrency cap, with a change since the last frame; redrawn every 2 s until Ctrl-C (or --count frames).")
    .option('--count <n>', 'draw n frames, then exit (for scripts and tests)')
    .addHelpText('after', `\nExample:\n  $ ${CLI} top --stack MyApp`)
    .action(async (options: { count?: string }, command: Command) => {
      const frames = options.count === undefined ? Infinity : parseCount(options.count, '--count');
      const target = await resolveTarget(command.optsWithGlobals());
      const { signal, dispose } = interruptSignal();
      // A terminal gets frames drawn over each other; a pipe gets them one after another.
      const redraw = process.stdout.isTTY === true && colorEnabled();
      let previous = new Map<string, GateStatus>();
      try {
        for (let frame = 0; frame < frames && !signal.aborted; frame++) {
          if (frame > 0) await sleep(REFRESH_MS, signal);
          if (signal.aborted) break;
          const rows = await gateStatuses(target);
          const text = `${paint('bold', `taskgate top — ${target.label}`)}  ${new Date().toISOString().slice(11, 19)}Z  (every 2 s; Ctrl-C to quit)\n${render(rows, previous)}`;
          process.stdout.write(redraw ? `${CLEAR}${text}\n` : `${text}\n\n`);
          previous = new Map(rows.map((row) => [row.gate, row]));
        }
      } finally {
        dispose();
      }
    });
}

function render(rows: readonly GateStatus[], previous: ReadonlyMap<string, GateStatus>): string {
  return table(
    ['GATE', 'VISIBLE', 'Δ', 'IN FLIGHT', 'DELAYED', 'DLQ', 'OLDEST', 'CAP', ''],
    rows.map((row) => {
      const before = previous.get(row.gate);
      const change = before === undefined ? 0 : row.visible - before.visible;
      return [
        row.buildingUp || row.deadLetters > 0 ? paint('yellow', row.gate) : row.gate,
        String(row.visible),
        change === 0 ? '' : change > 0 ? paint('red', `+${change}`) : paint('green', String(change)),
        String(row.inFlight),
        String(row.delayed),
        row.deadLetters > 0 ? paint('red', String(row.deadLetters)) : '0',
        row.oldestAgeSeconds === null ? '-' : formatDuration(row.oldestAgeSeconds * 1000),
        row.concurrency === null ? '-' : String(row.concurrency),
        [row.buildingUp ? paint('yellow', 'building up') : '', row.deadLetters > 0 ? paint('red', 'dead letters') : ''].filter(Boolean).join(', '),
      ];
    }),
  );
}
