/** Small pieces every command shares: exit codes, stdout writing that survives `| head`, problem lines. */
import { existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { formatProblem } from '../sources/index.js';
import { stringifyExact } from '../output/json.js';
import type { SourceProblem } from '../sources/types.js';

/**
 * Exit codes of `hunt` and `query` (docs/cli.md#exit-codes): two independent bits, so alerts are
 * never hidden behind an error. 0 = no alert and no error, 1 = alerts (query: results), 2 = errors
 * and no alert, 3 = alerts and errors. `dump` and usage errors use 0 / 2 only.
 */
export const EXIT = { OK: 0, ALERTS: 1, ERROR: 2, ALERTS_AND_ERRORS: 3 } as const;

/** The exit code for a run that found something (alerts, results) and/or had errors. */
export function outcomeExit(found: boolean, errors: boolean): number {
  return (found ? EXIT.ALERTS : 0) | (errors ? EXIT.ERROR : 0);
}

/** Repeatable option collector for commander (no default, so help shows none). */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

let stdoutClosed = false;
/** Writers waiting for a drain that will never come once the reader has gone. */
const waitingForDrain = new Set<() => void>();
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e;
  stdoutClosed = true;
  for (const resolve of waitingForDrain) resolve();
  waitingForDrain.clear();
});

/** Write to stdout, waiting for the drain; a closed pipe (`| head`) ends output quietly. */
export function writeOut(text: string): Promise<void> {
  if (stdoutClosed || text.length === 0) return Promise.resolve();
  return new Promise((resolve) => {
    if (process.stdout.write(text)) return resolve();
    const done = (): void => {
      waitingForDrain.delete(done);
      process.stdout.off('drain', done);
      resolve();
    };
    waitingForDrain.add(done);
    process.stdout.once('drain', done);
  });
}

export function isStdoutClosed(): boolean {
  return stdoutClosed;
}

/** One stderr line per problem, in the sources' own format: `spoor: FILE:WHERE: message`. */
export function problemPrinter(): (p: SourceProblem) => void {
  return (p) => void process.stderr.write(formatProblem(p) + '\n');
}

/**
 * Problem lines held back while a progress bar owns the terminal (the bar restores its cursor
 * position and would overwrite them); `flush()` prints them, at most `max`, then a count of the rest.
 */
export class HeldProblems {
  private readonly lines: string[] = [];
  private dropped = 0;

  constructor(private readonly max = 1000) {}

  readonly sink = (p: SourceProblem): void => {
    if (this.lines.length < this.max) this.lines.push(formatProblem(p));
    else this.dropped++;
  };

  flush(): void {
    if (this.lines.length > 0) process.stderr.write(this.lines.join('\n') + '\n');
    if (this.dropped > 0) process.stderr.write(`spoor: … and ${this.dropped} more problem line(s) not shown (counted in the summary)\n`);
    this.lines.length = 0;
    this.dropped = 0;
  }
}

/** Print `spoor: message` on stderr and set exit code 2. */
export function fail(message: string): void {
  process.stderr.write(`spoor: ${message}\n`);
  process.exitCode = EXIT.ERROR;
}

/** Usage errors (unknown option, missing argument) exit 2, not commander's 1, which means "alerts". */
export function usageErrorsExit2(cmd: Command): Command {
  return cmd.exitOverride((err) => process.exit(err.exitCode === 0 ? EXIT.OK : EXIT.ERROR));
}

/** Why an option's path is unusable (`undefined` when it exists), checked before a long run. */
export function missingPath(path: string, kind: 'file' | 'directory' | 'any'): string | undefined {
  if (!existsSync(path)) return 'no such file or directory';
  const st = statSync(path);
  if (kind === 'file' && !st.isFile()) return 'not a file';
  if (kind === 'directory' && !st.isDirectory()) return 'not a directory';
  return undefined;
}

/** Why FILE cannot be written (its directory is missing), checked before a long run. */
export function unwritablePath(path: string): string | undefined {
  const dir = dirname(path);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return `directory ${dir} does not exist`;
  if (existsSync(path) && statSync(path).isDirectory()) return 'is a directory';
  return undefined;
}

/** `-` with a terminal on stdin waits for typed input: say so instead of seeming to hang. */
export function hintIfStdinIsTerminal(paths: string[]): void {
  if (paths.includes('-') && process.stdin.isTTY === true) {
    process.stderr.write('spoor: reading events from the terminal (stdin); end with Ctrl-D, or pipe a file in\n');
  }
}

/** Whether to colour output going to this stream (a terminal, and NO_COLOR not set). */
export function useColor(stream: NodeJS.WriteStream): boolean {
  return stream.isTTY === true && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
}

/** JSON text with 64-bit integers (bigint) written as exact, unquoted numbers, as in alert output. */
export function toJson(v: unknown, indent?: number): string {
  return stringifyExact(v, indent);
}
