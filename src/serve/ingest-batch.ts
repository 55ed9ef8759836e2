/**
 * The events of one ingest request as one record of typed arrays, not an object (or a string) per
 * event: each event is a byte range of the request body (or, for a document the byte scan left to
 * the parser, of `extra`: the event's text re-encoded), with its host, time, flags and telemetry
 * key in parallel arrays. A group commit joins the requests' records into a CommitBatch whose
 * documents sit in one SharedArrayBuffer, handed as is to the log's writer thread and the
 * detection thread (store/stream.ts, detect-loop.ts): the main thread never decodes a document.
 */
import type { Instant } from '../events/timestamp.js';
import type { LoggedEvent } from './ingest-parse.js';

/** Flags per event. */
export const F_PLAIN = 1; // LoggedEvent.plain: no 16+ digit integer, JSON.parse is exact
export const F_TIME = 2; // the event has a time of its own
export const F_EXTRA = 4; // its bytes are in `extra`, not the body
export const F_ASCII = 8; // its document is ASCII

function growU32(a: Uint32Array, n: number): Uint32Array {
  const b = new Uint32Array(Math.max(n, a.length * 2));
  b.set(a);
  return b;
}

export class RequestEvents {
  n = 0;
  /** Where each event's document starts in its buffer, and its length in bytes. */
  start: Uint32Array;
  len: Uint32Array;
  hostIx: Uint32Array;
  timeMs: Float64Array;
  timeNs: Uint32Array;
  flags: Uint8Array;
  /**
   * Each event's telemetry key in `tkeys` (length 0: none; ~65 bytes for a Defend event). Every
   * event's key is followed by a line break there, so the request's keys are already joined as the
   * commit holds them (CommitBatch.tkeys): one copy per request.
   */
  tkeyAt: Uint32Array;
  tkeyLen: Uint32Array;
  tkeys: Uint8Array;
  tkeyUsed = 0;
  /**
   * Scanned documents are moved to the front of the body as they are added (`body[0, packed)`:
   * the documents joined by line breaks, as the commit holds them). The body's bytes before the
   * document being added are no longer the request's.
   */
  packed = 0;
  hosts: string[] = [];
  private readonly hostMap = new Map<string, number>();
  private lastHost = '';
  private lastHostIx = -1;
  /** Documents the parser produced (other flavours, Elasticsearch hits): their text as UTF-8. */
  extra: Buffer[] = [];
  bytes = 0;
  /** The connection it arrived on (reorder.ts sourceOrder). */
  src = 0;

  constructor(
    /** The request body (decompressed). */
    readonly body: Buffer,
    capacity = 64,
  ) {
    const c = Math.max(4, capacity);
    this.start = new Uint32Array(c);
    this.len = new Uint32Array(c);
    this.hostIx = new Uint32Array(c);
    this.timeMs = new Float64Array(c);
    this.timeNs = new Uint32Array(c);
    this.flags = new Uint8Array(c);
    this.tkeyAt = new Uint32Array(c);
    this.tkeyLen = new Uint32Array(c);
    this.tkeys = new Uint8Array(c * 80);
  }

  private room(): number {
    const i = this.n;
    if (i === this.start.length) {
      const c = i * 2;
      this.start = growU32(this.start, c);
      this.len = growU32(this.len, c);
      this.hostIx = growU32(this.hostIx, c);
      const t = new Float64Array(c);
      t.set(this.timeMs);
      this.timeMs = t;
      this.timeNs = growU32(this.timeNs, c);
      const f = new Uint8Array(c);
      f.set(this.flags);
      this.flags = f;
      this.tkeyAt = growU32(this.tkeyAt, c);
      this.tkeyLen = growU32(this.tkeyLen, c);
    }
    this.n = i + 1;
    return i;
  }

  private host(h: string): number {
    if (h === this.lastHost && this.lastHostIx >= 0) return this.lastHostIx;
    let ix = this.hostMap.get(h);
    if (ix === undefined) {
      ix = this.hosts.length;
      this.hosts.push(h);
      this.hostMap.set(h, ix);
    }
    this.lastHost = h;
    this.lastHostIx = ix;
    return ix;
  }

