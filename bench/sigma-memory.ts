/**
 * Where a Sigma hunt's memory goes (issue 12 item 1, peak memory): the live heap after each step
 * a hunt worker takes with all SigmaHQ Windows rules, measured after full garbage collections,
 * in one process — the rules' IR as the main thread loads it (through the load cache, as `spoor
 * hunt` loads it), the rules as a worker unpacks them from the main thread's shared bytes
 * (sigma/detach.ts; the main thread's copy dropped here, so the row is the worker's own), the
 * per-thread rule set and multi-rule matcher, every field's automaton (a hunt builds those it
 * meets), the rules the matcher selects on the events of ../shared/datasets compiled — and the
 * size of the shared bytes. `--attached`: the worker deserializes every rule's IR instead (as
 * before sigma/detach.ts), for comparison.
 * Usage: node dist/bench/sigma-memory.js [--attached] [--json]
 */
import { setFlagsFromString, serialize, deserialize } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { existsSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Event } from '../src/events/field.js';
import { loadHuntRules } from '../src/hunt/load-rules.js';
import { CompiledRuleSet } from '../src/hunt/detector.js';
import { readInputs } from '../src/sources/index.js';
import { toNative } from '../src/normalize/index.js';
import { packRules, unpackRules } from '../src/sigma/detach.js';
import type { Rule } from '../src/ir/types.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const here = dirname(fileURLToPath(import.meta.url));
const shared = resolve(here, '..', '..', process.env.SPOOR_SHARED ?? '../shared');
const rulesDir = join(shared, 'conformance/sigma/rules/windows');
const dataDir = join(shared, 'datasets');
if (!existsSync(rulesDir) || !existsSync(dataDir)) {
  console.error(`bench/sigma-memory needs ${rulesDir} and ${dataDir}`);
  process.exit(2);
}
const heap = (): { heapMb: number; externalMb: number } => {
  gc();
  gc();
  const m = process.memoryUsage();
  return { heapMb: m.heapUsed / 1048576, externalMb: m.external / 1048576 };
};
const steps: { step: string; heapMb: number; externalMb: number }[] = [];
const mark = (step: string): void => {
  steps.push({ step, ...heap() });
};

mark("baseline (node and spoor's modules)");
const attached = process.argv.includes('--attached');
const loaded = await loadHuntRules({ rulesDirs: [], sigmaDirs: [rulesDir], excludeRules: [], hunting: false });
const count = loaded.rules.length;
mark(`rules loaded in the main thread (${count.toLocaleString('en-US')}: built-in pack + SigmaHQ Windows, through the load cache)`);
const packed = attached ? serialize(loaded.rules) : packRules(loaded.rules);
const cloneMb = packed.length / 1048576;
loaded.rules.length = 0;
mark('main thread\'s rules dropped (the bytes for the workers kept)');
const rules = attached ? (deserialize(packed) as Rule[]) : unpackRules(packed);
await new Promise((r) => setImmediate(r));
mark(attached ? 'rules as a worker holds them (every IR deserialized: --attached)' : "rules as a worker holds them (sigma/detach.ts: Sigma rules' IR left in the shared bytes)");
const set = new CompiledRuleSet(rules);
await new Promise((r) => setImmediate(r));
mark('per-thread rule set (multi-rule matcher, telemetry needs; automata and rule tests not built yet)');
const native = set.native!;
// The events of ../shared/datasets through the matcher, as a hunt thread meets them (measured
// with the events dropped: only what the matcher and the rules keep counts).
const keyOf = (ev: Event): number | null => (typeof ev.EventID === 'number' ? ev.EventID : typeof ev.EventID === 'string' ? Number(ev.EventID) : null);
let tests = 0;
let events = 0;
for await (const batch of readInputs([dataDir], () => {})) {
  for (const se of batch) {
    const ev = toNative(se.event);
    events++;
    for (const i of native.matcher.select(ev, keyOf(ev), ev.Channel)) {
      const run = set.shared.get(native.rules[i]!)!;
      run.push(ev);
      run.drain();
      tests++;
    }
  }
}
await new Promise((r) => setImmediate(r));
mark(`after matching the ${events.toLocaleString('en-US')} events of ../shared/datasets once (automata of the fields met built, selected rules compiled)`);
native.matcher.buildAutomata();
mark("every field's automaton built");
for (const r of native.rules) {
  const run = set.shared.get(r)!;
  run.push({ EventID: -1 });
  run.drain();
}
await new Promise((r) => setImmediate(r));
mark('every rule test compiled');
const result = { steps, cloneMb, tests, matcher: native.matcher.stats };
if (process.argv.includes('--json')) console.log(JSON.stringify(result));
else {
  console.log('| step | live heap MB | Δ | external MB (typed arrays) | Δ |');
  console.log('|---|---:|---:|---:|---:|');
  steps.forEach((s, i) => {
    const p = i > 0 ? steps[i - 1]! : null;
    const d = (a: number, b: number | undefined): string => (b === undefined ? '' : `${a - b >= 0 ? '+' : ''}${(a - b).toFixed(0)}`);
    console.log(`| ${s.step} | ${s.heapMb.toFixed(0)} | ${d(s.heapMb, p?.heapMb)} | ${s.externalMb.toFixed(0)} | ${d(s.externalMb, p?.externalMb)} |`);
  });
  console.log(`\nthe rules as the workers receive them (${attached ? 'v8.serialize' : 'sigma/detach.ts packRules, one SharedArrayBuffer for all workers'}): ${cloneMb.toFixed(1)} MB (rules: ${count}); ${tests.toLocaleString('en-US')} rule tests; ${native.matcher.stats.automatonNodes.toLocaleString('en-US')} automaton nodes`);
}
