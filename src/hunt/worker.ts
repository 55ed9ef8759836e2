/**
 * A hunt worker thread: compiles the rules it is given once, then runs the units it is sent.
 * Only alerts, problems and counters go back to the main thread (posting events would cost
 * more than detecting them).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { unpackRules } from '../sigma/detach.js';
import { serialize } from 'node:v8';
import type { SourceProblem } from '../sources/types.js';
import type { Alert } from '../alert/types.js';
import type { PathStep, Rule } from '../ir/types.js';
import { CompiledRuleSet, Detector } from './detector.js';
import { runUnitWith } from './unit.js';
import { ruleLineFilters, type PartFilters } from './prefilter.js';
import { partOverlapNs, ruleReach, type WorkUnit } from './plan.js';
import type { FromWorker, ToWorker } from './protocol.js';
import { Clock, useClock, type LearnedOffset } from '../normalize/index.js';
import type { TimeZoneSpec } from '../events/timestamp.js';

const port = parentPort!;
// The main thread loads the rules once and sends their IR; each worker compiles it once.
const { rules: packedRules, contextEvents, tiebreaker, prefilter, clock: clockSetup } = workerData as {
  /** the rules as sigma/detach.ts packRules packs them (once for every worker, in shared memory) */
  rules: Uint8Array;
  contextEvents: number;
  tiebreaker: PathStep[] | undefined;
  prefilter: boolean;
  clock: { given: TimeZoneSpec | null; learned: Record<string, LearnedOffset> };
};
const rules = unpackRules(packedRules);
// Zone-less times: the zone given or the offsets learned before the run (hunt/clock-scan.ts).
const clock = new Clock(clockSetup.given, clockSetup.learned);
useClock(clock);
// Every unit runs every rule (plan.ts): compiled once per worker, on its first unit.
const reach = ruleReach(rules);
let compiledSet: { compiled: CompiledRuleSet; filters: PartFilters | undefined } | null = null;
function ruleSet(): { compiled: CompiledRuleSet; filters: PartFilters | undefined } {
  return (compiledSet ??= { compiled: new CompiledRuleSet(rules), filters: prefilter ? (ruleLineFilters(rules, contextEvents) ?? undefined) : undefined });
}
const send = (m: FromWorker): void => port.postMessage(m);

port.on('message', (msg: ToWorker) => {
  if (msg.type === 'exit') {
    port.close();
    return;
  }
  void run(msg.unit);
});
send({ type: 'ready' });

/**
 * Alerts cross to the main thread in batches: the detector hands them over a few at a time (a
 * pack hunt over 100k EVTX records made 533 messages of ~10 KB, each a serialize, a post and a
 * wake-up of the main thread; the posts alone took ~1 s of the worker's wall time at load 10).
 */
const ALERTS_PER_MESSAGE = 256;

async function run(unit: WorkUnit): Promise<void> {
  const outbox: Alert[] = [];
  // Packed here: the main thread holds them as bytes until the run ends (run.ts AlertStore).
  const sendAlerts = (): void => {
    if (outbox.length === 0) return;
    send({ type: 'alerts', alerts: serialize(outbox.splice(0)), ...(unit.slice ? { unitId: unit.id } : {}) });
  };
  try {
    const { compiled, filters } = ruleSet();
    const problems: SourceProblem[] = [];
    const { stats, detector, own } = await runUnitWith(unit, () => new Detector(compiled, { contextEvents, tiebreaker }), {
      // Split parts read past their end for as long as pending state needs (no time limit with
      // sequences without maxspan); time slices for the longest bounded window (plan.ts).
      overlapNs: unit.slice ? reach.windowNs : partOverlapNs(reach),
      filters,
      onProblem: (p) => {
        problems.push(p);
        if (problems.length >= 200) send({ type: 'problems', problems: problems.splice(0) });
      },
      onAlerts: (alerts) => {
        for (const a of alerts) outbox.push(a);
        if (outbox.length >= ALERTS_PER_MESSAGE) sendAlerts();
      },
      onProgress: (p) => {
        sendAlerts();
        send({ type: 'progress', unitId: unit.id, events: p.events });
      },
    });
    sendAlerts();
    if (problems.length > 0) send({ type: 'problems', problems });
    send({ type: 'done', unitId: unit.id, stats, ruleProblems: detector.problems, clock: clock.takeReport(), telemetry: detector.telemetry.counts(), ...(own ? { own } : {}) });
  } catch (e) {
    sendAlerts(); // as before batching: the alerts found before the failure are kept
    send({ type: 'failed', unitId: unit.id, message: (e as Error).stack ?? String(e) });
  }
}
