/**
 * EQL engine benchmark: `npm run build && node --expose-gc dist/bench/eql.js [--events N] [--memory-events M] [--skip-memory] [--skip-throughput]`
 *
 * Generated Elastic-Defend-style events (src/demo/generate.ts) stream through compiled queries:
 *   (a) a single-event filter, (b) Elastic's "Remote Execution via File Shares" sequence rule,
 *   read verbatim from ../shared/reference/elastic-detection-rules when present.
 * Throughput is measured on pre-parsed objects and from NDJSON text (JSON.parse per line); the
 * generator's own time is excluded (events are produced in chunks, only engine time is counted).
 * Memory: the rule streams M events straight from the generator, sampling rss/heapUsed, to show it
 * stays flat. Prints a markdown table.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadavg } from 'node:os';
import { parse as parseToml } from 'smol-toml';
import { parseEql } from '../src/eql/index.js';
import { compileQuery, type Match, type QueryRunner } from '../src/engine/index.js';
import { FILE_SHARE_RULE_ID, generateEvents } from '../src/demo/generate.js';
import type { Query } from '../src/ir/types.js';
import type { Event } from '../src/events/field.js';

const RULE_FILE = 'reference/elastic-detection-rules/lateral_movement_execution_via_file_shares_sequence.toml';
const FILTER = 'process where event.type == "start" and process.name : ("cmd.exe", "powershell.exe", "rundll32.exe")';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

function repoRoot(): string {
  let d = resolve(new URL('.', import.meta.url).pathname);
  while (!existsSync(resolve(d, 'package.json')) && d !== '/') d = resolve(d, '..');
  return d;
}

function loadRule(): { text: string; source: string } {
  const path = resolve(repoRoot(), process.env.SPOOR_SHARED ?? '../shared', RULE_FILE);
  if (!existsSync(path)) throw new Error(`rule file not found: ${path} (the ../shared data beside the repo)`);
  const doc = parseToml(readFileSync(path, 'utf8')) as { rule?: { query?: string } };
  if (!doc.rule?.query) throw new Error(`no rule.query in ${path}`);
  return { text: doc.rule.query, source: '../shared/' + RULE_FILE };
}

interface Case {
  label: string;
  ndjson: boolean;
  isRule: boolean;
  runner: QueryRunner;
  seconds: number;
  matches: Match[];
}

const CHUNK = 100_000;

/**
 * One pass over `n` generated events in chunks; every case gets each chunk and only its own
 * engine time (plus JSON.parse for NDJSON cases) is counted. A trivial loop reading
 * event.category calibrates how fast this machine is at the moment.
 */
function throughputs(cases: Case[], n: number): { events: number; baselinePerSec: number } {
  const gen = generateEvents({ events: n, hosts: 200, seed: 7 });
  const source = gen.events[Symbol.iterator]();
  let count = 0;
  let baseSeconds = 0;
  let sink = 0;
  for (;;) {
    const chunk: Event[] = [];
    for (let r = source.next(); !r.done; r = source.next()) {
      chunk.push(r.value as Event);
      if (chunk.length === CHUNK) break;
    }
    if (chunk.length === 0) break;
    count += chunk.length;
    const lines = cases.some((c) => c.ndjson) ? chunk.map((e) => JSON.stringify(e)) : [];
    let t0 = process.hrtime.bigint();
    for (const ev of chunk) {
      const c = (ev['event'] as { category?: unknown } | undefined)?.category;
      if (Array.isArray(c) && c.includes('process')) sink++;
    }
    baseSeconds += Number(process.hrtime.bigint() - t0) / 1e9;
    for (const c of cases) {
      const { runner, matches } = c;
      t0 = process.hrtime.bigint();
      if (c.ndjson) {
        for (const line of lines) {
          runner.push(JSON.parse(line) as Event);
          const got = runner.drain();
          if (got.length) matches.push(...got);
        }
      } else {
        for (const ev of chunk) {
          runner.push(ev);
          const got = runner.drain();
          if (got.length) matches.push(...got);
        }
      }
      c.seconds += Number(process.hrtime.bigint() - t0) / 1e9;
    }
  }
  for (const c of cases) {
    const t0 = process.hrtime.bigint();
    c.matches.push(...c.runner.end());
    c.seconds += Number(process.hrtime.bigint() - t0) / 1e9;
  }
  if (sink < 0) console.log(sink);
  return { events: count, baselinePerSec: count / baseSeconds };
}

