/**
 * A hunt worker thread: compiles the rules it is given once, then runs the units it is sent.
 * Only alerts, problems and counters go back to the main thread (posting events would cost
 * more than detecting them).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { unpackRules } from '../sigma/detach.js';
import type { SourceProblem } from '../sources/types.js';
import type { PathStep, Rule } from '../ir/types.js';
import { splitByWindow } from './load-rules.js';
import { CompiledRuleSet, Detector } from './detector.js';
import { runUnitWith } from './unit.js';
import { ruleLineFilters, type PartFilters } from './prefilter.js';
import type { WorkUnit } from './plan.js';
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
// Rules compiled once per worker, per subset a unit asks for (all, or bounded/unbounded; plan.ts).
const windows = splitByWindow(rules);
const overlapNs = windows.windowNs;
const sets = new Map<WorkUnit['rules'], { compiled: CompiledRuleSet; filters: PartFilters | undefined }>();
function ruleSet(which: WorkUnit['rules']): { compiled: CompiledRuleSet; filters: PartFilters | undefined } {
  let s = sets.get(which);
  if (!s) {
    const rs = which === 'bounded' ? windows.bounded : which === 'unbounded' ? windows.unbounded : rules;
    s = { compiled: new CompiledRuleSet(rs), filters: prefilter ? (ruleLineFilters(rs, contextEvents) ?? undefined) : undefined };
    sets.set(which, s);
  }
  return s;
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

async function run(unit: WorkUnit): Promise<void> {
  try {
    const { compiled, filters } = ruleSet(unit.rules);
    const problems: SourceProblem[] = [];
    const { stats, detector, own } = await runUnitWith(unit, () => new Detector(compiled, { contextEvents, tiebreaker }), {
      overlapNs,
      filters,
      onProblem: (p) => {
        problems.push(p);
        if (problems.length >= 200) send({ type: 'problems', problems: problems.splice(0) });
      },
      onAlerts: (alerts) => send({ type: 'alerts', alerts, ...(unit.slice ? { unitId: unit.id } : {}) }),
      onProgress: (p) => send({ type: 'progress', unitId: unit.id, events: p.events }),
    });
    if (problems.length > 0) send({ type: 'problems', problems });
    send({ type: 'done', unitId: unit.id, stats, ruleProblems: detector.problems, clock: clock.takeReport(), telemetry: detector.telemetry.counts(), ...(own ? { own } : {}) });
  } catch (e) {
    send({ type: 'failed', unitId: unit.id, message: (e as Error).stack ?? String(e) });
  }
}
