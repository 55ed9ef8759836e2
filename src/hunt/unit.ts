/**
 * Running one unit of work: merge its parts' event streams in time order and feed the detector.
 * The same function runs inside a worker thread or, with `--workers 0`, in the main thread.
 */
import type { Alert } from '../alert/types.js';
import type { ProblemSink, SourceProblem } from '../sources/types.js';
import { rangeFirstLines } from '../sources/index.js';
import { addNs, compareInstants, type Instant } from '../events/timestamp.js';
import type { Detector } from './detector.js';
import type { StateHorizon } from '../engine/index.js';
import type { PartFilters } from './prefilter.js';
import type { WorkPart, WorkUnit } from './plan.js';
import { OrderedStream, OVERLAP_LINE_BASE, type Item, type SliceState, type StreamStats } from './ordered-stream.js';

/** The earliest and latest own events of a time slice (run.ts checks that slices do not interleave). */
export interface OwnSpan {
  min: Instant;
  max: Instant;
  /** The slice could not be completed soundly on its own (see runUnitWith). */
  unsound?: true;
}

export interface UnitProgress {
  events: number;
}

export interface UnitOptions {
  overlapNs: number;
  onProblem: ProblemSink;
  onAlerts: (a: Alert[]) => void;
  onProgress?: (p: UnitProgress) => void;
  /** Line filters that skip parsing what no rule can match (see prefilter.ts). */
  filters?: PartFilters;
}

/** Run a unit with one detector (a time slice is not run again; see runUnitWith). */
export async function runUnit(unit: WorkUnit, detector: Detector, opts: UnitOptions): Promise<StreamStats> {
  return (await runUnitWith(unit, () => detector, opts, false)).stats;
}

export async function runUnitWith(
  unit: WorkUnit,
  /** A fresh detector (a time slice that has to be run again starts from a new one). */
  newDetector: () => Detector,
  opts: {
    overlapNs: number;
    onProblem: ProblemSink;
    onAlerts: (a: Alert[]) => void;
    onProgress?: (p: UnitProgress) => void;
    /** Line filters that skip parsing what no rule can match (see prefilter.ts). */
    filters?: PartFilters;
  },
  rerun = true,
): Promise<{ stats: StreamStats; detector: Detector; reruns: number; own?: OwnSpan }> {
  let boundary: Instant | null = unit.slice?.boundary ?? null;
  for (let attempt = 0; ; attempt++) {
    // Files left out of the slice count as streams that stopped at their first event.
    const slice: SliceState | undefined = unit.slice ? { boundary, ownMax: null, ownMin: null, stops: unit.slice.later ? [unit.slice.later] : [] } : undefined;
    const detector = newDetector();
    const r = await runOnce(unit, detector, opts, slice);
    // A slice is sound when every stream that stopped its overlap early stopped past the longest
    // rule window after the slice's latest own event. Otherwise (a cut estimated badly, the
    // latest own event seen after a stream had stopped) the slice runs again with that time as
    // its boundary: its own events are the same, so the second run is sound.
    const sound = !slice || slice.ownMax === null || sliceSound(slice, opts.overlapNs);
    if (rerun && !sound && attempt === 0 && !(unit.slice?.later && !sliceSound({ ...slice!, stops: [unit.slice.later] }, opts.overlapNs))) {
      boundary = slice!.ownMax;
      continue;
    }
    r.flush();
    // Still unsound (a file left out of the slice was needed): run.ts runs the host again whole.
    const own = slice && slice.ownMin && slice.ownMax ? { min: slice.ownMin, max: slice.ownMax, ...(sound ? {} : { unsound: true as const }) } : undefined;
    return { stats: r.stats, detector, reruns: attempt, ...(own ? { own } : {}) };
  }
}

export function sliceSound(s: SliceState, overlapNs: number): boolean {
  const own = s.boundary !== null && compareInstants(s.boundary, s.ownMax!) > 0 ? s.boundary : s.ownMax!;
  const need = addNs(own, overlapNs);
  return s.stops.every((t) => compareInstants(t, need) > 0);
}