  /**
   * An event the byte scan decided: `body[start, end)`, tkey bytes `tk[0, tkLen)` (tkLen < 0:
   * none). The document is moved down to `packed` (it was just scanned: the move reads it from
   * cache), so a commit copies a request's documents at once.
   */
  addScanned(start: number, end: number, host: string, ms: number, ns: number, plain: boolean, ascii: boolean, tk: Uint8Array, tkLen: number): void {
    const i = this.room();
    const len = end - start;
    const w = this.packed;
    const body = this.body;
    if (start !== w) body.copyWithin(w, start, end);
    if (w + len < body.length) body[w + len] = 0x0a;
    this.packed = w + len + 1;
    this.start[i] = w;
    this.len[i] = len;
    this.bytes += len;
    this.hostIx[i] = this.host(host);
    this.timeMs[i] = ms;
    this.timeNs[i] = ns;
    this.flags[i] = F_TIME | (plain ? F_PLAIN : 0) | (ascii ? F_ASCII : 0);
    this.putKey(i, tk, tkLen);
  }

  /** Event i's key (tk null or tkLen ≤ 0: none), then a line break. */
  private putKey(i: number, tk: Uint8Array | null, tkLen: number): void {
    const kl = tk === null || tkLen <= 0 ? 0 : tkLen;
    let at = this.tkeyUsed;
    if (at + kl + 1 > this.tkeys.length) {
      const b = new Uint8Array(Math.max(at + kl + 1, this.tkeys.length * 2));
      b.set(this.tkeys.subarray(0, at));
      this.tkeys = b;
    }
    const keys = this.tkeys;
    this.tkeyAt[i] = at;
    this.tkeyLen[i] = kl;
    // ~65 bytes: copied here, no view made per event.
    for (let k = 0; k < kl; k++) keys[at++] = tk![k]!;
    keys[at++] = 0x0a;
    this.tkeyUsed = at;
  }

  /** An event the string path produced (its text re-encoded; kept exactly as the string path would store it). */
  addParsed(ev: LoggedEvent): void {
    const i = this.room();
    const bytes = Buffer.from(ev.raw, 'utf8');
    this.extra.push(bytes);
    this.start[i] = this.extra.length - 1;
    this.len[i] = bytes.length;
    this.bytes += bytes.length;
    this.hostIx[i] = this.host(ev.host);
    if (ev.time) {
      this.timeMs[i] = ev.time.ms;
      this.timeNs[i] = ev.time.ns;
    } else this.timeMs[i] = NaN;
    this.flags[i] = F_EXTRA | (ev.time ? F_TIME : 0) | (ev.plain === true ? F_PLAIN : 0) | (bytes.length === ev.raw.length ? F_ASCII : 0);
    if (ev.tkey) {
      const k = Buffer.from(ev.tkey, 'utf8');
      this.putKey(i, k, k.length);
    } else this.putKey(i, null, 0);
  }

  /** Event i's document bytes. */
  docBytes(i: number): Uint8Array {
    const s = this.start[i]!;
    return this.flags[i]! & F_EXTRA ? this.extra[s]! : this.body.subarray(s, s + this.len[i]!);
  }

  /** Event i's document as text (cluster ingest, tests). */
  raw(i: number): string {
    const s = this.start[i]!;
    if (this.flags[i]! & F_EXTRA) return this.extra[s]!.toString('utf8');
    return this.body.toString('utf8', s, s + this.len[i]!);
  }

  hostOf(i: number): string {
    return this.hosts[this.hostIx[i]!]!;
  }

  timeOf(i: number): Instant | null {
    return this.flags[i]! & F_TIME ? { ms: this.timeMs[i]!, ns: this.timeNs[i]! } : null;
  }
}

/**
 * One group commit: the events of every request in it, in seq order. `bytes` (the documents
 * joined by '\n', as the log row holds them) and `tkeys` (the telemetry keys joined by '\n') are
 * views of SharedArrayBuffers: posted to the writer and detection threads without a copy.
 */
export interface CommitBatch {
  n: number;
  bytes: Uint8Array;
  /** Byte offset of each event's document in `bytes` (n + 1 entries: the last is bytes.length + 1). */
  at: Uint32Array;
  lens: Uint32Array;
  hosts: string[];
  hostIx: Uint32Array;
  /** Time in ms (NaN: none), and nanoseconds within the ms. */
  times: Float64Array;
  ns: Uint32Array;
  flags: Uint8Array;
  tkeys: Uint8Array;
  /** Offset of each event's key in `tkeys` (n + 1 entries), its length 0 when none. */
  tkeyAt: Uint32Array;
  src: Uint32Array;
}

