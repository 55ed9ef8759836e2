/**
 * Per-host time order behind a watermark. Each host's events wait in a buffer sorted by
 * (time, seq) until the host's newest event time minus the allowed lateness passes them, or the
 * host has sent nothing for `allowedLateness` of wall time (an idle host's tail is not held
 * forever). An event older than what its host already released is late: it is released at
 * once (still evaluated by every rule whose state is live) and counted.
 */
import { compareInstants, type Instant } from '../events/timestamp.js';

/**
 * How long (wall time) a silent host still holds the low watermark back (lowWatermark): a
 * shipper catching up on a backlog sends steadily; one silent this long is treated as gone.
 */
export const WATERMARK_LIVE_MS = 10 * 60_000;

export interface OrderItem {
  seq: number;
  host: string;
  time: Instant;
  /** The connection it arrived on (ReorderOptions.sourceOrder); absent or 0: unknown (read back from the log). */
  src?: number;
}

/** Events of a host in order in a row from one source before that source's order is trusted (sourceOrder). */
export const SOURCE_TRUST_RUN = 64;

interface SourceState {
  /** Newest event time the source sent for the host. */
  newest: Instant;
  /** Events in time order in a row (reset by one older than `newest`). */
  run: number;
  lastWall: number;
}

interface HostBuffer<T extends OrderItem> {
  /** Held events in (time, seq) order from `head` on (those before it were released). */
  items: T[];
  head: number;
  newest: Instant | null;
  /** Time of the last event released (null before the first). */
  released: Instant | null;
  lastArrivalWall: number;
  /** Per source (sourceOrder): what it sent of this host. */
  sources: Map<number, SourceState> | null;
}

export interface ReorderOptions {
  /**
   * Per-source watermark: a host's events are also released as soon as every source that sent
   * events of the host within the allowed lateness (wall time) has sent one at least as new, when
   * each of those sources has delivered the host's events in time order for SOURCE_TRUST_RUN
   * events in a row. A source is a connection: one shipper per host sending in order (a Beats
   * agent) then gets its events evaluated at once instead of after the lateness. An event older
   * than what was released is late (counted, still evaluated): this trusts shippers that were in
   * order to stay in order.
   */
  sourceOrder?: boolean;
}

function before(a: OrderItem, b: OrderItem): boolean {
  const c = compareInstants(a.time, b.time);
  return c < 0 || (c === 0 && a.seq < b.seq);
}

export class ReorderBuffer<T extends OrderItem> {
  private readonly hosts = new Map<string, HostBuffer<T>>();
  late = 0;
  held = 0;

  private readonly sourceOrder: boolean;

  constructor(
    private readonly latenessMs: number,
    private readonly release: (it: T, late: boolean) => void,
    opts: ReorderOptions = {},
  ) {
    this.sourceOrder = opts.sourceOrder === true;
  }

  /** The last released time of a host (what a timeless event of that host is given). */
  lastTime(host: string): Instant | null {
    const h = this.hosts.get(host);
    return h ? (h.newest ?? h.released) : null;
  }

  add(it: T, wallMs: number): void {
    let h = this.hosts.get(it.host);
    if (!h) {
      h = { items: [], head: 0, newest: null, released: null, lastArrivalWall: wallMs, sources: this.sourceOrder ? new Map() : null };
      this.hosts.set(it.host, h);
    }
    h.lastArrivalWall = wallMs;
    if (h.sources) this.noteSource(h.sources, it, wallMs);
    if (h.released && compareInstants(it.time, h.released) < 0) {
      this.late++;
      this.release(it, true);
      return;
    }
    const items = h.items;
    const head = h.head;
    let i = items.length;
    if (i === head || !before(it, items[i - 1]!)) items.push(it);
    else {
      while (i > head && before(it, items[i - 1]!)) i--;
      items.splice(i, 0, it);
    }
    this.held++;
    if (!h.newest || compareInstants(it.time, h.newest) > 0) h.newest = it.time;
    const wm = h.newest.ms - this.latenessMs;
    let n = head;
    while (n < items.length && items[n]!.time.ms <= wm) n++;
    if (h.sources) {
      const srcWm = this.sourceWatermark(h.sources, wallMs);
      if (srcWm) while (n < items.length && compareInstants(items[n]!.time, srcWm) <= 0) n++;
    }
    if (n > head) this.releaseFirst(h, n - head);
  }

  private noteSource(sources: Map<number, SourceState>, it: T, wallMs: number): void {
    const id = it.src ?? 0;
    const s = sources.get(id);
    if (!s) sources.set(id, { newest: it.time, run: 1, lastWall: wallMs });
    else {
      if (compareInstants(it.time, s.newest) < 0) s.run = 0;
      else {
        s.newest = it.time;
        s.run++;
      }
      s.lastWall = wallMs;
    }
  }

