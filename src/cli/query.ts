/** `spoor query 'EQL' PATH...`: run one ad-hoc EQL query over logs, results as they are found. */
import { addTimeZoneOptions, startClock, timeZoneOf, TIMEZONE_HELP, type TimeZoneCliOptions } from './timezone.js';
import type { Command } from 'commander';
import { parseEql, EqlSyntaxError, type EqlDialect } from '../eql/index.js';
import { compareTiebreakers, compileQuery, eventsWithPlaceholders, type Match } from '../engine/index.js';
import { discoverInputs, ProblemCounter } from '../sources/index.js';
import { toEcs, toNative } from '../normalize/index.js';
import { getField, parseFieldPath, type Event } from '../events/field.js';
import type { PathStep } from '../ir/types.js';
import { formatInstant, type Instant } from '../events/timestamp.js';
import { mergeInTimeOrder } from '../hunt/unit.js';
import { writeOut, problemPrinter, toJson, outcomeExit, isStdoutClosed, fail, usageErrorsExit2, hintIfStdinIsTerminal } from './common.js';
import { eventSummaryRow, StreamingTable } from './table.js';
import { sanitize } from '../output/index.js';

type View = 'ecs' | 'native' | 'raw';

/** Thrown from the merge's flush to stop reading once no more results are wanted. */
const STOP = Symbol('stop reading');