/**
 * Join requests' events into one commit (in order). A request's scanned documents are already
 * joined at the front of its body (RequestEvents.addScanned) and its keys in `tkeys`: each run of
 * documents between parsed ones is one copy, a request's keys one copy.
 */
export function joinRequests(reqs: readonly RequestEvents[]): CommitBatch {
  let n = 0;
  let bytes = 0;
  let keyTotal = 0;
  for (const r of reqs) {
    n += r.n;
    bytes += r.bytes;
    keyTotal += r.tkeyUsed; // each event's key and its line break
  }
  const total = bytes + Math.max(0, n - 1);
  const out = new Uint8Array(new SharedArrayBuffer(Math.max(1, total)), 0, total);
  keyTotal = Math.max(0, keyTotal - 1); // no line break after the last key
  const keys = new Uint8Array(new SharedArrayBuffer(Math.max(1, keyTotal)), 0, keyTotal);
  const at = new Uint32Array(n + 1);
  const lens = new Uint32Array(n);
  const hostIx = new Uint32Array(n);
  const times = new Float64Array(n);
  const ns = new Uint32Array(n);
  const flags = new Uint8Array(n);
  const tkeyAt = new Uint32Array(n + 1);
  const src = new Uint32Array(n);
  const hosts: string[] = [];
  const hostMap = new Map<string, number>();
  let k = 0;
  let pos = 0;
  let kpos = 0;
  for (const r of reqs) {
    if (r.n === 0) continue;
    const remap = new Uint32Array(r.hosts.length);
    for (let h = 0; h < r.hosts.length; h++) {
      const name = r.hosts[h]!;
      let g = hostMap.get(name);
      if (g === undefined) {
        g = hosts.length;
        hosts.push(name);
        hostMap.set(name, g);
      }
      remap[h] = g;
    }
    if (k > 0) {
      out[pos++] = 0x0a;
      keys[kpos++] = 0x0a;
    }
    const used = r.tkeyUsed - 1;
    if (used > 0) keys.set(used === r.tkeys.length ? r.tkeys : r.tkeys.subarray(0, used), kpos);
    const k0 = kpos;
    kpos += used;
    const body = r.body;
    let runFrom = -1;
    let runTo = -1;
    let runAt = 0;
    for (let i = 0; i < r.n; i++, k++) {
      if (i > 0) pos++; // the line break: in the body's run, or written below
      at[k] = pos;
      tkeyAt[k] = k0 + r.tkeyAt[i]!;
      const s = r.start[i]!;
      const len = r.len[i]!;
      const f = r.flags[i]!;
      if (f & F_EXTRA) {
        if (runFrom >= 0) out.set(body.subarray(runFrom, runTo), runAt);
        runFrom = -1;
        if (i > 0) out[pos - 1] = 0x0a;
        out.set(r.extra[s]!, pos);
        if (i + 1 < r.n) out[pos + len] = 0x0a;
      } else if (runFrom < 0) {
        runFrom = s;
        runAt = pos;
        runTo = s + len;
      } else runTo = s + len;
      pos += len;
      lens[k] = len;
      hostIx[k] = remap[r.hostIx[i]!]!;
      times[k] = f & F_TIME ? r.timeMs[i]! : NaN;
      ns[k] = r.timeNs[i]!;
      flags[k] = f & ~F_EXTRA;
      src[k] = r.src;
    }
    if (runFrom >= 0) out.set(body.subarray(runFrom, runTo), runAt);
  }
  at[n] = pos + 1;
  tkeyAt[n] = kpos + 1;
  return { n, bytes: out, at, lens, hosts, hostIx, times, ns, flags, tkeys: keys, tkeyAt, src };
}

/** Event i's document as text. */
export function commitRaw(c: CommitBatch, i: number): string {
  const a = c.at[i]!;
  return Buffer.from(c.bytes.buffer, c.bytes.byteOffset + a, c.lens[i]!).toString('utf8');
}
