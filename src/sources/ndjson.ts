/**
 * NDJSON (one JSON value per line), streamed.
 *
 * Bytes are read in 1 MiB chunks and split on `\n` by hand (much faster than `readline`);
 * each line is decoded and parsed with `parseJsonExact` so 64-bit integers stay exact.
 * Blank lines are ignored, CRLF and a UTF-8 BOM are handled, and a line that does not parse is
 * reported as `malformed-json` at `line N` and skipped; reading goes on with the next line.
 */
import { isAscii } from 'node:buffer';
import { open } from 'node:fs/promises';
import { jsonDepthExceeds, MAX_JSON_DEPTH, parseJsonExact } from '../events/json.js';
import { mayHoldBigLiteral } from './big-integers.js';
import { fileBytes, READ_CHUNK } from './bytes.js';
import type { DeferredLine, ProblemSink, SourceEvent } from './types.js';
import { markParsedJson, type Event } from '../events/field.js';
import { parseTimestamp, type Instant } from '../events/timestamp.js';
import { valueToEvents } from './unwrap.js';
import { anchorOf } from './search.js';

export interface NdjsonRangeOptions {
  /**
   * Count the lines before `start` so positions and problems carry absolute line numbers.
   * Costs one extra pass over the bytes before `start`. Default false: positions of a range that
   * does not start at 0 are byte offsets of the line starts, and problems say `offset N`.
   */
  absoluteLines?: boolean;
  /**
   * The 1-based line number of the first line this range yields, when the caller knows it (from
   * `rangeFirstLines`, which computes it for all ranges of a file in one pass). Takes precedence
   * over `absoluteLines`.
   */
  firstLine?: number;
  /** Skip parsing the lines this filter rejects (counted in it). */
  filter?: LineFilter;
  /** Set SourceEvent.text (see there). */
  keepText?: boolean;
}

/** Events per yielded batch. */
const BATCH_EVENTS = 256;

/** A single line longer than this is reported and the rest of the input abandoned. */
export const MAX_LINE_BYTES = 512 * 1024 * 1024;

/**
 * Lets a reader skip parsing lines nothing downstream wants (e.g. a hunt whose rules cannot match
 * their event category). `keep` sees the raw line text and which of the filter's `needles` it
 * holds (bit k of `found` for needles[k], at most 31 needles): the reader finds the needles once
 * per block of text, far cheaper than searching each line. Rejected lines are counted, not parsed.
 */
export interface LineFilter {
  needles: readonly string[];
  /**
   * SKIP, PARSE, or DEFER: yield the line unparsed (SourceEvent.deferred) for the consumer to
   * decide, with `deferredCategories` set to its category values. A line is deferred only when
   * its exact time is known — its `@timestamp` read from the text (see deferredTime), or what
   * `deferredTimeOf` gives —; otherwise it is parsed.
   */
  keep(line: string, found: number): LineDecision;
  deferredCategories?: readonly string[];
  /** With DEFER for a Windows record: its EventIDs (DeferredLine.ids); cleared for other lines. */
  deferredIds?: readonly string[];
  /**
   * With DEFER: how the line's exact time is read, when not from a leading `@timestamp`
   * (deferredTime): a Windows record whose time normalization takes from other fields. Null
   * from it: the line is parsed now. Cleared for lines timed by their `@timestamp`.
   */
  deferredTimeOf?: DeferredTimer;
  skipped: number;
}

/** How a deferred line's exact time is read (LineFilter.deferredTimeOf), and its host when that is read too. */
export interface DeferredTimer {
  (line: string): { time: Instant; host?: string | null } | null;
  /** Given the event parseDeferred makes of a line it timed (DeferredLine.onParse). */
  parsed?: (event: Event) => void;
}

export const SKIP = 0;
export const PARSE = 1;
export const DEFER = 2;
export type LineDecision = typeof SKIP | typeof PARSE | typeof DEFER;

/** A filter's decision for one line, searching its needles in the line itself (tests, long lines). */
export function filterDecides(filter: LineFilter, line: string): LineDecision {
  let found = 0;
  filter.needles.forEach((n, k) => {
    if (line.includes(n)) found |= 1 << k;
  });
  return filter.keep(line, found);
}

