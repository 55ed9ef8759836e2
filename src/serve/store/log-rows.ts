/**
 * The event log's on-disk format (docs/serve.md "Durability"): one `event_batches` row per group
 * commit (split at CHUNK events), not one row per event. A row holds `count` events with seqs
 * `base_seq … base_seq + count − 1`:
 *
 * - `raws`: the documents as received, joined by '\n': a BLOB of their UTF-8 bytes as the request
 *   carried them (written by ingest since the byte scan), or TEXT (rows written before, and rows
 *   built from strings: retention's rewritten tails, tools);
 * - `lens`: each document's length (BLOB, uint32 little-endian) in bytes for a BLOB row, in UTF-16
 *   code units for a TEXT row, so one event is sliced out without scanning;
 * - `hosts`: the distinct host keys of the row (JSON array) and `host_ix` each event's index in
 *   it (BLOB, uint32);
 * - `times`: each event's time in ms (BLOB, float64; NaN: none).
 *
 * `event_batch_hosts` lists, per group of INDEX_EVERY rows (below), each host it holds with the
 * first and last row holding it and its oldest and newest event time: the index behind
 * `GET /api/alerts/{id}`'s surrounding events. Writing ~1 row per thousand
 * events instead of one row (plus an index entry) per event is what cut the writer thread's CPU.
 * Used by the writer thread (writer-worker.ts) and by EventStream (stream.ts) for reads,
 * retention and the no-writer-thread mode.
 */
import type { Db, Stmt } from './db.js';

/** Most events per row (a group commit of more is split). */
export const CHUNK = 4096;

/** One group commit as the main thread hands it over (the documents' bytes shared, not copied). */
export interface LogBatch {
  /** Distinct host keys of the batch. */
  hosts: string[];
  /** Per event: index into `hosts`. */
  hostIx: Uint32Array;
  /** Per event: time in ms, NaN when none. */
  times: Float64Array;
  /** Per event: length of its document in `raws` (bytes when `raws` is bytes, else UTF-16 code units). */
  lens: Uint32Array;
  /** The documents joined by '\n': their UTF-8 bytes (stored as a BLOB) or text (TEXT). */
  raws: string | Uint8Array;
}

export interface StoredEvent {
  seq: number;
  host: string;
  time_ms: number | null;
  raw: string;
}

export interface BatchRow {
  base_seq: number;
  count: number;
  received_ms: number;
  hosts: string;
  host_ix: Buffer;
  times: Buffer;
  lens: Buffer;
  raws: string | Buffer;
}

const bytes = (a: Uint32Array | Float64Array, from: number, to: number): Buffer => Buffer.from(a.buffer, a.byteOffset + from * a.BYTES_PER_ELEMENT, (to - from) * a.BYTES_PER_ELEMENT);

/**
 * The host index (`event_batch_hosts`, behind `GET /api/alerts/{id}`'s surrounding events) is
 * written for groups of INDEX_EVERY rows, one entry per host of the group: the rows `base_seq` …
 * `last_seq` that hold it and its oldest and newest event time in them. It was written per row, an
 * entry per host of each row in the row's own commit: the table is ordered by host, so once it
 * outgrew one B-tree leaf per host, every commit dirtied a 64 KiB leaf per host (~200 in the
 * benchmark: ~12 MB of WAL beside ~1.25 MB of documents) and the writer's CPU per event grew with
 * the log, 2 → 16 µs over a few million events (BENCHMARKS.md, servewrite). Rows above
 * `event_index.indexed_to` are not indexed yet: the writer indexes them in the commit that brings
 * them to INDEX_EVERY, and readers take their hosts and times from the rows themselves
 * (rowHostRanges).
 */
export const INDEX_EVERY = 64;

/** Prepared statements of the append path. */
export interface LogWriter {
  /** Insert the batch as one or more rows after the newest (call inside a transaction); returns the first seq. */
  append(b: LogBatch, now: number): number;
  /**
   * Insert the batch with its first event at seq `first` (retention rewriting the tail of a row it
   * cut); with an index entry per host of each row when `indexed` (the row it replaces was below
   * `indexed_to`), else left to the next indexing like every row above it.
   */
  writeAt(b: LogBatch, first: number, receivedMs: number, indexed: boolean): void;
  /** Index every row above `indexed_to` now, as one group (call inside a transaction); returns the rows indexed. */
  indexTail(): number;
}

/** A host's time range in some events (min/max null: none of its events there has a time). */
export interface HostRange {
  min: number | null;
  max: number | null;
}

/** Per host of the events `from … to − 1` of a row: its oldest and newest time. */
function hostRanges(hostIx: Uint32Array, times: Float64Array, nHosts: number, from: number, to: number): (HostRange & { h: number })[] {
  const min = new Float64Array(nHosts).fill(Infinity);
  const max = new Float64Array(nHosts).fill(-Infinity);
  const seen = new Uint8Array(nHosts);
  for (let i = from; i < to; i++) {
    const h = hostIx[i]!;
    seen[h] = 1;
    const t = times[i]!;
    if (t === t) {
      if (t < min[h]!) min[h] = t;
      if (t > max[h]!) max[h] = t;
    }
  }
  const out: (HostRange & { h: number })[] = [];
  for (let h = 0; h < nHosts; h++) {
    if (seen[h] === 0) continue;
    const lo = min[h]!;
    out.push({ h, min: lo === Infinity ? null : lo, max: lo === Infinity ? null : max[h]! });
  }
  return out;
}

