/**
 * One process of bench/eql-detect.ts: detection alone with Elastic's EQL pack, in-process, one thread.
 *   node dist/bench/eql-detect-child.js EVENTS ROUNDS RULES.json
 * Builds its inputs once (rule load and compile are not measured): EVENTS generated Elastic Defend
 * events (the hunt benchmark's generator, 5,000 hosts, seed 7) as NDJSON lines, and every record of
 * ../shared/datasets/evtx-attack-samples as JSON lines of the EVTX reader's records (their native and
 * ECS views are built by the detector as in a hunt). Each round, per input: JSON.parse every line
 * (the floor, timed), then a fresh Detector over the same compiled rules gets every parsed event
 * (EVTX records, whose bigints JSON does not keep: a fresh structured clone of the records)
 * (`Detector.push`, then `end`; timed); then selection alone (the flavour's ECS matcher `select`,
 * which stages of which rules can match, on fresh copies; timed). Prints one JSON line: per round
 * and input, CPU µs per event of the floor, of detection and of selection, and the alerts raised.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateEvents } from '../src/demo/generate.js';
import { readEvtxFile } from '../src/sources/evtx/index.js';
import { listFiles } from '../src/sources/list-files.js';
import { loadHuntRules } from '../src/hunt/load-rules.js';
import { CompiledRuleSet, Detector, flavourBit, getCategories } from '../src/hunt/detector.js';
import { detectFlavour, eventTime, toEcs } from '../src/normalize/index.js';
import { markIfNested } from '../src/events/field.js';
import { compareInstants, type Instant } from '../src/events/timestamp.js';
import type { Event } from '../src/events/field.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const shared = resolve(root, process.env.SPOOR_SHARED ?? '../shared');
const [nEvents, nRounds, rulesJson] = process.argv.slice(2);
const cpuUs = (): number => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

const rulesDirs = JSON.parse(readFileSync(rulesJson!, 'utf8')) as string[];
const loaded = await loadHuntRules({ rulesDirs, sigmaDirs: [], excludeRules: [], hunting: false, buildingBlocks: true });
const set = new CompiledRuleSet(loaded.rules);

/**
 * Events in time order (the detector requires it): their JSON text (the floor parses it) and the
 * records themselves, copied afresh each round (EVTX records hold bigints, which JSON does not keep).
 */
interface Input {
  label: string;
  lines: string[];
  records: Event[];
  bigints: boolean;
}
let bigints = false;
const text = (ev: Event): string =>
  JSON.stringify(ev, (_k, v: unknown) => {
    if (typeof v !== 'bigint') return v;
    bigints = true;
    return v.toString();
  });
function ordered(label: string, events: Event[]): Input {
  const rows = events.map((ev, i) => ({ ev, t: eventTime(structuredClone(ev)), i }));
  const kept = rows.filter((r): r is typeof r & { t: Instant } => r.t !== null);
  kept.sort((a, b) => compareInstants(a.t, b.t) || a.i - b.i);
  bigints = false;
  const lines = kept.map((r) => text(r.ev));
  return { label, lines, records: kept.map((r) => r.ev), bigints };
}

const inputs: Input[] = [];
inputs.push(ordered('generated Defend', [...generateEvents({ events: Number(nEvents), hosts: 5000, seed: 7 }).events] as Event[]));
const evtxEvents: Event[] = [];
const files = listFiles(join(shared, 'datasets/evtx-attack-samples'), '.evtx');
for (const f of files) for await (const batch of readEvtxFile(f, () => {})) for (const se of batch) evtxEvents.push(se.event);
inputs.push(ordered('EVTX attack samples', evtxEvents));

const rounds: { input: string; events: number; floorUs: number; detectUs: number; selectUs: number; alerts: number }[] = [];
for (let r = 0; r < Number(nRounds); r++) {
  for (const input of inputs) {
    const c0 = cpuUs();
    let events = new Array<Event>(input.lines.length);
    for (let i = 0; i < input.lines.length; i++) events[i] = JSON.parse(input.lines[i]!) as Event;
    const floor = cpuUs() - c0;
    // Records with bigints are fed as themselves (copied), JSON-safe ones as parsed.
    if (input.bigints) events = structuredClone(input.records);
    // Times as the hunt's reader gives them (it reads them before detection: not timed here).
    const ts = events.map((ev) => eventTime(ev)!);
    const det = new Detector(set, { contextEvents: 0 });
    let alerts = 0;
    const c1 = cpuUs();
    for (let i = 0; i < events.length; i++) {
      det.push({ event: events[i]!, file: input.label, position: i + 1 }, ts[i]!, false);
      if ((i & 1023) === 0) alerts += det.takeAlerts().length;
    }
    alerts += det.end().length;
    const detect = cpuUs() - c1;
    // Selection alone (the ECS matcher of the event's flavour: which rules' stages can match), on
    // fresh copies viewed as the detector views them (not timed), the matcher's memo kept warm.
    const fresh = input.bigints ? structuredClone(input.records) : input.lines.map((l) => JSON.parse(l) as Event);
    const views = fresh.map((ev) => {
      const ecs = toEcs(ev);
      markIfNested(ecs);
      return { ecs, cats: getCategories(ecs), m: set.ecsFor(flavourBit(detectFlavour(ev))) };
    });
    let selected = 0;
    const c2 = cpuUs();
    for (const v of views) if (v.m !== null) selected += v.m.matcher.select(v.ecs, v.cats).length;
    const select = cpuUs() - c2;
    if (selected < 0) throw new Error('unreachable');
    rounds.push({ input: input.label, events: events.length, floorUs: floor / events.length, detectUs: detect / events.length, selectUs: select / events.length, alerts });
  }
}
console.log(JSON.stringify({ rules: loaded.rules.length, skipped: loaded.skipped.length, rounds }));
