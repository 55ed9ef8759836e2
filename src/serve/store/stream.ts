/**
 * The append-only event log (`events`, `seq INTEGER PRIMARY KEY`) with group commit.
 *
 * `append` queues rows; one transaction commits every row queued within `commitDelayMs` (or as
 * soon as `maxBatch` rows wait), and only then are the callers' promises resolved: an ingest
 * request is acknowledged after the commit that holds its events (with fsync per db.ts's policy).
 * Commits run in a writer thread (writer-worker.ts) with its own connection, so the main thread
 * keeps parsing and detecting during the fsync; several commits may be in flight, and replies
 * (hence seqs and `onCommitted`) come back in order.
 * Retention deletes the oldest rows beyond a size or age bound, never rows detection still needs
 * (at or after the checkpoint's replay point).
 */
import { Worker } from 'node:worker_threads';
import type { Db, FsyncPolicy, Stmt } from './db.js';
import type { WriterHello, WriterReply, WriterRequest } from './writer-worker.js';

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
  /** The database file (the writer thread opens its own connection). */
  path: string;
  fsync: FsyncPolicy;
  /** Commit in a writer thread (default) or in the calling thread (`false`; for comparison). */
  writerThread?: boolean;
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
  private readonly worker: Worker | null;
  private readonly localCommit: ((rows: LogRow[], now: number) => number) | null;
  private readonly inFlight = new Map<number, Waiting<T>[]>();
  private nextId = 1;
  private failed: Error | null = null;
  /** Rows sent to the writer and not yet committed. */
  private flyingRows = 0;
  commits = 0;
  /** The writer thread's kernel id (null: no writer thread, or not on Linux). */
  writerTid: number | null = null;

  constructor(
    private readonly db: Db,
    private readonly opts: StreamOptions<T>,
  ) {
    this.insert = db.prepare('INSERT INTO events (received_ms, host, time_ms, raw) VALUES (?, ?, ?, ?)');
    this.readStmt = db.prepare('SELECT seq, host, time_ms, raw FROM events WHERE seq >= ? ORDER BY seq LIMIT ?');
    if (opts.writerThread === false) {
      this.worker = null;
      const insert = this.insert;
      this.localCommit = db.transaction((rows: LogRow[], now: number): number => {
        let first = 0;
        for (let i = 0; i < rows.length; i++) {
          const r = rows[i]!;
          const seq = Number(insert.run(now, r.host, r.timeMs, r.raw).lastInsertRowid);
          if (i === 0) first = seq;
        }
        return first;
      }).immediate;
      return;
    }
    this.localCommit = null;
    this.worker = new Worker(new URL('./writer-worker.js', import.meta.url), { workerData: { path: opts.path, fsync: opts.fsync } });
    this.worker.on('message', (m: WriterReply | WriterHello | 'closed') => {
      if (m === 'closed') return;
      if ('tid' in m) this.writerTid = m.tid;
      else this.committed(m);
    });
    this.worker.on('error', (e: Error) => {
      this.failed = e;
      for (const batch of this.inFlight.values()) for (const w of batch) w.reject(e);
      this.inFlight.clear();
    });
  }

  /** Rows queued or being committed. */
  get pending(): number {
    return this.waitingRows + this.flyingRows;
  }

  append(rows: LogRow[], items: T[]): Promise<number[]> {
    return new Promise((resolve, reject) => {
      if (this.failed) {
        reject(this.failed);
        return;
      }
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

  /** Send everything queued to the writer thread now. */
  commit(): void {
    const batch = this.waiting;
    if (batch.length === 0) return;
    this.waiting = [];
    this.flyingRows += this.waitingRows;
    this.waitingRows = 0;
    const id = this.nextId++;
    this.inFlight.set(id, batch);
    if (this.localCommit) {
      const rows: LogRow[] = [];
      for (const w of batch) for (const r of w.rows) rows.push(r);
      let reply: WriterReply;
      try {
        reply = { id, firstSeq: this.localCommit(rows, Date.now()), count: rows.length };
      } catch (e) {
        reply = { id, error: (e as Error).message };
      }
      this.committed(reply);
      return;
    }
    const hosts: string[] = [];
    const times: (number | null)[] = [];
    const raws: string[] = [];
    for (const w of batch)
      for (const r of w.rows) {
        hosts.push(r.host);
        times.push(r.timeMs);
        raws.push(r.raw);
      }
    this.worker!.postMessage({ id, hosts, times, raws: raws.join('\n') } satisfies WriterRequest);
  }

  private committed(m: WriterReply): void {
    const batch = this.inFlight.get(m.id);
    if (!batch) return;
    this.inFlight.delete(m.id);
    let n = 0;
    for (const w of batch) n += w.rows.length;
    this.flyingRows -= n;
    if (m.error !== undefined) {
      const e = new Error(`event log commit failed: ${m.error}`);
      for (const w of batch) w.reject(e);
      return;
    }
    this.commits++;
    let seq = m.firstSeq;
    const allSeqs: number[] = [];
    const allItems: T[] = [];
    const per: number[][] = [];
    for (const w of batch) {
      const s: number[] = [];
      for (let j = 0; j < w.rows.length; j++) {
        s.push(seq);
        allSeqs.push(seq++);
        allItems.push(w.items[j]!);
      }
      per.push(s);
    }
    this.opts.onCommitted(allSeqs, allItems);
    for (let i = 0; i < batch.length; i++) batch[i]!.resolve(per[i]!);
  }

  /** Commit what is queued and wait until every commit is done; then stop the writer thread. */
  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.commit();
    while (this.inFlight.size > 0 && !this.failed) await new Promise((r) => setTimeout(r, 2));
    if (!this.worker) return;
    if (!this.failed) {
      await new Promise<void>((resolve) => {
        this.worker!.once('message', () => resolve());
        this.worker!.once('exit', () => resolve());
        this.worker!.postMessage('close');
      });
    }
    await this.worker.terminate();
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
    // Never the newest row: seqs come from max(seq) + 1, so an empty table would reuse them.
    cut = Math.min(cut, keepFrom, top);
    if (cut <= (first?.seq ?? 0)) return 0;
    return this.db.prepare('DELETE FROM events WHERE seq < ?').run(cut).changes;
  }
}
