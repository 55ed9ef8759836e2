/**
 * Running one unit of work: merge its parts' event streams in time order and feed the detector.
 * The same function runs inside a worker thread or, with `--workers 0`, in the main thread.
 */
import type { Alert } from '../alert/types.js';
import type { ProblemSink, SourceProblem } from '../sources/types.js';
import { rangeFirstLines } from '../sources/index.js';
import { compareInstants } from '../events/timestamp.js';
import type { Detector } from './detector.js';
import type { StateHorizon } from '../engine/index.js';
import type { PartFilters } from './prefilter.js';
import type { WorkPart, WorkUnit } from './plan.js';
import { OrderedStream, OVERLAP_LINE_BASE, type Item, type StreamStats } from './ordered-stream.js';

export interface UnitProgress {
  events: number;
}

export async function runUnit(
  unit: WorkUnit,
  detector: Detector,
  opts: {
    overlapNs: number;
    onProblem: ProblemSink;
    onAlerts: (a: Alert[]) => void;
    onProgress?: (p: UnitProgress) => void;
    /** Line filters that skip parsing what no rule can match (see prefilter.ts). */
    filters?: PartFilters;
  },
): Promise<StreamStats> {
  let lastReport = 0;
  const range = unit.parts.length === 1 && unit.parts[0]!.range?.unit === 'bytes' ? unit.parts[0]!.range : undefined;
  // A byte range of a split file numbers its lines from its own start: hold its alerts and
  // problems until the end of the unit, then make the line numbers absolute.
  const held = range ? { alerts: [] as Alert[], problems: [] as SourceProblem[] } : null;
  const onAlerts = held ? (a: Alert[]): void => void held.alerts.push(...a) : opts.onAlerts;
  const onProblem: ProblemSink = held && range!.start > 0 ? (p) => void held.problems.push(p) : opts.onProblem;
  const stats = await mergeInTimeOrder(unit.parts, onProblem, opts.overlapNs, opts.filters, () => detector.beginOverlap(), {
    feed: (it) => {
      if (it.se.deferred && !detector.resolve(it.se, it.overlap, onProblem)) return;
      detector.push(it.se, it.time, it.overlap);
    },
    flush: (st) => {
      const a = detector.takeAlerts();
      if (a.length > 0) onAlerts(a);
      if (opts.onProgress && st.events - lastReport >= 50000) {
        lastReport = st.events;
        opts.onProgress({ events: st.events });
      }
    },
  });
  // end() first: it runs the events a tiebreaker still holds, and may skip deferred lines among them.
  const rest = detector.end();
  stats.prefiltered += detector.deferredSkipped;
  if (rest.length > 0) onAlerts(rest);
  if (held && range) {
    await absoluteLines(unit.parts[0]!.file.path, range.start, range.end, held.alerts, held.problems);
    for (const p of held.problems) opts.onProblem(p);
    if (held.alerts.length > 0) opts.onAlerts(held.alerts);
  }
  opts.onProgress?.({ events: stats.events });
  return stats;
}

/** Turn range-relative line numbers (see ordered-stream.ts) into the file's own line numbers. */
async function absoluteLines(path: string, start: number, end: number, alerts: Alert[], problems: SourceProblem[]): Promise<void> {
  const relMain = start > 0;
  const needsOverlap = alerts.some((a) => a.events.some((e) => (e.position ?? 0) >= OVERLAP_LINE_BASE));
  if (!(relMain && (alerts.length > 0 || problems.length > 0)) && !needsOverlap) return;
  const [firstMain, firstOverlap] = await rangeFirstLines(path, [start, end]);
  const fix = (pos: number | undefined): number | undefined => {
    if (pos === undefined) return pos;
    if (pos >= OVERLAP_LINE_BASE) return firstOverlap! + (pos - OVERLAP_LINE_BASE);
    return relMain ? firstMain! + pos - 1 : pos;
  };
  for (const a of alerts) {
    for (const e of a.events) e.position = fix(e.position);
    for (const e of a.context ?? []) if (e.file === path) e.position = fix(e.position);
  }
  if (relMain) {
    for (const p of problems) if (p.where) p.where = p.where.replace(/^line (\d+)/, (_m, n: string) => `line ${fix(Number(n))}`);
  }
}

/**
 * Every part of a merge is open at once, each holding a read block and the events parsed from it:
 * the blocks share this budget (1 MiB each up to 16 parts, then smaller, at least 64 KiB), so
 * memory stays flat as files are added (216 files × 1 MiB blocks and their events took > 1 GB).
 */
const MERGE_READ_BUDGET = 16 * 1024 * 1024;

export function mergeBlockBytes(parts: number): number | undefined {
  if (parts <= 1) return undefined;
  return Math.max(64 * 1024, Math.min(1024 * 1024, Math.floor(MERGE_READ_BUDGET / parts)));
}

/**
 * Read `parts` and deliver their events in time order (k-way merge of per-part ordered streams).
 * `flush` is called after each run of events, a cheap point to forward results.
 */
export async function mergeInTimeOrder(
  parts: WorkPart[],
  onProblem: ProblemSink,
  overlapNs: number,
  filters: PartFilters | undefined,
  /** Called once where a split part's overlap begins: how far ahead each rule's pending state reaches. */
  beginOverlap: (() => Map<string, StateHorizon>) | undefined,
  sink: { feed: (it: Item) => void; flush: (stats: StreamStats) => void | Promise<void> },
): Promise<StreamStats> {
  const stats: StreamStats = { events: 0, prefiltered: 0, noTimestamp: 0, outOfOrder: 0, overlapRead: 0 };
  // The horizon is only known when a part is the unit's only stream (see OrderedStream).
  const h = parts.length === 1 ? beginOverlap : undefined;
  const streams = parts.map((p) => new OrderedStream(p, onProblem, stats, overlapNs, filters, h, mergeBlockBytes(parts.length)));
  const feed = sink.feed;
  const flush = (): void | Promise<void> => sink.flush(stats);

  if (streams.length === 1) {
    const s = streams[0]!;
    while ((await s.peek()) !== null) {
      s.takeRunUpTo(null, feed);
      await flush();
    }
  } else {
    // k-way merge: take from the stream with the earliest head, up to the next stream's head.
    const live = [...streams];
    for (;;) {
      const heads: { s: OrderedStream; it: Item }[] = [];
      for (const s of live) {
        const it = await s.peek();
        if (it) heads.push({ s, it });
      }
      if (heads.length === 0) break;
      heads.sort((a, b) => compareInstants(a.it.time, b.it.time));
      const first = heads[0]!;
      const limit = heads.length > 1 ? heads[1]!.it.time : null;
      feed(first.s.take());
      first.s.takeRunUpTo(limit, feed);
      await flush();
    }
  }
  return stats;
}