/** A stored row's columns that say which hosts it holds and when (its documents are not read). */
interface RowHosts {
  base_seq: number;
  count: number;
  hosts: string;
  host_ix: Buffer;
  times: Buffer;
}

const HOST_COLUMNS = 'SELECT base_seq, count, hosts, host_ix, times FROM event_batches';

function rangesOf(r: RowHosts): { hosts: string[]; ranges: (HostRange & { h: number })[] } {
  const hosts = JSON.parse(r.hosts) as string[];
  const hostIx = new Uint32Array(r.count);
  const times = new Float64Array(r.count);
  for (let i = 0; i < r.count; i++) {
    hostIx[i] = r.host_ix.readUInt32LE(i * 4);
    times[i] = r.times.readDoubleLE(i * 8);
  }
  return { hosts, ranges: hostRanges(hostIx, times, hosts.length, 0, r.count) };
}

/** Rows above it are not in the host index yet. */
export function indexedTo(db: Db): number {
  return (db.prepare('SELECT indexed_to FROM event_index WHERE id = 1').get() as { indexed_to: number } | undefined)?.indexed_to ?? 0;
}

/**
 * `host`'s time range in each row with `lo < base_seq <= hi` that holds it, read from the rows'
 * host and time columns (not their documents).
 */
export function rowHostRanges(db: Db, host: string, lo: number, hi: number): Map<number, HostRange> {
  const out = new Map<number, HostRange>();
  const key = JSON.stringify(host);
  for (const r of db.prepare(`${HOST_COLUMNS} WHERE base_seq > ? AND base_seq <= ? ORDER BY base_seq`).all(lo, hi) as RowHosts[]) {
    // A cheap test first: the host key appears in the row's JSON array of hosts.
    if (!r.hosts.includes(key)) continue;
    const { hosts, ranges } = rangesOf(r);
    for (const x of ranges) if (hosts[x.h] === host) out.set(r.base_seq, { min: x.min, max: x.max });
  }
  return out;
}

export function logWriter(db: Db): LogWriter {
  const top: Stmt = db.prepare('SELECT base_seq + count AS next FROM event_batches ORDER BY base_seq DESC LIMIT 1');
  const ins: Stmt = db.prepare('INSERT INTO event_batches (base_seq, count, received_ms, hosts, host_ix, times, lens, raws) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  const insHost: Stmt = db.prepare('INSERT OR REPLACE INTO event_batch_hosts (host, base_seq, last_seq, min_ms, max_ms) VALUES (?, ?, ?, ?, ?)');
  const getIndexed: Stmt = db.prepare('SELECT indexed_to FROM event_index WHERE id = 1');
  const setIndexed: Stmt = db.prepare('INSERT OR REPLACE INTO event_index (id, indexed_to) VALUES (1, ?)');
  const rowsAbove: Stmt = db.prepare(`${HOST_COLUMNS} WHERE base_seq > ? ORDER BY base_seq`);
  const countAbove: Stmt = db.prepare('SELECT count(*) AS n FROM event_batches WHERE base_seq > ?');
  const indexed = (): number => (getIndexed.get() as { indexed_to: number } | undefined)?.indexed_to ?? 0;
  /** Rows above `indexed_to` as this connection last knew (null: ask); only a trigger: indexTail reads the rows. */
  let unindexed: number | null = null;
  const w: LogWriter = {
    append(b, now) {
      const first = (top.get() as { next: number } | undefined)?.next ?? 1;
      unindexed ??= (countAbove.get(indexed()) as { n: number }).n;
      w.writeAt(b, first, now, false);
      unindexed += Math.ceil(b.hostIx.length / CHUNK);
      if (unindexed >= INDEX_EVERY) w.indexTail();
      return first;
    },
    writeAt(b, first, now, withIndex) {
      const n = b.hostIx.length;
      const hostsJson = JSON.stringify(b.hosts);
      let offset = 0;
      for (let from = 0; from < n; from += CHUNK) {
        const to = Math.min(n, from + CHUNK);
        let chars = 0;
        for (let i = from; i < to; i++) chars += b.lens[i]!;
        chars += to - from - 1; // the '\n' between documents
        const r = b.raws;
        const raws =
          typeof r === 'string'
            ? from === 0 && to === n
              ? r
              : r.slice(offset, offset + chars)
            : Buffer.from(r.buffer, r.byteOffset + offset, Math.min(chars, r.byteLength - offset));
        offset += chars + 1;
        const base = first + from;
        ins.run(base, to - from, now, hostsJson, bytes(b.hostIx, from, to), bytes(b.times, from, to), bytes(b.lens, from, to), raws);
        if (withIndex) for (const x of hostRanges(b.hostIx, b.times, b.hosts.length, from, to)) insHost.run(b.hosts[x.h], base, null, x.min, x.max);
      }
    },
    indexTail() {
      const rows = rowsAbove.all(indexed()) as RowHosts[];
      unindexed = 0;
      if (rows.length === 0) return 0;
      // Per host of the group: the first and last row holding it, its oldest and newest time.
      const group = new Map<string, { first: number; last: number; min: number; max: number }>();
      for (const r of rows) {
        const { hosts, ranges } = rangesOf(r);
        for (const x of ranges) {
          const host = hosts[x.h]!;
          let g = group.get(host);
          if (!g) group.set(host, (g = { first: r.base_seq, last: r.base_seq, min: Infinity, max: -Infinity }));
          g.last = r.base_seq;
          if (x.min !== null && x.min < g.min) g.min = x.min;
          if (x.max !== null && x.max > g.max) g.max = x.max;
        }
      }
      // In the table's key order (host, base_seq): each B-tree leaf is visited once.
      for (const host of [...group.keys()].sort()) {
        const g = group.get(host)!;
        const timed = g.min !== Infinity;
        insHost.run(host, g.first, g.last, timed ? g.min : null, timed ? g.max : null);
      }
      setIndexed.run(rows[rows.length - 1]!.base_seq);
      return rows.length;
    },
  };
  return w;
}

/** Build a LogBatch from rows (host, time, raw). */
export function toBatch(rows: readonly { host: string; timeMs: number | null; raw: string }[]): LogBatch {
  const n = rows.length;
  const hostIx = new Uint32Array(n);
  const times = new Float64Array(n);
  const lens = new Uint32Array(n);
  const hosts: string[] = [];
  const ix = new Map<string, number>();
  const raws: string[] = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    const r = rows[i]!;
    let h = ix.get(r.host);
    if (h === undefined) {
      h = hosts.length;
      ix.set(r.host, h);
      hosts.push(r.host);
    }
    hostIx[i] = h;
    times[i] = r.timeMs ?? NaN;
    lens[i] = r.raw.length;
    raws[i] = r.raw;
  }
  return { hosts, hostIx, times, lens, raws: raws.join('\n') };
}