async function runOnce(
  unit: WorkUnit,
  detector: Detector,
  opts: UnitOptions,
  slice: SliceState | undefined,
): Promise<{ stats: StreamStats; flush: () => void }> {
  let lastReport = 0;
  const ranged = unit.parts.filter((p) => p.range?.unit === 'bytes');
  const single = unit.parts.length === 1;
  // A slice may run twice: hold its alerts and problems until the end of the unit (and then make
  // line numbers absolute). A byte range of a split file numbers its lines from its own start:
  // its alerts and problems wait only until its first line numbers are counted (started by the
  // first of them), then stream out with absolute numbers — with a whole rule pack a 1 GB file's
  // ranges held tens of thousands of alerts in each worker until their end.
  const hold = slice !== undefined;
  const held = { alerts: [] as Alert[], problems: [] as SourceProblem[] };
  const numbering = !hold && ranged.length > 0 ? new RangeNumbering(ranged, single, opts.onAlerts, opts.onProblem) : null;
  const onAlerts = hold ? (a: Alert[]): void => void held.alerts.push(...a) : numbering ? (a: Alert[]) => numbering.alerts(a) : opts.onAlerts;
  const onProblem: ProblemSink = hold ? (p) => void held.problems.push(p) : numbering ? (p) => numbering.problem(p) : opts.onProblem;
  const stats = await mergeInTimeOrder(unit.parts, onProblem, opts.overlapNs, opts.filters, () => detector.beginOverlap(), {
    feed: (it) => {
      if (it.se.deferred && !detector.resolve(it.se, it.overlap, onProblem)) return;
      detector.push(it.se, it.time, it.overlap);
    },
    flush: (st) => {
      const a = detector.takeAlerts();
      if (a.length > 0) onAlerts(a);
      numbering?.drain();
      if (opts.onProgress && st.events - lastReport >= 50000) {
        lastReport = st.events;
        opts.onProgress({ events: st.events });
      }
    },
  }, slice);
  // end() first: it runs the events a tiebreaker still holds, and may skip deferred lines among them.
  const rest = detector.end();
  stats.prefiltered += detector.deferredSkipped;
  if (rest.length > 0) onAlerts(rest);
  if (numbering) await numbering.finish();
  if (hold) {
    for (const p of ranged) await absoluteLines(p.file.path, p.range!.start, p.range!.end, held.alerts, held.problems, single);
  }
  return {
    stats,
    flush: () => {
      if (hold) {
        for (const p of held.problems) opts.onProblem(p);
        if (held.alerts.length > 0) opts.onAlerts(held.alerts);
      }
      opts.onProgress?.({ events: stats.events });
    },
  };
}

/**
 * Turn range-relative line numbers (see ordered-stream.ts) into the file's own line numbers.
 * `all`: the unit has this one part, so every event is from it; otherwise only events and
 * problems naming this file are.
 */
export async function absoluteLines(path: string, start: number, end: number, alerts: Alert[], problems: SourceProblem[], all: boolean): Promise<void> {
  const mine = (file: string | undefined): boolean => all || file === path;
  const relMain = start > 0;
  const needsOverlap = alerts.some((a) => a.events.some((e) => mine(e.file) && (e.position ?? 0) >= OVERLAP_LINE_BASE));
  const anyMine = alerts.some((a) => a.events.some((e) => mine(e.file)) || (a.context ?? []).some((e) => e.file === path)) || problems.some((p) => mine(p.file));
  if (!(relMain && anyMine) && !needsOverlap) return;
  const [firstMain, firstOverlap] = await rangeFirstLines(path, [start, end]);
  applyLines(path, start, firstMain!, firstOverlap!, alerts, problems, all);
}

/** absoluteLines with the range's first line numbers (main part, overlap) known. */
function applyLines(path: string, start: number, firstMain: number, firstOverlap: number, alerts: Alert[], problems: SourceProblem[], all: boolean): void {
  const mine = (file: string | undefined): boolean => all || file === path;
  const relMain = start > 0;
  const fix = (pos: number | undefined): number | undefined => {
    if (pos === undefined) return pos;
    if (pos >= OVERLAP_LINE_BASE) return firstOverlap + (pos - OVERLAP_LINE_BASE);
    return relMain ? firstMain + pos - 1 : pos;
  };
  for (const a of alerts) {
    for (const e of a.events) if (mine(e.file)) e.position = fix(e.position);
    for (const e of a.context ?? []) if (e.file === path) e.position = fix(e.position);
  }
  if (relMain) {
    for (const p of problems) if (p.where && mine(p.file)) p.where = p.where.replace(/^line (\d+)/, (_m, n: string) => `line ${fix(Number(n))}`);
  }
}

/**
 * Streams a unit's alerts and problems out with absolute line numbers while its byte ranges are
 * read: the first ones start counting the ranges' first lines (rangeFirstLines, once), and wait
 * until the counts are in; `drain` (each flush) passes on what waits, `finish` at the unit's end.
 * A unit without alerts or problems never counts.
 */
