/**
 * Time slices of one host's files, so a host whose history spans many files (or a few big ones)
 * is not serialized on one thread.
 *
 * The host's time range is cut at boundaries T1 < T2 < … chosen so each slice holds about the same
 * bytes (each file's bytes taken as spread evenly over its first..last time). Each file is cut at
 * each boundary by a binary search on the time of the event at a position (NDJSON byte offset,
 * EVTX chunk index): slice s owns, in every file, the events between its cuts. Like a split part
 * (plan.ts), a slice also reads each file past its cut, up to the longest rule window past the
 * slice's latest own event, and keeps only matches whose first event it owns: a sequence that
 * straddles a boundary is found by the slice where it starts, once. Alerts of all slices are
 * deduplicated by their deterministic ids anyway (alert/order.ts).
 *
 * The cuts only balance the work; soundness does not depend on them. Where a cut was estimated
 * badly (unsorted file, bursty times), a slice owns events later than its boundary; the stream
 * reading its overlap then reads further (the limit follows the latest own event), and a slice
 * whose overlap stopped too early for an own event seen later is run again (unit.ts).
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { cuttable, diskPath, type InputFile } from '../sources/index.js';
import { chunkBytes, chunkSlots, parseEvtxChunk } from '../sources/evtx/index.js';
import { eventTime } from '../normalize/index.js';
import type { Event } from '../events/field.js';
import { compareInstants, type Instant } from '../events/timestamp.js';

/** Files a slice can cut: plain NDJSON or EVTX on disk, or an EVTX's spooled copy (sources cuttable). */
export function sliceable(f: InputFile): boolean {
  return f.size > 0 && cuttable(f);
}

/** Positions of a file: NDJSON bytes, EVTX chunk slots. */
function positions(f: InputFile): number {
  return f.format === 'evtx' ? chunkSlots(f.size) : f.size;
}

const PROBE_BYTES = 8 * 1024;

/** The time of the first event at or after `pos` (NDJSON: the first whole line after byte pos), or null. */
async function timeAt(f: InputFile, pos: number): Promise<Instant | null> {
  if (f.format === 'evtx') {
    const n = chunkSlots(f.size);
    // Empty or unreadable chunks: try the next few.
    for (let i = pos; i < Math.min(n, pos + 4); i++) {
      for await (const { bytes } of chunkBytes(diskPath(f), f.size, i, i + 1)) {
        for (const se of parseEvtxChunk(bytes, f.path, i, () => {})) {
          const t = eventTime(se.event);
          if (t) return t;
        }
      }
    }
    return null;
  }
  // Synchronous reads (as the readers read): planning probes every file of a host, a few times
  // each, and each asynchronous open, read and close waited for a libuv pool thread.
  const fd = openSync(f.path, 'r');
  try {
    // Byte `at` starts a line when it is 0 or follows a newline.
    let at = pos === 0 ? 0 : pos - 1;
    let lineStart = pos === 0;
    for (let tries = 0; tries < 64 && at < f.size; tries++) {
      const buf = Buffer.allocUnsafe(PROBE_BYTES);
      const bytesRead = readSync(fd, buf, 0, buf.length, at);
      if (bytesRead === 0) break;
      let i = 0;
      if (!lineStart) {
        const nl = buf.indexOf(10, 0);
        if (nl < 0 || nl >= bytesRead) {
          at += bytesRead;
          continue;
        }
        i = nl + 1;
        lineStart = true;
      }
      for (;;) {
        const nl = buf.indexOf(10, i);
        if (nl < 0 || nl >= bytesRead) break;
        const t = lineTime(buf.toString('utf8', i, nl));
        if (t) return t;
        i = nl + 1;
      }
      if (i === 0) {
        at += bytesRead; // a line longer than a probe block: read on
        lineStart = false;
        continue;
      }
      at += i;
    }
    return null;
  } finally {
    closeSync(fd);
  }
}

/** The time of a file's last event (NDJSON: its last whole line; EVTX: the last event of the last chunk with one). */
async function lastTime(f: InputFile): Promise<Instant | null> {
  if (f.format === 'evtx') {
    const n = chunkSlots(f.size);
    for (let i = n - 1; i >= 0; i--) {
      for await (const { bytes } of chunkBytes(diskPath(f), f.size, i, i + 1)) {
        let last: Instant | null = null;
        for (const se of parseEvtxChunk(bytes, f.path, i, () => {})) {
          const t = eventTime(se.event);
          if (t && (last === null || compareInstants(t, last) > 0)) last = t;
        }
        if (last) return last;
      }
    }
    return null;
  }
  const fd = openSync(f.path, 'r');
  try {
    const len = Math.min(64 * 1024, f.size);
    const buf = Buffer.allocUnsafe(len);
    readSync(fd, buf, 0, len, f.size - len);
    const lines = buf.toString('utf8').trimEnd().split('\n');
    for (let i = lines.length - 1; i >= (len < f.size ? 1 : 0); i--) {
      const t = lineTime(lines[i]!);
      if (t) return t;
    }
    return null;
  } finally {
    closeSync(fd);
  }
}

/** The time of one NDJSON line's event, or null (not an object, no time). */
export function lineTime(line: string): Instant | null {
  try {
    const v: unknown = JSON.parse(line);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? eventTime(v as Event) : null;
  } catch {
    return null;
  }
}