  /**
   * The oldest of the newest times sent by the sources live for this host (sent within the
   * lateness in wall time), or null when one of them is unknown (0) or not trusted yet.
   */
  private sourceWatermark(sources: Map<number, SourceState>, wallMs: number): Instant | null {
    let low: Instant | null = null;
    const liveMs = Math.max(this.latenessMs, 1000);
    for (const [id, s] of sources) {
      if (wallMs - s.lastWall > liveMs) {
        sources.delete(id);
        continue;
      }
      if (id === 0 || s.run < SOURCE_TRUST_RUN) return null;
      if (low === null || compareInstants(s.newest, low) < 0) low = s.newest;
    }
    return low;
  }

  /** Release a host's `n` oldest held events (the buffer advances its head; no array made per release). */
  private releaseFirst(h: HostBuffer<T>, n: number): void {
    const items = h.items;
    const from = h.head;
    const to = from + n;
    h.head = to;
    this.held -= n;
    for (let i = from; i < to; i++) {
      const it = items[i]!;
      h.released = it.time;
      this.release(it, false);
    }
    // Drop the released prefix once it is most of the array (amortized O(1) per event).
    if (to === items.length) {
      items.length = 0;
      h.head = 0;
    } else if (to >= 64 && to * 2 >= items.length) {
      items.copyWithin(0, to);
      items.length -= to;
      h.head = 0;
    }
  }

  /** Release the buffers of hosts idle for the allowed lateness (or all with `all`). */
  flushIdle(wallMs: number, all = false): void {
    for (const h of this.hosts.values()) {
      if (h.items.length > h.head && (all || wallMs - h.lastArrivalWall >= this.latenessMs)) this.releaseFirst(h, h.items.length - h.head);
    }
  }

  /**
   * Low watermark for the detector (Detector.setWatermark): no host that sent within `liveMs` of
   * wall time will release an event (other than a late one) older than this. Per host: its last
   * released time, or before its first release its oldest held event; the minimum over live
   * hosts. A host silent longer than `liveMs` no longer holds it back (a retired host must not
   * pin correlation state forever); its events, if it comes back, may find its groups swept.
   * Null when no host is live. O(hosts): callers ask once per batch, not per event.
   */
  lowWatermark(wallMs: number, liveMs: number): Instant | null {
    let low: Instant | null = null;
    for (const h of this.hosts.values()) {
      if (wallMs - h.lastArrivalWall > liveMs) continue;
      const t = h.released ?? h.items[h.head]?.time ?? null;
      if (t !== null && (low === null || compareInstants(t, low) < 0)) low = t;
    }
    return low;
  }

  /**
   * Per live key (sent within `liveMs` of wall time) its last released time and last arrival, for
   * a partition snapshot: `[key, ms, ns, lastArrivalWallMs]`. A new owner restores them
   * (restoreKeys) so a key that sends nothing for a while after a takeover still holds the low
   * watermark back (its correlation groups are not swept) and its older events still count as late.
   */
  exportKeys(wallMs: number, liveMs: number): [string, number, number, number][] {
    const out: [string, number, number, number][] = [];
    for (const [k, h] of this.hosts) if (h.released && wallMs - h.lastArrivalWall <= liveMs) out.push([k, h.released.ms, h.released.ns, h.lastArrivalWall]);
    return out;
  }

  /** Restore exportKeys' output into an empty buffer (keys already present keep theirs). Bad rows are skipped; returns how many were restored. */
  restoreKeys(rows: unknown): number {
    if (!Array.isArray(rows)) return 0;
    let n = 0;
    for (const r of rows as unknown[]) {
      if (!Array.isArray(r) || r.length !== 4 || typeof r[0] !== 'string' || !r.slice(1).every((x) => typeof x === 'number' && Number.isFinite(x))) continue;
      const [k, ms, ns, wall] = r as [string, number, number, number];
      if (this.hosts.has(k)) continue;
      this.hosts.set(k, { items: [], head: 0, newest: null, released: { ms, ns }, lastArrivalWall: wall, sources: this.sourceOrder ? new Map() : null });
      n++;
    }
    return n;
  }

  /** Every seq still held (for a checkpoint with engine state: they are fed again on restore). */
  heldSeqs(): number[] {
    const out: number[] = [];
    for (const h of this.hosts.values()) for (let i = h.head; i < h.items.length; i++) out.push(h.items[i]!.seq);
    return out;
  }

  /** Smallest seq still held (Infinity when empty). */
  minHeldSeq(): number {
    let m = Infinity;
    for (const h of this.hosts.values()) for (let i = h.head; i < h.items.length; i++) if (h.items[i]!.seq < m) m = h.items[i]!.seq;
    return m;
  }
}