/** Does the filter want the line at all (parsed now or later)? */
export function filterKeeps(filter: LineFilter, line: string): boolean {
  return filterDecides(filter, line) !== SKIP;
}

const TS_PREFIX = '{"@timestamp":"';
const HIT_PREFIX = '{"_index":"';
const HIT_SOURCE = '"_source":{"@timestamp":"';

/**
 * The time of a line that can wait unparsed, or null. Only a plain document whose first key is a
 * plain `@timestamp` string and that names no other `@timestamp` (JSON.parse would keep the last
 * one), no `_source` and no `hits` (Elasticsearch hits and responses are unwrapped when parsed):
 * then its time is exactly what parsing would give. Or an Elasticsearch hit (`{"_index":"…"`,
 * once) whose one `_source` key is a top-level key and starts with its one plain `@timestamp`,
 * and that names no `hits`: parsing unwraps it to that `_source` (parseDeferred).
 */
function deferredTime(line: string): Instant | null {
  let start: number;
  if (line.startsWith(TS_PREFIX)) {
    start = TS_PREFIX.length;
    if (line.includes('_source"')) return null;
  } else if (line.startsWith(HIT_PREFIX)) {
    const at = line.indexOf(HIT_SOURCE);
    if (at < 0 || line.indexOf('_source"') !== at + 1 || line.includes('_source"', at + HIT_SOURCE.length)) return null;
    if (line.includes('"_index"', 2) || depthAt(line, at) !== 1) return null;
    start = at + HIT_SOURCE.length;
    if (line.indexOf('@timestamp"') !== start - 13) return null;
  } else return null;
  const close = line.indexOf('"', start);
  if (close < 0) return null;
  const value = line.slice(start, close);
  if (value.includes('\\') || line.includes('@timestamp"', close) || line.includes('hits"')) return null;
  return parseTimestamp(value);
}

/** The object depth of JSON text at `end` (outside strings), or -1 when `end` is inside a string. */
function depthAt(text: string, end: number): number {
  let depth = 0;
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      for (i++; i < end; i++) {
        const d = text.charCodeAt(i);
        if (d === 92 /* \\ */) i++;
        else if (d === 34) break;
      }
      if (i >= end) return -1;
    } else if (c === 123 /* { */ || c === 91 /* [ */) depth++;
    else if (c === 125 /* } */ || c === 93 /* ] */) depth--;
  }
  return depth;
}

/** Where each needle occurs in a block of text, walked line by line in order (also serve's batches). */
export class NeedleHits {
  private readonly hits: number[][];
  private readonly next: number[];
  constructor(
    text: string,
    readonly needles: readonly string[],
  ) {
    this.hits = needles.map((n) => {
      const at: number[] = [];
      // Searched from the needle's rarest character (sources/search.ts), its head compared after.
      const { at: k, head, tail } = anchorOf(n);
      for (let t = text.indexOf(tail, k); t >= 0; t = text.indexOf(tail, t + 1)) if (k === 0 || text.startsWith(head, t - k)) at.push(t - k);
      return at;
    });
    this.next = needles.map(() => 0);
  }
  /** Bit k set when needle k occurs in [start, end); lines must be asked for in order. */
  within(start: number, end: number): number {
    let found = 0;
    for (let k = 0; k < this.hits.length; k++) {
      const at = this.hits[k]!;
      let i = this.next[k]!;
      while (i < at.length && at[i]! < start) i++;
      this.next[k] = i;
      if (i < at.length && at[i]! < end) found |= 1 << k;
    }
    return found;
  }
}

interface LineState {
  file: string;
  onProblem: ProblemSink;
  filter?: LineFilter;
  /** 1-based number of the next line, or null when only byte offsets are known. */
  lineNo: number | null;
  /** Lines starting at or after this absolute offset are not ours (range reading). */
  end: number;
  done: boolean;
  /** Set SourceEvent.text on events that are a whole line's value. */
  keepText: boolean;
}

