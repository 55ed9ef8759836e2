/**
 * Reading one work part as a stream of events in time order.
 *
 * Files are nearly sorted (EVTX by record, Beats exports by time) but not always exactly. While a
 * stream is in order its events pass straight through; from its first disorder on, events are
 * held for a short lag and re-sorted before they are released. An event that still arrives
 * behind the released ones is processed anyway and counted as out of order (never dropped).
 */
import type { SourceEvent, ProblemSink } from '../sources/types.js';
import { diskPath, readInput, readNdjsonRange, readsLines, type LineFilter } from '../sources/index.js';
import { parseEvtxChunk, chunkSlots, chunkBytes } from '../sources/evtx/index.js';
import { eventTime } from '../normalize/index.js';
import { addNs, compareInstants, diffNs, type Instant } from '../events/timestamp.js';
import type { WorkPart } from './plan.js';
import { laterHorizon, type StateHorizon } from '../engine/index.js';
import type { OverlapFilter, PartFilters } from './prefilter.js';

export interface Item {
  se: SourceEvent;
  time: Instant;
  overlap: boolean;
  /** Arrival order, the tiebreaker for equal times. */
  seq: number;
}

export interface StreamStats {
  /** Events read (parsed or prefiltered), not counting overlap reads. */
  events: number;
  /** Of those, lines never parsed because no rule could match them (see prefilter.ts). */
  prefiltered: number;
  noTimestamp: number;
  outOfOrder: number;
  /** Events parsed past split parts' ends to complete sequences (read twice; not in `events`). */
  overlapRead: number;
}

/** How long events are held for re-sorting, in nanoseconds. */
const REORDER_LAG_NS = 5e9;

type Batch = { events: SourceEvent[]; overlap: boolean };

/**
 * The streams of one time slice (slices.ts) share this: the slice's planned boundary, the latest
 * time of any own event read so far, and the times at which streams stopped reading their
 * overlap. Each stream reads its overlap up to the longest rule window past the later of the
 * two; unit.ts checks afterwards that no stream stopped too early for an own event seen later.
 */
export interface SliceState {
  boundary: Instant | null;
  ownMax: Instant | null;
  /** The earliest own event (plan-level check: slices' own times must not interleave; run.ts). */
  ownMin: Instant | null;
  stops: Instant[];
}

/** What a slot of `ready` holds once its item was taken (the item itself may then be collected). */
const RELEASED = { se: { event: {}, file: '' }, time: { ms: 0, ns: 0 }, overlap: false, seq: -1 } as Item;

/** Positions from this number up are line numbers relative to the start of a part's overlap. */
export const OVERLAP_LINE_BASE = 1e12;

export class OrderedStream {
  private ready: Item[] = [];
  private readyIdx = 0;
  private pending: Item[] = [];
  private done = false;
  private readonly it: AsyncIterator<Batch>;
  private lastTime: Instant = { ms: 0, ns: 0 };
  private released: Instant | null = null;
  private maxSeen: Instant | null = null;
  private seq = 0;
  /** For a split part: stop reading the overlap once events pass this time (null: no time limit). */
  private overlapUntil: Instant | null = null;
  /** The overlap's first batch has been seen (its limits are set). */
  private overlapBegun = false;
  private stopped = false;
  private inOrder = true;
  /** The part's own events: how many, and the earliest time (for the out-of-order overlap cap). */
  private ownEvents = 0;
  private minSeen: Instant | null = null;
  /** Out-of-order parts: the most overlap events worth reading (see overlapCap). */
  private overlapLeft = Infinity;

  constructor(
    part: WorkPart,
    onProblem: ProblemSink,
    private readonly stats: StreamStats,
    private readonly overlapNs: number,
    filters?: PartFilters,
    /** Called once, where the overlap begins: how far ahead each rule's pending state reaches (by rule id). */
    private readonly beginOverlap?: () => Map<string, StateHorizon>,
    /** Read block size of a whole-file part (see ReadOptions): smaller when many parts are merged. */
    blockBytes?: number,
    /** A part of a time slice: the overlap limit follows the slice's own events (see SliceState). */
    private readonly slice?: SliceState,
  ) {
    // Only line readers use filters: none is built for an EVTX, XML or JSON-array part.
    const lines = readsLines(part.file);
    this.filter = lines ? filters?.main() : undefined;
    this.overlapFilter = lines ? filters?.overlap() : undefined;
    this.it = batches(part, onProblem, this.filter, this.overlapFilter, blockBytes)[Symbol.asyncIterator]();
  }

  private readonly overlapFilter: OverlapFilter | undefined;
  /** Rules with state pending in the overlap, and when each one's state expires (earliest first). */
  private pendingRules: Set<string> | null = null;
  private expiries: { id: string; at: Instant }[] = [];

  private readonly filter: LineFilter | undefined;

