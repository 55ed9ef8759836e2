/** `spoor query 'EQL' PATH...`: run one ad-hoc EQL query over logs, results as they are found. */
import type { Command } from 'commander';
import { parseEql, EqlSyntaxError, type EqlDialect } from '../eql/index.js';
import { compileQuery, type Match } from '../engine/index.js';
import { discoverInputs, ProblemCounter } from '../sources/index.js';
import { toEcs, toNative } from '../normalize/index.js';
import { parseFieldPath, type Event } from '../events/field.js';
import { formatInstant, type Instant } from '../events/timestamp.js';
import { mergeInTimeOrder } from '../hunt/unit.js';
import { writeOut, problemPrinter, toJson, EXIT, isStdoutClosed } from './common.js';
import { eventSummaryRow, renderTable } from './table.js';

type View = 'ecs' | 'native' | 'raw';

export function registerQuery(program: Command): void {
  program
    .command('query')
    .description('Run an EQL query (event query, sequence, sample, join) over logs of any supported format')
    .argument('<eql>', "the query, e.g. 'process where process.name : \"psexesvc.exe\"'")
    .argument('<paths...>', 'files, directories or - for stdin')
    .option('-d, --dialect <dialect>', 'elasticsearch | endgame (the Python eql language)', 'elasticsearch')
    .option('-f, --format <format>', 'table | json | ndjson', 'table')
    .option('--view <view>', 'field names the query uses: ecs | native | raw (default: ecs; raw for the endgame dialect)')
    .option('--category-field <field>', 'where the event category is (default event.category; event_type in the endgame dialect)')
    .option('-n, --limit <n>', 'stop after N results')
    .option('-q, --quiet', 'do not print skipped records, only their count', false)
    .addHelpText(
      'after',
      `
Events are read in time order (files of one query are merged by timestamp). Results print as soon as
they are certain. Exit codes: 0 results found, 1 no result, 2 errors (syntax error, unreadable input).

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
      const limit = o.limit === undefined ? Infinity : Number(o.limit);
      let query;
      try {
        query = parseEql(eql, { dialect });
      } catch (e) {
        if (e instanceof EqlSyntaxError) return fail(e.format());
        throw e;
      }
      const counter = new ProblemCounter();
      const print = o.quiet ? undefined : problemPrinter();
      const onProblem = (p: Parameters<typeof counter.sink>[0]): void => {
        counter.sink(p);
        print?.(p);
      };
      const times = new WeakMap<Event, Instant>();
      const categoryField = parseFieldPath(o.categoryField ?? (dialect === 'endgame' ? 'event_type' : 'event.category'));
      const runner = compileQuery(query, { dialect, timestamp: (ev) => times.get(ev) ?? null, category: categoryField });
      const files = await discoverInputs(paths, onProblem);
      if (files.length === 0) return fail('no readable input');
      let results = 0;
      const collected: Match[] = [];
      const out = async (ms: Match[]): Promise<void> => {
        for (const m of ms) {
          if (results >= limit) return;
          results++;
          if (o.format === 'json') collected.push(m);
          else if (o.format === 'ndjson') await writeOut(toJson(matchJson(m)) + '\n');
          else await writeOut(matchTable(m, times));
        }
      };
      let pending: Match[] = [];
      await mergeInTimeOrder(
        files.map((file) => ({ file })),
        onProblem,
        0,
        {
          feed: (it) => {
            if (results + pending.length >= limit || isStdoutClosed()) return;
            const ev = view === 'ecs' ? toEcs(it.se.event) : view === 'native' ? toNative(it.se.event) : it.se.event;
            times.set(ev, it.time);
            runner.push(ev);
            const d = runner.drain();
            if (d.length > 0) pending.push(...d);
          },
          flush: async () => {
            if (pending.length === 0) return;
            const p = pending;
            pending = [];
            await out(p);
          },
        },
      );
      await out([...pending, ...runner.end()]);
      if (o.format === 'json') await writeOut(toJson(collected.map(matchJson), 2) + '\n');
      const skipped = counter.total();
      process.stderr.write(`${results} result${results === 1 ? '' : 's'} from ${files.length} file${files.length === 1 ? '' : 's'}${skipped ? `; ${skipped} record(s) skipped` : ''}\n`);
      process.exitCode = results > 0 ? EXIT.OK : EXIT.ALERTS;
    });
}

function fail(message: string): void {
  process.stderr.write(`spoor: ${message}\n`);
  process.exitCode = EXIT.ERROR;
}

function matchJson(m: Match): unknown {
  if (m.events.length === 1 && m.keys === undefined && m.count === undefined) return m.events[0];
  const o: Record<string, unknown> = {};
  if (m.keys !== undefined) o.join_keys = m.keys;
  if (m.count !== undefined) o.count = m.count;
  o.events = m.events;
  return o;
}

function matchTable(m: Match, times: WeakMap<Event, Instant>): string {
  const rows = m.events.map((e) => {
    const t = times.get(e);
    return eventSummaryRow(e, t ? formatInstant(t) : '');
  });
  const head = m.events.length > 1 || m.keys !== undefined || m.count !== undefined
    ? `── ${m.keys !== undefined ? `keys ${toJson(m.keys)}` : 'match'}${m.count !== undefined ? ` count ${m.count}` : ''}\n`
    : '';
  return head + renderTable(rows) + '\n';
}

interface QueryCliOptions {
  dialect: string;
  format: string;
  view?: string;
  categoryField?: string;
  limit?: string;
  quiet: boolean;
}
