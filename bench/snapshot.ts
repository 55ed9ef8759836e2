/**
 * Detection-state snapshots (engine/snapshot.ts): size and export/import cost for a realistic
 * state, side by side with what a snapshot replaces — rebuilding the state by replaying the log
 * window (serve's and the cluster's fallback: re-detect every event inside the rules' longest
 * window behind the newest event).
 *
 * Generates `--events` Elastic Defend events (demo generator, `--hosts` hosts, planted attacks),
 * runs them through a Detector with the built-in pack (plus `--rules DIR` EQL/TOML and `--sigma DIR`
 * rules if given), and
 * at each of `--points` evenly spaced points measures, `--runs` times interleaved (median of CPU
 * time, process.cpuUsage):
 *   export   Detector.exportState()            stringify  JSON.stringify of it
 *   parse    JSON.parse of the text            import     importState into a fresh Detector
 *   replay   a fresh Detector fed the window's events (the floor: the restore it replaces)
 * Prints a markdown table: events held in state, snapshot size (bytes of UTF-8 JSON), each time,
 * and (export+stringify) and (parse+import) as ratios of the replay.
 *
 * Usage: node dist/bench/snapshot.js [--events 100000] [--hosts 50] [--seed 7] [--points 4] [--runs 5] [--rules DIR] [--sigma DIR]
 *   e.g. --rules ../shared/reference/elastic-detection-rules/repo/rules/windows (Elastic's Windows rules)
 */
import type { Rule } from '../src/ir/types.js';
import type { Instant } from '../src/events/timestamp.js';
import type { SourceEvent } from '../src/sources/types.js';
import { Detector } from '../src/hunt/detector.js';
import { loadHuntRules, longestWindowNs } from '../src/hunt/load-rules.js';
import { generateEvents } from '../src/demo/generate.js';
import { parseStored } from '../src/serve/ingest-parse.js';
import { numOption, option } from './args.js';

const EVENTS = numOption('events', 100000);
const HOSTS = numOption('hosts', 50);
const SEED = numOption('seed', 7);
const POINTS = numOption('points', 4);
const RUNS = numOption('runs', 5);
const SIGMA = option('sigma', '');
const RULES = option('rules', '');

interface Item {
  line: string;
  seq: number;
  time: Instant;
}

const cpuMs = (f: () => void): number => {
  const a = process.cpuUsage();
  f();
  const d = process.cpuUsage(a);
  return (d.user + d.system) / 1000;
};
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function feed(d: Detector, items: Item[]): void {
  for (const it of items) {
    const ev = parseStored(it.line, it.seq)!;
    d.push(ev.se as SourceEvent, ev.time ?? it.time, false);
    d.takeAlerts();
  }
}

async function main(): Promise<void> {
  const loaded = await loadHuntRules({ rulesDirs: RULES ? [RULES] : [], sigmaDirs: SIGMA ? [SIGMA] : [], excludeRules: [], hunting: false });
  const rules: Rule[] = loaded.rules;
  const windowMs = longestWindowNs(rules) / 1e6;
  const g = generateEvents({ events: EVENTS, hosts: HOSTS, seed: SEED });
  const items: Item[] = [];
  let seq = 0;
  for (const line of g.lines) {
    const ev = parseStored(line, ++seq);
    if (ev?.time) items.push({ line, seq, time: ev.time });
  }
  const stateful = rules.filter((r) => r.query.kind !== 'event' || r.query.pipes.length > 0).length;
  process.stdout.write(`${items.length} Defend events, ${HOSTS} hosts, ${rules.length} rules (${stateful} stateful), longest window ${(windowMs / 1000).toFixed(0)} s; median of ${RUNS} runs, CPU ms\n\n`);
  process.stdout.write('| after events | events held | rule states | snapshot bytes | export | stringify | parse | import | replay window (events) | save ÷ replay | restore ÷ replay |\n');
  process.stdout.write('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n');
  const live = new Detector(rules, { contextEvents: 0 });
  let done = 0;
  for (let p = 1; p <= POINTS; p++) {
    const upto = Math.round((items.length * p) / POINTS);
    feed(live, items.slice(done, upto));
    done = upto;
    const newest = items[upto - 1]!.time.ms;
    let from = upto;
    while (from > 0 && items[from - 1]!.time.ms >= newest - windowMs) from--;
    const window = items.slice(from, upto);
    const t = { exp: [] as number[], str: [] as number[], par: [] as number[], imp: [] as number[], rep: [] as number[] };
    let bytes = 0;
    let held = 0;
    let ruleStates = 0;
    for (let r = 0; r < RUNS; r++) {
      let state: ReturnType<Detector['exportState']> | null = null;
      let text = '';
      let parsed: unknown = null;
      t.exp.push(cpuMs(() => (state = live.exportState())));
      t.str.push(cpuMs(() => (text = JSON.stringify(state))));
      t.par.push(cpuMs(() => (parsed = JSON.parse(text))));
      const fresh = new Detector(rules, { contextEvents: 0 });
      t.imp.push(cpuMs(() => fresh.importState(parsed)));
      const replay = new Detector(rules, { contextEvents: 0 });
      t.rep.push(cpuMs(() => feed(replay, window)));
      bytes = Buffer.byteLength(text);
      held = state!.events.length;
      ruleStates = state!.rules.length;
    }
    const save = median(t.exp) + median(t.str);
    const restore = median(t.par) + median(t.imp);
    const rep = median(t.rep);
    const f = (x: number): string => x.toFixed(1);
    process.stdout.write(
      `| ${upto} | ${held} | ${ruleStates} | ${bytes} | ${f(median(t.exp))} | ${f(median(t.str))} | ${f(median(t.par))} | ${f(median(t.imp))} | ${f(rep)} (${window.length}) | ${(save / rep).toFixed(3)} | ${(restore / rep).toFixed(3)} |\n`,
    );
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
