/**
 * `spoor dump PATH...`: print the events of any supported input, as read (raw) or in the ECS or
 * native view the rules see. For checking what spoor makes of a file before hunting in it.
 */
import type { Command } from 'commander';
import { discoverInputs, ProblemCounter, readInput, type InputFile } from '../sources/index.js';
import type { SourceEvent, SourceProblem } from '../sources/types.js';
import { eventTime, toEcs, toNative } from '../normalize/index.js';
import type { Event } from '../events/field.js';
import { formatInstant } from '../events/timestamp.js';
import { EXIT } from './common.js';
import { addTimeZoneOptions, startClock, timeZoneOf, TIMEZONE_HELP, type TimeZoneCliOptions } from './timezone.js';
import { eventSummaryRow } from './table.js';

type View = 'ecs' | 'native' | 'raw';
type Format = 'ndjson' | 'json' | 'table';

interface DumpCliOptions extends TimeZoneCliOptions {
  view: string;
  format: string;
  limit?: string;
  quiet: boolean;
}

export function registerDump(program: Command): void {
  const cmd = program
    .command('dump')
    .description('Print the events of logs of any supported format (EVTX, NDJSON, JSON, Elasticsearch, XML, JSON behind syslog headers, gzip, zip archives)')
    .argument('<paths...>', 'files, directories (recursive) or - for stdin')
    .option('--view <view>', 'raw (as read) | ecs (what EQL rules see) | native (what Sigma rules see)', 'raw')
    .option('-f, --format <format>', 'ndjson | json | table', 'ndjson')
    .option('-n, --limit <n>', 'stop after N events')
    .option('-q, --quiet', 'do not print a line per skipped record, only the summary', false);
  addTimeZoneOptions(cmd)
    .addHelpText(
      'after',
      `${TIMEZONE_HELP}

Formats are recognised from the content, not the file name. Bad records are reported on stderr as
"spoor: FILE:WHERE: message" and skipped; the run goes on. Exit codes: 0 done (even if some records
were skipped: see the summary), 2 wrong arguments or an input that could not be read at all.

Examples:
  spoor dump Security.evtx --limit 5
  spoor dump logs/ --view ecs --format table
  spoor dump export.ndjson.gz --view native | jq .EventID
  wevtutil qe Security /f:xml | spoor dump -
`,
    )
    .exitOverride((err) => process.exit(err.exitCode === 0 ? EXIT.OK : EXIT.ERROR))
    .action(async (paths: string[], o: DumpCliOptions) => {
      process.exitCode = await runDump(paths, o);
    });
}

let stdoutGone = false;
process.stdout.on('error', () => {
  stdoutGone = true; // EPIPE (`| head`) and friends: stop writing, quietly
});

/** Write to stdout and wait until it is flushed, or until the reader has gone away. */
function writeOut(text: string): Promise<void> {
  if (stdoutGone || text.length === 0) return Promise.resolve();
  return new Promise((resolve) => {
    if (process.stdout.write(text)) return resolve();
    const done = (): void => {
      process.stdout.off('drain', done);
      process.stdout.off('error', done);
      process.stdout.off('close', done);
      resolve();
    };
    process.stdout.on('drain', done);
    process.stdout.on('error', done);
    process.stdout.on('close', done);
  });
}

function usage(message: string): number {
  process.stderr.write(`spoor dump: ${message}\n`);
  return EXIT.ERROR;
}

