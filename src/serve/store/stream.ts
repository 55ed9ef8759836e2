/**
 * The append-only event log (`events`, `seq INTEGER PRIMARY KEY`) with group commit.
 *
 * `append` queues rows; one transaction commits every row queued within `commitDelayMs` (or as
 * soon as `maxBatch` rows wait), and only then are the callers' promises resolved: an ingest
 * request is acknowledged after the commit that holds its events (with fsync per db.ts's policy).
 * Retention deletes the oldest rows beyond a size or age bound, never rows detection still needs
 * (at or after the checkpoint's replay point).
 */
import { inTransaction, type Db, type Stmt } from './db.js';

export interface LogRow {
  host: string;
  timeMs: number | null;
  raw: string;
}

export interface StoredEvent {
  seq: number;
  host: string;
  time_ms: number | null;
  raw: string;
}

interface Waiting<T> {
  rows: LogRow[];
  items: T[];
  resolve: (seqs: number[]) => void;
  reject: (e: Error) => void;
}

export interface StreamOptions<T> {
  commitDelayMs: number;
  maxBatch: number;
  /** Called after each commit with the items in seq order. */
  onCommitted: (seqs: number[], items: T[]) => void;
}

export class EventStream<T> {
  private readonly insert: Stmt;
  private readonly readStmt: Stmt;
  private waiting: Waiting<T>[] = [];
  private waitingRows = 0;
  private timer: NodeJS.Timeout | null = null;
  commits = 0;

  constructor(
    private readonly db: Db,
    private readonly opts: StreamOptions<T>,
  ) {
    this.insert = db.prepare('INSERT INTO events (received_ms, host, time_ms, raw) VALUES (?, ?, ?, ?)');
    this.readStmt = db.prepare('SELECT seq, host, time_ms, raw FROM events WHERE seq >= ? ORDER BY seq LIMIT ?');
  }

  /** Rows queued and not yet committed. */
  get pending(): number {
    return this.waitingRows;
  }

  append(rows: LogRow[], items: T[]): Promise<number[]> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ rows, items, resolve, reject });
      this.waitingRows += rows.length;
      if (this.waitingRows >= this.opts.maxBatch) {
        if (this.timer) clearTimeout(this.timer);
        this.timer = null;
        setImmediate(() => this.commit());
      } else if (!this.timer) {
        this.timer = setTimeout(() => {
          this.timer = null;
          this.commit();
        }, this.opts.commitDelayMs);
      }
    });
  }

  /** Commit everything queued now (also called at shutdown). */
  commit(): void {
    const batch = this.waiting;
    if (batch.length === 0) return;
    this.waiting = [];
    this.waitingRows = 0;
    const now = Date.now();
    const seqs: number[][] = [];
    try {
      inTransaction(this.db, () => {
        for (const w of batch) {
          const s: number[] = [];
          for (const r of w.rows) s.push(Number(this.insert.run(now, r.host, r.timeMs, r.raw).lastInsertRowid));
          seqs.push(s);
        }
      });
    } catch (e) {
      for (const w of batch) w.reject(e as Error);
      return;
    }
    this.commits++;
    const allSeqs: number[] = [];
    const allItems: T[] = [];
    for (let i = 0; i < batch.length; i++) {
      const s = seqs[i]!;
      for (let j = 0; j < s.length; j++) {
        allSeqs.push(s[j]!);
        allItems.push(batch[i]!.items[j]!);
      }
    }
    this.opts.onCommitted(allSeqs, allItems);
    for (let i = 0; i < batch.length; i++) batch[i]!.resolve(seqs[i]!);
  }

  readFrom(seq: number, limit: number): StoredEvent[] {
    return this.readStmt.all(seq, limit) as StoredEvent[];
  }

  maxSeq(): number {
    const r = this.db.prepare('SELECT max(seq) AS m FROM events').get() as { m: number | null };
    return r.m ?? 0;
  }

  count(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;
  }

  get(seqs: number[]): StoredEvent[] {
    if (seqs.length === 0) return [];
    const q = this.db.prepare(`SELECT seq, host, time_ms, raw FROM events WHERE seq IN (${seqs.map(() => '?').join(',')})`);
    return q.all(...seqs) as StoredEvent[];
  }

  /** Up to `n` events of `host` on each side of `timeMs`, oldest first. */
  around(host: string, timeMs: number, n: number): StoredEvent[] {
    const before = this.db
      .prepare('SELECT seq, host, time_ms, raw FROM events WHERE host = ? AND time_ms <= ? ORDER BY time_ms DESC, seq DESC LIMIT ?')
      .all(host, timeMs, n) as StoredEvent[];
    const after = this.db
      .prepare('SELECT seq, host, time_ms, raw FROM events WHERE host = ? AND time_ms > ? ORDER BY time_ms, seq LIMIT ?')
      .all(host, timeMs, n) as StoredEvent[];
    return [...before.reverse(), ...after];
  }

  /**
   * Retention: delete events older than `maxAgeMs` (by arrival) or beyond the newest `maxEvents`,
   * but never at or after `keepFrom` (detection's replay point). Returns rows deleted.
   */
  prune(keepFrom: number, maxEvents: number, maxAgeMs: number): number {
    const top = this.maxSeq();
    let cut = Math.max(0, top - maxEvents + 1);
    // received_ms grows with seq (stamped at commit): binary search instead of a full scan.
    const at = this.db.prepare('SELECT seq, received_ms FROM events WHERE seq >= ? ORDER BY seq LIMIT 1');
    const limit = Date.now() - maxAgeMs;
    const first = at.get(0) as { seq: number; received_ms: number } | undefined;
    if (first && first.received_ms < limit) {
      let lo = first.seq;
      let hi = top + 1;
      while (lo < hi) {
        const mid = Math.floor((lo + hi) / 2);
        const r = at.get(mid) as { seq: number; received_ms: number } | undefined;
        if (r && r.received_ms < limit) lo = r.seq + 1;
        else hi = mid;
      }
      cut = Math.max(cut, lo);
    }
    cut = Math.min(cut, keepFrom);
    if (cut <= (first?.seq ?? 0)) return 0;
    return this.db.prepare('DELETE FROM events WHERE seq < ?').run(cut).changes;
  }
}
