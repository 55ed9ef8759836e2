/**
 * The replay window of a partition: for each key (a host in stage 1, a correlation group in
 * stage 2), the smallest stream seq per second of event time within the rules' window, so a new
 * owner without usable engine state knows the oldest seq it must replay (worker.ts `replayFrom`).
 *
 * Keys are in time order each on its own, not with each other: stage-2 groups are fed by senders
 * whose event times drift apart, and a host's shipper can lag the others. So a key that lags the
 * newest key by more than the window is not "gone": it is dropped only when it has also sent
 * nothing for WATERMARK_LIVE_MS of wall time (the same liveness the reorder buffer's low
 * watermark uses), and the duplicate-drop cut follows the oldest key still kept, not the newest.
 */
import { WATERMARK_LIVE_MS } from '../serve/reorder.js';

/** A key this far behind the newest (event time beyond the window) and silent holds no state worth a replay. */
export const SILENT_GRACE_MS = 10 * 60_000;

/**
 * Snapshot form (PartitionSnapshot.windows): per key `[key, frontierMs, lastWallMs, sec, minSeq,
 * sec, minSeq, …]`. A new owner that resumes from engine state restores it, so its own snapshots
 * keep replaying the windows that state came from (without it, `replayFrom` jumped to the first
 * event read after the resume, and an owner that later had to fall back to replay lost them).
 */
export type WindowsJson = (string | number)[][];

/** Numbers a snapshot spends on the windows at most (buckets are merged beyond; see toJSON). */
const EXPORT_BUDGET = 16_384;

interface KeyWindow {
  frontierMs: number;
  lastWallMs: number;
  buckets: { sec: number; minSeq: number }[];
}

export class ReplayWindows {
  private readonly keys = new Map<string, KeyWindow>();

  /** `silentMs`: wall time after which a key far behind the newest is let go (stage 2 uses longer: its keys are sparse groups). */
  constructor(private readonly silentMs: number = WATERMARK_LIVE_MS) {}

  get size(): number {
    return this.keys.size;
  }

  /** An event of `key` at event time `ms` with stream seq `seq`, seen at wall time `wallMs`. */
  note(key: string, ms: number, seq: number, wallMs: number): void {
    let w = this.keys.get(key);
    if (!w) {
      w = { frontierMs: ms, lastWallMs: wallMs, buckets: [] };
      this.keys.set(key, w);
    }
    if (ms > w.frontierMs) w.frontierMs = ms;
    if (wallMs > w.lastWallMs) w.lastWallMs = wallMs;
    const sec = Math.floor(ms / 1000);
    const last = w.buckets[w.buckets.length - 1];
    if (!last || sec > last.sec) w.buckets.push({ sec, minSeq: seq });
    else {
      let i = w.buckets.length - 1;
      while (i > 0 && w.buckets[i - 1]!.sec >= sec) i--;
      if (w.buckets[i]!.sec > sec) w.buckets.splice(i, 0, { sec, minSeq: seq });
      else if (seq < w.buckets[i]!.minSeq) w.buckets[i]!.minSeq = seq;
    }
  }

  /**
   * The windows for a snapshot. Beyond the budget a key's consecutive buckets are merged into one
   * carrying their smallest seq and their *latest* second, so a merged bucket is pruned only when
   * all it stands for left the window: a restored window may replay a little more, never less.
   */
  toJSON(): WindowsJson {
    const per = Math.max(1, Math.min(64, Math.floor(EXPORT_BUDGET / 2 / Math.max(1, this.keys.size))));
    const out: WindowsJson = [];
    for (const [key, w] of this.keys) {
      const row: (string | number)[] = [key, w.frontierMs, w.lastWallMs];
      const n = w.buckets.length;
      const size = Math.max(1, Math.ceil(n / per));
      for (let i = 0; i < n; i += size) {
        const end = Math.min(n, i + size);
        let minSeq = Infinity;
        for (let j = i; j < end; j++) if (w.buckets[j]!.minSeq < minSeq) minSeq = w.buckets[j]!.minSeq;
        row.push(w.buckets[end - 1]!.sec, minSeq);
      }
      out.push(row);
    }
    return out;
  }

  /** Restore a snapshot's windows (toJSON); false (nothing restored) when the shape is wrong. */
  restore(j: unknown): boolean {
    if (!Array.isArray(j)) return false;
    const keys = new Map<string, KeyWindow>();
    for (const row of j as unknown[]) {
      if (!Array.isArray(row) || row.length < 3 || row.length % 2 === 0 || typeof row[0] !== 'string') return false;
      if (!row.slice(1).every((x) => typeof x === 'number' && Number.isFinite(x))) return false;
      const nums = row.slice(1) as number[];
      const buckets: KeyWindow['buckets'] = [];
      for (let i = 2; i < nums.length; i += 2) {
        if (buckets.length > 0 && nums[i]! <= buckets[buckets.length - 1]!.sec) return false;
        buckets.push({ sec: nums[i]!, minSeq: nums[i + 1]! });
      }
      keys.set(row[0], { frontierMs: nums[0]!, lastWallMs: nums[1]!, buckets });
    }
    this.keys.clear();
    for (const [k, w] of keys) this.keys.set(k, w);
    return true;
  }

  /**
   * Prune what no rule window can use (`keepMs` of event time behind each key's own frontier)
   * and the keys gone silent; return the smallest seq still needed (Infinity: none) and the event
   * time below which duplicate-drop entries can go (null: no key held).
   */
  prune(keepMs: number, wallMs: number): { minSeq: number; seenCutMs: number | null } {
    let newest = -Infinity;
    for (const w of this.keys.values()) if (w.frontierMs > newest) newest = w.frontierMs;
    let minSeq = Infinity;
    let oldestKept = Infinity;
    for (const [key, w] of this.keys) {
      const cut = Math.floor((w.frontierMs - keepMs) / 1000);
      let drop = 0;
      while (drop < w.buckets.length && w.buckets[drop]!.sec < cut) drop++;
      if (drop > 0) w.buckets.splice(0, drop);
      const behind = w.frontierMs < newest - keepMs - SILENT_GRACE_MS;
      const silent = wallMs - w.lastWallMs > this.silentMs;
      if (w.buckets.length === 0 || (behind && silent)) {
        this.keys.delete(key);
        continue;
      }
      if (w.frontierMs < oldestKept) oldestKept = w.frontierMs;
      for (const b of w.buckets) if (b.minSeq < minSeq) minSeq = b.minSeq;
    }
    const seenCutMs = oldestKept === Infinity ? null : Math.min(oldestKept, newest) - keepMs - SILENT_GRACE_MS;
    return { minSeq, seenCutMs };
  }
}
