/**
 * The append-only event log with group commit.
 *
 * `append` queues a request's events (RequestEvents, ingest-batch.ts); one transaction commits
 * every event queued within `commitDelayMs` (or as soon as `maxBatch` events wait), and only then are the callers' promises resolved: an ingest
 * request is acknowledged after the commit that holds its events (with fsync per db.ts's policy).
 * A group commit is stored as one row per CHUNK events (store/log-rows.ts: documents joined, with
 * per-event host, time and length arrays), not one row per event. The commit's documents are one
 * SharedArrayBuffer (CommitBatch), shared with the writer thread and then the detection thread. Commits run in a writer thread
 * (writer-worker.ts) with its own connection, so the main thread keeps parsing and detecting
 * during the fsync; several commits may be in flight, and replies (hence seqs and `onCommitted`)
 * come back in order.
 * Retention deletes the oldest events beyond a size or age bound, never events detection still
 * needs (at or after the checkpoint's replay point).
 */
import { Worker } from 'node:worker_threads';
import type { Db, FsyncPolicy, Stmt } from './db.js';
import type { WriterHello, WriterReply, WriterRequest } from './writer-worker.js';
import { DecodedRow, indexedTo, logWriter, rowHostRanges, type BatchRow, type LogBatch, type LogWriter, type StoredEvent } from './log-rows.js';
import { joinRequests, RequestEvents, type CommitBatch } from '../ingest-batch.js';

export type { StoredEvent } from './log-rows.js';

export interface LogRow {
  host: string;
  timeMs: number | null;
  raw: string;
}

interface Waiting {
  req: RequestEvents;
  resolve: (seqs: number[]) => void;
  reject: (e: Error) => void;
}

export interface StreamOptions {
  /** The database file (the writer thread opens its own connection). */
  path: string;
  fsync: FsyncPolicy;
  /** Commit in a writer thread (default) or in the calling thread (`false`; for comparison). */
  writerThread?: boolean;
  commitDelayMs: number;
  maxBatch: number;
  /** Called after each commit with the seq of its first event and its events (seqs follow in order). */
  onCommitted: (firstSeq: number, batch: CommitBatch) => void;
}

/** A request's worth of events from host/time/text rows (tests, tools; ingest builds RequestEvents from the body's bytes). */
export function requestOf(rows: readonly LogRow[]): RequestEvents {
  const r = new RequestEvents(Buffer.alloc(0), rows.length);
  for (const x of rows) r.addParsed({ host: x.host, time: x.timeMs === null ? null : { ms: x.timeMs, ns: 0 }, raw: x.raw });
  return r;
}

export class EventStream {
  private readonly rowAt: Stmt;
  private readonly rowsAfter: Stmt;
  private readonly writer: LogWriter;
  /** The row read last (catch-up reads a row in several pages). */
  private lastRow: DecodedRow | null = null;
  private waiting: Waiting[] = [];
  private waitingRows = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly worker: Worker | null;
  private readonly localCommit: ((b: LogBatch, now: number) => number) | null;
  private readonly inFlight = new Map<number, { batch: Waiting[]; commit: CommitBatch }>();
  private nextId = 1;
  private failed: Error | null = null;
  /** Rows sent to the writer and not yet committed. */
  private flyingRows = 0;
  commits = 0;
  /** The writer thread's kernel id (null: no writer thread, or not on Linux). */
  writerTid: number | null = null;

