/** Small pieces every command shares: exit codes, stdout writing that survives `| head`, problem lines. */
import type { SourceProblem } from '../sources/types.js';

export const EXIT = { OK: 0, ALERTS: 1, ERROR: 2 } as const;

/** Repeatable option collector for commander. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

let stdoutClosed = false;
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') stdoutClosed = true;
  else throw e;
});

/** Write to stdout, waiting for the drain; a closed pipe (`| head`) ends output quietly. */
export function writeOut(text: string): Promise<void> {
  if (stdoutClosed || text.length === 0) return Promise.resolve();
  return new Promise((resolve) => {
    if (process.stdout.write(text)) resolve();
    else process.stdout.once('drain', () => resolve());
  });
}

export function isStdoutClosed(): boolean {
  return stdoutClosed;
}

/** One stderr line per problem: `spoor: FILE:WHERE: message (skipped)`. */
export function problemPrinter(): (p: SourceProblem) => void {
  return (p) => {
    const where = p.where ? `${p.file}:${p.where}` : p.file;
    process.stderr.write(`spoor: ${where}: ${p.message}${p.skipped ? ' (skipped)' : ''}\n`);
  };
}

/** JSON.stringify that writes bigint values as numbers' exact decimal text. */
export function toJson(v: unknown, indent?: number): string {
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x), indent);
}