/** Read a whole NDJSON byte stream (a file, stdin, or decompressed gzip). */
export async function* readNdjsonBytes(
  bytes: AsyncIterable<Buffer>,
  file: string,
  onProblem: ProblemSink,
  filter?: LineFilter,
  keepText = false,
): AsyncIterable<SourceEvent[]> {
  const state: LineState = { file, onProblem, filter, lineNo: 1, end: Infinity, done: false, keepText };
  yield* splitLines(bytes, 0, state, false);
}

/** Read an NDJSON file. */
export function readNdjsonFile(path: string, onProblem: ProblemSink, filter?: LineFilter): AsyncIterable<SourceEvent[]> {
  return readNdjsonBytes(fileBytes(path, undefined, undefined, true), path, onProblem, filter);
}

/**
 * Read the lines of `path` that START in the byte range [start, end). A range that begins
 * mid-line skips to the next line start; the last line is read to its end even past `end`.
 * Splitting a file at any offsets 0 = o0 < o1 < … < oN = size yields every line exactly once.
 * Uncompressed files only (byte offsets of a gzip stream mean nothing).
 */
export async function* readNdjsonRange(
  path: string,
  start: number,
  end: number,
  onProblem: ProblemSink,
  options: NdjsonRangeOptions = {},
): AsyncIterable<SourceEvent[]> {
  if (end <= start) return;
  let lineNo: number | null = 1;
  if (options.firstLine !== undefined) lineNo = options.firstLine;
  else if (start > 0) lineNo = options.absoluteLines ? (await countNewlines(path, start - 1)) + 2 : null;
  const state: LineState = { file: path, onProblem, filter: options.filter, lineNo, end, done: false, keepText: options.keepText === true };
  if (start === 0) {
    yield* splitLines(fileBytes(path, undefined, undefined, true), 0, state, false);
    return;
  }
  // Start one byte early: if that byte is '\n', a line starts exactly at `start`.
  yield* splitLines(fileBytes(path, start - 1, undefined, true), start - 1, state, true);
}

/**
 * For ranges starting at `starts` (any order), the 1-based line number of the first line each
 * range yields, for `readNdjsonRange`'s `firstLine` option. One pass over the file up to the last
 * start, at memchr speed: cheaper than `absoluteLines` in every worker.
 */
export async function rangeFirstLines(path: string, starts: number[]): Promise<number[]> {
  // A range starting at s > 0 begins with the line after the one holding byte s - 1.
  const limits = starts.map((s) => Math.max(0, s - 1));
  const order = limits.map((_, i) => i).sort((a, b) => limits[a]! - limits[b]!);
  const counts = new Array<number>(starts.length).fill(0);
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(READ_CHUNK);
    let count = 0;
    let pos = 0;
    let next = 0;
    while (next < order.length) {
      const limit = limits[order[next]!]!;
      if (pos >= limit) {
        counts[order[next]!] = count;
        next++;
        continue;
      }
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, limit - pos), pos);
      if (bytesRead === 0) break; // the file is shorter than the remaining limits
      for (let i = buf.indexOf(10, 0); i !== -1 && i < bytesRead; i = buf.indexOf(10, i + 1)) count++;
      pos += bytesRead;
    }
    for (; next < order.length; next++) counts[order[next]!] = count;
  } finally {
    await fh.close();
  }
  return starts.map((s, i) => (s === 0 ? 1 : counts[i]! + 2));
}

/** The 1-based line number of the line that holds byte `offset` (e.g. an event's position in a range). */
export async function lineAtOffset(path: string, offset: number): Promise<number> {
  return (await countNewlines(path, offset)) + 1;
}

/** Number of `\n` bytes in the first `limit` bytes of a file. */
export async function countNewlines(path: string, limit: number): Promise<number> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(READ_CHUNK);
    let count = 0;
    let pos = 0;
    while (pos < limit) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, limit - pos), pos);
      if (bytesRead === 0) break;
      for (let i = buf.indexOf(10, 0); i !== -1 && i < bytesRead; i = buf.indexOf(10, i + 1)) count++;
      pos += bytesRead;
    }
    return count;
  } finally {
    await fh.close();
  }
}