/**
 * The cut of a file at time T: the smallest position p whose next event (NDJSON: the first line
 * starting at or after p; EVTX: chunk p) is later than T. For a file in time order, the events
 * before p are not later than T. Binary search (about log2(size) probes of a few KiB).
 */
async function cutAt(f: InputFile, T: Instant, first: Instant, last: Instant): Promise<number> {
  const n = positions(f);
  if (compareInstants(first, T) > 0) return 0;
  if (compareInstants(last, T) <= 0) return n;
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    const t = await timeAt(f, mid);
    if (t === null || compareInstants(t, T) > 0) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

export interface FileSpan {
  file: InputFile;
  first: Instant;
  last: Instant;
}

/** First and last event times of each file, or null when any file has none (then the host is not sliced). */
export async function fileSpans(files: InputFile[]): Promise<FileSpan[] | null> {
  const out: FileSpan[] = [];
  for (const file of files) {
    const first = await timeAt(file, 0);
    const last = first ? await lastTime(file) : null;
    if (!first || !last) return null;
    out.push({ file, first, last: compareInstants(last, first) < 0 ? first : last });
  }
  return out;
}

/** One file's share of a slice (plan.ts WorkPart's shape; not imported, so plan.ts may import this module). */
export interface SlicePart {
  file: InputFile;
  range: { start: number; end: number; unit: 'bytes' | 'chunks' };
}

export interface HostSlice {
  parts: SlicePart[];
  /** The slice's boundary: its own events are (for files in time order) not later than this. Absent for the last slice. */
  boundary?: Instant;
  /** The earliest first event of the files left out of this slice (they start too late to matter). */
  later?: Instant;
  bytes: number;
}

/** Files starting later than a slice's boundary + rule window + this are left out of it. */
const LATER_MARGIN_MS = 15 * 60_000;

/**
 * Cut one host's files into `k` time slices of about equal bytes. Files that end before a slice
 * starts are not in it; every other file is, from its cut at the slice's start (its own events up
 * to its cut at the slice's boundary, then its overlap).
 */
export async function sliceHost(spans: FileSpan[], k: number, overlapNs = 0): Promise<HostSlice[]> {
  const total = spans.reduce((a, s) => a + s.file.size, 0);
  const lo = Math.min(...spans.map((s) => s.first.ms));
  const hi = Math.max(...spans.map((s) => s.last.ms));
  // Bytes before time t (ms), each file's bytes spread evenly over its span.
  const before = (t: number): number => {
    let b = 0;
    for (const s of spans) {
      if (t >= s.last.ms) b += s.file.size;
      else if (t > s.first.ms) b += (s.file.size * (t - s.first.ms)) / (s.last.ms - s.first.ms);
    }
    return b;
  };
  const bounds: Instant[] = [];
  for (let i = 1; i < k; i++) {
    const want = (total * i) / k;
    let a = lo;
    let b = hi;
    for (let j = 0; j < 60 && b - a > 1; j++) {
      const m = Math.floor((a + b) / 2);
      if (before(m) < want) a = m;
      else b = m;
    }
    const t: Instant = { ms: a, ns: 999999 };
    if (bounds.length === 0 || compareInstants(t, bounds[bounds.length - 1]!) > 0) bounds.push(t);
  }
  // Cuts per file: cuts[f][0] = 0, cuts[f][i] = cut at bounds[i-1], cuts[f][last] = end.
  const cuts: number[][] = [];
  for (const s of spans) {
    const c = [0];
    for (const T of bounds) c.push(Math.max(c[c.length - 1]!, await cutAt(s.file, T, s.first, s.last)));
    c.push(positions(s.file));
    cuts.push(c);
  }
  const slices: HostSlice[] = [];
  for (let i = 0; i <= bounds.length; i++) {
    const parts: SlicePart[] = [];
    let bytes = 0;
    let later: Instant | null = null;
    spans.forEach((s, f) => {
      const start = cuts[f]![i]!;
      const end = cuts[f]![i + 1]!;
      const n = positions(s.file);
      if (start >= n) return; // the file ended before this slice
      // A file that starts well past the slice's boundary and the rule window: not read at all
      // (its first time is a stop the slice checks, see `later`).
      const b = i < bounds.length ? bounds[i]! : null;
      if (b && start === end && s.first.ms > b.ms + overlapNs / 1e6 + LATER_MARGIN_MS) {
        if (later === null || compareInstants(s.first, later) < 0) later = s.first;
        return;
      }
      const unit = s.file.format === 'evtx' ? 'chunks' : 'bytes';
      parts.push({ file: s.file, range: { start, end, unit } });
      bytes += unit === 'bytes' ? end - start : ((end - start) / Math.max(1, n)) * s.file.size;
    });
    if (parts.length === 0) continue;
    slices.push({ parts, ...(i < bounds.length ? { boundary: bounds[i]! } : {}), ...(later ? { later } : {}), bytes: Math.round(bytes) });
  }
  return slices;
}

/** Whether the slices' own time spans, in slice order, do not interleave (a slice with no own events is skipped). */
export function slicesInOrder(spans: ({ min: Instant; max: Instant; unsound?: true } | undefined)[]): boolean {
  let maxBefore: Instant | null = null;
  for (const s of spans) {
    if (!s) continue;
    if (s.unsound) return false;
    if (maxBefore && compareInstants(s.min, maxBefore) <= 0) return false;
    if (!maxBefore || compareInstants(s.max, maxBefore) > 0) maxBefore = s.max;
  }
  return true;
}