export function registerQuery(program: Command): void {
  const cmd = program
    .command('query')
    .description('Run an EQL query (event query, sequence, sample, join) over logs of any supported format')
    .argument('<eql>', "the query, e.g. 'process where process.name : \"psexesvc.exe\"'")
    .argument('<paths...>', 'files, directories or - for stdin')
    .option('-d, --dialect <dialect>', 'elasticsearch | endgame (the Python eql language)', 'elasticsearch')
    .option('-f, --format <format>', 'table | json | ndjson', 'table')
    .option('--view <view>', 'field names the query uses: ecs | native | raw (default: ecs; raw for the endgame dialect)')
    .option('--category-field <field>', 'where the event category is (default event.category; event_type in the endgame dialect)')
    .option('--tiebreaker <field>', 'orders events of equal time; events without it come after (default event.sequence, where present; none to turn off)')
    .option('--max-samples-per-key <n>', 'sample queries: samples per join key (default 1)')
    .option('-n, --limit <n>', 'stop after N results')
    .option('-q, --quiet', 'do not print skipped records, only their count');
  addTimeZoneOptions(cmd)
    .addHelpText(
      'after',
      `${TIMEZONE_HELP}

Events are read in time order (files of one query are merged by timestamp). Results print on stdout
as soon as they are certain; problems, warnings (a field no event has) and the count on stderr.
Exit codes (as hunt's; results are never hidden behind an error): 0 no result and no error,
1 results, 2 errors and no result, 3 results and errors. Errors: an input that cannot be read;
a syntax error (line, column and caret), bad arguments or no readable log file exit 2 at once.

Examples:
  spoor query 'process where process.pid == 4' logs/
  spoor query 'sequence by host.id with maxspan=1m
                 [file where process.pid == 4 and file.extension : "exe"] by file.path
                 [process where event.type == "start"] by process.executable' Sysmon.evtx
  spoor query -d endgame "process where process_name == 'svchost.exe' | count" events.json -f json`,
    )
    .action(async (eql: string, paths: string[], o: QueryCliOptions) => {
      const dialect = o.dialect as EqlDialect;
      if (dialect !== 'elasticsearch' && dialect !== 'endgame') return fail(`unknown --dialect '${o.dialect}'`);
      if (!['table', 'json', 'ndjson'].includes(o.format)) return fail(`unknown --format '${o.format}' (table, json or ndjson)`);
      const view: View = (o.view as View | undefined) ?? (dialect === 'endgame' ? 'raw' : 'ecs');
      if (!['ecs', 'native', 'raw'].includes(view)) return fail(`unknown --view '${view}'`);
      if (o.limit !== undefined && !/^\d+$/.test(o.limit)) return fail(`--limit takes a whole number, not '${o.limit}'`);
      const limit = o.limit === undefined ? Infinity : Number(o.limit);
      const tz = timeZoneOf(o);
      if (tz.error) return fail(tz.error);
      if (o.maxSamplesPerKey !== undefined && !/^[1-9]\d*$/.test(o.maxSamplesPerKey)) return fail(`--max-samples-per-key takes a whole number ≥ 1, not '${o.maxSamplesPerKey}'`);
      const tbName = o.tiebreaker ?? (dialect === 'elasticsearch' ? 'event.sequence' : 'none');
      const tiebreaker = tbName === 'none' || tbName === '' ? undefined : parseFieldPath(tbName);
      let query;
      try {
        query = parseEql(eql, { dialect });
      } catch (e) {
        if (e instanceof EqlSyntaxError) return fail(e.format());
        throw e;
      }
      hintIfStdinIsTerminal(paths);
      const counter = new ProblemCounter({ quiet: true });
      const print = o.quiet ? undefined : problemPrinter();
      const onProblem = (p: Parameters<typeof counter.sink>[0]): void => {
        counter.sink(p);
        print?.(p);
      };
      const times = new WeakMap<Event, Instant>();
      const categoryField = parseFieldPath(o.categoryField ?? (dialect === 'endgame' ? 'event_type' : 'event.category'));
      const runner = compileQuery(query, {
        dialect,
        timestamp: (ev) => times.get(ev) ?? null,
        category: categoryField,
        ...(tiebreaker ? { tiebreaker } : {}),
        ...(o.maxSamplesPerKey !== undefined ? { maxSamplesPerKey: Number(o.maxSamplesPerKey) } : {}),
      });
      // Events of equal time wait here until a later time arrives, then go in tiebreaker order.
      const ties = new TieBuffer(tiebreaker, (ev) => {
        runner.push(ev);
        const d = runner.drain();
        if (d.length > 0) pending.push(...d);
      });
      const files = await discoverInputs(paths, onProblem);
      if (files.length === 0) return fail(`no readable log file in ${paths.join(', ')}`);
      const clockNotes = await startClock(paths, tz.zone);
      const unseen = new FieldWatch(query);
      let events = 0;
      let results = 0;
      const collected: Match[] = [];
      const table = new StreamingTable();
      const out = async (ms: Match[]): Promise<void> => {
        for (const m of ms) {
          if (results >= limit) return;
          results++;
          if (o.format === 'json') collected.push(m);
          else if (o.format === 'ndjson') await writeOut(toJson(matchJson(m)) + '\n');
          else await writeOut(matchTable(m, times, table));
        }
      };
      let pending: Match[] = [];
      const done = (): boolean => results >= limit || isStdoutClosed();
      try {
        await mergeInTimeOrder(
          files.map((file) => ({ file })),
          onProblem,
          0,
          undefined,
          undefined,
          {
            feed: (it) => {
              if (results + pending.length >= limit || isStdoutClosed()) return;
              const ev = view === 'ecs' ? toEcs(it.se.event) : view === 'native' ? toNative(it.se.event) : it.se.event;
              times.set(ev, it.time);
              events++;
              unseen.see(ev);
              ties.add(ev, it.time);
            },
            flush: async () => {
              if (pending.length > 0) {
                const p = pending;
                pending = [];
                await out(p);
              }
              if (done()) throw STOP; // enough results, or nobody reads them: stop reading input
            },
          },
        );
      } catch (e) {
        if (e !== STOP) throw e;
      }
      if (!done()) ties.flush();
      await out([...pending, ...runner.end()]);
      if (o.format === 'json') await writeOut(toJson(collected.map(matchJson), 2) + '\n');
      if (!done() && events > 0) {
        for (const f of unseen.missing()) {
          process.stderr.write(`spoor: warning: no event read has the field '${f}' (check its name, or try another --view)\n`);
        }
      }
      clockNotes();
      const skipped = counter.total();
      const stopped = done() ? ' (stopped at --limit)' : '';
      const read = `${results} result${results === 1 ? '' : 's'}${results >= limit ? stopped : ''} from ${files.length} file${files.length === 1 ? '' : 's'}`;
      process.stderr.write(`${read}${skipped ? `; skipped input: ${counter.summary()}` : ''}\n`);
      const unreadable = counter.counts['unreadable-file'] ?? 0;
      process.exitCode = outcomeExit(results > 0, unreadable > 0);
    });
  usageErrorsExit2(cmd);
}