async function* splitLines(
  bytes: AsyncIterable<Buffer>,
  firstOffset: number,
  state: LineState,
  skipToFirstNewline: boolean,
): AsyncIterable<SourceEvent[]> {
  let carry: Buffer | null = null;
  /** Absolute offset of the first byte of `carry` (or of the next chunk when no carry). */
  let carryOffset = firstOffset;
  let skipping = skipToFirstNewline;
  /** Chunks of a line longer than a chunk, joined once its end arrives (not at every chunk). */
  let longLine: Buffer[] = [];
  let longLineBytes = 0;
  /** Where a line cut by a block boundary is joined to the next block (reused, not reallocated). */
  let work: Buffer | null = null;
  for await (const chunk of bytes) {
    if (carry && !skipping && chunk.indexOf(10) === -1) {
      // Copies: the source may reuse its buffers (fileBytes `recycle`), and so does `work`.
      if (longLine.length === 0) longLine.push(Buffer.from(carry));
      longLine.push(Buffer.from(chunk));
      longLineBytes += chunk.length;
      carry = Buffer.alloc(0); // keeps `carry` truthy; the bytes are in longLine
      if (longLineBytes > MAX_LINE_BYTES) {
        state.onProblem({
          kind: 'malformed-json',
          file: state.file,
          where: state.lineNo !== null ? `line ${state.lineNo}` : `offset ${carryOffset}`,
          message: `a line longer than ${MAX_LINE_BYTES} bytes; rest of file skipped`,
          skipped: true,
        });
        return;
      }
      continue;
    }
    if (longLine.length > 0) {
      carry = Buffer.concat(longLine);
      longLine = [];
      longLineBytes = 0;
    }
    let buf: Buffer = chunk;
    if (carry && carry.length > 0) {
      const need = carry.length + chunk.length;
      if (work === null || work.length < need) work = Buffer.allocUnsafeSlow(Math.max(need, 2 * READ_CHUNK));
      carry.copy(work, 0); // carry may lie in `work` itself: copy moves overlapping bytes correctly
      chunk.copy(work, carry.length);
      buf = work.subarray(0, need);
    }
    const bufOffset = carryOffset;
    let pos = 0;
    if (skipping) {
      const nl = buf.indexOf(10, pos);
      if (nl === -1) {
        carry = null;
        carryOffset = bufOffset + buf.length;
        continue;
      }
      skipping = false;
      pos = nl + 1;
    }
    const last = buf.lastIndexOf(10);
    if (last >= pos) {
      // Decode the chunk's complete lines once and split the string (much faster than decoding
      // line by line). In ASCII text string indexes are byte offsets; otherwise the byte offset
      // of each line is found by walking the '\n' bytes alongside ('\n' never occurs inside a
      // multi-byte UTF-8 sequence, so the n-th '\n' char is the n-th '\n' byte).
      const ascii = isAscii(buf.subarray(pos, last + 1));
      const text = buf.toString(ascii ? 'latin1' : 'utf8', pos, last + 1);
      const block: Block = {
        buf,
        text,
        ascii,
        exact: mayHoldBigLiteral(text),
        nul: text.indexOf('\u0000') !== -1,
        hits: state.filter ? new NeedleHits(text, state.filter.needles) : null,
        bufOffset,
        pos,
        p: 0,
        lineByte: pos,
      };
      // Small batches: parsed events die young (before the next scavenge) instead of a whole
      // megabyte's worth being copied and promoted by the garbage collector.
      for (;;) {
        const batch: SourceEvent[] = [];
        const end = fillBatch(block, state, batch);
        if (batch.length > 0) yield batch;
        if (end) break;
      }
      pos = last + 1;
    }
    if (state.done) return;
    carry = pos < buf.length ? buf.subarray(pos) : null;
    carryOffset = bufOffset + pos;
  }
  if (longLine.length > 0) carry = Buffer.concat(longLine);
  if (carry && carry.length > 0 && !skipping) {
    const batch: SourceEvent[] = [];
    handleLine(carry, 0, carry.length, carryOffset, state, batch);
    if (batch.length > 0) yield batch;
  }
}

