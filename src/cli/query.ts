/** `spoor query 'EQL' PATH...`: run one ad-hoc EQL query over logs, results as they are found. */
import { addTimeZoneOptions, startClock, timeZoneOf, TIMEZONE_HELP, type TimeZoneCliOptions } from './timezone.js';
import type { Command } from 'commander';
import { parseEql, EqlSyntaxError, type EqlDialect } from '../eql/index.js';
import { compileQuery, eventsWithPlaceholders, type Match } from '../engine/index.js';
import { FieldWatch, JoinGate, queryRule, QueryFeed } from '../hunt/query-stream.js';
import { discoverInputs, ProblemCounter } from '../sources/index.js';
import { toEcs, toNative } from '../normalize/index.js';
import { parseFieldPath, type Event } from '../events/field.js';
import { formatInstant, type Instant } from '../events/timestamp.js';
import { mergeInTimeOrder } from '../hunt/unit.js';
import { ruleLineFilters } from '../hunt/prefilter.js';
import { parseDeferred } from '../sources/ndjson.js';
import { writeOut, problemPrinter, toJson, outcomeExit, isStdoutClosed, fail, usageErrorsExit2, hintIfStdinIsTerminal } from './common.js';
import { eventSummaryRow, StreamingTable } from './table.js';
import { sanitize } from '../output/text.js';

type View = 'ecs' | 'native' | 'raw';

/** Thrown from the merge's flush to stop reading once no more results are wanted. */
const STOP = Symbol('stop reading');

export function registerQuery(program: Command): void {
  const cmd = program
    .command('query')
    .description('Run an EQL query (event query, sequence, sample, join) over logs of any supported format')
    .argument('<eql>', "the query, e.g. 'process where process.name : \"psexesvc.exe\"'")
    .argument('<paths...>', 'files, directories, zip archives or - for stdin')
    .option('-d, --dialect <dialect>', 'elasticsearch | endgame (the Python eql language)', 'elasticsearch')
    .option('-f, --format <format>', 'table | json | ndjson', 'table')
    .option('--view <view>', 'field names the query uses: ecs | native | raw (default: ecs; raw for the endgame dialect)')
    .option('--category-field <field>', 'where the event category is (default event.category; event_type in the endgame dialect)')
    .option('--tiebreaker <field>', 'orders events of equal time; events without it come after (default event.sequence, where present; none to turn off)')
    .option('--max-samples-per-key <n>', 'sample queries: samples per join key (default 1)')
    .option('-n, --limit <n>', 'stop after N results')
    .option('-w, --workers <n>', 'worker threads: N ≥ 2 runs time slices of the input in parallel where the query allows it (default 0: one thread)')
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
      if (o.workers !== undefined && !/^\d+$/.test(o.workers)) return fail(`--workers takes a whole number, not '${o.workers}'`);
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
      const files = await discoverInputs(paths, onProblem);
      if (files.length === 0) return fail(`no readable log file in ${paths.join(', ')}`);
      const clockNotes = await startClock(paths, tz.zone, true, files);
      const unseen = new FieldWatch(query);
      // Lines no stage of the query can match are not parsed (hunt/prefilter.ts; ECS view only).
      const prefilter = view === 'ecs' && dialect === 'elasticsearch' && o.categoryField === undefined;
      const toView = (raw: Event): Event => (view === 'ecs' ? toEcs(raw) : view === 'native' ? toNative(raw) : raw);
      // Events of equal time wait in the feed until a later time arrives, then go in tiebreaker
      // order; lines the prefilter deferred are parsed only if the sequence's held keys can use them.
      const feed = new QueryFeed({
        runner,
        gate: prefilter ? JoinGate.of(queryRule(query)) : null,
        tiebreaker,
        onProblem,
        view: toView,
        accept: (ev, time) => {
          times.set(ev, time);
          events++;
          unseen.see(ev);
        },
        results: (ms) => void pending.push(...ms),
        // While a field the query names is unseen, a line let go is parsed for the warning only.
        unparsed: (se) => {
          if (unseen.pending && parseDeferred(se, onProblem)) unseen.see(toView(se.event));
        },
      });
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
      let how = '';
      const finish = async (): Promise<void> => {
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
        process.stderr.write(`${read}${how}${skipped ? `; skipped input: ${counter.summary()}` : ''}\n`);
        const unreadable = counter.counts['unreadable-file'] ?? 0;
        process.exitCode = outcomeExit(results > 0, unreadable > 0);
      };

      // Hunt's pipeline (time slices on worker threads, prefilter) when the query's results do not
      // need the whole stream on one thread (hunt/query-run.ts); otherwise, or when the files
      // cannot be sliced, one thread as below.
      // Opt-in for now: on 2 cores the slices cost ~1.8× the CPU of one thread (BENCHMARKS.md).
      const threads = o.workers !== undefined ? Number(o.workers) : 0;
      // Imported only here: the parallel path needs hunt's rule loading (load-rules.ts → Sigma, TOML),
      // which the one-thread path does not (start-up, BENCHMARKS.md).
      const parallel = threads > 1 && limit === Infinity && !import.meta.url.endsWith('.ts') ? await import('../hunt/query-run.js') : null;
      if (parallel && parallel.whyNotParallel(query) === null) {
        const { runQueryParallel } = parallel;
        const setup = { query, dialect, view, categoryField, ...(tiebreaker ? { tiebreaker } : {}), ...(o.maxSamplesPerKey !== undefined ? { maxSamplesPerKey: Number(o.maxSamplesPerKey) } : {}), prefilter };
        const r = await runQueryParallel(files, setup, Math.min(threads, 64), onProblem);
        if (r) {
          events = r.events;
          how = ` (${r.slices} time slices on ${Math.min(threads, r.slices)} threads)`;
          unseen.only(r.missing);
          for (const m of r.matches) m.events.forEach((e, i) => { const t = m.times[i]; if (t) times.set(e, t); });
          await out(r.matches);
          await finish();
          return;
        }
      }
      try {
        await mergeInTimeOrder(
          files.map((file) => ({ file })),
          onProblem,
          0,
          prefilter ? (ruleLineFilters([queryRule(query)], 0, { writerContext: false }) ?? undefined) : undefined,
          undefined,
          {
            feed: (it) => {
              if (results + pending.length >= limit || isStdoutClosed()) return;
              feed.add(it.se, it.time, undefined);
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
      if (!done()) feed.flush();
      await out([...pending, ...runner.end()]);
      await finish();
    });
  usageErrorsExit2(cmd);
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
  workers?: string;
}

