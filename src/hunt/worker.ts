/**
 * A hunt worker thread: compiles the rules it is given once, then runs the units it is sent.
 * Only alerts, problems and counters go back to the main thread (posting events would cost
 * more than detecting them).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { SourceProblem } from '../sources/types.js';
import type { PathStep, Rule } from '../ir/types.js';
import { longestWindowNs } from './load-rules.js';
import { CompiledRuleSet, Detector } from './detector.js';
import { runUnit } from './unit.js';
import { ruleLineFilters } from './prefilter.js';
import type { WorkUnit } from './plan.js';
import type { FromWorker, ToWorker } from './protocol.js';
import { Clock, useClock, type LearnedOffset } from '../normalize/index.js';
import type { TimeZoneSpec } from '../events/timestamp.js';

const port = parentPort!;
// The main thread loads the rules once and sends their IR; each worker compiles it once.
const { rules, contextEvents, tiebreaker, prefilter, clock: clockSetup } = workerData as {
  rules: Rule[];
  contextEvents: number;
  tiebreaker: PathStep[] | undefined;
  prefilter: boolean;
  clock: { given: TimeZoneSpec | null; learned: Record<string, LearnedOffset> };
};
// Zone-less times: the zone given or the offsets learned before the run (hunt/clock-scan.ts).
const clock = new Clock(clockSetup.given, clockSetup.learned);
useClock(clock);
const compiled = new CompiledRuleSet(rules);
const filters = prefilter ? (ruleLineFilters(rules, contextEvents) ?? undefined) : undefined;
const overlapNs = longestWindowNs(rules);
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
    const detector = new Detector(compiled, { contextEvents, tiebreaker });
    const problems: SourceProblem[] = [];
    const stats = await runUnit(unit, detector, {
      overlapNs,
      filters,
      onProblem: (p) => {
        problems.push(p);
        if (problems.length >= 200) send({ type: 'problems', problems: problems.splice(0) });
      },
      onAlerts: (alerts) => send({ type: 'alerts', alerts }),
      onProgress: (p) => send({ type: 'progress', unitId: unit.id, events: p.events }),
    });
    if (problems.length > 0) send({ type: 'problems', problems });
    send({ type: 'done', unitId: unit.id, stats, ruleProblems: detector.problems, clock: clock.takeReport(), telemetry: detector.telemetry.counts() });
  } catch (e) {
    send({ type: 'failed', unitId: unit.id, message: (e as Error).stack ?? String(e) });
  }
}
