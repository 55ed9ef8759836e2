/**
 * Running one unit of work: merge its parts' event streams in time order and feed the detector.
 * The same function runs inside a worker thread or, with `--workers 0`, in the main thread.
 */
import type { Alert } from '../alert/types.js';
import type { ProblemSink } from '../sources/types.js';
import { compareInstants } from '../events/timestamp.js';
import type { Detector } from './detector.js';
import type { WorkPart, WorkUnit } from './plan.js';
import { OrderedStream, type Item, type StreamStats } from './ordered-stream.js';

export interface UnitProgress {
  events: number;
}

export async function runUnit(
  unit: WorkUnit,
  detector: Detector,
  opts: { overlapNs: number; onProblem: ProblemSink; onAlerts: (a: Alert[]) => void; onProgress?: (p: UnitProgress) => void },
): Promise<StreamStats> {
  let lastReport = 0;
  const stats = await mergeInTimeOrder(unit.parts, opts.onProblem, opts.overlapNs, {
    feed: (it) => detector.push(it.se, it.time, it.host, it.overlap),
    flush: (st) => {
      const a = detector.takeAlerts();
      if (a.length > 0) opts.onAlerts(a);
      if (opts.onProgress && st.events - lastReport >= 50000) {
        lastReport = st.events;
        opts.onProgress({ events: st.events });
      }
    },
  });
  const rest = detector.end();
  if (rest.length > 0) opts.onAlerts(rest);
  opts.onProgress?.({ events: stats.events });
  return stats;
}

/**
 * Read `parts` and deliver their events in time order (k-way merge of per-part ordered streams).
 * `flush` is called after each run of events, a cheap point to forward results.
 */
export async function mergeInTimeOrder(
  parts: WorkPart[],
  onProblem: ProblemSink,
  overlapNs: number,
  sink: { feed: (it: Item) => void; flush: (stats: StreamStats) => void | Promise<void> },
): Promise<StreamStats> {
  const stats: StreamStats = { events: 0, noTimestamp: 0, outOfOrder: 0 };
  const streams = parts.map((p) => new OrderedStream(p, onProblem, stats, overlapNs));
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