  /** The next event's time, reading as needed; null at the end. */
  async peek(): Promise<Item | null> {
    while (this.readyIdx >= this.ready.length) {
      if (this.done) return null;
      await this.readMore();
    }
    return this.ready[this.readyIdx]!;
  }

  /** Take the event `peek` returned. */
  take(): Item {
    const r = this.ready;
    const it = r[this.readyIdx]!;
    r[this.readyIdx++] = RELEASED;
    return it;
  }

  /** Events ready now that are not later than `limit` (all ready ones when limit is null). */
  takeRunUpTo(limit: Instant | null, out: (it: Item) => void): void {
    const r = this.ready;
    let i = this.readyIdx;
    // A slot is emptied once its event is handed on: an event no rule keeps can then be collected
    // while the rest of its batch is still being processed (not copied by every scavenge meanwhile).
    if (limit === null) {
      for (; i < r.length; i++) {
        const it = r[i]!;
        r[i] = RELEASED;
        out(it);
      }
    } else {
      for (; i < r.length; i++) {
        const it = r[i]!;
        if (compareInstants(it.time, limit) > 0) break;
        r[i] = RELEASED;
        out(it);
      }
    }
    this.readyIdx = i;
  }

  private async readMore(): Promise<void> {
    const next = this.stopped ? { done: true as const, value: undefined } : await this.it.next();
    if (next.done) {
      this.done = true;
      this.countPrefiltered();
      this.release(null);
      return;
    }
    const { events, overlap } = next.value;
    if (overlap && !this.overlapBegun) {
      this.overlapBegun = true;
      const base = this.maxSeen ?? this.lastTime;
      if (!this.inOrder) this.overlapLeft = this.overlapCap();
      // At most the longest rule window past the part's last event (no limit with sequences
      // without maxspan: plan.ts partOverlapNs)...
      this.overlapUntil = Number.isFinite(this.overlapNs) ? addNs(base, this.overlapNs) : null;
      // ...and no further than the pending state can use. Known once every event of the part
      // has been delivered (single-part units take all that is ready before reading more).
      // Partials the overlap starts itself do not count: their matches belong to the next part.
      const hs = this.inOrder && this.pending.length === 0 ? this.beginOverlap?.() : undefined;
      if (hs) {
        let h: StateHorizon = null;
        this.pendingRules = new Set();
        for (const [id, rh] of hs) {
          h = laterHorizon(h, rh);
          if (rh === null) continue;
          this.pendingRules.add(id);
          if (rh !== 'open') this.expiries.push({ id, at: rh });
        }
        if (h === null) {
          void this.it.return?.();
          this.done = true;
          this.countPrefiltered();
          return;
        }
        if (h !== 'open' && (this.overlapUntil === null || compareInstants(h, this.overlapUntil) < 0)) this.overlapUntil = h;
        this.expiries.sort((a, b) => compareInstants(a.at, b.at));
        this.overlapFilter?.narrow(this.pendingRules);
      }
    }
    const sl = this.slice;
    if (overlap && sl) {
      const own = sl.ownMax === null ? sl.boundary : sl.boundary === null || compareInstants(sl.ownMax, sl.boundary) > 0 ? sl.ownMax : sl.boundary;
      this.overlapUntil = own === null ? null : addNs(own, this.overlapNs);
    }
    let narrowed = false;
    for (const se of events) {
      let time = se.deferred ? se.deferred.time : eventTime(se.event);
      if (!time) {
        this.stats.noTimestamp++;
        time = this.lastTime;
      } else this.lastTime = time;
      if (overlap && ((this.overlapUntil && compareInstants(time, this.overlapUntil) > 0) || this.overlapLeft-- <= 0)) {
        this.stopped = true;
        // A stop by time is checked against the slice's final own events (unit.ts); a stop by
        // the out-of-order cap is the same approximation as for a split part.
        if (this.overlapLeft >= 0) sl?.stops.push(time);
        break;
      }
      if (!overlap) {
        if (sl) {
          if (sl.ownMax === null || compareInstants(time, sl.ownMax) > 0) sl.ownMax = time;
          if (sl.ownMin === null || compareInstants(time, sl.ownMin) < 0) sl.ownMin = time;
        }
        this.stats.events++;
        this.ownEvents++;
        if (this.minSeen === null || compareInstants(time, this.minSeen) < 0) this.minSeen = time;
      } else this.stats.overlapRead++;
      if (overlap && this.expiries.length > 0 && compareInstants(time, this.expiries[0]!.at) > 0) {
        // Rules whose pending state has expired need no more lines.
        while (this.expiries.length > 0 && compareInstants(time, this.expiries[0]!.at) > 0) this.pendingRules!.delete(this.expiries.shift()!.id);
        narrowed = true;
      }
      const item: Item = { se, time, overlap, seq: this.seq++ };
      this.pending.push(item);
      if (this.maxSeen === null || compareInstants(time, this.maxSeen) > 0) this.maxSeen = time;
    }
    // The reader's batch array is still held by the generators' suspended frames until the next
    // batch: emptied here, the events live only as long as their items (see takeRunUpTo).
    events.length = 0;
    if (narrowed) this.overlapFilter?.narrow(this.pendingRules!);
    if (this.stopped) {
      void this.it.return?.();
      this.done = true;
      this.countPrefiltered();
      this.release(null);
      return;
    }
    // While the stream has been in order, nothing is held back: holding events costs garbage
    // collection time (they outlive the young generation). From the first disorder on, events
    // are held for the lag and re-sorted.
    if (this.inOrder) {
      const p = this.pending;
      if (isSorted(p) && (this.released === null || p.length === 0 || compareInstants(p[0]!.time, this.released) >= 0)) {
        this.release(null);
        return;
      }
      this.inOrder = false;
    }
    // Release what is older than the lag behind the newest event seen.
    const m = this.maxSeen;
    this.release(m ? addNs(m, -REORDER_LAG_NS) : null);
  }

