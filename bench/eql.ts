/**
 * EQL engine benchmark: `npm run build && node --expose-gc dist/bench/eql.js [--events N] [--runs R] [--memory-events M] [--skip-memory] [--skip-throughput] [--skip-ndjson]`
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
import { listFiles } from '../src/sources/list-files.js';
import { numOption, flag } from './args.js';

const RULE_FILE = 'reference/elastic-detection-rules/lateral_movement_execution_via_file_shares_sequence.toml';
const FILTER = 'process where event.type == "start" and process.name : ("cmd.exe", "powershell.exe", "rundll32.exe")';


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
  /** One independent runner per repetition; each sees the whole stream in order. */
  runners: QueryRunner[];
  /** CPU seconds (user + system, process.cpuUsage) per repetition. */
  cpu: number[];
  /** Wall-clock seconds per repetition. */
  wall: number[];
  /** Matches of the first repetition (the others must agree). */
  matches: Match[];
  counts: number[];
}

const CHUNK = 100_000;

function cpuSeconds(since: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1e6;
}

/**
 * One pass over `n` generated events in chunks. Every chunk goes through `reps` independent
 * runners per case (fresh state each, interleaved chunk by chunk so load changes hit all
 * repetitions alike); each repetition's CPU and wall time are summed separately and the best is
 * reported. A bare loop reading event.category, timed the same way, calibrates the machine.
 */
function throughputs(cases: Case[], n: number, reps: number): { events: number; baseCpu: number; baseWall: number } {
  const gen = generateEvents({ events: n, hosts: 200, seed: 7 });
  const source = gen.events[Symbol.iterator]();
  let count = 0;
  const baseCpu = new Array<number>(reps).fill(0);
  const baseWall = new Array<number>(reps).fill(0);
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
    for (let rep = 0; rep < reps; rep++) {
      const c0 = process.cpuUsage();
      const w0 = process.hrtime.bigint();
      for (const ev of chunk) {
        const c = (ev['event'] as { category?: unknown } | undefined)?.category;
        if (Array.isArray(c) && c.includes('process')) sink++;
      }
      baseCpu[rep]! += cpuSeconds(c0);
      baseWall[rep]! += Number(process.hrtime.bigint() - w0) / 1e9;
      for (const c of cases) {
        const runner = c.runners[rep]!;
        let found = 0;
        const c1 = process.cpuUsage();
        const w1 = process.hrtime.bigint();
        if (c.ndjson) {
          for (const line of lines) {
            runner.push(JSON.parse(line) as Event);
            const got = runner.drain();
            if (got.length) {
              found += got.length;
              if (rep === 0) c.matches.push(...got);
            }
          }
        } else {
          for (const ev of chunk) {
            runner.push(ev);
            const got = runner.drain();
            if (got.length) {
              found += got.length;
              if (rep === 0) c.matches.push(...got);
            }
          }
        }
        c.cpu[rep]! += cpuSeconds(c1);
        c.wall[rep]! += Number(process.hrtime.bigint() - w1) / 1e9;
        c.counts[rep]! += found;
      }
    }
  }
  for (const c of cases) {
    for (let rep = 0; rep < reps; rep++) {
      const c1 = process.cpuUsage();
      const got = c.runners[rep]!.end();
      c.cpu[rep]! += cpuSeconds(c1);
      c.counts[rep]! += got.length;
      if (rep === 0) c.matches.push(...got);
    }
  }
  if (sink < 0) console.log(sink);
  return { events: count, baseCpu: Math.min(...baseCpu), baseWall: Math.min(...baseWall) };
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
  const n = numOption('events', 1_000_000);
  const memN = numOption('memory-events', 10_000_000);
  const rule = loadRule();
  const ruleQuery = parseEql(rule.text);
  const filterQuery = parseEql(FILTER);
  console.log(`# spoor EQL engine benchmark (node ${process.version}, ${n.toLocaleString('en-US')} generated events)\n`);
  console.log(`Rule: "Remote Execution via File Shares", verbatim from ${rule.source}`);
  // Memory first, on a clean heap.
  if (!flag('skip-memory')) memoryTable(ruleQuery, memN);
  if (flag('skip-throughput')) return;
  const planted = generateEvents({ events: n, hosts: 200, seed: 7 }).planted.filter((p) => p.ruleId === FILE_SHARE_RULE_ID);
  console.log('');
  const reps = Math.max(1, numOption('runs', 3));
  const cases: Case[] = [];
  for (const [label, q, isRule] of [
    ['single-event filter', filterQuery, false],
    ['file-share rule (sequence)', ruleQuery, true],
  ] as const) {
    for (const ndjson of flag('skip-ndjson') ? [false] : [false, true]) {
      const runners = Array.from({ length: reps }, () => compileQuery(q));
      const zeros = (): number[] => new Array<number>(reps).fill(0);
      cases.push({ label, ndjson, isRule, runners, cpu: zeros(), wall: zeros(), matches: [], counts: zeros() });
    }
  }
  const { events, baseCpu, baseWall } = throughputs(cases, n, reps);
  const perSec = (s: number): string => Math.round(events / s).toLocaleString('en-US');
  console.log(`Best of ${reps} runs (independent runners, interleaved chunk by chunk). CPU = user + system time of this process.\n`);
  console.log('| query | input | events | CPU s | events/s (CPU) | wall s | events/s (wall) | × bare loop (CPU) | matches |');
  console.log('|---|---|---:|---:|---:|---:|---:|---:|---|');
  for (const c of cases) {
    const cpu = Math.min(...c.cpu);
    const wall = Math.min(...c.wall);
    const agree = c.counts.every((k) => k === c.counts[0]) ? '' : ` (repetitions disagree: ${c.counts.join('/')})`;
    const found = (c.isRule ? checkPlanted(c.matches, planted) : String(c.matches.length)) + agree;
    console.log(
      `| ${c.label} | ${c.ndjson ? 'NDJSON text (JSON.parse per line)' : 'pre-parsed objects'} | ${events.toLocaleString('en-US')} | ${cpu.toFixed(2)} | ${perSec(cpu)} | ${wall.toFixed(2)} | ${perSec(wall)} | ${(cpu / baseCpu).toFixed(2)} | ${found} |`,
    );
  }
  console.log(
    `\nCalibration: a bare loop reading event.category: ${perSec(baseCpu)} events/s CPU, ${perSec(baseWall)} events/s wall (best of ${reps}; load average ${loadavg()[0]!.toFixed(1)}).`,
  );
}