/** Stream `n` generated events through the rule, sampling memory; returns peaks and the planted check. */
function memoryRun(q: Query, n: number): { rssMB: number; heapMB: number; state: number; found: number; planted: number } {
  const gen = generateEvents({ events: n, hosts: 200, seed: 11 });
  const runner = compileQuery(q);
  let found = 0;
  let rss = 0;
  let heap = 0;
  let maxState = 0;
  let i = 0;
  for (const ev of gen.events) {
    runner.push(ev as Event);
    found += runner.drain().length;
    if (++i % 100_000 === 0) {
      // With --expose-gc, sample live memory rather than garbage awaiting collection.
      (globalThis as { gc?: () => void }).gc?.();
      const m = process.memoryUsage();
      rss = Math.max(rss, m.rss);
      heap = Math.max(heap, m.heapUsed);
      maxState = Math.max(maxState, runner.stateSize());
    }
  }
  found += runner.end().length;
  const planted = gen.planted.filter((p) => p.ruleId === FILE_SHARE_RULE_ID).length;
  return { rssMB: rss / 1e6, heapMB: heap / 1e6, state: maxState, found, planted };
}

function checkPlanted(matches: Match[], planted: { host: string; path: string }[]): string {
  const key = (host: unknown, path: unknown): string => `${String(host).toLowerCase()}|${String(path).toLowerCase()}`;
  const want = new Set(planted.map((p) => key(p.host, p.path)));
  const got = new Set(
    matches.map((m) => {
      const ev = m.events[0] as { host?: { name?: unknown }; file?: { path?: unknown } };
      return key(ev.host?.name, ev.file?.path);
    }),
  );
  const missed = [...want].filter((k) => !got.has(k)).length;
  const extra = [...got].filter((k) => !want.has(k)).length;
  return missed === 0 && extra === 0 && matches.length === planted.length
    ? `${matches.length}/${planted.length} exact`
    : `${matches.length} found, ${planted.length} planted (${missed} missed, ${extra} extra)`;
}

function main(): void {
  const n = arg('--events', 1_000_000);
  const memN = arg('--memory-events', 10_000_000);
  const rule = loadRule();
  const ruleQuery = parseEql(rule.text);
  const filterQuery = parseEql(FILTER);
  console.log(`# spoor EQL engine benchmark (node ${process.version}, ${n.toLocaleString('en-US')} generated events)\n`);
  console.log(`Rule: "Remote Execution via File Shares", verbatim from ${rule.source}`);
  // Memory first, on a clean heap.
  if (!process.argv.includes('--skip-memory')) memoryTable(ruleQuery, memN);
  if (process.argv.includes('--skip-throughput')) return;
  const planted = generateEvents({ events: n, hosts: 200, seed: 7 }).planted.filter((p) => p.ruleId === FILE_SHARE_RULE_ID);
  console.log('');
  const cases: Case[] = [];
  for (const [label, q, isRule] of [
    ['single-event filter', filterQuery, false],
    ['file-share rule (sequence)', ruleQuery, true],
  ] as const) {
    for (const ndjson of [false, true]) cases.push({ label, ndjson, isRule, runner: compileQuery(q), seconds: 0, matches: [] });
  }
  const { events, baselinePerSec } = throughputs(cases, n);
  console.log('| query | input | events | engine s | events/s | matches |');
  console.log('|---|---|---:|---:|---:|---|');
  for (const c of cases) {
    const rate = Math.round(events / c.seconds);
    const found = c.isRule ? checkPlanted(c.matches, planted) : String(c.matches.length);
    console.log(
      `| ${c.label} | ${c.ndjson ? 'NDJSON text (JSON.parse per line)' : 'pre-parsed objects'} | ${events.toLocaleString('en-US')} | ${c.seconds.toFixed(2)} | ${rate.toLocaleString('en-US')} | ${found} |`,
    );
  }
  console.log(
    `\nCalibration: a bare loop reading event.category ran at ${Math.round(baselinePerSec).toLocaleString('en-US')} events/s on this machine (load average ${loadavg()[0]!.toFixed(1)}).`,
  );
}

function memoryTable(ruleQuery: Query, memN: number): void {
  console.log('\n| rule streamed over | peak rss MB | peak heapUsed MB | max live state | planted found |');
  console.log('|---:|---:|---:|---:|---|');
  for (const m of [Math.min(1_000_000, memN), memN]) {
    const r = memoryRun(ruleQuery, m);
    console.log(
      `| ${m.toLocaleString('en-US')} | ${r.rssMB.toFixed(0)} | ${r.heapMB.toFixed(0)} | ${r.state} | ${r.found}/${r.planted} |`,
    );
  }
}

main();
