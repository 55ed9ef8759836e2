/**
 * Sigma matching on pre-parsed events (issue 12 item 1): all SigmaHQ Windows rules over the native
 * view of every event of ../shared/datasets, replayed until ≥ 1M events, on one core, CPU time.
 *
 * Rows, in one process and one sitting, interleaved over --repeat rounds (median reported):
 * - dispatch only (floor): read each event's EventID and find its rule bucket — nothing matched;
 * - multi-rule matcher (engine/multi-match): select the rules whose necessary literals were seen,
 *   then run each selected rule's compiled test (as `spoor hunt` does);
 * - rule by rule (before): every rule of the EventID bucket tested, on a sample (it is ~100× slower).
 * Also: rule load (YAML → IR, and from the compiled-rule cache), compile, matcher build, peak RSS.
 * Usage: node dist/bench/sigma-match.js [--events 1000000] [--repeat 3] [--sample 20000] [--json]
 */
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import type { Event } from '../src/events/field.js';
import type { Rule } from '../src/ir/types.js';
import { compileQuery, type QueryRunner } from '../src/engine/index.js';
import { MultiMatcher } from '../src/engine/multi-match/index.js';
import { loadSigmaDir } from '../src/sigma/index.js';
import { readInputs } from '../src/sources/index.js';
import { toNative } from '../src/normalize/index.js';
import { numOption, flag } from './args.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const shared = resolve(root, process.env.SPOOR_SHARED ?? '../shared');
const rulesDir = join(shared, 'conformance/sigma/rules/windows');
const dataDir = join(shared, 'datasets');
if (!existsSync(rulesDir) || !existsSync(dataDir)) {
  console.error(`bench/sigma-match needs ${rulesDir} and ${dataDir}`);
  process.exit(2);
}
const target = numOption('events', 1000000);
const repeat = Math.max(1, numOption('repeat', 3));
const sampleSize = numOption('sample', 20000);

const cpu = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

// Rule load + compile as a hunt does it, each in a fresh process: without the load cache, then
// twice with it (the first fills a private cache directory, the second reads it).
const cacheDir = mkdtempSync(join(tmpdir(), 'spoor-bench-cache-'));
const loadChild = (env: Record<string, string>): { loadCpuS: number; compileCpuS: number; totalCpuS: number; rules: number } =>
  JSON.parse(execFileSync(process.execPath, [join(here, 'sigma-load-child.js'), rulesDir], { encoding: 'utf8', env: { ...process.env, ...env } }).trim().split('\n').pop()!) as {
    loadCpuS: number;
    compileCpuS: number;
    totalCpuS: number;
    rules: number;
  };
const coldLoad = loadChild({ SPOOR_NO_RULE_CACHE: '1' });
loadChild({ SPOOR_CACHE_DIR: cacheDir });
const cachedLoads = [0, 1, 2].map(() => loadChild({ SPOOR_CACHE_DIR: cacheDir }));
const cachedLoad = [...cachedLoads].sort((a, b) => a.totalCpuS - b.totalCpuS)[1]!;
rmSync(cacheDir, { recursive: true, force: true });

let c0 = cpu();
const { rules } = await loadSigmaDir(rulesDir);
const loadCpu = cpu() - c0;

const distinct: Event[] = [];
for await (const batch of readInputs([dataDir], () => {})) for (const se of batch) distinct.push(toNative(se.event));

const stateless = rules.filter((r): r is Rule & { query: { kind: 'event' } } => r.query.kind === 'event' && r.query.pipes.length === 0);
c0 = cpu();
const runners: QueryRunner[] = stateless.map((r) => compileQuery(r.query, { timestamp: () => null }));
const compileCpu = cpu() - c0;
c0 = cpu();
const matcher = new MultiMatcher(stateless.map((r) => ({ where: r.query.query.where, keys: r.gate?.eventIds ?? null, channels: r.gate?.channels ?? null })));
const buildCpu = cpu() - c0;
// Automata are otherwise built on the first event that needs each field (as in a hunt).
c0 = cpu();
matcher.buildAutomata();
const automataCpu = cpu() - c0;

const byKey = new Map<number, number[]>();
const unkeyed: number[] = [];
stateless.forEach((r, i) => {
  const ids = r.gate?.eventIds;
  if (!ids || ids.length === 0) unkeyed.push(i);
  else for (const id of ids) (byKey.get(id) ?? byKey.set(id, []).get(id)!).push(i);
});
const keyOf = (ev: Event): number | null => {
  const id = ev.EventID;
  return typeof id === 'number' ? id : typeof id === 'string' ? Number(id) : null;
};
const rounds = Math.ceil(target / distinct.length);
const total = rounds * distinct.length;

function floor(): { seconds: number; sink: number } {
  const t = cpu();
  let sink = 0;
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < distinct.length; i++) {
      const k = keyOf(distinct[i]!);
      sink += (k !== null ? byKey.get(k)?.length : undefined) ?? unkeyed.length;
    }
  }
  return { seconds: cpu() - t, sink };
}

function multi(): { seconds: number; matches: number; tests: number } {
  const t = cpu();
  let matches = 0;
  let tests = 0;
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < distinct.length; i++) {
      const ev = distinct[i]!;
      const sel = matcher.select(ev, keyOf(ev), ev.Channel);
      tests += sel.length;
      for (let j = 0; j < sel.length; j++) {
        const run = runners[sel[j]!]!;
        run.push(ev);
        matches += run.drain().length;
      }
    }
  }
  return { seconds: cpu() - t, matches, tests };
}