/** One decoded block of complete lines, and where its reading stands (see fillBatch). */
interface Block {
  buf: Buffer;
  text: string;
  ascii: boolean;
  /** The block may hold 16+ digit integers: lines are checked and parsed exactly. */
  exact: boolean;
  /** The block holds NUL bytes: its lines are cleaned of them (withoutNuls). */
  nul: boolean;
  hits: NeedleHits | null;
  /** Absolute offset of buf[0]; the text starts at buf[pos]. */
  bufOffset: number;
  pos: number;
  /** Next line's start in `text`, and in `buf` (non-ASCII text only). */
  p: number;
  lineByte: number;
}

/**
 * Read the block's lines from where it stands until `batch` holds BATCH_EVENTS events or the
 * block (or the range) ends; true when it ended. The per-line loop lives in this plain function,
 * not in the splitLines generator around it: V8 optimizes it early and on its own (the
 * generator, entered once per block, was compiled again and again with every line's work inlined
 * into it, and ran unoptimized meanwhile).
 */
function fillBatch(b: Block, state: LineState, batch: SourceEvent[]): boolean {
  const text = b.text;
  const hits = b.hits;
  let p = b.p;
  let lineByte = b.lineByte;
  for (let nl = text.indexOf('\n', p); nl !== -1; nl = text.indexOf('\n', p)) {
    const lineOffset = b.bufOffset + (b.ascii ? b.pos + p : lineByte);
    if (lineOffset >= state.end) {
      state.done = true;
      break;
    }
    let e = nl;
    if (e > p && text.charCodeAt(e - 1) === 13) e--;
    const bom = lineOffset === 0 && text.charCodeAt(p) === 0xfeff ? 1 : 0;
    // A filter may change its needles between blocks (the overlap's narrows): then search the line.
    const found = hits && hits.needles === state.filter!.needles ? hits.within(p, nl) : null;
    const line = text.slice(p + bom, e);
    parseLine(b.nul ? withoutNuls(line, lineOffset, state) : line, lineOffset, state, batch, b.exact, found);
    p = nl + 1;
    if (!b.ascii) lineByte = b.buf.indexOf(10, lineByte) + 1;
    if (batch.length >= BATCH_EVENTS) {
      b.p = p;
      b.lineByte = lineByte;
      return false;
    }
  }
  b.p = p;
  b.lineByte = lineByte;
  return true;
}

function handleLine(buf: Buffer, s: number, e: number, offset: number, state: LineState, out: SourceEvent[]): void {
  if (offset >= state.end) {
    state.done = true;
    return;
  }
  if (e > s && buf[e - 1] === 13) e--;
  if (offset === 0 && e - s >= 3 && buf[s] === 0xef && buf[s + 1] === 0xbb && buf[s + 2] === 0xbf) s += 3;
  parseLine(withoutNuls(buf.toString('utf8', s, e), offset, state), offset, state, out, true, null);
}

/**
 * A line without its NUL bytes. Logs extended with zeros (a crash while writing, a preallocated
 * file) hold runs of NULs where lines should be; JSON cannot hold a raw NUL, so removing them
 * loses nothing and the line around them parses. Reported as a warning (data kept) per line.
 */
function withoutNuls(line: string, offset: number, state: LineState): string {
  if (line.indexOf('\u0000') === -1) return line;
  const clean = line.replace(/\u0000/g, '');
  state.onProblem({
    kind: 'nul-bytes',
    file: state.file,
    where: state.lineNo !== null ? `line ${state.lineNo}` : `offset ${offset}`,
    message: `${(line.length - clean.length).toLocaleString('en-US')} NUL bytes removed (a zero-filled region: a crash while writing, or a preallocated log)${clean.trim() === '' ? '; nothing else on the line' : '; the rest of the line read'}`,
    skipped: false,
  });
  return clean;
}

/**
 * Parse one line (without its line break); `exact` = it may hold 16+ digit integers; `found`: which
 * of the filter's needles the line holds (see LineFilter), null when not searched yet.
 */