async function runDump(paths: string[], o: DumpCliOptions): Promise<number> {
  const view = o.view as View;
  const format = o.format as Format;
  if (!['raw', 'ecs', 'native'].includes(view)) return usage(`unknown --view '${o.view}' (raw, ecs or native)`);
  if (!['ndjson', 'json', 'table'].includes(format)) return usage(`unknown --format '${o.format}' (ndjson, json or table)`);
  const limit = o.limit === undefined ? Infinity : Number(o.limit);
  if (!Number.isInteger(limit) && limit !== Infinity) return usage(`--limit wants a whole number, got '${o.limit}'`);
  if (limit < 0) return usage(`--limit wants a whole number, got '${o.limit}'`);
  const tz = timeZoneOf(o);
  if (tz.error) return usage(tz.error);

  const counter = new ProblemCounter({ quiet: o.quiet });
  const fatal: SourceProblem[] = [];
  const explicit = new Set(paths);
  const onProblem = (p: SourceProblem): void => {
    counter.sink(p);
    if (p.kind === 'unreadable-file' || (p.kind === 'unknown-format' && explicit.has(p.file))) fatal.push(p);
  };
  const inputs = await discoverInputs(paths, onProblem);
  // Raw events printed as JSON need no time: no learning pass over the inputs.
  const clockNotes = await startClock(paths, tz.zone, view !== 'raw' || format === 'table', inputs);
  const writer = new EventWriter(format, view);
  let events = 0;
  let filesRead = 0;
  outer: for (const input of inputs) {
    if (events >= limit || stdoutGone) break;
    filesRead++;
    for await (const batch of readInput(input, onProblem)) {
      const take = Math.min(batch.length, limit - events);
      await writer.write(take === batch.length ? batch : batch.slice(0, take));
      events += take;
      if (events >= limit || stdoutGone) break outer;
    }
  }
  await writer.end();
  clockNotes();
  process.stderr.write(summaryLine(inputs, filesRead, events, counter, limit) + '\n');
  return fatal.length > 0 || (inputs.length === 0 && paths.length > 0) ? EXIT.ERROR : EXIT.OK;
}

function summaryLine(inputs: InputFile[], filesRead: number, events: number, counter: ProblemCounter, limit: number): string {
  const plural = (n: number, w: string): string => `${n} ${w}${n === 1 ? '' : 's'}`;
  const files = filesRead < inputs.length ? `${filesRead} of ${inputs.length} files` : plural(inputs.length, 'file');
  let line = `spoor dump: ${plural(events, 'event')} from ${files}`;
  if (events >= limit) line += ` (stopped at --limit ${limit})`;
  const skipped = counter.summary();
  line += skipped ? `; problems: ${skipped}` : '; no problems';
  return line;
}

/** JSON text in which bigint values (64-bit integers beyond 2^53) are written as exact numbers. */
export function stringifyExact(v: unknown, indent?: number): string {
  let big = false;
  const text = JSON.stringify(
    v,
    (_k, x: unknown) => {
      if (typeof x !== 'bigint') return x;
      big = true;
      return `\u0000bigint:${x.toString()}`;
    },
    indent,
  );
  return big ? text.replace(/"\\u0000bigint:(-?\d+)"/g, '$1') : text;
}

const TABLE_HEADER = ['time', 'host', 'event', 'type', 'pid', 'detail'];

class EventWriter {
  private first = true;
  private widths: number[] = TABLE_HEADER.map((h) => h.length);

  constructor(
    private readonly format: Format,
    private readonly view: View,
  ) {}

  private project(se: SourceEvent): Event {
    return this.view === 'ecs' ? toEcs(se.event) : this.view === 'native' ? toNative(se.event) : se.event;
  }

  async write(batch: SourceEvent[]): Promise<void> {
    let out = '';
    if (this.format === 'ndjson') {
      for (const se of batch) out += stringifyExact(this.project(se)) + '\n';
    } else if (this.format === 'json') {
      for (const se of batch) {
        out += (this.first ? '[\n' : ',\n') + stringifyExact(this.project(se), 2);
        this.first = false;
      }
    } else {
      const rows: string[][] = [];
      if (this.first) rows.push(TABLE_HEADER);
      this.first = false;
      for (const se of batch) {
        const t = eventTime(se.event);
        rows.push(eventSummaryRow(this.project(se), t ? formatInstant(t) : ''));
      }
      out = this.renderRows(rows);
    }
    await writeOut(out);
  }

  /** Columns keep the widest cell seen so far (rows stream out; earlier rows are not realigned). */
  private renderRows(rows: string[][]): string {
    for (const r of rows) r.forEach((c, i) => (this.widths[i] = Math.min(Math.max(this.widths[i] ?? 0, c.length), 40)));
    return rows
      .map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(this.widths[i]!))).join('  ').trimEnd() + '\n')
      .join('');
  }

  async end(): Promise<void> {
    if (this.format === 'json') await writeOut(this.first ? '[]\n' : '\n]\n');
  }
}
