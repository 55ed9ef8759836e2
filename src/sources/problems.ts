/** Counting and printing input problems: `spoor: FILE:WHERE: message` on stderr. */
import type { ProblemKind, ProblemSink, SourceProblem } from './types.js';

export interface ProblemCounterOptions {
  /** Print nothing per problem (counts are still kept). */
  quiet?: boolean;
  /** Where lines go; default: process.stderr. */
  write?: (line: string) => void;
  /** How many problems to keep in `first` (default 100). */
  keep?: number;
}

export function formatProblem(p: SourceProblem): string {
  const where = p.where ? `:${p.where}` : '';
  return `spoor: ${p.file}${where}: ${p.message}${p.skipped ? '' : ' (warning, data kept)'}`;
}

export class ProblemCounter {
  readonly counts: Partial<Record<ProblemKind, number>> = {};
  readonly first: SourceProblem[] = [];
  readonly sink: ProblemSink;

  constructor(options: ProblemCounterOptions = {}) {
    const write = options.write ?? ((line: string) => void process.stderr.write(`${line}\n`));
    const keep = options.keep ?? 100;
    this.sink = (p) => {
      this.counts[p.kind] = (this.counts[p.kind] ?? 0) + 1;
      if (this.first.length < keep) this.first.push(p);
      if (!options.quiet) write(formatProblem(p));
    };
  }

  total(): number {
    let n = 0;
    for (const v of Object.values(this.counts)) n += v ?? 0;
    return n;
  }

  /** `malformed-json: 3, unknown-format: 1` (empty string when there were none). */
  summary(): string {
    return Object.entries(this.counts)
      .map(([k, v]) => `${k}: ${v}`)
      .join(', ');
  }
}