function selectOnly(): { seconds: number; tests: number } {
  const t = cpu();
  let tests = 0;
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < distinct.length; i++) {
      const ev = distinct[i]!;
      tests += matcher.select(ev, keyOf(ev), ev.Channel).length;
    }
  }
  return { seconds: cpu() - t, tests };
}

function ruleByRule(n: number): { seconds: number; matches: number; tests: number; events: number } {
  const t = cpu();
  let matches = 0;
  let tests = 0;
  const step = Math.max(1, Math.floor(distinct.length / n));
  let events = 0;
  for (let i = 0; i < distinct.length; i += step) {
    const ev = distinct[i]!;
    events++;
    const k = keyOf(ev);
    for (const list of [(k !== null ? byKey.get(k) : undefined) ?? [], unkeyed]) {
      for (const ri of list) {
        tests++;
        const run = runners[ri]!;
        run.push(ev);
        matches += run.drain().length;
      }
    }
  }
  return { seconds: cpu() - t, matches, tests, events };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
const floors: number[] = [];
const multis: number[] = [];
const olds: number[] = [];
const selects: number[] = [];
let last = { matches: 0, tests: 0 };
let oldLast = { matches: 0, tests: 0, events: 0 };
for (let i = 0; i < repeat; i++) {
  floors.push(floor().seconds);
  const m = multi();
  multis.push(m.seconds);
  last = m;
  selects.push(selectOnly().seconds);
  const o = ruleByRule(sampleSize);
  olds.push(o.seconds / o.events);
  oldLast = o;
}
const floorRate = total / median(floors);
const multiRate = total / median(multis);
const oldRate = 1 / median(olds);
const selectRate = total / median(selects);
const rssMb = process.resourceUsage().maxRSS / 1024;
const result = {
  rules: rules.length,
  statelessRules: stateless.length,
  distinctEvents: distinct.length,
  events: total,
  loadCpuS: loadCpu,
  compileCpuS: compileCpu,
  matcherBuildCpuS: buildCpu,
  automataBuildCpuS: automataCpu,
  matcher: matcher.stats,
  floorEventsPerS: floorRate,
  multiEventsPerS: multiRate,
  selectOnlyEventsPerS: selectRate,
  multiTestsPerEvent: last.tests / total,
  multiMatchesPerRound: last.matches / rounds,
  ruleByRuleEventsPerS: oldRate,
  ruleByRuleTestsPerEvent: oldLast.tests / oldLast.events,
  ruleByRuleSampleEvents: oldLast.events,
  peakRssMb: rssMb,
  huntLoadNoCache: coldLoad,
  huntLoadCached: cachedLoad,
};
if (flag('json')) console.log(JSON.stringify(result));
else {
  const f = (n: number): string => Math.round(n).toLocaleString('en-US');
  console.log(`${f(result.rules)} rules (${f(stateless.length)} single-event), ${f(distinct.length)} distinct events of ../shared/datasets replayed ${rounds}× = ${f(total)} events; CPU time, one core, median of ${repeat}\n`);
  console.log('| row | events/s (CPU) | rule tests per event | × floor time |');
  console.log('|---|---|---|---|');
  console.log(`| dispatch by EventID only (floor) | ${f(floorRate)} | 0 | 1.00 |`);
  console.log(`| multi-rule matcher + selected rules' tests | **${f(multiRate)}** | ${result.multiTestsPerEvent.toFixed(1)} | ${(floorRate / multiRate).toFixed(1)} |`);
  console.log(`| multi-rule matcher's selection only (no rule test) | ${f(selectRate)} | — | ${(floorRate / selectRate).toFixed(1)} |`);
  console.log(`| rule by rule (before; sample of ${f(oldLast.events)} events) | ${f(oldRate)} | ${result.ruleByRuleTestsPerEvent.toFixed(0)} | ${(floorRate / oldRate).toFixed(0)} |`);
  console.log(`\nmatcher: ${f(matcher.stats.atoms)} literal atoms in ${f(matcher.stats.clauses)} clauses, ${matcher.stats.alwaysEvaluated} rules always evaluated, ${f(matcher.stats.automatonNodes)} automaton nodes`);
  console.log(`\nrule load + compile as \`spoor hunt --sigma\` does it (fresh process, CPU s): without the load cache ${coldLoad.loadCpuS.toFixed(2)} + ${coldLoad.compileCpuS.toFixed(2)} = **${coldLoad.totalCpuS.toFixed(2)}**; with it (median of 3) ${cachedLoad.loadCpuS.toFixed(2)} + ${cachedLoad.compileCpuS.toFixed(2)} = **${cachedLoad.totalCpuS.toFixed(2)}** (load + matcher build; each single-event rule compiles on first use)`);
  console.log(`in this process, CPU s: YAML load ${loadCpu.toFixed(2)}, compile of every rule ${compileCpu.toFixed(2)}, matcher build ${buildCpu.toFixed(2)} + every field's automaton ${automataCpu.toFixed(2)} (a hunt builds each on the first event that needs it); peak RSS ${rssMb.toFixed(0)} MB`);
}