/** A stored row decoded lazily: events by index. */
export class DecodedRow {
  readonly base: number;
  readonly count: number;
  readonly receivedMs: number;
  private readonly hosts: string[];
  private readonly starts: Uint32Array;
  constructor(private readonly row: BatchRow) {
    this.base = row.base_seq;
    this.count = row.count;
    this.receivedMs = row.received_ms;
    this.hosts = JSON.parse(row.hosts) as string[];
    this.starts = new Uint32Array(row.count + 1);
    let at = 0;
    for (let i = 0; i < row.count; i++) {
      this.starts[i] = at;
      at += row.lens.readUInt32LE(i * 4) + 1;
    }
    this.starts[row.count] = at;
  }

  host(i: number): string {
    return this.hosts[this.row.host_ix.readUInt32LE(i * 4)]!;
  }

  timeMs(i: number): number | null {
    const t = this.row.times.readDoubleLE(i * 8);
    return t === t ? t : null;
  }

  raw(i: number): string {
    const r = this.row.raws;
    return typeof r === 'string' ? r.slice(this.starts[i]!, this.starts[i + 1]! - 1) : r.toString('utf8', this.starts[i]!, this.starts[i + 1]! - 1);
  }

  event(i: number): StoredEvent {
    return { seq: this.base + i, host: this.host(i), time_ms: this.timeMs(i), raw: this.raw(i) };
  }

  /** The events from index `from` on, as a new row (retention keeps the tail of a row it cuts). */
  tail(from: number): LogBatch {
    const rows: { host: string; timeMs: number | null; raw: string }[] = [];
    for (let i = from; i < this.count; i++) rows.push({ host: this.host(i), timeMs: this.timeMs(i), raw: this.raw(i) });
    return toBatch(rows);
  }
}

/** Every stored seq range [first, last] in seq order (tests, the fault suite). */
export function storedSeqRanges(db: Db): [number, number][] {
  return (db.prepare('SELECT base_seq, base_seq + count - 1 FROM event_batches ORDER BY base_seq').raw().all() as [number, number][]).map(([a, b]) => [a, b]);
}

/** Events stored. */
export function storedCount(db: Db): number {
  return (db.prepare('SELECT coalesce(sum(count), 0) AS n FROM event_batches').get() as { n: number }).n;
}

/** When the event `seq` was committed (received_ms of its row), or null. */
export function receivedMsOf(db: Db, seq: number): number | null {
  const r = db.prepare('SELECT received_ms, base_seq + count AS e FROM event_batches WHERE base_seq <= ? ORDER BY base_seq DESC LIMIT 1').get(seq) as { received_ms: number; e: number } | undefined;
  return r && seq < r.e ? r.received_ms : null;
}