class RangeNumbering {
  private counting: Promise<void> | null = null;
  private firstLines: { path: string; start: number; main: number; overlap: number }[] | null = null;
  private failure: unknown = null;
  private readonly waiting = { alerts: [] as Alert[], problems: [] as SourceProblem[] };

  constructor(
    private readonly ranged: WorkPart[],
    private readonly all: boolean,
    private readonly onAlerts: (a: Alert[]) => void,
    private readonly onProblem: ProblemSink,
  ) {}

  alerts(a: Alert[]): void {
    for (const x of a) this.waiting.alerts.push(x);
    this.count();
    this.drain();
  }

  problem(p: SourceProblem): void {
    this.waiting.problems.push(p);
    this.count();
    this.drain();
  }

  private count(): void {
    if (this.counting !== null) return;
    this.counting = Promise.all(
      this.ranged.map(async (p) => {
        const [main, overlap] = await rangeFirstLines(p.file.path, [p.range!.start, p.range!.end]);
        return { path: p.file.path, start: p.range!.start, main: main!, overlap: overlap! };
      }),
    ).then(
      (fl) => {
        this.firstLines = fl;
      },
      (e: unknown) => {
        this.failure = e ?? new Error('cannot count lines');
      },
    );
  }

  drain(): void {
    if (this.firstLines === null) return;
    const { alerts, problems } = this.waiting;
    if (alerts.length === 0 && problems.length === 0) return;
    for (const r of this.firstLines) applyLines(r.path, r.start, r.main, r.overlap, alerts, problems, this.all);
    this.waiting.alerts = [];
    this.waiting.problems = [];
    for (const p of problems) this.onProblem(p);
    if (alerts.length > 0) this.onAlerts(alerts);
  }

  async finish(): Promise<void> {
    if (this.counting !== null) await this.counting;
    if (this.failure !== null) throw this.failure;
    this.drain();
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

/** A merged stream's next event, and the stream's place among the parts (ties go to the earlier part). */
interface Head {
  s: OrderedStream;
  it: Item;
  order: number;
}

function headBefore(a: Head, b: Head): boolean {
  const c = compareInstants(a.it.time, b.it.time);
  return c < 0 || (c === 0 && a.order < b.order);
}

function heapPush(heap: Head[], h: Head): void {
  let i = heap.length;
  heap.push(h);
  while (i > 0) {
    const up = (i - 1) >> 1;
    if (!headBefore(h, heap[up]!)) break;
    heap[i] = heap[up]!;
    i = up;
  }
  heap[i] = h;
}

function heapPop(heap: Head[]): Head {
  const top = heap[0]!;
  const last = heap.pop()!;
  if (heap.length > 0) {
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= heap.length) break;
      const r = l + 1;
      const c = r < heap.length && headBefore(heap[r]!, heap[l]!) ? r : l;
      if (!headBefore(heap[c]!, last)) break;
      heap[i] = heap[c]!;
      i = c;
    }
    heap[i] = last;
  }
  return top;
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
  /** The parts are one time slice of a host (see SliceState). */
  slice?: SliceState,
): Promise<StreamStats> {
  const stats: StreamStats = { events: 0, prefiltered: 0, noTimestamp: 0, outOfOrder: 0, overlapRead: 0 };
  // The horizon is only known when a part is the unit's only stream (see OrderedStream).
  const h = parts.length === 1 ? beginOverlap : undefined;
  const streams = parts.map((p) => new OrderedStream(p, onProblem, stats, overlapNs, filters, h, mergeBlockBytes(parts.length), slice));
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
    // The heads are kept in a binary heap ordered by time, then by part order (the order a
    // stable sort of every head each round gave: a directory of 3,000 small files spent 17% of
    // its hunt sorting 3,000 heads after every run). Only the stream just taken from is peeked
    // again, as before: the others' heads are ready, so peeking them read nothing.
    const heap: Head[] = [];
    for (let i = 0; i < streams.length; i++) {
      const it = await streams[i]!.peek();
      if (it) heapPush(heap, { s: streams[i]!, it, order: i });
    }
    while (heap.length > 0) {
      const first = heapPop(heap);
      const limit = heap.length > 0 ? heap[0]!.it.time : null;
      feed(first.s.take());
      first.s.takeRunUpTo(limit, feed);
      await flush();
      const it = await first.s.peek();
      if (it) heapPush(heap, { s: first.s, it, order: first.order });
    }
  }
  return stats;
}