  constructor(
    private readonly db: Db,
    private readonly opts: StreamOptions,
  ) {
    this.rowAt = db.prepare('SELECT * FROM event_batches WHERE base_seq <= ? ORDER BY base_seq DESC LIMIT 1');
    this.rowsAfter = db.prepare('SELECT * FROM event_batches WHERE base_seq > ? ORDER BY base_seq LIMIT ?');
    this.writer = logWriter(db);
    if (opts.writerThread === false) {
      this.worker = null;
      const writer = this.writer;
      this.localCommit = db.transaction((b: LogBatch, now: number): number => writer.append(b, now)).immediate;
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
      for (const f of this.inFlight.values()) for (const w of f.batch) w.reject(e);
      this.inFlight.clear();
    });
  }

  /** Rows queued or being committed. */
  get pending(): number {
    return this.waitingRows + this.flyingRows;
  }

  /** Append a request's events durably; resolves with their seqs, in order, after the commit. */
  append(req: RequestEvents): Promise<number[]> {
    return new Promise((resolve, reject) => {
      if (this.failed) {
        reject(this.failed);
        return;
      }
      this.waiting.push({ req, resolve, reject });
      this.waitingRows += req.n;
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
    const commit = joinRequests(batch.map((w) => w.req));
    this.inFlight.set(id, { batch, commit });
    // The documents' bytes are shared with the writer (and later the detection thread), not copied.
    const b: LogBatch = { hosts: commit.hosts, hostIx: commit.hostIx, times: commit.times, lens: commit.lens, raws: commit.bytes };
    if (this.localCommit) {
      let reply: WriterReply;
      try {
        reply = { id, firstSeq: this.localCommit(b, Date.now()), count: commit.n };
      } catch (e) {
        reply = { id, error: (e as Error).message };
      }
      this.committed(reply);
      return;
    }
    this.worker!.postMessage({ id, batch: b } satisfies WriterRequest);
  }

  private committed(m: WriterReply): void {
    const f = this.inFlight.get(m.id);
    if (!f) return;
    this.inFlight.delete(m.id);
    const { batch, commit } = f;
    this.flyingRows -= commit.n;
    if (m.error !== undefined) {
      const e = new Error(`event log commit failed: ${m.error}`);
      for (const w of batch) w.reject(e);
      return;
    }
    this.commits++;
    let seq = m.firstSeq;
    const per: number[][] = [];
    for (const w of batch) {
      const s: number[] = new Array<number>(w.req.n);
      for (let j = 0; j < w.req.n; j++) s[j] = seq++;
      per.push(s);
    }
    this.opts.onCommitted(m.firstSeq, commit);
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

  /** The row holding `seq`, decoded (the last one read is kept). */
  private rowOf(seq: number): DecodedRow | null {
    const l = this.lastRow;
    if (l && seq >= l.base && seq < l.base + l.count) return l;
    const r = this.rowAt.get(seq) as BatchRow | undefined;
    if (!r || seq >= r.base_seq + r.count) return null;
    return (this.lastRow = new DecodedRow(r));
  }

  /** Up to `limit` events from `seq` on, in seq order. */
  readFrom(seq: number, limit: number): StoredEvent[] {
    const out: StoredEvent[] = [];
    let at = seq;
    let row = this.rowOf(at);
    let after = row ? row.base : Math.max(0, seq - 1);
    for (;;) {
      if (row) {
        for (let i = Math.max(0, at - row.base); i < row.count && out.length < limit; i++) out.push(row.event(i));
        if (out.length >= limit) return out;
        after = row.base;
      }
      const next = this.rowsAfter.all(after, 1) as BatchRow[];
      if (next.length === 0) return out;
      row = this.lastRow = new DecodedRow(next[0]!);
      at = row.base;
    }
  }

  maxSeq(): number {
    const r = this.db.prepare('SELECT base_seq + count - 1 AS m FROM event_batches ORDER BY base_seq DESC LIMIT 1').get() as { m: number } | undefined;
    return r?.m ?? 0;
  }

  count(): number {
    return (this.db.prepare('SELECT coalesce(sum(count), 0) AS n FROM event_batches').get() as { n: number }).n;
  }

  get(seqs: number[]): StoredEvent[] {
    const out: StoredEvent[] = [];
    for (const s of seqs) {
      const row = this.rowOf(s);
      if (row) out.push(row.event(s - row.base));
    }
    return out;
  }

  /**
   * Up to `n` events of `host` on each side of `timeMs` (before: at or before it; after: after
   * it), oldest first. Rows are found by the host's time range in them, in widening windows until
   * each side has `n` or the window holds every timed event of the host: through event_batch_hosts
   * (entries for groups of rows: the group's rows are then told apart by their own host and time
   * columns) and, for the newest rows not indexed yet, from those columns alone (log-rows.ts INDEX_EVERY).
   */
  around(host: string, timeMs: number, n: number): StoredEvent[] {
    // The boundary first, then the entries: a group indexed in between is read twice (counted once), none missed.
    const upTo = indexedTo(this.db);
    const entries = this.db.prepare('SELECT base_seq, coalesce(last_seq, base_seq) AS last, min_ms, max_ms FROM event_batch_hosts WHERE host = ? AND min_ms IS NOT NULL').all(host) as {
      base_seq: number;
      last: number;
      min_ms: number;
      max_ms: number;
    }[];
    /** Per row holding the host: its time range there (rows of groups read as a window reaches them). */
    const ranges = rowHostRanges(this.db, host, upTo, Number.MAX_SAFE_INTEGER);
    let lo = Infinity;
    let hi = -Infinity;
    for (const r of ranges.values()) if (r.min !== null) (lo = Math.min(lo, r.min)), (hi = Math.max(hi, r.max!));
    for (const e of entries) (lo = Math.min(lo, e.min_ms)), (hi = Math.max(hi, e.max_ms));
    const readGroups = new Set<number>();
    for (let span = 60_000; ; span *= 16) {
      const from = timeMs - span;
      const to = timeMs + span;
      for (const e of entries) {
        if (e.max_ms < from || e.min_ms > to || readGroups.has(e.base_seq)) continue;
        readGroups.add(e.base_seq);
        if (e.last === e.base_seq) ranges.set(e.base_seq, { min: e.min_ms, max: e.max_ms });
        else for (const [base, r] of rowHostRanges(this.db, host, e.base_seq - 1, e.last)) ranges.set(base, r);
      }
      const rows: { base_seq: number }[] = [];
      for (const [base_seq, r] of ranges) if (r.min !== null && r.max! >= from && r.min <= to) rows.push({ base_seq });
      rows.sort((a, b) => a.base_seq - b.base_seq);
      const before: StoredEvent[] = [];
      const after: StoredEvent[] = [];
      let nearBefore = 0;
      let nearAfter = 0;
      for (const { base_seq } of rows) {
        const row = this.rowOf(base_seq);
        if (!row) continue;
        for (let i = 0; i < row.count; i++) {
          if (row.host(i) !== host) continue;
          const t = row.timeMs(i);
          if (t === null) continue;
          if (t <= timeMs) {
            before.push(row.event(i));
            if (t >= timeMs - span) nearBefore++;
          } else {
            after.push(row.event(i));
            if (t <= timeMs + span) nearAfter++;
          }
        }
      }
      // Rows outside the window hold only events farther than `span`: enough nearer ones settle it.
      const done = (nearBefore >= n && nearAfter >= n) || (from <= lo && to >= hi) || span > 1e13;
      if (!done) continue;
      const byTime = (a: StoredEvent, b: StoredEvent): number => a.time_ms! - b.time_ms! || a.seq - b.seq;
      before.sort(byTime);
      after.sort(byTime);
      return [...before.slice(Math.max(0, before.length - n)), ...after.slice(0, n)];
    }
  }

  /**
   * Retention: delete events older than `maxAgeMs` (by arrival) or beyond the newest `maxEvents`,
   * but never at or after `keepFrom` (detection's replay point). Whole rows before the cut are
   * deleted; a row the cut falls in is rewritten with its tail. Returns events deleted.
   */
  prune(keepFrom: number, maxEvents: number, maxAgeMs: number): number {
    const top = this.maxSeq();
    let cut = Math.max(0, top - maxEvents + 1);
    // received_ms grows with seq (stamped at commit): binary search over rows instead of a full scan.
    const at = this.db.prepare('SELECT base_seq, count, received_ms FROM event_batches WHERE base_seq >= ? ORDER BY base_seq LIMIT 1');
    const limit = Date.now() - maxAgeMs;
    type R = { base_seq: number; count: number; received_ms: number };
    const first = at.get(0) as R | undefined;
    if (first && first.received_ms < limit) {
      let lo = first.base_seq;
      let hi = top + 1;
      while (lo < hi) {
        const mid = Math.floor((lo + hi) / 2);
        const r = at.get(mid) as R | undefined;
        if (r && r.received_ms < limit) lo = r.base_seq + r.count;
        else hi = mid;
      }
      cut = Math.max(cut, lo);
    }
    // Never the newest event: seqs come from the newest row, so an empty log would reuse them.
    cut = Math.min(cut, keepFrom, top);
    if (!first || cut <= first.base_seq) return 0;
    this.lastRow = null;
    return this.db.transaction((): number => {
      // Rows are contiguous: every row starting before the one the cut falls in ends before the cut.
      const straddle = this.rowAt.get(cut) as BatchRow | undefined;
      const cuts = straddle !== undefined && straddle.base_seq < cut && cut < straddle.base_seq + straddle.count;
      const wholeBelow = cuts ? straddle.base_seq : cut;
      let deleted = (this.db.prepare('SELECT coalesce(sum(count), 0) AS n FROM event_batches WHERE base_seq < ?').get(wholeBelow) as { n: number }).n;
      this.db.prepare('DELETE FROM event_batches WHERE base_seq < ?').run(wholeBelow);
      if (cuts) {
        const row = new DecodedRow(straddle);
        const tail = row.tail(cut - row.base);
        this.db.prepare('DELETE FROM event_batches WHERE base_seq = ?').run(row.base);
        // The tail keeps the row's place in the host index: indexed (an entry per host, seqs from
        // the cut) if the row was, else above `indexed_to` like the rows after it.
        const indexed = row.base <= indexedTo(this.db);
        this.writer.writeAt(tail, cut, row.receivedMs, indexed);
        if (indexed) this.db.prepare('UPDATE event_index SET indexed_to = max(indexed_to, ?) WHERE id = 1').run(cut);
        deleted += cut - row.base;
      }
      // Entries of rows all below the cut; a group's entry reaching past it stays (its rows below are gone).
      this.db.prepare('DELETE FROM event_batch_hosts WHERE base_seq < ? AND coalesce(last_seq, base_seq) < ?').run(cut, cut);
      return deleted;
    }).immediate();
  }
}