function parseLine(text: string, offset: number, state: LineState, out: SourceEvent[], exact: boolean, found: number | null): void {
  const lineNo = state.lineNo;
  if (lineNo !== null) state.lineNo = lineNo + 1;
  if (text.charCodeAt(0) !== 123 /* { */ && text.trim().length === 0) return;
  const filter = state.filter;
  if (filter) {
    const d = found === null ? filterDecides(filter, text) : filter.keep(text, found);
    if (d === SKIP) {
      filter.skipped++;
      return;
    }
    if (d === DEFER) {
      const timed = filter.deferredTimeOf !== undefined ? filter.deferredTimeOf(text) : null;
      const time = filter.deferredTimeOf !== undefined ? (timed?.time ?? null) : deferredTime(text);
      if (time !== null) {
        const deferred: DeferredLine = { text, time, categories: filter.deferredCategories ?? [], numbered: lineNo !== null };
        if (timed?.host !== undefined) deferred.host = timed.host;
        if (filter.deferredIds !== undefined) deferred.ids = filter.deferredIds;
        if (filter.deferredTimeOf?.parsed !== undefined) deferred.onParse = filter.deferredTimeOf.parsed;
        out.push({ event: {}, file: state.file, position: lineNo ?? offset, deferred });
        return;
      }
    }
  }
  const value = parseText(text, exact, state.file, lineNo, offset, state.onProblem);
  if (value === UNPARSED) return;
  const at = out.length;
  const bad = valueToEvents(value, state.file, lineNo ?? offset, out);
  if (state.keepText && out.length === at + 1 && out[at]!.event === value && !('hit' in out[at]!)) out[at]!.text = text;
  if (bad) {
    const where = lineNo !== null ? `line ${lineNo}` : `offset ${offset}`;
    state.onProblem({ kind: 'malformed-json', file: state.file, where, message: bad, skipped: true });
  }
}

const UNPARSED = Symbol('unparsed');

/** JSON.parse of one line (exact for 16+ digit integers when `exact`); a failure is reported. */
function parseText(text: string, exact: boolean, file: string, lineNo: number | null, offset: number, onProblem: ProblemSink): unknown {
  try {
    if (jsonDepthExceeds(text)) throw new Error(`nested deeper than ${MAX_JSON_DEPTH} levels`);
    const value: unknown = exact && mayHoldBigLiteral(text) ? parseJsonExact(text) : JSON.parse(text);
    // The text tells, for a third of the cost of walking the object, that no key holds a dot
    // (events/field.ts): the detector's markIfNested then skips its walk.
    markParsedJson(value, text);
    return value;
  } catch (err) {
    onProblem({
      kind: 'malformed-json',
      file,
      where: lineNo !== null ? `line ${lineNo}` : `offset ${offset}`,
      message: `${(err as Error).message} (line skipped: ${preview(text)})`,
      skipped: true,
    });
    return UNPARSED;
  }
}

/**
 * Parse a deferred line into `se.event`, as the reader would have parsed it then (deferred lines
 * are plain documents: see deferredTime). False when it does not parse: reported and skipped.
 */
export function parseDeferred(se: SourceEvent, onProblem: ProblemSink): boolean {
  const d = se.deferred!;
  const position = se.position ?? 0;
  const value = parseText(d.text, true, se.file, d.numbered ? position : null, position, onProblem);
  if (value === UNPARSED) return false;
  // An Elasticsearch hit (see deferredTime) is unwrapped as the reader would have.
  const out: SourceEvent[] = [];
  if (valueToEvents(value, se.file, position, out) !== undefined || out.length !== 1) {
    se.event = value as SourceEvent['event'];
  } else Object.assign(se, { event: out[0]!.event }, 'hit' in out[0]! ? { hit: (out[0] as { hit: unknown }).hit } : {});
  se.deferred = undefined;
  d.onParse?.(se.event);
  return true;
}

export function preview(text: string, max = 60): string {
  const t = text.length > max ? `${text.slice(0, max)}…` : text;
  return JSON.stringify(t);
}
