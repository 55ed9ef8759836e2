/**
 * serve's detection thread. The main thread (detect-loop.ts) keeps HTTP, the per-host reorder
 * buffer and the checkpoints; this thread parses each committed event once from the raw document
 * the log holds and runs the rules (hunt/detector.ts, as `hunt` does):
 *
 * - on arrival (`arrive`, seq order): single-event rules (no state, so order does not matter),
 *   so their alerts do not wait for the reorder buffer's watermark;
 * - on release (`release`, per-host time order behind the watermark): sequences, correlations,
 *   pipes and lineage rules. The parsed event waits here between the two messages.
 *
 * Every message is answered, in order, with the alerts it produced; the loop treats a message's
 * events as possibly unprocessed until its answer is in (its checkpoints replay them).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Rule } from '../ir/types.js';
import type { Instant } from '../events/timestamp.js';
import type { SourceEvent } from '../sources/types.js';
import type { Alert } from '../alert/types.js';
import { Detector, isStateless } from '../hunt/detector.js';
import { parseStored } from './ingest-parse.js';
import { ownThreadId } from './thread-cpu.js';
import type { DetectReply, DetectTelemetry, DetectWorkerData, ToDetect } from './detect-protocol.js';

interface Held {
  se: SourceEvent;
  time: Instant;
}

function build(rules: Rule[]): { instant: Detector | null; ordered: Detector | null } {
  const single = rules.filter(isStateless);
  const stateful = rules.filter((r) => !isStateless(r));
  return {
    instant: single.length > 0 ? new Detector(single, { contextEvents: 0 }) : null,
    ordered: stateful.length > 0 ? new Detector(stateful, { contextEvents: 0 }) : null,
  };
}

const count = (d: { instant: Detector | null; ordered: Detector | null }): number => (d.instant?.ruleCount ?? 0) + (d.ordered?.ruleCount ?? 0);

let det = build((workerData as DetectWorkerData).rules);
const held = new Map<number, Held>();
const port = parentPort!;
let telemetrySentAt = 0;
let telemetryTimer: NodeJS.Timeout | null = null;
const telemetryNow = (): DetectTelemetry => ({ instant: det.instant?.telemetry.counts() ?? null, ordered: det.ordered?.telemetry.counts() ?? null });

function push(d: Detector, h: Held, seq: number, problems: string[]): void {
  try {
    d.push(h.se, h.time, false);
  } catch (e) {
    problems.push(`detection failed on event ${seq}: ${(e as Error).message}`);
  }
}

port.postMessage({ id: 0, alerts: [], problems: [], unreadable: [], ruleCount: count(det), stateKept: 0, tid: ownThreadId() } satisfies DetectReply);

port.on('message', (m: ToDetect) => {
  const t0 = performance.now();
  const problems: string[] = [];
  const unreadable: number[] = [];
  const reply: DetectReply = { id: m.id, alerts: [], problems, unreadable };
  if (m.t === 'arrive') {
    const { instant, ordered } = det;
    const raws = m.raws.split('\n');
    for (let i = 0; i < m.seqs.length; i++) {
      const seq = m.seqs[i]!;
      const ev = parseStored(raws[i] ?? '', seq, m.plain[i] === 1);
      if (!ev) {
        unreadable.push(seq);
        continue;
      }
      const t = m.times[i];
      const h: Held = { se: ev.se, time: t ? { ms: t[0], ns: t[1] } : (ev.time ?? { ms: Date.now(), ns: 0 }) };
      if (instant) push(instant, h, seq, problems);
      if (ordered) held.set(seq, h);
    }
    if (instant) collect(instant, reply.alerts);
  } else if (m.t === 'release') {
    const { ordered } = det;
    for (const seq of m.seqs) {
      const h = held.get(seq);
      if (!h) continue;
      held.delete(seq);
      if (ordered) push(ordered, h, seq, problems);
    }
    if (ordered) collect(ordered, reply.alerts);
  } else {
    const next = build(m.rules);
    const kept = next.ordered && det.ordered ? next.ordered.adoptState(det.ordered) : 0;
    det = next;
    if (!det.ordered) held.clear();
    reply.ruleCount = count(det);
    reply.stateKept = kept;
  }
  const now = performance.now();
  if (m.t === 'reload' || now - telemetrySentAt >= 250) {
    telemetrySentAt = now;
    reply.telemetry = telemetryNow();
  } else if (!telemetryTimer) {
    // A trailing report, so the last batch's counts reach the loop even if no message follows.
    telemetryTimer = setTimeout(() => {
      telemetryTimer = null;
      telemetrySentAt = performance.now();
      port.postMessage({ id: -1, alerts: [], problems: [], unreadable: [], telemetry: telemetryNow() } satisfies DetectReply);
    }, 250);
    telemetryTimer.unref();
  }
  if (process.env.SPOOR_DEBUG) process.stderr.write(`${m.t} ${"seqs" in m ? m.seqs.length : 0} ${(performance.now() - t0).toFixed(1)}ms\n`);
  port.postMessage(reply);
});

function collect(d: Detector, out: Alert[]): void {
  const got = d.takeAlerts();
  for (const a of got) out.push(a);
}