  /**
   * A part whose events were out of time order cannot stop its overlap by time (older events keep
   * arriving; a file of shuffled chunks would be read to its end). Its overlap reads at most
   * twice as many events as the part itself held per rule window, at the part's own rate.
   */
  private overlapCap(): number {
    if (this.minSeen === null || this.maxSeen === null) return 0;
    const spanNs = diffNs(this.minSeen, this.maxSeen);
    if (spanNs <= 0) return this.ownEvents;
    return Math.ceil(2 * this.ownEvents * Math.min(1, this.overlapNs / spanNs));
  }

  private countPrefiltered(): void {
    if (!this.filter) return;
    this.stats.events += this.filter.skipped;
    this.stats.prefiltered += this.filter.skipped;
    this.filter.skipped = 0;
  }

  private release(limit: Instant | null): void {
    const p = this.pending;
    if (p.length === 0) return;
    if (!isSorted(p)) p.sort(byTime);
    let n = p.length;
    if (limit !== null) {
      n = 0;
      while (n < p.length && compareInstants(p[n]!.time, limit) <= 0) n++;
    }
    if (n === 0) return;
    const out = n === p.length ? p : p.slice(0, n);
    this.pending = n === p.length ? [] : p.slice(n);
    if (this.released && compareInstants(out[0]!.time, this.released) < 0) {
      for (const it of out) if (compareInstants(it.time, this.released) < 0) this.stats.outOfOrder++;
    }
    this.released = out[out.length - 1]!.time;
    if (this.readyIdx >= this.ready.length) {
      this.ready = out;
      this.readyIdx = 0;
    } else {
      this.ready = this.ready.slice(this.readyIdx).concat(out);
      this.readyIdx = 0;
    }
  }
}

function byTime(a: Item, b: Item): number {
  return compareInstants(a.time, b.time) || a.seq - b.seq;
}

function isSorted(p: Item[]): boolean {
  for (let i = 1; i < p.length; i++) if (compareInstants(p[i - 1]!.time, p[i]!.time) > 0) return false;
  return true;
}

/** The raw batches of a part: the part itself, then (for split parts) the overlap after it. */
async function* batches(part: WorkPart, onProblem: ProblemSink, filter?: LineFilter, overlapFilter?: LineFilter, blockBytes?: number): AsyncIterable<Batch> {
  const quiet: ProblemSink = () => {};
  const r = part.range;
  if (!r) {
    // Lines' texts for the sequences to hold instead of parsed events (hunt/detector.ts).
    for await (const events of readInput(part.file, onProblem, filter, { blockBytes, keepText: true })) yield { events, overlap: false };
    return;
  }
  if (r.unit === 'bytes') {
    // Line numbers relative to the range (counting the lines before it would cost a pass over
    // the file); unit.ts makes them absolute for the few alerts and problems that need them.
    const main = r.start > 0 ? { firstLine: 1, filter, keepText: true } : { filter, keepText: true };
    for await (const events of readNdjsonRange(part.file.path, r.start, r.end, onProblem, main)) yield { events, overlap: false };
    if (r.end < part.file.size) {
      for await (const events of readNdjsonRange(part.file.path, r.end, part.file.size, quiet, { firstLine: OVERLAP_LINE_BASE, filter: overlapFilter, keepText: true }))
        yield { events, overlap: true };
    }
    return;
  }
  for await (const { index: i, bytes } of chunkBytes(diskPath(part.file), part.file.size, r.start, chunkSlots(part.file.size))) {
    const overlap = i >= r.end;
    // A cut-off last chunk is handed over as it is: the parser reports what it cannot read.
    const events = parseEvtxChunk(bytes, part.file.path, i, overlap ? quiet : onProblem);
    yield { events, overlap };
  }
}
