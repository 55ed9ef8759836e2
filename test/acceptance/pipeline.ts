/**
 * A minimal hunt for the acceptance tests: read → ECS view → every rule over the time-sorted
 * events of each file (runBatch) → buildAlert → dedupe/order. Independent of the hunt runner so
 * the rules are proven on their own.
 */
import type { Rule } from '../../src/ir/types.js';
import type { Event } from '../../src/events/field.js';
import type { Alert } from '../../src/alert/types.js';
import type { SourceEvent, SourceProblem } from '../../src/sources/types.js';
import { readInputs } from '../../src/sources/index.js';
import { toEcs, eventTime } from '../../src/normalize/index.js';
import { runBatch } from '../../src/engine/index.js';
import { buildAlert } from '../../src/alert/build.js';
import { WriterContext } from '../../src/alert/writer-context.js';
import { orderAlerts } from '../../src/alert/order.js';

export interface PipelineResult {
  alerts: Alert[];
  events: number;
  problems: SourceProblem[];
}

export async function readAll(paths: string[]): Promise<{ events: SourceEvent[]; problems: SourceProblem[] }> {
  const events: SourceEvent[] = [];
  const problems: SourceProblem[] = [];
  for await (const batch of readInputs(paths, (p) => problems.push(p))) for (const e of batch) events.push(e);
  return { events, problems };
}

/** Run `rules` over already-read events (all treated as one stream, sorted by event time). */
export function detect(rules: Rule[], events: SourceEvent[]): Alert[] {
  const where = new Map<Event, SourceEvent>();
  const ecs: Event[] = [];
  const writers = new WriterContext();
  for (const se of events) {
    const v = toEcs(se.event);
    where.set(v, se);
    ecs.push(v);
  }
  const time = (ev: Event) => eventTime(where.get(ev)?.event ?? ev);
  const sorted = [...ecs].sort((a, b) => {
    const x = time(a);
    const y = time(b);
    return (x?.ms ?? 0) - (y?.ms ?? 0) || (x?.ns ?? 0) - (y?.ns ?? 0);
  });
  for (const v of sorted) writers.observe(v);
  const alerts: Alert[] = [];
  for (const rule of rules) {
    for (const m of runBatch(rule.query, sorted, { timestamp: time })) {
      const sources = m.events.map((e) => {
        const se = where.get(e);
        return { file: se?.file ?? '?', position: se?.position };
      });
      const a = buildAlert(rule, m, sources);
      if (!a.writer && a.filePath) {
        const w = writers.writerFor(a.host, a.filePath, a.firstTime);
        if (w) a.writer = w;
      }
      alerts.push(a);
    }
  }
  return orderAlerts(alerts);
}

export async function huntFiles(rules: Rule[], paths: string[]): Promise<PipelineResult> {
  const { events, problems } = await readAll(paths);
  return { alerts: detect(rules, events), events: events.length, problems };
}