/**
 * `--sigma`: the engine's side of `spoor hunt --sigma`, in CPU time. Every SigmaHQ Windows rule is
 * compiled and each EVTX-ATTACK-SAMPLES event (read and normalised once, outside the timer) is
 * pushed to the rules its EventID gate admits, as src/sigma/bench.ts does; best of R runs, each
 * with freshly compiled rules.
 */
async function sigmaBench(reps: number): Promise<void> {
  const { join } = await import('node:path');
  const { loadSigmaDir } = await import('../src/sigma/index.js');
  const { indexByEventId } = await import('../src/sigma/bench.js');
  const { eventTime, toNative } = await import('../src/normalize/index.js');
  const { readEvtxFile } = await import('../src/sources/evtx/index.js');
  const shared = resolve(repoRoot(), process.env.SPOOR_SHARED ?? '../shared');
  const rulesDir = join(shared, 'conformance/sigma/rules/windows');
  const samples = join(shared, 'datasets/evtx-attack-samples');
  const { rules } = await loadSigmaDir(rulesDir);
  const events: Event[] = [];
  for (const f of listFiles(samples, '.evtx')) for await (const batch of readEvtxFile(f, () => {})) for (const se of batch) events.push(toNative(se.event));
  let best = Infinity;
  let checks = 0;
  let matches = 0;
  for (let rep = 0; rep < reps; rep++) {
    const compiled = rules.map((r) => compileQuery(r.query, { timestamp: eventTime }));
    const { byEventId, ungated } = indexByEventId(rules, compiled);
    checks = 0;
    matches = 0;
    const c0 = process.cpuUsage();
    for (const ev of events) {
      const gated = byEventId.get(Number(ev['EventID']));
      if (gated) {
        for (const run of gated) {
          checks++;
          run.push(ev);
          matches += run.drain().length;
        }
      }
      for (const run of ungated) {
        checks++;
        run.push(ev);
        matches += run.drain().length;
      }
    }
    for (const run of compiled) matches += run.end().length;
    best = Math.min(best, cpuSeconds(c0));
  }
  console.log(`# Sigma matching, CPU time (node ${process.version}, best of ${reps})\n`);
  console.log('| rules | events | rule checks | CPU s | rule checks/s (CPU) | events/s (CPU) | matches |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|');
  console.log(
    `| ${rules.length} | ${events.length.toLocaleString('en-US')} | ${checks.toLocaleString('en-US')} | ${best.toFixed(2)} | ${Math.round(checks / best).toLocaleString('en-US')} | ${Math.round(events.length / best).toLocaleString('en-US')} | ${matches} |`,
  );
  console.log(`\nLoad average ${loadavg()[0]!.toFixed(1)}.`);
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

if (flag('sigma')) await sigmaBench(Math.max(1, numOption('runs', 3)));
else main();