/** The fields a query names (except `?optional` ones), to warn about those no event has. */
class FieldWatch {
  private readonly pending = new Map<string, PathStep[]>();

  constructor(query: unknown) {
    this.collect(query);
  }

  see(ev: Event): void {
    if (this.pending.size === 0) return;
    for (const [name, path] of this.pending) if (getField(ev, path) !== undefined) this.pending.delete(name);
  }

  missing(): string[] {
    return [...this.pending.keys()];
  }

  private collect(node: unknown): void {
    if (Array.isArray(node)) {
      for (const x of node) this.collect(x);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    const n = node as { kind?: unknown; path?: unknown; optional?: unknown };
    if (n.kind === 'field' && Array.isArray(n.path)) {
      if (n.optional !== true) this.pending.set(fieldName(n.path as PathStep[]), n.path as PathStep[]);
      return;
    }
    for (const v of Object.values(node)) this.collect(v);
  }
}

function fieldName(path: PathStep[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

function matchJson(m: Match): unknown {
  if (m.events.length === 1 && m.keys === undefined && m.count === undefined) return m.events[0];
  const o: Record<string, unknown> = {};
  if (m.keys !== undefined) o.join_keys = m.keys;
  if (m.count !== undefined) o.count = m.count;
  // Missing-event stages `![…]` show as `{"missing": true}` placeholders, as Elasticsearch returns them.
  o.events = eventsWithPlaceholders(m);
  return o;
}

/**
 * Holds the events of one timestamp and releases them in tiebreaker order (missing last, stable)
 * when a later timestamp arrives; without a tiebreaker, passes events straight through.
 */
class TieBuffer {
  private held: Event[] = [];
  private time: Instant | null = null;
  private readonly read: ((ev: Event) => unknown) | null;

  constructor(tiebreaker: PathStep[] | undefined, private readonly push: (ev: Event) => void) {
    this.read = tiebreaker ? (ev) => getField(ev, tiebreaker) : null;
  }

  add(ev: Event, time: Instant): void {
    if (!this.read) return this.push(ev);
    if (this.time !== null && (this.time.ms !== time.ms || this.time.ns !== time.ns)) this.flush();
    this.time = time;
    this.held.push(ev);
  }

  flush(): void {
    const held = this.held;
    this.held = [];
    this.time = null;
    if (held.length > 1) {
      const read = this.read!;
      const rows = held.map((ev, i) => ({ ev, i, tb: read(ev) }));
      rows.sort((a, b) => compareTiebreakers(a.tb, b.tb) || a.i - b.i);
      for (const r of rows) this.push(r.ev);
    } else if (held.length === 1) this.push(held[0]!);
  }
}

function matchTable(m: Match, times: WeakMap<Event, Instant>, table: StreamingTable): string {
  const rows = m.events.map((e) => {
    const t = times.get(e);
    return eventSummaryRow(e, t ? formatInstant(t) : '');
  });
  const head = m.events.length > 1 || m.keys !== undefined || m.count !== undefined
    ? `── ${m.keys !== undefined && m.keys.length > 0 ? `keys ${sanitize(toJson(m.keys))}` : 'match'}${m.count !== undefined ? ` count ${m.count}` : ''}\n`
    : '';
  return head + table.render(rows) + '\n';
}

interface QueryCliOptions extends TimeZoneCliOptions {
  dialect: string;
  format: string;
  view?: string;
  categoryField?: string;
  limit?: string;
  quiet?: boolean;
  tiebreaker?: string;
  maxSamplesPerKey?: string;
}
